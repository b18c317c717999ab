"""Nonces: 144 random bits from the OS as 24 base64 characters, drawn from a small pool.

One ``os.urandom`` call per nonce costs more (≈0.7 µs here, a system call) than all the
rest of the shield's per-request work, so randomness is read 256 nonces at a time and
encoded in one ``b64encode``: 18 bytes make exactly 24 characters, no padding. The pool is
a ``deque`` (``popleft`` is atomic, so threads never share a nonce) and is emptied in a
forked child (``os.register_at_fork``), so worker processes never share one either.
"""

from __future__ import annotations

import base64
import os
from collections import deque

NONCE_BYTES = 18  # 144 bits: ≥ 128 as CSP asks, and a multiple of 3 (no base64 padding)
NONCE_CHARS = NONCE_BYTES * 4 // 3
_BATCH = 256

_pool: deque[str] = deque()


def new_nonce() -> str:
    """A fresh, unpredictable nonce (24 base64 characters)."""
    try:
        return _pool.popleft()
    except IndexError:
        return _refill()


def _refill() -> str:
    text = base64.b64encode(os.urandom(NONCE_BYTES * _BATCH)).decode("ascii")
    tokens = [text[i : i + NONCE_CHARS] for i in range(0, len(text), NONCE_CHARS)]
    _pool.extend(tokens[1:])
    return tokens[0]


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_pool.clear)

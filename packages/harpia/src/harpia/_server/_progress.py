"""Write progress, for the WebSocket write timeout: is the peer taking our bytes?

Bytes a server writes wait in user space (the transport's buffer) and then in the
kernel's send queue until the peer acknowledges them. On loopback and fast links the
kernel queue holds megabytes, and a socket only turns writable again once about a third
of it is free, so user-space buffers alone show a slowly reading peer's progress in
jumps of a megabyte or more. ``kernel_unsent`` reads the queue itself (Linux
``SIOCOUTQ``): every acknowledged byte counts. Elsewhere it reports 0 and progress is
seen in the coarser user-space steps.
"""

from __future__ import annotations

import struct
from typing import Any

try:
    import fcntl
    import termios

    _OUTQ: int | None = termios.TIOCOUTQ  # == SIOCOUTQ for sockets on Linux
except (ImportError, AttributeError):  # pragma: no cover - not Linux/Unix
    _OUTQ = None

_ZERO = b"\x00\x00\x00\x00"


def kernel_unsent(sock: Any) -> int:
    """Bytes in ``sock``'s send queue the peer has not acknowledged (0 when unknown)."""
    if sock is None or _OUTQ is None:
        return 0
    try:
        value: int = struct.unpack("i", fcntl.ioctl(sock.fileno(), _OUTQ, _ZERO))[0]
    except (OSError, ValueError):
        return 0
    return max(value, 0)

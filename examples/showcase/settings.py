"""Configuration from the environment, and the stores it chooses.

- ``REDIS_URL`` (e.g. ``redis://127.0.0.1:6379/0``): books, sessions, CSRF tokens, the
  HTTP cache and telemetry live in Redis, and WebSocket messages go through Redis
  pub/sub, so ``--workers 2`` behaves like one process. Without it: one in-process
  ``MemoryStore`` (one worker only: each worker would have its own books).
- ``SHOWCASE_TOKEN``: the telemetry dashboard's token (random when unset; set it for
  ``uvicorn --workers``, whose workers each import the app).
- ``SHOWCASE_API_ORIGIN``: the one other origin allowed to call ``/api`` from a browser.
- ``SHOWCASE_UPLOADS``: the folder for uploaded covers.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from harpia import MemoryStore, RedisPubSub, RedisStore

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
UPLOADS = Path(os.environ.get("SHOWCASE_UPLOADS") or HERE / "uploads")
UPLOADS.mkdir(parents=True, exist_ok=True)  # app.static() needs an existing folder

REDIS_URL = os.environ.get("REDIS_URL") or None
DASHBOARD_TOKEN = os.environ.get("SHOWCASE_TOKEN") or secrets.token_urlsafe(16)
API_ORIGIN = os.environ.get("SHOWCASE_API_ORIGIN") or "http://localhost:5173"

MAX_COVER = 2 * 1024 * 1024  # bytes per cover image


def make_store() -> MemoryStore | RedisStore:
    """Redis when configured (shared by every worker), else process memory."""
    if REDIS_URL:
        return RedisStore(REDIS_URL, prefix="showcase:", timeout=2)
    return MemoryStore(limit=10_000)


store = make_store()  # books, sessions, CSRF tokens and the HTTP cache share it


def make_pubsub() -> RedisPubSub | None:
    """WebSocket pub/sub through Redis when configured; ``None`` keeps it in-process."""
    return RedisPubSub(REDIS_URL, prefix="showcase:ws:") if REDIS_URL else None

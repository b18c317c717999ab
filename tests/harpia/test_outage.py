"""Store outages are logged once when they begin and once when they end."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from harpia._outage import down, store_failed, store_ok
from harpia_store import StoreError

if TYPE_CHECKING:
    import pytest


def test_one_line_per_outage_and_one_at_its_end(caplog: pytest.LogCaptureFixture) -> None:
    store, other = object(), object()
    caplog.set_level(logging.INFO, logger="harpia.store")
    store_ok(store)  # nothing was down: silent
    error = StoreError("Redis at redis://h:6379/0 is unavailable (key 'sess:Secret123'): boom")
    for _ in range(5):
        store_failed(store, "session", error)
    store_failed(other, "http_cache", StoreError("down"))
    assert down(store)
    assert down(other)
    store_ok(store)
    store_ok(store)
    assert not down(store)
    assert down(other)
    store_ok(other)
    lines = [(record.levelname, record.getMessage()) for record in caplog.records]
    assert lines == [
        (
            "ERROR",
            "session store unavailable (StoreError: Redis at redis://h:6379/0 is unavailable "
            "(key …): boom): answering 503 until it is back (logged once per outage)",
        ),
        (
            "ERROR",
            "http_cache store unavailable (StoreError: down): responses are not cached until "
            "it is back (logged once per outage)",
        ),
        (
            "WARNING",
            lines[2][1],
        ),
        ("WARNING", lines[3][1]),
    ]
    assert lines[2][1].startswith("session store is back after ")
    assert lines[2][1].endswith(" s (5 failed operations)")
    assert lines[3][1].startswith("http_cache store is back after ")
    assert "Secret123" not in caplog.text  # a session key is a credential

"""Fixtures: every behavioural test runs against MemoryStore and a real Redis."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from harpia_store import MemoryStore
from harpia_telemetry import Telemetry
from tests.support.stores import STORE_PARAMS, AnyStore, memory_or_redis

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable


TOKEN = "s3cret-token"


@pytest.fixture(params=STORE_PARAMS)
async def store(request: pytest.FixtureRequest) -> AsyncIterator[AnyStore]:
    async with memory_or_redis(request, "tel", memory=MemoryStore(limit=100_000)) as store:
        yield store


@pytest.fixture
def make(store: AnyStore) -> Callable[..., Telemetry]:
    """``make(**options)``: a Telemetry on the test's store (token ``TOKEN`` by default)."""

    def build(**options: Any) -> Telemetry:
        options.setdefault("access_token", TOKEN)
        return Telemetry(store, **options)

    return build

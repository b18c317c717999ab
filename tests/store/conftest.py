"""The ``store`` fixture: every behavioural test runs against MemoryStore and a real Redis:
one server, a 3-master Cluster and a Sentinel-managed master."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.stores import STORE_PARAMS, AnyStore, memory_or_redis

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture(params=STORE_PARAMS)
async def store(request: pytest.FixtureRequest) -> AsyncIterator[AnyStore]:
    async with memory_or_redis(request, "test") as store:
        yield store

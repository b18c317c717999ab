"""Erasure: delete(ip=), delete(date=), both, and flush() — nothing of the target is left."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .conftest import TOKEN
from .scenario import D1, D2, D3, A, B, C, play

if TYPE_CHECKING:
    from collections.abc import Callable

    from harpia_telemetry import Telemetry


@pytest.fixture
async def played(make: Callable[..., Telemetry]) -> Telemetry:
    telemetry = make(prefix="t:")
    await play(telemetry)
    return telemetry


async def keys_of(telemetry: Telemetry) -> list[str]:
    return await telemetry.store.keys("t:")


async def test_delete_an_ip_everywhere(played: Telemetry) -> None:
    await played.delete(ip=A, token=TOKEN)
    assert not [key for key in await keys_of(played) if key.endswith(":" + A)]
    for day in (D1, D2):
        assert A not in await played.get_visitors(date=day, token=TOKEN)
        assert A not in [e["ip"] for e in await played.get_errors(date=day, token=TOKEN)]
    # the slot is given back; the day totals (no address in them) stay
    assert await played.count_unique_visitors(date=D1, token=TOKEN) == 2
    assert await played.count_unique_visitors(date=D2, token=TOKEN) == 1
    assert (await played.summary(date=D1, token=TOKEN))["total_requests"] == 6
    assert await played.get_page_by_path(path="/", date=D1, token=TOKEN) == {
        "path": "/",
        "views": 2,
        "visitors": [B],
        "avg_response_time": 45.0,
        "error_count": 0,
    }
    # the other visitors are untouched
    assert (await played.get_visitor_by_ip(ip=B, date=D1, token=TOKEN))["total_requests"] == 2


async def test_delete_an_ip_on_one_day(played: Telemetry) -> None:
    await played.delete(ip=A, date=D1, token=TOKEN)
    assert (await played.get_visitor_by_ip(ip=A, date=D1, token=TOKEN))["total_requests"] == 0
    assert (await played.get_visitor_by_ip(ip=A, date=D2, token=TOKEN))["total_requests"] == 2
    assert await played.count_unique_visitors(date=D1, token=TOKEN) == 2
    assert await played.count_unique_visitors(date=D2, token=TOKEN) == 2


async def test_an_erased_ip_that_comes_back_is_counted_again(played: Telemetry) -> None:
    await played.delete(ip=B, date=D3, token=TOKEN)
    assert await played.count_unique_visitors(date=D3, token=TOKEN) == 0
    from .scenario import at

    await played.record(ip=B, path="/", timestamp=at(D3, "20:00:00"))
    assert await played.count_unique_visitors(date=D3, token=TOKEN) == 1
    assert (await played.get_visitor_by_ip(ip=B, date=D3, token=TOKEN))["total_requests"] == 1


async def test_delete_a_day(played: Telemetry) -> None:
    await played.delete(date=D2, token=TOKEN)
    assert not [key for key in await keys_of(played) if D2 in key]
    assert [row["date"] for row in await played.get_daily_stats(token=TOKEN)] == [D1, D3]
    assert (await played.summary(date=D2, token=TOKEN))["total_requests"] == 0
    assert C not in (await played.get_all(token=TOKEN))["access"]["visitors_by_date"].get(D1, {})
    assert (await played.summary(date=D1, token=TOKEN))["total_requests"] == 6


async def test_flush_deletes_everything_under_the_prefix_only(played: Telemetry) -> None:
    await played.store.set("unrelated", 1)
    await played.flush(token=TOKEN)
    assert await keys_of(played) == []
    assert await played.get_daily_stats(token=TOKEN) == []
    assert await played.store.get("unrelated") == 1
    await played.store.delete("unrelated")


async def test_delete_needs_a_target(played: Telemetry) -> None:
    with pytest.raises(ValueError, match="ip=, date="):
        await played.delete(token=TOKEN)
    with pytest.raises(ValueError, match="date"):
        await played.delete(date="03/01/2024", token=TOKEN)
    with pytest.raises(ValueError, match="ip"):
        await played.delete(ip="bad ip", token=TOKEN)

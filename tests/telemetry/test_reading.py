"""Every reading method, shape and values, on the scripted scenario (memory and Redis)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .conftest import TOKEN
from .scenario import A_D1_VISITS, D1, D2, D3, V6, A, B, C, play, visit

if TYPE_CHECKING:
    from collections.abc import Callable

    from harpia_telemetry import Telemetry


@pytest.fixture
async def played(make: Callable[..., Telemetry]) -> Telemetry:
    telemetry = make()
    await play(telemetry)
    return telemetry


async def test_summary_of_each_day(played: Telemetry) -> None:
    assert await played.summary(date=D1, token=TOKEN) == {
        "date": D1,
        "total_requests": 6,
        "unique_visitors": 3,
        "top_pages": [
            {"path": "/", "views": 2},
            {"path": "/about", "views": 1},
            {"path": "/checkout", "views": 1},
            {"path": "/missing", "views": 1},
            {"path": "/pricing", "views": 1},
        ],
        "avg_response_time": 330.0,
        "total_errors": 1,
        "untracked_requests": 0,
    }
    day2 = await played.summary(date=D2, limit=1, token=TOKEN)
    assert day2 == {
        "date": D2,
        "total_requests": 4,
        "unique_visitors": 2,
        "top_pages": [{"path": "/checkout", "views": 2}],
        "avg_response_time": 203.75,
        "total_errors": 2,
        "untracked_requests": 0,
    }


async def test_summary_of_an_empty_day_and_today(played: Telemetry) -> None:
    empty = await played.summary(date="2024-02-29", token=TOKEN)
    assert empty["total_requests"] == 0
    assert empty["top_pages"] == []
    assert empty["avg_response_time"] == 0.0
    today = await played.summary(token=TOKEN)  # default: today (UTC), nothing recorded
    assert today["total_requests"] == 0
    assert len(today["date"]) == 10


async def test_daily_stats_span_every_day_oldest_first(played: Telemetry) -> None:
    assert await played.get_daily_stats(token=TOKEN) == [
        {"date": D1, "total_requests": 6, "unique_visitors": 3},
        {"date": D2, "total_requests": 4, "unique_visitors": 2},
        {"date": D3, "total_requests": 1, "unique_visitors": 1},
    ]


async def test_get_all_holds_every_visit(played: Telemetry) -> None:
    data = await played.get_all(token=TOKEN)
    assert data["access"]["total_requests"] == 11
    by_date = data["access"]["visitors_by_date"]
    assert sorted(by_date) == [D1, D2, D3]
    assert sorted(by_date[D1]) == sorted([A, B, V6])
    assert by_date[D1][A] == {"total_requests": 3, "visits": A_D1_VISITS}
    assert by_date[D3] == {B: {"total_requests": 1, "visits": [visit("/", "08:00:00", 25, day=D3)]}}
    assert data["behavior"]["page_views"] == {
        "/": 4,
        "/checkout": 3,
        "/pricing": 2,
        "/about": 1,
        "/missing": 1,
    }


async def test_visitors_and_one_visitor(played: Telemetry) -> None:
    visitors = await played.get_visitors(date=D2, token=TOKEN)
    assert sorted(visitors) == sorted([A, C])
    assert visitors[C] == {
        "total_requests": 2,
        "visits": [
            visit("/checkout", "09:30:00", 80, day=D2, method="POST", status=503,
                  error={"code": 503, "message": "Service Unavailable"}),
            visit("/checkout", "09:40:00", 700, day=D2,
                  source={"utm": {"source": "google", "medium": "cpc"}}),
        ],
    }  # fmt: skip
    assert await played.get_visitor_by_ip(ip=A, date=D1, token=TOKEN) == {
        "total_requests": 3,
        "visits": A_D1_VISITS,
    }
    # the address is normalised: the long IPv6 form finds the same visitor
    long_v6 = await played.get_visitor_by_ip(ip="2001:0db8:0:0::1", date=D1, token=TOKEN)
    assert long_v6["total_requests"] == 1
    assert await played.get_visitor_by_ip(ip="10.9.9.9", date=D1, token=TOKEN) == {
        "total_requests": 0,
        "visits": [],
    }


async def test_unique_visitors(played: Telemetry) -> None:
    assert await played.count_unique_visitors(date=D1, token=TOKEN) == 3
    assert await played.count_unique_visitors(date=D2, token=TOKEN) == 2
    assert await played.count_unique_visitors(date="2024-01-01", token=TOKEN) == 0


async def test_page_views_and_top_pages(played: Telemetry) -> None:
    views = await played.get_page_views(date=D1, token=TOKEN)
    assert views == {"/": 2, "/about": 1, "/checkout": 1, "/missing": 1, "/pricing": 1}
    assert next(iter(views)) == "/"  # most viewed first
    assert await played.get_top_pages(limit=2, date=D2, token=TOKEN) == [
        {"path": "/checkout", "views": 2},
        {"path": "/", "views": 1},
    ]
    assert await played.get_top_pages(limit=0, date=D2, token=TOKEN) == []


async def test_page_by_path(played: Telemetry) -> None:
    assert await played.get_page_by_path(path="/", date=D1, token=TOKEN) == {
        "path": "/",
        "views": 2,
        "visitors": [A, B],
        "avg_response_time": 45.0,
        "error_count": 0,
    }
    assert await played.get_page_by_path(path="/checkout", date=D2, token=TOKEN) == {
        "path": "/checkout",
        "views": 2,
        "visitors": [C],
        "avg_response_time": 390.0,
        "error_count": 1,
    }
    unseen = await played.get_page_by_path(path="/nowhere", date=D1, token=TOKEN)
    assert unseen == {
        "path": "/nowhere",
        "views": 0,
        "visitors": [],
        "avg_response_time": 0.0,
        "error_count": 0,
    }


async def test_average_response_time(played: Telemetry) -> None:
    assert await played.get_avg_response_time(date=D1, token=TOKEN) == 330.0
    assert await played.get_avg_response_time(date=D2, token=TOKEN) == 203.75
    assert await played.get_avg_response_time(date="2020-01-01", token=TOKEN) == 0.0


async def test_slow_requests_slowest_first(played: Telemetry) -> None:
    assert await played.get_slow_requests(threshold=500, date=D1, token=TOKEN) == [
        {"ip": B, "path": "/checkout", "timestamp": f"{D1}T11:05:00.000Z", "response_time": 1250},
        {"ip": V6, "path": "/pricing", "timestamp": f"{D1}T12:00:00.000Z", "response_time": 600},
    ]
    # strictly slower than the threshold
    assert await played.get_slow_requests(threshold=600, date=D1, token=TOKEN) == [
        {"ip": B, "path": "/checkout", "timestamp": f"{D1}T11:05:00.000Z", "response_time": 1250},
    ]
    assert await played.get_slow_requests(threshold=5000, date=D1, token=TOKEN) == []


async def test_errors_newest_first_and_counted(played: Telemetry) -> None:
    assert await played.get_errors(date=D2, token=TOKEN) == [
        {
            "ip": A,
            "path": "/pricing",
            "timestamp": f"{D2}T10:00:00.000Z",
            "response_time": 15,
            "error": {"code": 400, "message": "bad coupon"},
        },
        {
            "ip": C,
            "path": "/checkout",
            "timestamp": f"{D2}T09:30:00.000Z",
            "response_time": 80,
            "error": {"code": 503, "message": "Service Unavailable"},
        },
    ]
    assert await played.count_errors(date=D1, token=TOKEN) == 1
    assert await played.count_errors(date=D2, token=TOKEN) == 2
    assert await played.count_errors(date=D3, token=TOKEN) == 0
    assert await played.get_errors(date=D3, token=TOKEN) == []


async def test_traffic_sources(played: Telemetry) -> None:
    assert await played.get_traffic_sources(date=D1, token=TOKEN) == {
        "google/cpc": 1,
        "google/organic": 1,
        "newsletter": 1,
    }
    assert await played.get_traffic_sources(source="google", date=D1, token=TOKEN) == {
        "google/cpc": 1,
        "google/organic": 1,
    }
    assert await played.get_traffic_sources(source="bing", date=D1, token=TOKEN) == {}
    assert await played.get_traffic_sources(date=D2, token=TOKEN) == {"google/cpc": 1}


async def test_a_datetime_date_is_accepted(played: Telemetry) -> None:
    from datetime import date

    assert await played.count_errors(date=date(2024, 3, 2), token=TOKEN) == 2


@pytest.mark.parametrize(
    ("date", "error"),
    [("2024-3-1", ValueError), ("2024-02-30", ValueError), ("yesterday", ValueError),
     (20240301, TypeError)],
)  # fmt: skip
async def test_bad_dates_are_refused_naming_the_argument(
    played: Telemetry, date: object, error: type[Exception]
) -> None:
    with pytest.raises(error, match="date"):
        await played.summary(date=date, token=TOKEN)  # type: ignore[arg-type]


async def test_bad_reading_arguments(played: Telemetry) -> None:
    with pytest.raises(ValueError, match="limit"):
        await played.get_top_pages(limit=-1, token=TOKEN)
    with pytest.raises(TypeError, match="limit"):
        await played.summary(limit="5", token=TOKEN)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="threshold"):
        await played.get_slow_requests(threshold=-1, token=TOKEN)
    with pytest.raises(ValueError, match="path"):
        await played.get_page_by_path(path="pricing", token=TOKEN)
    with pytest.raises(ValueError, match="ip"):
        await played.get_visitor_by_ip(ip="not an ip!", token=TOKEN)
    with pytest.raises(TypeError, match="source"):
        await played.get_traffic_sources(source=3, token=TOKEN)  # type: ignore[arg-type]


async def test_reading_methods_are_keyword_only(played: Telemetry) -> None:
    with pytest.raises(TypeError):
        await played.summary(D1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        await played.get_visitor_by_ip(A)  # type: ignore[call-arg]

"""A scripted sequence of visits over three days, and what reading it must give.

The expected values below are written out by hand (not computed with the package's own
code), so a reading bug cannot hide behind the same bug in the expectation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harpia_telemetry import Telemetry

D1, D2, D3 = "2024-03-01", "2024-03-02", "2024-03-03"
A, B, V6, C = "10.0.0.1", "10.0.0.2", "2001:db8::1", "192.168.1.7"


def at(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=UTC)


def utm(source: str, medium: str | None = None) -> dict[str, Any]:
    return {"utm": {"source": source, "medium": medium}}


# (ip, method, path, status, ms, error, source, timestamp)
VISITS: list[tuple[str, str, str, int, float, dict[str, Any] | None, Any, datetime]] = [
    (A, "GET", "/", 200, 40, None, utm("google", "cpc"), at(D1, "10:00:00")),
    (A, "GET", "/about", 200, 30, None, None, at(D1, "10:01:00")),
    (B, "GET", "/", 200, 50, None, utm("google", "organic"), at(D1, "11:00:00")),
    (B, "GET", "/checkout", 500, 1250, {"code": 500, "message": "Payment gateway timeout"},
     None, at(D1, "11:05:00")),
    (V6, "GET", "/pricing", 200, 600, None, utm("newsletter"), at(D1, "12:00:00")),
    (A, "GET", "/missing", 404, 10, None, None, at(D1, "13:00:00")),
    (A, "GET", "/", 200, 20, None, None, at(D2, "09:00:00")),
    (C, "POST", "/checkout", 503, 80, None, None, at(D2, "09:30:00")),
    (C, "GET", "/checkout", 200, 700, None, utm("google", "cpc"), at(D2, "09:40:00")),
    (A, "GET", "/pricing", 400, 15, {"code": 400, "message": "bad coupon"}, None,
     at(D2, "10:00:00")),
    (B, "GET", "/", 200, 25, None, None, at(D3, "08:00:00")),
]  # fmt: skip


async def play(telemetry: Telemetry) -> None:
    """Record every visit of the scenario, in order."""
    for ip, method, path, status, ms, error, source, when in VISITS:
        recorded = await telemetry.record(
            ip=ip, path=path, method=method, status=status, response_time_ms=ms,
            error=error, source=source, timestamp=when,
        )  # fmt: skip
        assert recorded


def visit(
    path: str,
    clock: str,
    ms: float,
    *,
    day: str = D1,
    method: str = "GET",
    status: int = 200,
    error: dict[str, Any] | None = None,
    source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A stored visit as the reading API returns it."""
    return {
        "path": path,
        "method": method,
        "status": status,
        "timestamp": f"{day}T{clock}.000Z",
        "response_time": ms,
        "error": error,
        "source": source,
    }


GOOGLE_CPC = {"utm": {"source": "google", "medium": "cpc"}}
A_D1_VISITS = [
    visit("/", "10:00:00", 40, source=GOOGLE_CPC),
    visit("/about", "10:01:00", 30),
    visit("/missing", "13:00:00", 10, status=404),
]

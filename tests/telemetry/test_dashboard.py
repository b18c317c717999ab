"""The dashboard mounted on harpia: protection, the page, its JSON endpoints."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import TYPE_CHECKING, Any

import pytest

from harpia import Router, TestClient, harpia
from harpia_telemetry import Telemetry

from .conftest import TOKEN
from .scenario import D1, V6, B, play

if TYPE_CHECKING:
    from collections.abc import Callable

    from harpia import Harpia


def mounted(telemetry: Telemetry, **options: Any) -> Harpia:
    app = harpia()
    app.use(telemetry.middleware())
    app.get("/", lambda req, res: res.text("home"))
    app.routes(telemetry.dashboard(**options))
    return app


@pytest.fixture
async def app(make: Callable[..., Telemetry]) -> Harpia:
    telemetry = make()
    await play(telemetry)
    return mounted(telemetry)


async def test_without_the_token_it_is_401(app: Harpia) -> None:
    client = TestClient(app)
    for path in ("/_telemetry", "/_telemetry/", "/_telemetry/api/summary"):
        response = await client.get(path).query("date", D1).execute()
        assert response.status == 401, path
        assert response.headers.get("www-authenticate") == 'Bearer realm="telemetry"'
        assert "330" not in response.text()
    wrong = await client.get("/_telemetry").query("token", "guess").execute()
    assert wrong.status == 401
    assert "text/html" in (wrong.headers.get("content-type") or "")
    api = await client.get("/_telemetry/api/daily").set("Authorization", "Bearer guess").execute()
    assert api.status == 401
    assert api.json()["error"] == "Unauthorized"


async def test_the_token_in_the_query_or_a_bearer_header(app: Harpia) -> None:
    client = TestClient(app)
    by_query = await client.get("/_telemetry").query({"token": TOKEN, "date": D1}).execute()
    by_header = (
        await client.get("/_telemetry").query("date", D1).set("Authorization", f"Bearer {TOKEN}")
    )
    assert by_query.status == 200
    assert by_header.status == 200
    assert 'name="token"' not in by_header.text()  # a header token is never put in the page


async def test_the_page_shows_the_day(app: Harpia) -> None:
    response = await TestClient(app).get("/_telemetry").query({"token": TOKEN, "date": D1})
    page = response.text()
    assert response.headers.get("content-type") == "text/html; charset=utf-8"
    assert response.headers.get("cache-control") == "no-store"
    assert response.headers.get("referrer-policy") == "no-referrer"
    tiles = re.findall(r'<div class="tile[^"]*"><b>([^<]*)</b><span>([^<]*)</span>', page)
    assert tiles == [
        ("6", "requests"),
        ("3", "unique visitors"),
        ("330 ms", "avg response time"),
        ("1", "errors"),
    ]
    for text in ("/checkout", "/pricing", "Payment gateway timeout", "google/cpc", "newsletter"):
        assert text in page
    assert f'value="{D1}"' in page  # the date picker
    assert f'name="token" value="{TOKEN}"' in page  # carried by the form
    assert page.count("<svg") == 5  # traffic, pages, sources, times, errors
    assert f"/_telemetry/api/daily?date={D1}&amp;token={TOKEN}" in page
    # slow requests (> 500 ms): the two of the day, slowest first
    assert page.index(B) < page.index(V6)


async def test_the_page_is_self_contained(app: Harpia) -> None:
    response = await TestClient(app).get("/_telemetry").query("token", TOKEN)
    page = response.text()
    assert "<script" not in page
    assert "<link" not in page
    assert " src=" not in page
    assert "url(" not in page
    assert not [u for u in re.findall(r"https?://[^\"' ]+", page) if "www.w3.org" not in u]
    csp = response.headers.get("content-security-policy") or ""
    assert "default-src 'none'" in csp
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp


async def test_json_endpoint_per_chart(app: Harpia) -> None:
    client = TestClient(app)

    async def get(chart: str, **query: str) -> Any:
        response = await client.get(f"/_telemetry/api/{chart}").query(
            {"token": TOKEN, "date": D1, **query}
        )
        assert response.status == 200, (chart, response.text())
        assert response.headers.get("content-type") == "application/json"
        return response.json()

    summary = await get("summary")
    assert (summary["total_requests"], summary["unique_visitors"]) == (6, 3)
    daily = await get("daily")
    assert len(daily) == 30
    assert daily[-1] == {
        "date": D1,
        "total_requests": 6,
        "unique_visitors": 3,
        "avg_response_time": 330.0,
        "total_errors": 1,
    }
    assert daily[0]["date"] == "2024-02-01"  # 30 days, 2024 is a leap year
    assert daily[0]["total_requests"] == 0
    assert (await get("pages"))[0] == {"path": "/", "views": 2}
    times = await get("response-times")
    assert times["avg_response_time"] == 330.0
    assert len(times["daily"]) == 30
    slow = await get("slow")
    assert [r["response_time"] for r in slow["requests"]] == [1250, 600]
    assert slow["threshold"] == 500
    assert [r["path"] for r in (await get("slow", threshold="1000"))["requests"]] == ["/checkout"]
    errors = await get("errors")
    assert errors["total_errors"] == 1
    assert errors["errors"][0]["error"] == {"code": 500, "message": "Payment gateway timeout"}
    assert await get("sources") == {"google/cpc": 1, "google/organic": 1, "newsletter": 1}


async def test_bad_requests(app: Harpia) -> None:
    client = TestClient(app)
    unknown = await client.get("/_telemetry/api/nope").query("token", TOKEN)
    assert unknown.status == 404
    assert "summary" in unknown.json()["detail"]
    bad_day = await client.get("/_telemetry/api/daily").query({"token": TOKEN, "date": "x"})
    assert bad_day.status == 400
    assert "date" in bad_day.json()["detail"]
    bad_threshold = await client.get("/_telemetry/api/slow").query(
        {"token": TOKEN, "threshold": "fast"}
    )
    assert bad_threshold.status == 400
    post = await client.post("/_telemetry").query("token", TOKEN)
    assert post.status == 405


async def test_dashboard_requests_are_not_recorded(make: Callable[..., Telemetry]) -> None:
    telemetry = make()
    client = TestClient(mounted(telemetry, path="/admin/stats/"))
    await client.get("/").execute()
    await client.get("/admin/stats").query("token", TOKEN).execute()
    await client.get("/admin/stats/api/daily").query("token", TOKEN).execute()
    assert await telemetry.get_page_views(token=TOKEN) == {"/": 1}


async def test_allowed_ips_protect_the_dashboard(make: Callable[..., Telemetry]) -> None:
    closed = make(access_token=None, allowed_ips=["10.0.0.0/8"])
    app = mounted(closed)
    assert (await TestClient(app, client=("192.0.2.1", 1)).get("/_telemetry")).status == 401
    assert (await TestClient(app, client=("10.1.2.3", 1)).get("/_telemetry")).status == 200
    spoofed = TestClient(app, client=("192.0.2.1", 1)).get("/_telemetry")
    assert (await spoofed.set("X-Forwarded-For", "10.1.2.3")).status == 401
    proxied = make(access_token=None, allowed_ips=["10.0.0.0/8"], trust_proxy=True, prefix="p:")
    behind = TestClient(mounted(proxied), client=("192.0.2.1", 1)).get("/_telemetry")
    assert (await behind.set("X-Forwarded-For", "10.1.2.3")).status == 200


def test_dashboard_options_are_checked() -> None:
    with pytest.raises(ValueError, match="access_token= or allowed_ips="):
        Telemetry().dashboard()
    protected = Telemetry(access_token=TOKEN)
    with pytest.raises(ValueError, match="path"):
        protected.dashboard("telemetry")
    with pytest.raises(ValueError, match="path"):
        protected.dashboard("/")
    with pytest.raises(ValueError, match="days"):
        protected.dashboard(days=0)
    assert isinstance(protected.dashboard("/stats"), Router)


@pytest.mark.parametrize(
    ("value", "integers", "top"),
    [(205, True, 240), (9, True, 12), (1, True, 4), (0, True, 4), (0.3, False, 0.32),
     (45.15, False, 60), (100, True, 100), (101, True, 120), (0, False, 1)],
)  # fmt: skip
def test_chart_axes_end_on_round_steps(value: float, integers: bool, top: float) -> None:
    from harpia_telemetry._svg import nice_top

    assert nice_top(value, integers=integers) == pytest.approx(top)

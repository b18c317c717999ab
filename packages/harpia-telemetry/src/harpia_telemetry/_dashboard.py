"""The dashboard, independent of any framework: a request in, a ``Reply`` out.

Routes under the mount path ``P``:

- ``GET P`` (or ``P/``): the HTML page for ``?date=`` (default today, UTC);
- ``GET P/api/<chart>``: the JSON behind one chart — ``summary``, ``daily``, ``pages``,
  ``response-times``, ``slow`` (``?threshold=`` ms), ``errors``, ``sources``.

Every route needs the access token (``?token=`` or ``Authorization: Bearer``) and an
allowed caller IP, as configured on the ``Telemetry``. Front ends (the harpia router, the
ASGI middleware) only translate their request into ``respond``'s arguments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ._checks import check_date, check_int, check_number, check_str
from ._errors import Unauthorized
from ._page import CSP, PageData, message_page, render
from ._reader import average_ms, sort_views

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ._telemetry import Telemetry

HTML = "text/html; charset=utf-8"
JSON = "application/json"
TOP = 10


@dataclass(frozen=True, slots=True)
class Reply:
    """A dashboard answer: ``status``, ``headers`` (without ``Content-Length``), ``body``."""

    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class Dashboard:
    """Serves the dashboard of ``telemetry`` under ``path``.

    Creating it adds ``path`` and everything below it to the telemetry's ignored paths.

    Raises:
        ValueError: ``path`` does not start with ``/`` or is ``/``; the telemetry has
            neither ``access_token`` nor ``allowed_ips`` (the dashboard would be public).
    """

    def __init__(
        self, telemetry: Telemetry, path: str, *, days: int = 30, slow_threshold: float = 500.0
    ) -> None:
        text = check_str(path, "path").rstrip("/")
        if not text.startswith("/"):
            raise ValueError(f"dashboard path must start with '/' and not be '/', got {path!r}")
        if not telemetry.protected:
            raise ValueError(
                "the telemetry dashboard needs access_token= or allowed_ips= on Telemetry: "
                "it would otherwise show every visitor's address to anyone"
            )
        self.telemetry = telemetry
        self.path = text
        self.days = check_int(days, "days", minimum=1)
        self.slow_threshold = check_number(slow_threshold, "slow_threshold")
        self._charts: dict[str, Callable[[str, Callable[[str], str | None]], Awaitable[Any]]] = {
            "summary": self._summary,
            "daily": self._daily,
            "pages": self._pages,
            "response-times": self._response_times,
            "slow": self._slow,
            "errors": self._errors,
            "sources": self._sources,
        }
        telemetry.ignore(text, text + "/*")

    @property
    def charts(self) -> tuple[str, ...]:
        """The names of the JSON endpoints."""
        return tuple(self._charts)

    def owns(self, path: str) -> bool:
        """True for the dashboard's own paths."""
        return path == self.path or path.startswith(self.path + "/")

    async def respond(
        self,
        path: str,
        query: Callable[[str], str | None],
        authorization: str | None,
        caller_ip: str | None,
        method: str = "GET",
    ) -> Reply:
        """Answer one request.

        Args:
            path: The request path (under the mount path).
            query: Returns a query parameter by name, or ``None``.
            authorization: The ``Authorization`` header, if any.
            caller_ip: The client's address, as the telemetry resolves it.
            method: ``GET`` or ``HEAD`` (others: 405).
        """
        rest = path[len(self.path) :].strip("/") if self.owns(path) else None
        api = rest is not None and rest.startswith("api/")
        if method not in ("GET", "HEAD"):
            return self._problem(
                405, "Method Not Allowed", "Use GET.", api, [("allow", "GET, HEAD")]
            )
        query_token = query("token")
        try:
            self.telemetry.authorize(
                token=query_token if query_token is not None else bearer(authorization),
                caller_ip=caller_ip,
            )
        except (Unauthorized, TypeError) as exc:
            challenge = [("www-authenticate", 'Bearer realm="telemetry"')]
            return self._problem(401, "Unauthorized", str(exc), api, challenge)
        try:
            day = check_date(query("date") or None)
        except ValueError as exc:
            return self._problem(400, "Bad Request", str(exc), api)
        if rest == "":
            page = await self._page(day, query_token)
            return self._reply(200, render(page).encode(), HTML)
        chart = self._charts.get(rest[4:]) if rest is not None and api else None
        if chart is None:
            return self._problem(404, "Not Found", f"charts: {', '.join(self._charts)}", api)
        try:
            payload = await chart(day, query)
        except ValueError as exc:
            return self._problem(400, "Bad Request", str(exc), True)
        return self._reply(200, json.dumps(payload, separators=(",", ":")).encode(), JSON)

    # -- data ------------------------------------------------------------------------

    async def _window(self, day: str) -> list[dict[str, Any]]:
        """``days`` rows ending on ``day``, days without data as zeros."""
        end = Date.fromisoformat(day)
        window = [(end - timedelta(days=back)).isoformat() for back in range(self.days - 1, -1, -1)]
        overview = await self.telemetry._reader.overview(set(window))
        known = {row["date"]: row for row in overview}
        rows = []
        for current in window:
            row = known.get(current)
            rows.append(
                {
                    "date": current,
                    "total_requests": row["total_requests"] if row else 0,
                    "unique_visitors": row["unique_visitors"] if row else 0,
                    "avg_response_time": row["avg_response_time"] if row else 0.0,
                    "total_errors": row["total_errors"] if row else 0,
                }
            )
        return rows

    async def _page(self, day: str, token: str | None) -> PageData:
        reader = self.telemetry._reader
        return PageData(
            path=self.path,
            day=day,
            token=token,
            counters=await reader.day_counters(day),
            daily=await self._window(day),
            top_pages=sort_views(await reader.page_views(day))[:TOP],
            slow=await reader.slow(day, self.slow_threshold),
            slow_threshold=self.slow_threshold,
            errors=await reader.errors(day),
            sources=await reader.sources(day, None),
        )

    async def _summary(self, day: str, query: Callable[[str], str | None]) -> Any:
        reader = self.telemetry._reader
        counters = await reader.day_counters(day)
        return {
            "date": day,
            "total_requests": counters["requests"],
            "unique_visitors": counters["visitors"],
            "top_pages": sort_views(await reader.page_views(day))[:TOP],
            "avg_response_time": average_ms(counters["rt_us"], counters["requests"]),
            "total_errors": counters["errors"],
            "untracked_requests": counters["untracked"],
        }

    async def _daily(self, day: str, query: Callable[[str], str | None]) -> Any:
        return await self._window(day)

    async def _pages(self, day: str, query: Callable[[str], str | None]) -> Any:
        return sort_views(await self.telemetry._reader.page_views(day))[:TOP]

    async def _response_times(self, day: str, query: Callable[[str], str | None]) -> Any:
        rows = await self._window(day)
        return {
            "date": day,
            "avg_response_time": rows[-1]["avg_response_time"],
            "daily": [
                {"date": row["date"], "avg_response_time": row["avg_response_time"]} for row in rows
            ],
        }

    async def _slow(self, day: str, query: Callable[[str], str | None]) -> Any:
        raw = query("threshold")
        threshold = self.slow_threshold
        if raw is not None:
            try:
                threshold = check_number(float(raw), "threshold")
            except ValueError:
                raise ValueError(f"threshold must be a number of ms >= 0, got {raw!r}") from None
        return {
            "date": day,
            "threshold": threshold,
            "requests": await self.telemetry._reader.slow(day, threshold),
        }

    async def _errors(self, day: str, query: Callable[[str], str | None]) -> Any:
        rows = await self._window(day)
        return {
            "date": day,
            "total_errors": rows[-1]["total_errors"],
            "daily": [{"date": r["date"], "total_errors": r["total_errors"]} for r in rows],
            "errors": await self.telemetry._reader.errors(day),
        }

    async def _sources(self, day: str, query: Callable[[str], str | None]) -> Any:
        return await self.telemetry._reader.sources(day, None)

    # -- replies ---------------------------------------------------------------------

    @staticmethod
    def _reply(
        status: int, body: bytes, content_type: str, extra: list[tuple[str, str]] | None = None
    ) -> Reply:
        headers = [
            ("content-type", content_type),
            ("cache-control", "no-store"),
            ("referrer-policy", "no-referrer"),
            ("x-content-type-options", "nosniff"),
            ("content-security-policy", CSP),
            *(extra or []),
        ]
        return Reply(status, body, headers)

    def _problem(
        self,
        status: int,
        title: str,
        text: str,
        api: bool,
        extra: list[tuple[str, str]] | None = None,
    ) -> Reply:
        if api:
            body = json.dumps({"error": title, "status": status, "detail": text}).encode()
            return self._reply(status, body, JSON, extra)
        return self._reply(status, message_page(status, title, text).encode(), HTML, extra)

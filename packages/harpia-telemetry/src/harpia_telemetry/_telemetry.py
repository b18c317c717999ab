"""Telemetry: the options, the recording entry point and the reading API."""

from __future__ import annotations

import hmac
import ipaddress
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from ._checks import (
    check_date,
    check_error,
    check_int,
    check_names,
    check_number,
    check_path,
    check_source,
    check_status,
    check_str,
    check_timestamp,
    normalize_ip,
)
from ._clock import Clock, stamp
from ._errors import Unauthorized
from ._layout import Layout
from ._reader import Reader, average_ms, sort_views
from ._recorder import Recorder
from ._store import TelemetryStore, check_memory_limit, check_store, default_store

if TYPE_CHECKING:
    from collections.abc import Coroutine
    from datetime import date as Day
    from datetime import datetime

    import harpia

    from ._asgi import ASGIApp, TelemetryMiddleware
    from ._middleware import HarpiaMiddleware, TrafficSource

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Telemetry:
    """Exact request telemetry in a store, with a reading API and a dashboard.

    Args:
        store: Where data goes: a ``MemoryStore`` (the default, sized for 3 days) or a
            ``RedisStore`` shared by every worker. It must offer atomic counters, lists,
            sets and key listing.
        ignore: Paths not recorded. An entry ending in ``*`` is a prefix
            (``"/static/*"``); others match exactly. A missing leading ``/`` is added
            (``"healthcheck"`` ignores ``/healthcheck``), as the original does.
        trust_proxy: Take the visitor IP from ``X-Forwarded-For``, ``CF-Connecting-IP``
            or ``X-Real-IP`` (in that order). Only behind a proxy that sets them.
        max_visitors_keys: IPs tracked per day. Later visitors still count in every total
            (and in ``untracked_requests``), but nothing is kept under their address.
        access_token: When set, every reading call needs ``token=`` equal to it (compared
            in constant time), and so does the dashboard.
        allowed_ips: When set, every reading call needs ``caller_ip=`` in it. Entries are
            addresses or networks (``"10.0.0.0/8"``).
        prefix: Put in front of every key, so several apps can share one store.
        max_paths: Distinct paths counted per day; further ones count as ``(other)``.
        max_visits_per_ip: Visits (and, separately, errored visits) kept per IP per day;
            the visitor's ``total_requests`` stays exact.
        retention_days: When set, data expires this many days after it was first written.
        retry_after: Seconds recording pauses after a store failure (logged, never raised).

    Raises:
        TypeError: an argument has the wrong type, or the store lacks a capability.
        ValueError: an argument has a wrong value (empty token, bad IP, limit < 1).
    """

    def __init__(
        self,
        store: Any = None,
        *,
        ignore: list[str] | tuple[str, ...] | None = None,
        trust_proxy: bool = False,
        max_visitors_keys: int = 5000,
        access_token: str | None = None,
        allowed_ips: list[str] | tuple[str, ...] | None = None,
        prefix: str = "telemetry:",
        max_paths: int = 1000,
        max_visits_per_ip: int = 20,
        retention_days: int | None = None,
        retry_after: float = 1.0,
    ) -> None:
        if not isinstance(trust_proxy, bool):
            raise TypeError(f"trust_proxy must be a bool, got {trust_proxy!r}")
        check_int(max_visitors_keys, "max_visitors_keys", minimum=1)
        check_int(max_paths, "max_paths", minimum=1)
        check_int(max_visits_per_ip, "max_visits_per_ip", minimum=1)
        if retention_days is not None:
            check_int(retention_days, "retention_days", minimum=1)
        check_number(retry_after, "retry_after")
        if not check_str(prefix, "prefix"):
            raise ValueError("prefix must not be empty (flush() deletes everything under it)")
        if access_token is not None and not check_str(access_token, "access_token"):
            raise ValueError("access_token must not be empty (use None for no token)")
        patterns = _ignore_patterns(ignore)
        self.store: TelemetryStore = check_store(
            default_store(max_visitors_keys, retention_days) if store is None else store
        )
        check_memory_limit(self.store, max_visitors_keys)
        self.trust_proxy = trust_proxy
        self.max_visitors_keys = max_visitors_keys
        self.max_paths = max_paths
        self.max_visits_per_ip = max_visits_per_ip
        self.retention_days = retention_days
        self.prefix = prefix
        self.clock = Clock()
        self._token = access_token.encode() if access_token is not None else None
        self._networks = _networks(allowed_ips)
        self._ignore_exact = {p for p in patterns if not p.endswith("*")}
        self._ignore_prefixes = tuple(p[:-1] for p in patterns if p.endswith("*"))
        layout = Layout(prefix)
        ttl = retention_days * 86400.0 if retention_days is not None else None
        self._reader = Reader(self.store, layout)
        self._recorder = Recorder(
            self.store,
            layout,
            max_visitors_keys=max_visitors_keys,
            max_paths=max_paths,
            max_visits_per_ip=max_visits_per_ip,
            ttl=ttl,
            retry_after=retry_after,
        )

    def __repr__(self) -> str:
        return f"Telemetry(store={self.store!r}, prefix={self.prefix!r})"

    @property
    def protected(self) -> bool:
        """True when reading needs a token or an allowed IP."""
        return self._token is not None or self._networks is not None

    @property
    def dropped(self) -> int:
        """Records skipped or cut short because the store failed (this process)."""
        return self._recorder.dropped

    def ignores(self, path: str) -> bool:
        """True when ``path`` is not recorded."""
        return path in self._ignore_exact or (
            bool(self._ignore_prefixes) and path.startswith(self._ignore_prefixes)
        )

    def ignore(self, *patterns: str) -> None:
        """Stop recording more paths (same forms as the ``ignore`` option)."""
        for pattern in _ignore_patterns(patterns):
            if pattern.endswith("*"):
                self._ignore_prefixes = (*self._ignore_prefixes, pattern[:-1])
            else:
                self._ignore_exact.add(pattern)

    # -- recording -------------------------------------------------------------------

    async def record(
        self,
        *,
        ip: str,
        path: str,
        method: str = "GET",
        status: int = 200,
        response_time_ms: float = 0.0,
        error: dict[str, Any] | None = None,
        source: dict[str, Any] | None = None,
        timestamp: datetime | None = None,
    ) -> bool:
        """Record one request (the framework-independent entry point).

        A status of 500 or more is recorded as an error even without ``error`` (its
        message is then the status phrase). Store failures are logged, never raised.

        Args:
            ip: The visitor's address (``"unknown"`` when there is none).
            path: The request path, without the query string.
            method: The request method.
            status: The response status.
            response_time_ms: How long the request took.
            error: ``{"code": int, "message": str}`` when the request failed.
            source: ``{"utm": {"source": ..., "medium": ..., "campaign": ...}}``.
            timestamp: When it happened (an aware ``datetime``; default now). Its UTC day
                is the day it counts for.

        Returns:
            ``True`` when recorded, ``False`` when ignored or when the store failed.

        Raises:
            TypeError, ValueError: an argument is invalid (naming it).
        """
        clean_path = check_path(path)
        clean_ip = normalize_ip(ip)
        method_text = check_str(method, "method").upper()[:16]
        code = check_status(status)
        ms = check_number(response_time_ms, "response_time_ms")
        problem = check_error(error)
        utm = check_source(source)
        when = self.clock.now() if timestamp is None else stamp(check_timestamp(timestamp))
        if self.ignores(clean_path):
            return False
        if problem is None and code >= 500:
            problem = {"code": code, "message": _phrase(code)}
        return await self._record(when, clean_ip, clean_path, method_text, code, ms, problem, utm)

    def _record(
        self,
        when: str,
        ip: str,
        path: str,
        method: str,
        status: int,
        ms: float,
        error: dict[str, Any] | None,
        source: dict[str, Any] | None,
    ) -> Coroutine[Any, Any, bool]:
        """Record checked values (``when`` from ``Clock``); returns the coroutine to await."""
        micros = int(ms * 1000.0 + 0.5)  # round(ms, n) is several times slower
        # Stored without its None fields (less to check and to keep); see full_visit.
        visit: dict[str, Any] = {
            "path": path,
            "method": method,
            "status": status,
            "timestamp": when,
            "response_time": micros / 1000,
        }
        if error is not None:
            visit["error"] = error
        label = None
        if source is not None:
            visit["source"] = source
            utm = source["utm"]
            origin = utm.get("source")
            if origin:
                medium = utm.get("medium")
                label = f"{origin}/{medium}" if medium else origin
        return self._recorder.record(when[:10], ip, path, micros, visit, label)

    # -- access ----------------------------------------------------------------------

    def authorize(self, *, token: str | None = None, caller_ip: str | None = None) -> None:
        """Check a reader's credentials.

        Raises:
            Unauthorized: the token is wrong or missing (when ``access_token`` is set), or
                ``caller_ip`` is missing or not allowed (when ``allowed_ips`` is set).
            TypeError: ``token`` or ``caller_ip`` is not a ``str``.
        """
        if self._token is not None:
            if token is None:
                raise Unauthorized("a token is required")
            given = check_str(token, "token").encode()
            if not hmac.compare_digest(given, self._token):
                raise Unauthorized("invalid token")
        if self._networks is not None:
            if caller_ip is None:
                raise Unauthorized("caller_ip is required")
            try:
                address = ipaddress.ip_address(check_str(caller_ip, "caller_ip").strip())
            except ValueError:
                raise Unauthorized(f"caller IP {caller_ip!r} is not allowed") from None
            if not any(address in network for network in self._networks):
                raise Unauthorized(f"caller IP {caller_ip!r} is not allowed")

    # -- reading ---------------------------------------------------------------------

    async def get_all(
        self, *, token: str | None = None, caller_ip: str | None = None
    ) -> dict[str, Any]:
        """Every stored record: ``{"access": {"total_requests", "visitors_by_date"},
        "behavior": {"page_views"}}`` (page views summed over all days)."""
        self.authorize(token=token, caller_ip=caller_ip)
        reader = self._reader
        days = await reader.days()
        total = 0
        by_date: dict[str, Any] = {}
        views: dict[str, int] = {}
        for day in days:
            total += (await reader.day_counters(day))["requests"]
            by_date[day] = await reader.visitors(day)
            for path, count in (await reader.page_views(day)).items():
                views[path] = views.get(path, 0) + count
        return {
            "access": {"total_requests": total, "visitors_by_date": by_date},
            "behavior": {"page_views": dict(sorted(views.items(), key=lambda kv: -kv[1]))},
        }

    async def summary(
        self,
        *,
        date: str | Day | None = None,
        limit: int = 10,
        token: str | None = None,
        caller_ip: str | None = None,
    ) -> dict[str, Any]:
        """The day's overview: ``date``, ``total_requests``, ``unique_visitors``,
        ``top_pages`` (``limit`` of them), ``avg_response_time``, ``total_errors``,
        ``untracked_requests``."""
        self.authorize(token=token, caller_ip=caller_ip)
        day = check_date(date)
        check_int(limit, "limit", minimum=0)
        counters = await self._reader.day_counters(day)
        views = await self._reader.page_views(day)
        return {
            "date": day,
            "total_requests": counters["requests"],
            "unique_visitors": counters["visitors"],
            "top_pages": sort_views(views)[:limit],
            "avg_response_time": average_ms(counters["rt_us"], counters["requests"]),
            "total_errors": counters["errors"],
            "untracked_requests": counters["untracked"],
        }

    async def get_daily_stats(
        self, *, token: str | None = None, caller_ip: str | None = None
    ) -> list[dict[str, Any]]:
        """``[{"date", "total_requests", "unique_visitors"}]`` for every day, oldest first."""
        self.authorize(token=token, caller_ip=caller_ip)
        return [
            {key: row[key] for key in ("date", "total_requests", "unique_visitors")}
            for row in await self._reader.overview()
        ]

    async def get_visitors(
        self,
        *,
        date: str | Day | None = None,
        token: str | None = None,
        caller_ip: str | None = None,
    ) -> dict[str, dict[str, Any]]:
        """``{ip: {"total_requests", "visits"}}`` for every tracked visitor of the day."""
        self.authorize(token=token, caller_ip=caller_ip)
        return await self._reader.visitors(check_date(date))

    async def get_visitor_by_ip(
        self,
        *,
        ip: str,
        date: str | Day | None = None,
        token: str | None = None,
        caller_ip: str | None = None,
    ) -> dict[str, Any]:
        """``{"total_requests", "visits"}`` of one IP on the day (``0`` and ``[]`` if none)."""
        self.authorize(token=token, caller_ip=caller_ip)
        return await self._reader.visitor(check_date(date), normalize_ip(ip))

    async def count_unique_visitors(
        self,
        *,
        date: str | Day | None = None,
        token: str | None = None,
        caller_ip: str | None = None,
    ) -> int:
        """How many IPs visited on the day (at most ``max_visitors_keys``)."""
        self.authorize(token=token, caller_ip=caller_ip)
        return (await self._reader.day_counters(check_date(date)))["visitors"]

    async def get_page_views(
        self,
        *,
        date: str | Day | None = None,
        token: str | None = None,
        caller_ip: str | None = None,
    ) -> dict[str, int]:
        """``{path: views}`` for the day, most viewed first."""
        self.authorize(token=token, caller_ip=caller_ip)
        views = await self._reader.page_views(check_date(date))
        return {row["path"]: row["views"] for row in sort_views(views)}

    async def get_top_pages(
        self,
        *,
        limit: int = 10,
        date: str | Day | None = None,
        token: str | None = None,
        caller_ip: str | None = None,
    ) -> list[dict[str, Any]]:
        """``[{"path", "views"}]``: the ``limit`` most viewed paths of the day."""
        self.authorize(token=token, caller_ip=caller_ip)
        check_int(limit, "limit", minimum=0)
        return sort_views(await self._reader.page_views(check_date(date)))[:limit]

    async def get_page_by_path(
        self,
        *,
        path: str,
        date: str | Day | None = None,
        token: str | None = None,
        caller_ip: str | None = None,
    ) -> dict[str, Any]:
        """``{"path", "views", "visitors", "avg_response_time", "error_count"}`` of a path.

        ``visitors`` lists the tracked IPs whose kept visits include the path."""
        self.authorize(token=token, caller_ip=caller_ip)
        return await self._reader.page(check_date(date), check_path(path))

    async def get_avg_response_time(
        self,
        *,
        date: str | Day | None = None,
        token: str | None = None,
        caller_ip: str | None = None,
    ) -> float:
        """The day's average response time in ms (2 decimals; ``0.0`` without requests)."""
        self.authorize(token=token, caller_ip=caller_ip)
        counters = await self._reader.day_counters(check_date(date))
        return average_ms(counters["rt_us"], counters["requests"])

    async def get_slow_requests(
        self,
        *,
        threshold: float,
        date: str | Day | None = None,
        token: str | None = None,
        caller_ip: str | None = None,
    ) -> list[dict[str, Any]]:
        """``[{"ip", "path", "timestamp", "response_time"}]`` slower than ``threshold`` ms,
        slowest first (among the kept visits of tracked visitors)."""
        self.authorize(token=token, caller_ip=caller_ip)
        limit = check_number(threshold, "threshold")
        return await self._reader.slow(check_date(date), limit)

    async def get_errors(
        self,
        *,
        date: str | Day | None = None,
        token: str | None = None,
        caller_ip: str | None = None,
    ) -> list[dict[str, Any]]:
        """``[{"ip", "path", "timestamp", "response_time", "error"}]``, newest first."""
        self.authorize(token=token, caller_ip=caller_ip)
        return await self._reader.errors(check_date(date))

    async def count_errors(
        self,
        *,
        date: str | Day | None = None,
        token: str | None = None,
        caller_ip: str | None = None,
    ) -> int:
        """How many requests of the day failed (exact, every visitor included)."""
        self.authorize(token=token, caller_ip=caller_ip)
        return (await self._reader.day_counters(check_date(date)))["errors"]

    async def get_traffic_sources(
        self,
        *,
        source: str | None = None,
        date: str | Day | None = None,
        token: str | None = None,
        caller_ip: str | None = None,
    ) -> dict[str, int]:
        """``{"source/medium": visits}`` (just ``source`` when no medium), most first;
        only those of ``source`` when given."""
        self.authorize(token=token, caller_ip=caller_ip)
        if source is not None:
            check_str(source, "source")
        return await self._reader.sources(check_date(date), source)

    async def flush(self, *, token: str | None = None, caller_ip: str | None = None) -> None:
        """Delete all telemetry data (every key under ``prefix``)."""
        self.authorize(token=token, caller_ip=caller_ip)
        await self._reader.erase_all()
        self._recorder.forget()

    async def delete(
        self,
        *,
        ip: str | None = None,
        date: str | Day | None = None,
        token: str | None = None,
        caller_ip: str | None = None,
    ) -> None:
        """Erase data: of a day (``date``), of an IP on every day (``ip``), or of an IP on
        one day (both). Day totals hold no address and stay when only ``ip`` is given;
        the IP's visits, counters and errors go, and so does its unique-visitor slot.

        Raises:
            ValueError: neither ``ip`` nor ``date`` is given.
        """
        self.authorize(token=token, caller_ip=caller_ip)
        if ip is None and date is None:
            raise ValueError("delete() needs ip=, date= or both (flush() deletes everything)")
        day = check_date(date) if date is not None else None
        if ip is None:
            assert day is not None
            await self._reader.erase_day(day)
            self._recorder.forget(day)
            return
        for touched in await self._reader.erase_ip(normalize_ip(ip), day):
            self._recorder.forget(touched)

    # -- integrations ----------------------------------------------------------------

    def middleware(self, traffic_source: TrafficSource | None = None) -> HarpiaMiddleware:
        """A harpia middleware recording every request: ``app.use(telemetry.middleware())``.

        Add it first, so that it times (and sees the errors of) everything after it.

        Args:
            traffic_source: ``(req) -> {"utm": {...}} | None`` (sync or async). By default
                the ``utm_source``, ``utm_medium`` and ``utm_campaign`` query parameters.
        """
        from ._middleware import HarpiaMiddleware

        return HarpiaMiddleware(self, traffic_source)

    def asgi(
        self,
        app: ASGIApp,
        *,
        traffic_source: TrafficSource | None = None,
        dashboard: str | None = None,
    ) -> TelemetryMiddleware:
        """Wrap any ASGI app so that its requests are recorded (see ``TelemetryMiddleware``)."""
        from ._asgi import TelemetryMiddleware

        return TelemetryMiddleware(
            app, telemetry=self, traffic_source=traffic_source, dashboard=dashboard
        )

    def dashboard(
        self, path: str = "/_telemetry", *, days: int = 30, slow_threshold: float = 500.0
    ) -> harpia.Router:
        """A ``harpia.Router`` serving the dashboard: ``app.routes(telemetry.dashboard())``.

        The page lives at ``path``, its JSON at ``path + "/api/<chart>"``; both need the
        token (``?token=`` or ``Authorization: Bearer``) and an allowed IP, and are not
        recorded themselves.

        Args:
            path: Where to mount it.
            days: Days shown in the trend charts.
            slow_threshold: Requests slower than this many ms are listed as slow.

        Raises:
            ValueError: neither ``access_token`` nor ``allowed_ips`` is set (the dashboard
                would be public), or ``path`` is not a path.
            ImportError: harpia is not installed (use ``asgi(..., dashboard=path)``).
        """
        from ._dashboard import Dashboard
        from ._harpia import dashboard_router

        return dashboard_router(Dashboard(self, path, days=days, slow_threshold=slow_threshold))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Server Error"


def _networks(allowed: object) -> tuple[_Network, ...] | None:
    if allowed is None:
        return None
    networks: list[_Network] = []
    for entry in check_names(allowed, "allowed_ips"):
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"allowed_ips: {entry!r} is not an IP address or network") from None
    return tuple(networks)


def _ignore_patterns(value: object) -> tuple[str, ...]:
    """The ``ignore`` entries, each starting with ``/`` (``"healthcheck"`` → ``"/healthcheck"``)."""
    return tuple(p if p.startswith("/") else "/" + p for p in check_names(value, "ignore"))

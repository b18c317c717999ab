"""``http_cache``: a server-side HTTP response cache in any ``harpia_store`` Store.

Theory of operation (after ``reference/http-cache-redis-plugin.txt``, moved server side):

* **What is stored.** GET responses with a cacheable status (``CACHEABLE``), a bytes body
  of at most ``max_size`` bytes, no ``Set-Cookie``, no ``Vary: *``, no ``no-store``, and,
  for ``private`` ones, only when ``private_key(req)`` names a user (the entry is then keyed
  per user). Streaming responses (``res.stream``, large ``res.file``) pass through
  uncached. HEAD requests are answered from the cache but never fill it (a HEAD handler
  may send no body). Error responses (``res.error``) are never stored.
* **Freshness.** ``s-maxage``, else ``max-age``, else ``ttl`` seconds. The store keeps an
  entry for ``max(freshness, min_ttl)`` so that a stale entry can still be revalidated.
  ``no-cache`` and ``must-revalidate`` (as in the plugin) make every use a revalidation.
* **Keys.** ``prefix + raw_path + " " + query + " " + user`` (space never occurs in a raw
  path or query, so ``purge(path)`` deletes every key starting ``prefix + path + " "``).
  A response with ``Vary`` is stored under the key plus a digest of the request's values
  of those headers, and the plain key holds a small ``{"vary": [...]}`` pointer, so a
  response without ``Vary`` costs one store read per hit.
* **Validators.** Every entry has an ``ETag`` (the handler's, or a digest of the body) and
  a ``Last-Modified`` (the handler's, or the time it was stored). A client's matching
  ``If-None-Match`` (or, without it, ``If-Modified-Since``) gets a 304.
* **Revalidation.** A stale entry is revalidated by calling the handler with the entry's
  validators as ``If-None-Match``/``If-Modified-Since``. A 304 — or a 200 whose body has
  the same digest — refreshes the entry (``X-Cache: REVALIDATED``); another storable 200
  replaces it (``MISS``). On a miss the client's own conditional headers are hidden from
  the handler, so that it produces a full response worth storing.
* **Single flight.** Concurrent misses (or revalidations) of one key in this process run
  the handler once; the others wait and are served the stored entry (``HIT``), or run
  the handler themselves when the response could not be shared.
"""

from __future__ import annotations

import asyncio
import binascii
import hashlib
import logging
import time
from email.utils import formatdate
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from harpia_store import MemoryStore, StoreError, SupportsKeys, adapt

from ._files import _etag_matches, _timestamp
from ._outage import store_failed, store_ok
from ._process_state import ProcessLocal, memory_store_limit

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from harpia_store import Store, StoreLike

    from ._request import Request
    from ._response import Response

CACHEABLE = frozenset({200, 203, 300, 301, 308, 410})
_CONDITIONAL = frozenset(
    {b"if-none-match", b"if-modified-since", b"if-match", b"if-unmodified-since", b"if-range"}
)
_NOT_IN_304 = frozenset({"content-type", "content-length", "content-encoding"})
_NOT_STORED = frozenset({"x-cache", "age", "content-length", "set-cookie"})
Entry = dict[str, Any]
logger = logging.getLogger("harpia")


def parse_cache_control(value: str | None) -> dict[str, str | None]:
    """The directives of a ``Cache-Control`` value: ``{"max-age": "60", "public": None}``."""
    directives: dict[str, str | None] = {}
    if value:
        for part in value.split(","):
            name, sep, arg = part.strip().partition("=")
            if name:
                directives[name.lower()] = arg.strip().strip('"') if sep else None
    return directives


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(int(value))) if value is not None else None
    except ValueError:
        return None


class HttpCache:
    """A response cache middleware; build it with ``http_cache(...)`` (same arguments).

    Use it app-wide (``app.use(cache)``) or per route (``app.get("/x", cache, handler)``).
    """

    def __init__(
        self,
        store: StoreLike | None = None,
        *,
        ttl: float = 604800,
        min_ttl: float = 3600,
        private_key: Callable[[Request], str | None] | None = None,
        exclude: Iterable[str] = (),
        skip: Callable[[Request], bool] | None = None,
        max_size: int = 1024 * 1024,
        prefix: str = "http-cache:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl <= 0 or min_ttl < 0:
            raise ValueError(f"ttl must be > 0 and min_ttl >= 0, got {ttl!r} and {min_ttl!r}")
        self.store: Store[Any] = MemoryStore(5000) if store is None else adapt(store)
        self.ttl = float(ttl)
        self.min_ttl = float(min_ttl)
        self.private_key = private_key
        self.exclude = frozenset(exclude)
        self.skip = skip
        self.max_size = max_size
        self.prefix = prefix
        self.clock = clock
        self._inflight: dict[str, asyncio.Future[Entry | None]] = {}

    def __repr__(self) -> str:
        return f"<HttpCache ttl={self.ttl:g} min_ttl={self.min_ttl:g}>"

    @property
    def harpia_process_local(self) -> ProcessLocal | None:
        """The cached responses, when they live in this process (a ``MemoryStore``)."""
        if memory_store_limit(self.store) is False:
            return None
        return ProcessLocal("http_cache()", "cached responses", "http_cache(RedisStore(url))")

    # -- the middleware -------------------------------------------------------------------

    async def __call__(
        self, req: Request, res: Response, next: Callable[[], Awaitable[None]]
    ) -> None:
        method = req.method
        if (
            (method != "GET" and method != "HEAD")
            or (self.exclude and req.route in self.exclude)
            or (self.skip is not None and self.skip(req))
        ):
            await next()
            return
        user = self.private_key(req) if self.private_key is not None else None
        public = f"{self.prefix}{req.raw_path} {req.query_string} "
        now = self.clock()
        for key in (public + user, public) if user else (public,):
            entry = await self._lookup(key, req)
            if entry is not None:
                if not entry["r"] and now - entry["t"] < entry["f"]:
                    self._serve(req, res, entry, "HIT", now)
                    return
                await self._fill(req, res, next, public, user, entry)
                return
        await self._fill(req, res, next, public, user, None)

    async def _lookup(self, key: str, req: Request) -> Entry | None:
        """The entry stored under ``key``, following a ``Vary`` pointer."""
        try:
            entry: Entry | None = await self.store.get(key)
            if entry is not None and "vary" in entry:
                entry = await self.store.get(_variant(key, entry["vary"], req))
        except StoreError as exc:  # an unreachable store: serve from the handler
            store_failed(self.store, "http_cache", exc)
            return None
        store_ok(self.store)
        return entry

    async def _fill(
        self,
        req: Request,
        res: Response,
        next: Callable[[], Awaitable[None]],
        public: str,
        user: str | None,
        stale: Entry | None,
    ) -> None:
        """Run the handler for a miss (``stale`` None) or a revalidation, once per key."""
        flight = public if stale is None else f"{public}{stale['p']}\x1f{stale['vk']}"
        waiting = self._inflight.get(flight)
        if waiting is not None:
            entry = await asyncio.shield(waiting)  # the leader always sets a result
            if (
                entry is not None
                and entry["p"] in ("", user)
                and entry["vk"] == _vary_values(entry["vn"], req)
            ):
                self._serve(req, res, entry, "HIT", self.clock())
                return
            stale = None  # the leader's response was not shareable: run our own
            flight = public
        future: asyncio.Future[Entry | None] = asyncio.get_running_loop().create_future()
        self._inflight[flight] = future
        try:
            future.set_result(await self._run(req, res, next, public, stale))
        finally:
            if not future.done():
                future.set_result(None)
            if self._inflight.get(flight) is future:
                del self._inflight[flight]

    async def _run(
        self,
        req: Request,
        res: Response,
        next: Callable[[], Awaitable[None]],
        public: str,
        stale: Entry | None,
    ) -> Entry | None:
        before = res.headers.items()
        raw = req.raw_headers
        conditional = [pair for pair in raw if pair[0] not in _CONDITIONAL]
        if stale is not None:
            conditional.append((b"if-none-match", stale["e"].encode("latin-1")))
            conditional.append((b"if-modified-since", _http_date(stale["m"]).encode()))
        req.raw_headers = conditional
        req._headers = None
        try:
            await next()
        finally:
            req.raw_headers = raw
            req._headers = None
        now = self.clock()
        if stale is not None and res.status_code == 304 and res.error is None:
            refreshed = self._refreshed(stale, res, now)
            await self._save(public, refreshed, req)
            _reset(res, before)
            self._serve(req, res, refreshed, "REVALIDATED", now)
            return refreshed
        res.headers.set("x-cache", "MISS")
        entry = self._entry(req, res, now, before)
        if entry is None:
            if stale is not None and "no-store" in parse_cache_control(
                res.headers.get("cache-control")
            ):
                await self._write(self.store.delete(_key(public, stale, req)))
            return None
        if stale is not None and entry["e"] == stale["e"]:
            entry = self._refreshed(stale, res, now)
            state = "REVALIDATED"
        else:
            state = "MISS"
        await self._save(public, entry, req)
        _reset(res, before)
        self._serve(req, res, entry, state, now)
        return entry

    # -- entries --------------------------------------------------------------------------

    def _entry(
        self, req: Request, res: Response, now: float, before: list[tuple[str, str]]
    ) -> Entry | None:
        """The storable form of ``res``, or None when it must not be stored."""
        if (
            req.method != "GET"
            or res.status_code not in CACHEABLE
            or res.error is not None
            or res.body_stream is not None
            or len(res.body) > self.max_size
            or res._cookies
            or "set-cookie" in res.headers
        ):
            return None
        control = parse_cache_control(res.headers.get("cache-control"))
        if "no-store" in control:
            return None
        user = ""
        if "private" in control:
            user = (self.private_key(req) if self.private_key is not None else None) or ""
            if not user:
                return None
        vary = sorted(
            {
                name.strip().lower()
                for value in res.headers.getall("vary")
                for name in value.split(",")
                if name.strip()
            }
        )
        if "*" in vary:
            return None
        fresh = _seconds(control.get("s-maxage"))
        if fresh is None:
            fresh = _seconds(control.get("max-age"))
        body = res.body
        etag = res.headers.get("etag")
        if etag is None:
            etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
            res.headers.put("etag", etag)
        modified = res.headers.get("last-modified")
        stamp = _timestamp(modified) if modified is not None else None
        if stamp is None:
            stamp = float(int(now))
            res.headers.set("last-modified", _http_date(stamp))
        return {
            "s": res.status_code,
            "h": [[n, v] for n, v in _added(res, before) if n.lower() not in _NOT_STORED],
            "b": binascii.b2a_base64(body, newline=False).decode("ascii"),
            "e": etag,
            "m": stamp,
            "t": now,
            "f": self.ttl if fresh is None else fresh,
            "r": "no-cache" in control or "must-revalidate" in control,
            "p": user,
            "vn": vary,
            "vk": _vary_values(vary, req),
        }

    def _refreshed(self, stale: Entry, res: Response, now: float) -> Entry:
        """``stale`` made fresh again, with the freshness a 304 or 200 now announces."""
        entry = dict(stale)
        entry["t"] = now
        value = res.headers.get("cache-control")
        if value is not None:
            control = parse_cache_control(value)
            fresh = _seconds(control.get("s-maxage"))
            if fresh is None:
                fresh = _seconds(control.get("max-age"))
            entry["f"] = self.ttl if fresh is None else fresh
            entry["r"] = "no-cache" in control or "must-revalidate" in control
            entry["h"] = [h for h in stale["h"] if h[0].lower() != "cache-control"]
            entry["h"].append(["cache-control", value])
        return entry

    async def _save(self, public: str, entry: Entry, req: Request) -> None:
        keep = max(entry["f"], self.min_ttl, 1.0)
        vary: list[str] = entry["vn"]
        if vary:  # the plain key points at the variants
            await self._write(self.store.set(public + entry["p"], {"vary": vary}, ttl=keep))
        await self._write(self.store.set(_key(public, entry, req), entry, ttl=keep))

    async def _write(self, operation: Awaitable[None]) -> None:
        try:
            await operation
        except StoreError as exc:  # the response is served all the same, just not kept
            store_failed(self.store, "http_cache", exc)

    def _serve(self, req: Request, res: Response, entry: Entry, state: str, now: float) -> None:
        """Make ``res`` the cached response (a 304 when the client's validators match)."""
        res.status(entry["s"])
        headers = res.headers
        for name, value in entry["h"]:
            headers.add(name, value)
        headers.put("x-cache", state)
        if state == "HIT":
            headers.put("age", str(max(0, int(now - entry["t"]))))
        res.body_stream = None
        res.sent = True
        res._sent_by = "http_cache (a cached response)"
        if entry["s"] == 200 and _not_modified(req, entry):
            res.status(304)
            res.body = b""
            for name in _NOT_IN_304:
                headers.remove(name)
        else:
            res.body = binascii.a2b_base64(entry["b"])

    async def purge(self, path: str) -> int:
        """Forget every cached response for ``path`` (any query, user or variant).

        With a store that cannot list keys (no ``SupportsKeys``), only the public response
        without a query string is forgotten.

        Returns:
            How many store keys were deleted.
        """
        raw = quote(path, safe="/:@!$&'()*+,;=-._~%")
        if isinstance(self.store, SupportsKeys):
            keys = await self.store.keys(f"{self.prefix}{raw} ")
        else:
            keys = [f"{self.prefix}{raw}  "]
        for key in keys:
            await self.store.delete(key)
        return len(keys)


def http_cache(
    store: StoreLike | None = None,
    *,
    ttl: float = 604800,
    min_ttl: float = 3600,
    private_key: Callable[[Request], str | None] | None = None,
    exclude: Iterable[str] = (),
    skip: Callable[[Request], bool] | None = None,
    max_size: int = 1024 * 1024,
    prefix: str = "http-cache:",
    clock: Callable[[], float] = time.time,
) -> HttpCache:
    """A middleware caching GET/HEAD responses in ``store``, honouring ``Cache-Control``.

    Args:
        store: Any Store (``RedisStore`` to share it between processes). Default:
            ``MemoryStore(5000)``.
        ttl: Freshness in seconds of a response without ``max-age``/``s-maxage``.
        min_ttl: Entries stay in the store at least this long (to be revalidated).
        private_key: ``private_key(req)`` names the user of a request (or None); only with
            it are ``Cache-Control: private`` responses stored, one per user.
        exclude: Route patterns (``"/admin/:id"``) the cache leaves alone (opt-out).
        skip: ``skip(req)`` true: this request bypasses the cache.
        max_size: Larger bodies are not stored.
        prefix: Put in front of every store key.
        clock: The time source (for tests).

    Returns:
        The middleware; ``await cache.purge(path)`` forgets a path.

    Raises:
        ValueError: ``ttl`` is not positive or ``min_ttl`` is negative.
        TypeError: ``store`` is not a store.
    """
    return HttpCache(
        store,
        ttl=ttl,
        min_ttl=min_ttl,
        private_key=private_key,
        exclude=exclude,
        skip=skip,
        max_size=max_size,
        prefix=prefix,
        clock=clock,
    )


def _http_date(stamp: float) -> str:
    return formatdate(stamp, usegmt=True)


def _vary_values(names: list[str], req: Request) -> str:
    if not names:
        return ""
    headers = req.headers
    joined = "\n".join(",".join(headers.getall(name)) for name in names)
    return hashlib.blake2b(joined.encode("latin-1", "replace"), digest_size=12).hexdigest()


def _key(public: str, entry: Entry, req: Request) -> str:
    """Where ``entry`` lives: per user when private, per variant when it has ``Vary``."""
    key = public + entry["p"]
    return _variant(key, entry["vn"], req) if entry["vn"] else key


def _variant(key: str, names: list[str], req: Request) -> str:
    return f"{key}\x1f{_vary_values(names, req)}"


def _not_modified(req: Request, entry: Entry) -> bool:
    raw = req.raw_headers
    if not any(name == b"if-none-match" or name == b"if-modified-since" for name, _ in raw):
        return False
    headers = req.headers
    none_match = headers.get("if-none-match")
    if none_match is not None:
        return _etag_matches(none_match, entry["e"])
    when = _timestamp(headers.get("if-modified-since", ""))
    return when is not None and int(entry["m"]) <= when


def _added(res: Response, before: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers the handler set (not those of the middlewares that ran before)."""
    items = res.headers.items()
    if items[: len(before)] == before:
        return items[len(before) :]
    return [item for item in items if item not in before]


def _reset(res: Response, headers: list[tuple[str, str]]) -> None:
    """Put back the headers set before the handler ran (the entry brings its own)."""
    res.headers._items = list(headers)

"""RedisStore: the Store protocol and its atomic capabilities on ``redis.asyncio``.

Design notes:

* One ``redis.asyncio`` client per store on a *blocking* connection pool: a burst of
  concurrent calls waits for a free connection rather than failing with "too many
  connections" or opening one socket per caller. Connect and command
  timeouts are always set, and retries are off by default, so a dead Redis surfaces as a
  ``StoreError`` within ``connect_timeout`` (refused connections: at once) instead of a
  hang. The pool checks a pooled connection before reuse and reconnects when Redis has
  restarted, so the same store instance recovers by itself.
* Every atomic capability is one Redis command, or one Lua script when an expiry must be
  applied "only if the key has none yet" (scripts run atomically on the server; they
  avoid ``EXPIRE … NX``, which needs Redis 7).
* Values are JSON text; keys get ``prefix`` in front.
* Cluster and Sentinel: every command touches one key (scripts get exactly that key in
  ``KEYS``), so each runs on the node owning the key's slot with no hash tags; ``clear``
  unlinks many keys, which redis-py splits per slot on a cluster, and ``SCAN`` walks every
  master. A Sentinel client asks the sentinels for the master on each new connection.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import TYPE_CHECKING, Any, NoReturn, Self
from urllib.parse import quote

from ._checks import (
    SCALARS,
    bad_key,
    check_int,
    check_json,
    check_key,
    check_max_len,
    check_member,
    check_str,
    check_ttl,
)
from ._connect import (
    SCHEME_NAMES,
    close_client,
    describe_client,
    is_redis_url,
    redis_client,
    topology,
)
from ._connect import mask_url as mask_url
from ._errors import StoreError

if TYPE_CHECKING:
    import builtins
    from collections.abc import Awaitable, Callable
    from types import TracebackType

    from redis.asyncio import Redis, RedisCluster
    from redis.commands.core import AsyncScript


# Run a counter/collection command, then start the key's expiry if it has none.
# KEYS[1] = key; ARGV[1] = ttl in ms; ARGV[2] = command; ARGV[3..] = its arguments.
_WITH_TTL = """
local result = redis.call(ARGV[2], KEYS[1], unpack(ARGV, 3))
if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return result
"""

# Append, keep the newest max_len items, start the expiry if none.
# KEYS[1] = key; ARGV[1] = JSON value; ARGV[2] = max_len or 0; ARGV[3] = ttl ms or 0.
_APPEND = """
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
local bound = tonumber(ARGV[2])
if bound > 0 and n > bound then
  redis.call('LTRIM', KEYS[1], -bound, -1)
  n = bound
end
local ttl = tonumber(ARGV[3])
if ttl > 0 and redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ttl) end
return n
"""


def url_from_env(environ: dict[str, str] | None = None) -> str:
    """Build a ``redis://`` URL from ``REDIS_HOST``, ``REDIS_PORT``, ``REDIS_USER``, ``REDIS_PASS``.

    Missing variables default to ``localhost``, ``6379`` and no credentials.

    Raises:
        ValueError: ``REDIS_PORT`` is not a port number.
    """
    env = os.environ if environ is None else environ
    host = env.get("REDIS_HOST") or "localhost"
    port_text = env.get("REDIS_PORT") or "6379"
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"REDIS_PORT must be a port number, got {port_text!r}")
    user = env.get("REDIS_USER") or ""
    password = env.get("REDIS_PASS") or ""
    auth = ""
    if user or password:
        auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "") + "@"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6 literal
    return f"redis://{auth}{host}:{port_text}/0"


def _ttl_ms(ttl: float | None) -> int:
    return 0 if ttl is None else max(1, round(check_ttl(ttl) * 1000))


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


class RedisStore:
    """A store in Redis, shared by every process that uses the same server and prefix.

    Implements ``Store`` and every optional capability (``SupportsIncr``,
    ``SupportsCounters``, ``SupportsLists``, ``SupportsSets``, ``SupportsExpire``,
    ``SupportsKeys``), each as a single atomic server-side operation.

    Args:
        url: ``redis://``, ``rediss://`` or ``unix://`` URL for one server;
            ``redis+cluster://host:port[,host:port…]`` for a Redis Cluster;
            ``redis+sentinel://host:port[,host:port…]/service[/db]`` for the master the
            sentinels manage as ``service``. When omitted, built from the
            ``REDIS_HOST``, ``REDIS_PORT``, ``REDIS_USER`` and ``REDIS_PASS`` variables.
        prefix: Put in front of every key, so several apps can share one database.
        client: An existing client to use instead of creating one: a
            ``redis.asyncio.Redis``, a ``redis.asyncio.RedisCluster``, or a Sentinel
            master (``Sentinel(...).master_for(service)``). Then ``url`` only names it in
            messages, and ``close()`` leaves it open.
        connect_timeout: Seconds to wait for a connection.
        timeout: Seconds to wait for a command's answer (and for a free pooled
            connection when all are busy).
        max_connections: Size of the connection pool (per node on a cluster), and the
            most commands in flight at once. Callers beyond it wait for a free
            connection (up to ``timeout``) instead of failing.
        **redis_kwargs: Passed to redis-py's connection pool (``retry``, ``ssl_*``,
            ``health_check_interval``, …); they override the defaults above.

    Raises:
        TypeError: ``prefix`` is not a ``str``.
        ValueError: ``url`` is not a Redis URL, or a timeout is not positive.
        ImportError: the ``redis`` package is missing (``pip install 'harpia-store[redis]'``).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        prefix: str = "harpia:",
        client: Redis | RedisCluster | None = None,
        connect_timeout: float = 5.0,
        timeout: float = 5.0,
        max_connections: int = 100,
        **redis_kwargs: Any,
    ) -> None:
        try:
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff
            from redis.exceptions import RedisError, ResponseError
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "RedisStore needs the redis package: pip install 'harpia-store[redis]'"
            ) from exc
        check_str(prefix, "prefix")
        check_ttl(connect_timeout, "connect_timeout")
        check_ttl(timeout, "timeout")
        if check_int(max_connections, "max_connections") < 1:
            raise ValueError(f"max_connections must be >= 1, got {max_connections}")
        self._prefix = prefix
        self._failures: tuple[type[BaseException], ...] = (RedisError, OSError)
        self._response_error = ResponseError
        if client is not None:
            self._owned = False
            self._client: Redis | RedisCluster = client
            self.url = mask_url(url) if url else describe_client(client)
        else:
            url = url_from_env() if url is None else url
            if not is_redis_url(url):
                raise ValueError(f"RedisStore url must be {SCHEME_NAMES}: {url!r}")
            options: dict[str, Any] = {
                "socket_connect_timeout": connect_timeout,
                "socket_timeout": timeout,
                "retry": Retry(NoBackoff(), 0),
                "max_connections": max_connections,
            }
            options.update(redis_kwargs)
            self._owned = True
            self._client = redis_client(url, **options)
            self.url = mask_url(url)
        self.topology = topology(self._client)
        # A RedisCluster learns the slot map on its first command; many first commands at
        # once race in redis-py (connections closed under them), so it is done once here.
        self._unmapped = self.topology == "cluster"
        self._mapping = asyncio.Lock()
        self._timeout = timeout
        self._max_connections = max_connections
        # At most max_connections commands in flight, so the pool never runs out; taking a
        # free slot does not suspend (redis-py's blocking pool costs ~15% throughput).
        self._slots = asyncio.Semaphore(max_connections)
        self._with_ttl: AsyncScript = self._client.register_script(_WITH_TTL)
        self._append: AsyncScript = self._client.register_script(_APPEND)

    @property
    def prefix(self) -> str:
        """The prefix put in front of every key."""
        return self._prefix

    @property
    def client(self) -> Redis | RedisCluster:
        """The underlying ``redis.asyncio`` client (``RedisCluster`` on a cluster)."""
        return self._client

    def __repr__(self) -> str:
        return f"RedisStore({self.url!r}, prefix={self._prefix!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- lifecycle -----------------------------------------------------------------------

    async def ping(self) -> bool:
        """Check that Redis answers.

        Raises:
            StoreError: Redis is unreachable or refused the command.
        """
        return bool(await self._run(self._ping, ""))

    async def close(self) -> None:
        """Close the connection pool (only when this store created the client)."""
        if self._owned:
            await close_client(self._client)

    # -- Store -------------------------------------------------------------------------

    async def get(self, key: str) -> Any:
        """Return the value under ``key``, or ``None``.

        Raises:
            TypeError: ``key`` is not a ``str``, or holds a list, set or counters.
            StoreError: Redis failed, or the key holds text that is not JSON.
        """
        raw = await self._run(self._client.get, key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise StoreError(f"key {key!r} in {self.url} holds text that is not JSON") from None

    async def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        """Store ``value`` under ``key`` as JSON (``SET``, with ``EX``/``PX`` for ``ttl``).

        Raises:
            TypeError: ``key`` is not a ``str`` or ``value`` is not JSON data (nothing is
                written).
            ValueError: ``ttl`` is not a positive number of seconds.
            StoreError: Redis failed.
        """
        if type(key) is not str:
            bad_key(key)
        if type(value) not in SCALARS:
            check_json(key, value)
        data = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        if ttl is None:
            await self._run(self._client.set, key, data)
            return
        seconds = check_ttl(ttl)
        if seconds == int(seconds):  # whole seconds as EX, anything finer as PX
            await self._run(self._client.set, key, data, ex=int(seconds))
        else:
            await self._run(self._client.set, key, data, px=_ttl_ms(seconds))

    async def delete(self, key: str) -> None:
        """Remove ``key`` (``UNLINK``; a missing key is fine)."""
        await self._run(self._client.unlink, key)

    # -- atomic capabilities -------------------------------------------------------------

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Add ``amount`` to the integer under ``key`` (``INCRBY``) and return the result."""
        check_int(amount, "amount")
        if ttl is None:
            return int(await self._run(self._client.incrby, key, amount))
        return int(await self._run(self._eval_with_ttl, key, _ttl_ms(ttl), "INCRBY", amount))

    async def incr_field(
        self, key: str, field: str, amount: int = 1, *, ttl: float | None = None
    ) -> int:
        """Add ``amount`` to counter ``field`` of ``key`` (``HINCRBY``); return its value."""
        check_int(amount, "amount")
        check_str(field, "counter field")
        if ttl is None:
            return int(await self._run(self._client.hincrby, key, field, amount))
        return int(
            await self._run(self._eval_with_ttl, key, _ttl_ms(ttl), "HINCRBY", field, amount)
        )

    async def get_counters(self, key: str) -> dict[str, int]:
        """Return every counter under ``key`` (``HGETALL``)."""
        raw = await self._run(self._client.hgetall, key)
        return {_text(field): int(value) for field, value in raw.items()}

    async def append(
        self, key: str, value: Any, *, max_len: int | None = None, ttl: float | None = None
    ) -> int:
        """Append ``value`` (``RPUSH``), keep the newest ``max_len`` items; return the length."""
        check_key(key)
        check_json(key, value)
        bound = check_max_len(max_len)
        data = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        if bound is None and ttl is None:
            return int(await self._run(self._client.rpush, key, data))
        return int(await self._run(self._eval_append, key, data, bound or 0, _ttl_ms(ttl)))

    async def get_list(self, key: str) -> list[Any]:
        """Return the items under ``key``, oldest first (``LRANGE 0 -1``)."""
        raw = await self._run(self._client.lrange, key, 0, -1)
        return [json.loads(item) for item in raw]

    async def list_length(self, key: str) -> int:
        """Return how many items the list under ``key`` holds (``LLEN``)."""
        return int(await self._run(self._client.llen, key))

    async def add_member(self, key: str, member: str, *, ttl: float | None = None) -> bool:
        """Add ``member`` to the set under ``key`` (``SADD``); ``True`` when it is new."""
        check_member(key, member)
        if ttl is None:
            return bool(await self._run(self._client.sadd, key, member))
        return bool(await self._run(self._eval_with_ttl, key, _ttl_ms(ttl), "SADD", member))

    async def get_members(self, key: str) -> builtins.set[str]:
        """Return the members of the set under ``key`` (``SMEMBERS``)."""
        return {_text(member) for member in await self._run(self._client.smembers, key)}

    async def count_members(self, key: str) -> int:
        """Return the size of the set under ``key`` (``SCARD``)."""
        return int(await self._run(self._client.scard, key))

    async def expire(self, key: str, ttl: float) -> bool:
        """Make ``key`` expire ``ttl`` seconds from now (``PEXPIRE``)."""
        return bool(await self._run(self._client.pexpire, key, _ttl_ms(ttl)))

    async def keys(self, prefix: str = "") -> list[str]:
        """Return the keys under this store's prefix that start with ``prefix`` (``SCAN``)."""
        check_str(prefix, "prefix")
        names: list[str] = await self._run(self._scan, prefix)
        return names

    async def clear(self) -> None:
        """Remove every key under this store's prefix (never the rest of the database)."""
        names = await self.keys()
        for start in range(0, len(names), 500):
            await self._run(self._unlink_many, "", *names[start : start + 500])

    # -- internals -----------------------------------------------------------------------

    async def _run(
        self, command: Callable[..., Awaitable[Any]], key: str, *args: Any, **kwargs: Any
    ) -> Any:
        """Run one Redis command on ``prefix + key``; map failures to clear errors."""
        if type(key) is not str:
            bad_key(key)
        if self._unmapped:
            await self._map_cluster(key)
        slots = self._slots
        if slots.locked():
            await self._wait_for_slot(key)
        else:
            await slots.acquire()  # a free slot: returns without suspending
        try:
            return await command(self._prefix + key, *args, **kwargs)
        except self._failures as exc:
            self._fail(exc, key)
        finally:
            slots.release()

    async def _map_cluster(self, key: str) -> None:
        try:
            async with asyncio.timeout(self._timeout), self._mapping:
                if self._unmapped:
                    await self._client.initialize()
                    self._unmapped = False
        except TimeoutError:
            raise StoreError(
                f"Redis Cluster at {self.url} gave no slot map within {self._timeout}s",
                url=self.url,
            ) from None
        except self._failures as exc:
            self._fail(exc, key)

    async def _wait_for_slot(self, key: str) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise StoreError(
                f"Redis at {self.url}: all {self._max_connections} connections stayed busy "
                f"for {self._timeout}s (key {key!r})",
                url=self.url,
            ) from None

    async def _eval_with_ttl(self, name: str, *args: Any) -> Any:
        return await self._with_ttl(keys=[name], args=args)

    async def _eval_append(self, name: str, *args: Any) -> Any:
        return await self._append(keys=[name], args=args)

    async def _ping(self, _: str) -> Any:
        return await self._client.ping()

    async def _scan(self, pattern_start: str) -> list[str]:
        cut = len(self._prefix)
        pattern = _glob_escape(pattern_start) + "*"
        return [
            _text(name)[cut:] async for name in self._client.scan_iter(match=pattern, count=500)
        ]

    async def _unlink_many(self, _: str, *keys: str) -> Any:
        return await self._client.unlink(*(self._prefix + key for key in keys))

    def _fail(self, exc: BaseException, key: str) -> NoReturn:
        if isinstance(exc, self._response_error):
            text = str(exc)
            if text.startswith("WRONGTYPE") or "not an integer" in text:
                raise TypeError(f"key {key!r} holds another kind of value: {text}") from None
            raise StoreError(f"Redis at {self.url} refused the command: {text}", url=self.url)
        what = f" (key {key!r})" if key else ""
        raise StoreError(
            f"Redis at {self.url} is unavailable{what}: {type(exc).__name__}: {exc}",
            url=self.url,
        ) from exc


def _glob_escape(text: str) -> str:
    return "".join("\\" + char if char in "*?[]\\" else char for char in text)

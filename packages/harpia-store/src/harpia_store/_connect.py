"""redis_client(): one ``redis.asyncio`` client for a single server, a Cluster or Sentinel.

The URL forms (``scheme://[user[:password]@]netloc/path``):

* ``redis://host:port/db``, ``rediss://…``, ``unix:///path/to/socket`` — one server.
* ``redis+cluster://host:port[,host:port…]`` (``rediss+cluster://`` for TLS) — a Redis
  Cluster; the hosts are startup nodes (any one reachable node is enough, the client
  learns the others and the slot map from it). Gives a ``redis.asyncio.RedisCluster``.
* ``redis+sentinel://host:port[,host:port…]/service[/db]`` (``rediss+sentinel://``) — the
  master that the sentinels at those addresses manage as ``service``. Gives the
  ``Sentinel(...).master_for(service)`` client, which asks the sentinels for the current
  master whenever it (re)connects, so it follows a failover by itself. The credentials
  are the master's; sentinels that need their own go through ``client=``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from redis.asyncio import Redis, RedisCluster

SINGLE_SCHEMES = frozenset({"redis", "rediss", "unix"})
CLUSTER_SCHEMES = frozenset({"redis+cluster", "rediss+cluster"})
SENTINEL_SCHEMES = frozenset({"redis+sentinel", "rediss+sentinel"})
SCHEMES = SINGLE_SCHEMES | CLUSTER_SCHEMES | SENTINEL_SCHEMES
SCHEME_NAMES = "redis://, rediss://, unix://, redis+cluster:// or redis+sentinel://"


def is_redis_url(url: object) -> bool:
    """True for a string with one of the schemes ``redis_client`` understands."""
    return isinstance(url, str) and urlsplit(url).scheme in SCHEMES


def mask_url(url: str) -> str:
    """Return ``url`` with its password replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def _nodes(url: str, netloc: str) -> list[tuple[str, int]]:
    """``host:port,host:port`` → ``[(host, port), …]`` (``[v6]:port`` allowed)."""
    nodes: list[tuple[str, int]] = []
    for item in netloc.rsplit("@", 1)[-1].split(","):
        host, sep, port = item.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{mask_url(url)}: expected host:port, got {item!r}")
        nodes.append((host.strip("[]"), int(port)))
    return nodes


def _credentials(netloc: str) -> dict[str, str]:
    if "@" not in netloc:
        return {}
    auth = netloc.rsplit("@", 1)[0]
    user, sep, password = auth.partition(":")
    found = {"username": unquote(user)} if user else {}
    if sep:
        found["password"] = unquote(password)
    return found


def redis_client(url: str, **options: Any) -> Redis | RedisCluster:
    """A ``redis.asyncio`` client for ``url`` (see the module docstring for the forms).

    ``options`` are connection options (``socket_timeout``, ``socket_connect_timeout``,
    ``retry``, ``max_connections`` — per node on a cluster —, ``ssl_*``, …).

    Raises:
        ValueError: ``url`` has another scheme, or a malformed host list or service.
    """
    import redis.asyncio as aioredis

    if not isinstance(url, str):
        raise ValueError(f"a Redis URL must be {SCHEME_NAMES}: {url!r}")
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme in SINGLE_SCHEMES:
        pool = aioredis.ConnectionPool.from_url(url, **options)
        return aioredis.Redis.from_pool(pool)
    if scheme in CLUSTER_SCHEMES:
        from redis.asyncio.cluster import ClusterNode

        nodes = [ClusterNode(host, port) for host, port in _nodes(url, parts.netloc)]
        options = {**_credentials(parts.netloc), **options}
        if scheme.startswith("rediss"):
            options.setdefault("ssl", True)
        return aioredis.RedisCluster(startup_nodes=nodes, **options)
    if scheme in SENTINEL_SCHEMES:
        from redis.asyncio.sentinel import Sentinel

        path = [part for part in parts.path.split("/") if part]
        if not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
            raise ValueError(
                f"{mask_url(url)}: expected redis+sentinel://host:port[,…]/service[/db]"
            )
        master = {**_credentials(parts.netloc), **options}
        if len(path) == 2:
            master["db"] = int(path[1])
        if scheme.startswith("rediss"):
            master.setdefault("ssl", True)
        reach = {
            key: options[key]
            for key in ("socket_timeout", "socket_connect_timeout")
            if key in options
        }
        sentinel = Sentinel(  # type: ignore[no-untyped-call]
            _nodes(url, parts.netloc), sentinel_kwargs=reach, **master
        )
        client: Redis = sentinel.master_for(path[0])
        return client
    raise ValueError(f"a Redis URL must be {SCHEME_NAMES}: {mask_url(url)!r}")


def topology(client: Any) -> str:
    """``"cluster"``, ``"sentinel"`` or ``"single"``: what ``client`` talks to."""
    if hasattr(client, "get_nodes") and hasattr(client, "nodes_manager"):
        return "cluster"
    pool = getattr(client, "connection_pool", None)
    if pool is not None and hasattr(pool, "service_name"):
        return "sentinel"
    return "single"


def describe_client(client: Any) -> str:
    """A URL naming what ``client`` talks to (never with a password)."""
    kind = topology(client)
    if kind == "cluster":
        nodes = client.nodes_manager.startup_nodes.values()
        return "redis+cluster://" + ",".join(f"{node.host}:{node.port}" for node in nodes)
    pool = client.connection_pool
    if kind == "sentinel":
        sentinels = pool.sentinel_manager.sentinels
        hosts = ",".join(
            "{host}:{port}".format(**s.connection_pool.connection_kwargs) for s in sentinels
        )
        return f"redis+sentinel://{hosts}/{pool.service_name}"
    kwargs = pool.connection_kwargs
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    host, port = kwargs.get("host", "localhost"), kwargs.get("port", 6379)
    return f"redis://{host}:{port}/{kwargs.get('db', 0)}"


async def close_client(client: Any) -> None:
    """Close ``client`` and, for a Sentinel master, its connections to the sentinels."""
    await client.aclose()
    if topology(client) == "sentinel":
        for sentinel in client.connection_pool.sentinel_manager.sentinels:
            await sentinel.aclose()

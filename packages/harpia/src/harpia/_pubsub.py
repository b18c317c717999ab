"""Pub/sub for WebSocket connections: an in-process hub, optionally carried through Redis.

``Hub`` keeps ``topic -> connections`` for this process and fans a message out without
waiting for anybody: every subscriber's channel writes (or queues) at once, and the
frame bytes of a plain (uncompressed) message are encoded once for all of them. A slow
subscriber cannot stall a broadcast; past its backpressure limit it misses messages (or
is closed, with ``close_on_backpressure_limit``).

With a backend (``app.pubsub(RedisPubSub(url))``) ``publish`` does not deliver locally:
the message goes to Redis, and every process (worker) — this one included — delivers
what it receives from Redis to its own subscribers. Each subscriber is in exactly one
process, so it gets each message exactly once. The publishing connection is named in the
Redis payload (process token + connection id) so ``publish_to_self=False`` still holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import TYPE_CHECKING, Any, Protocol

from ._server._wsconnection import encode_frame

if TYPE_CHECKING:
    from ._websocket import WebSocket

logger = logging.getLogger("harpia")

RECONNECT_MAX_DELAY = 2.0
"""Longest wait between two attempts to subscribe again after Redis went away."""


class PubSubBackend(Protocol):
    """Carries published messages between processes (``RedisPubSub``)."""

    async def start(self, hub: Hub) -> None:
        """Connect and deliver what arrives to ``hub.deliver`` until ``stop``."""

    async def stop(self) -> None:
        """Disconnect."""

    async def publish(self, topic: str, message: str | bytes, exclude: int | None) -> None:
        """Send ``message`` to every process (``exclude``: the publishing connection id)."""


class Hub:
    """Topics and their subscribers in this process (``app.hub``)."""

    __slots__ = ("backend", "topics")

    def __init__(self) -> None:
        self.topics: dict[str, dict[WebSocket, None]] = {}
        self.backend: PubSubBackend | None = None

    def subscribe(self, ws: WebSocket, topic: str) -> None:
        """Add ``ws`` to ``topic``."""
        self.topics.setdefault(topic, {})[ws] = None
        ws.topics.add(topic)

    def unsubscribe(self, ws: WebSocket, topic: str) -> None:
        """Remove ``ws`` from ``topic``."""
        subscribers = self.topics.get(topic)
        if subscribers is not None:
            subscribers.pop(ws, None)
            if not subscribers:
                del self.topics[topic]
        ws.topics.discard(topic)

    def unsubscribe_all(self, ws: WebSocket) -> None:
        """Remove ``ws`` from every topic (when it closes)."""
        for topic in list(ws.topics):
            self.unsubscribe(ws, topic)

    def subscribers(self, topic: str) -> int:
        """How many local connections are subscribed to ``topic``."""
        return len(self.topics.get(topic, ()))

    async def publish(
        self, topic: str, message: str | bytes, *, exclude: WebSocket | None = None
    ) -> int:
        """Publish ``message`` on ``topic`` (through the backend when there is one).

        Returns:
            The number of local deliveries (0 with a backend: delivery comes later).
        """
        backend = self.backend
        if backend is not None:
            await backend.publish(topic, message, exclude.id if exclude is not None else None)
            return 0
        return self.deliver(topic, message, exclude.id if exclude is not None else None)

    def deliver(self, topic: str, message: str | bytes, exclude: int | None = None) -> int:
        """Fan ``message`` out to this process's subscribers, waiting for none of them."""
        subscribers = self.topics.get(topic)
        if not subscribers:
            return 0
        frame = encode_frame(message)
        sent = 0
        for ws in list(subscribers):
            if ws.id != exclude and ws.deliver(message, frame):
                sent += 1
        return sent


class RedisPubSub:
    """A ``PubSubBackend`` on Redis ``PUBLISH``/``PSUBSCRIBE`` (``app.pubsub(RedisPubSub(url))``).

    Args:
        url: The Redis URL: ``redis://host:port/0`` for one server,
            ``redis+cluster://host:port[,…]`` for a Redis Cluster,
            ``redis+sentinel://host:port[,…]/service`` for a Sentinel-managed master.
        prefix: Channel name prefix (one per app sharing a Redis).
        client: An existing ``redis.asyncio`` client (``Redis``, ``RedisCluster`` or a
            Sentinel ``master_for`` client) instead of ``url``; ``stop`` leaves it open.

    The connection is made in ``start`` (each worker, after the fork), and the
    subscription is confirmed before ``start`` returns, so a message published once the
    server listens reaches every worker. When Redis goes away the listener subscribes
    again (backoff up to ``RECONNECT_MAX_DELAY``); what is published meanwhile is lost
    (Redis pub/sub keeps nothing), and ``publish`` raises while Redis is unreachable.

    On a cluster the messages use classic ``PUBLISH``, which the cluster forwards to every
    node over its bus: each process subscribes on one node (another one after a lost
    connection) with a single pattern, as on one server. (Sharded ``SSUBSCRIBE`` has no
    pattern form: it would need one subscription per topic, made after the first local
    subscriber, so a message published in between would be missed.) On Sentinel the
    listener follows a failover: the sentinels close its connection, and it subscribes
    again on the new master.

    Raises:
        ImportError: the ``redis`` package is missing
            (``pip install 'harpia-framework[redis]'``).
        ValueError: ``url`` is not a Redis URL.
    """

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        *,
        prefix: str = "harpia:ws:",
        client: Any = None,
    ) -> None:
        try:
            import redis.asyncio  # noqa: F401
        except ImportError as exc:
            raise ImportError(
                "RedisPubSub needs the redis package: pip install 'harpia-framework[redis]'"
            ) from exc
        from harpia_store import redis_client

        if client is None and not (isinstance(url, str) and url.startswith(_SCHEMES)):
            raise ValueError(
                f"RedisPubSub url must be a Redis URL ({', '.join(_SCHEMES)}): {url!r}"
            )
        self._make_client = redis_client
        self._given = client
        self.url = url
        self.prefix = prefix
        self._redis: Any = None
        self._pubsub: Any = None
        # On a cluster: the node the listener subscribes on (processes spread over them).
        self._node = secrets.randbelow(1 << 16)
        self._task: asyncio.Task[None] | None = None
        self._token = b""

    def __repr__(self) -> str:
        return f"RedisPubSub({self.url!r})"

    async def start(self, hub: Hub) -> None:
        """Connect, subscribe to the prefix and deliver incoming messages to ``hub``."""
        self._token = secrets.token_hex(8).encode()
        self._redis = self._given if self._given is not None else self._make_client(self.url)
        await self._subscribe()
        self._task = asyncio.create_task(self._listen(hub))

    async def _subscribe(self) -> None:
        """A new subscription, confirmed: from then on nothing published is missed."""
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None
        self._pubsub = await self._listener()
        await self._pubsub.psubscribe(self.prefix + "*")
        for _ in range(100):
            reply = await self._pubsub.parse_response(block=True, timeout=5)
            if reply is not None and reply[0] in (b"psubscribe", "psubscribe"):
                return
        raise ConnectionError("no confirmation of the Redis subscription")

    async def _listener(self) -> Any:
        """A ``PubSub`` on the server, on the current master, or on one cluster node."""
        redis = self._redis
        if not hasattr(redis, "nodes_manager"):
            return redis.pubsub(ignore_subscribe_messages=True)
        await redis.initialize()
        nodes = redis.get_nodes()
        node = nodes[self._node % len(nodes)]
        self._node += 1  # the next attempt (after a lost connection) tries another node
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # No retries on the same node: after a lost connection, the next node at once.
        options = {"retry": Retry(NoBackoff(), 0), **_node_options(redis)}
        client = Redis(host=node.host, port=node.port, **options)
        return _OwningPubSub(client)

    async def _listen(self, hub: Hub) -> None:
        """Deliver what Redis sends; after a lost connection, subscribe again (backoff)."""
        delay = 0.05
        while True:
            try:
                await self._deliver(hub)
            except Exception as exc:  # connection lost (redis raises several kinds)
                logger.warning("Redis pub/sub connection lost (%r): reconnecting", exc)
            while True:
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_DELAY)
                try:
                    await self._subscribe()
                except Exception as exc:
                    logger.debug("Redis pub/sub reconnection failed: %r", exc)
                    continue
                logger.info("Redis pub/sub subscribed again")
                delay = 0.05
                break

    async def _deliver(self, hub: Hub) -> None:
        prefix = len(self.prefix)
        token = self._token
        async for item in self._pubsub.listen():
            if item.get("type") != "pmessage":
                continue
            try:
                channel = item["channel"]
                topic = (channel.decode() if isinstance(channel, bytes) else channel)[prefix:]
                origin, ident, kind, data = item["data"].split(b":", 3)
                exclude = int(ident) if origin == token and ident else None
                message: str | bytes = data.decode() if kind == b"t" else data
                hub.deliver(topic, message, exclude)
            except Exception:
                logger.exception("bad pub/sub message from Redis: %r", item)
        raise ConnectionError("the Redis subscription ended")

    async def stop(self) -> None:
        """Cancel the listener and disconnect."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None
        if self._redis is not None and self._given is None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()
                if hasattr(self._redis.connection_pool, "sentinel_manager"):
                    for sentinel in self._redis.connection_pool.sentinel_manager.sentinels:
                        await sentinel.aclose()
        self._redis = None

    async def publish(self, topic: str, message: str | bytes, exclude: int | None) -> None:
        """``PUBLISH`` the message, tagged with its origin."""
        if self._redis is None:
            raise RuntimeError("RedisPubSub is not started (app startup has not run)")
        if isinstance(message, str):
            kind, data = b"t", message.encode()
        else:
            kind, data = b"b", bytes(message)
        ident = b"%d" % exclude if exclude is not None else b""
        payload = b":".join((self._token, ident, kind, data))
        await self._redis.publish(self.prefix + topic, payload)


_SCHEMES = (
    "redis://",
    "rediss://",
    "unix://",
    "redis+cluster://",
    "rediss+cluster://",
    "redis+sentinel://",
    "rediss+sentinel://",
)

_NODE_OPTIONS = (
    "username",
    "password",
    "credential_provider",
    "socket_connect_timeout",
    "socket_keepalive",
    "client_name",
)


def _node_options(cluster: Any) -> dict[str, Any]:
    """The cluster client's credentials and TLS settings, for a plain client to one node."""
    kwargs = cluster.nodes_manager.connection_kwargs
    options = {key: kwargs[key] for key in _NODE_OPTIONS if kwargs.get(key) is not None}
    if kwargs.get("connection_class") is not None and "SSL" in kwargs["connection_class"].__name__:
        options["ssl"] = True
        options.update({key: value for key, value in kwargs.items() if key.startswith("ssl_")})
    return options


class _OwningPubSub:
    """A ``PubSub`` that also closes the client it was made from (a cluster node's)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pubsub, name)

    async def aclose(self) -> None:
        try:
            await self._pubsub.aclose()
        finally:
            await self._client.aclose()

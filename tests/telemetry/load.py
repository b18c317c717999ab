"""A bounded load generator: N keep-alive clients, each sending its share of GETs."""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field

import h11

STEP_TIMEOUT = 10.0
"""No single connect, write or read may take longer than this."""


def plan_path(n: int) -> str:
    """The path of the n-th request of a client: 3/5 home, 1/5 about, 1/5 a book."""
    kind = n % 5
    if kind < 3:
        return "/"
    if kind == 3:
        return "/about"
    return f"/books/{n % 7}"


@dataclass
class Outcome:
    """What the clients saw."""

    statuses: Counter[int] = field(default_factory=Counter)
    paths: Counter[str] = field(default_factory=Counter)
    servers: set[str] = field(default_factory=set)


async def _client(port: int, index: int, count: int, outcome: Outcome) -> None:
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port), STEP_TIMEOUT
    )
    conn = h11.Connection(h11.CLIENT)
    forwarded = f"10.50.{index // 250}.{index % 250}"
    try:
        for n in range(count):
            path = plan_path(n)
            request = h11.Request(
                method="GET",
                target=path,
                headers=[("host", "test"), ("x-forwarded-for", forwarded)],
            )
            writer.write(conn.send(request) + conn.send(h11.EndOfMessage()))
            await asyncio.wait_for(writer.drain(), STEP_TIMEOUT)
            status, served_by = 0, ""
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = await asyncio.wait_for(reader.read(65536), STEP_TIMEOUT)
                    if not data:
                        raise ConnectionError(f"server closed after {n} requests")
                    conn.receive_data(data)
                elif isinstance(event, h11.Response):
                    status = event.status_code
                    served_by = dict(event.headers).get(b"x-served-by", b"").decode()
                elif isinstance(event, h11.EndOfMessage):
                    break
            conn.start_next_cycle()
            outcome.statuses[status] += 1
            outcome.paths[path] += 1
            outcome.servers.add(served_by)
    finally:
        writer.close()
        with suppress(ConnectionError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), STEP_TIMEOUT)


async def hammer(port: int, *, clients: int, total: int, deadline: float) -> Outcome:
    """Send ``total`` requests from ``clients`` concurrent connections within ``deadline`` s.

    Client ``i`` claims to be ``10.50.x.y`` in ``X-Forwarded-For`` (one visitor each).
    """
    outcome = Outcome()
    per_client, extra = divmod(total, clients)
    async with asyncio.timeout(deadline):
        await asyncio.gather(
            *(
                _client(port, i, per_client + (1 if i < extra else 0), outcome)
                for i in range(clients)
            )
        )
    return outcome


def expected_views(clients: int, total: int) -> Counter[str]:
    """Page views the plan produces."""
    views: Counter[str] = Counter()
    per_client, extra = divmod(total, clients)
    for i in range(clients):
        for n in range(per_client + (1 if i < extra else 0)):
            views[plan_path(n)] += 1
    return views

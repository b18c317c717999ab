"""Three harpia processes behind a real HAProxy (round-robin, no stickiness) on the Redis
Cluster: the deployment of ``examples/deploy/`` with its own ``haproxy.cfg``.

One test, in steps, because the topology costs seconds to start: a session made through
one instance is read through the others; a WebSocket on one instance gets what another
publishes, exactly once; telemetry counts are exact after a load the balancer spreads;
killing an instance mid-load loses no acknowledged write and the balancer's retries serve
the rest. Its figures print with ``-s``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from contextlib import ExitStack, suppress
from typing import TYPE_CHECKING

import h11
import pytest
import websockets

from harpia_store import RedisStore
from harpia_telemetry import Telemetry
from tests.support.processes import ROOT, stop, wait_for
from tests.support.redis_server import free_port, in_ci
from tests.telemetry.load import hammer

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.redis_topologies import RedisClusterGroup

pytestmark = pytest.mark.redis

LOAD = 10_000  # requests spread by the balancer, then counted exactly
KILL_LOAD = 3000  # requests of the load during which an instance is killed
CLIENTS = 30
STEP = 10.0  # seconds any single network step may take


def _haproxy() -> str:
    binary = shutil.which("haproxy")
    if binary is None:
        message = "haproxy is not installed: scripts/ensure-haproxy (apt-get install haproxy)"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return binary


class Deployment:
    """The instances (name -> port and process) and the balancer's port."""

    def __init__(self, cluster_url: str, prefix: str) -> None:
        self.cluster_url = cluster_url
        self.prefix = prefix
        self.ports = {name: free_port() for name in ("a", "b", "c")}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.port = free_port()

    def start(self, stack: ExitStack, haproxy: str) -> None:
        for name, port in self.ports.items():
            env = {
                **os.environ,
                "REDIS_URL": self.cluster_url,
                "PORT": str(port),
                "INSTANCE": name,
                "PREFIX": self.prefix,
            }
            process = subprocess.Popen(
                [sys.executable, "-m", "examples.deploy.app"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self.processes[name] = process
            stack.callback(stop, process, 10)
        for name, port in self.ports.items():
            wait_for(port, self.processes[name], timeout=30)
        env = {
            **os.environ,
            "LISTEN": f"127.0.0.1:{self.port}",
            **{f"BACKEND_{n.upper()}": f"127.0.0.1:{p}" for n, p in self.ports.items()},
        }
        balancer = subprocess.Popen(
            [haproxy, "-db", "-f", str(ROOT / "examples/deploy/haproxy.cfg")],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack.callback(stop, balancer, 10)
        wait_for(self.port, balancer, timeout=15)


@pytest.fixture
def deployment(redis_cluster: RedisClusterGroup) -> Iterator[Deployment]:
    haproxy = _haproxy()
    deployment = Deployment(redis_cluster.url, f"deploy-{uuid.uuid4().hex[:8]}:")
    with ExitStack() as stack:
        deployment.start(stack, haproxy)
        yield deployment


async def fetch(
    port: int, method: str, path: str, cookie: str = "", body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    """One request on its own connection: (status, headers, body)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), STEP)
    conn = h11.Connection(h11.CLIENT)
    headers = [("host", "deploy.test"), ("content-length", str(len(body)))]
    if cookie:
        headers.append(("cookie", cookie))
    try:
        writer.write(
            conn.send(h11.Request(method=method, target=path, headers=headers))
            + conn.send(h11.Data(data=body))
            + conn.send(h11.EndOfMessage())
        )
        status, got, chunks = 0, {}, []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await asyncio.wait_for(reader.read(65536), STEP))
            elif isinstance(event, h11.Response):
                status = event.status_code
                got = {k.decode(): v.decode() for k, v in event.headers}
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return status, got, b"".join(chunks)
    finally:
        writer.close()
        with suppress(ConnectionError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), STEP)


async def total_requests(deployment: Deployment) -> int:
    async with RedisStore(deployment.cluster_url, prefix=f"{deployment.prefix}tel:") as store:
        summary = await Telemetry(store).summary()
    total = summary["total_requests"]
    assert isinstance(total, int)
    return total


async def test_three_instances_behind_haproxy_on_the_cluster(deployment: Deployment) -> None:
    port = deployment.port
    # Every instance is in rotation (health checks up): round-robin shows all three.
    seen: Counter[str] = Counter()
    deadline = time.monotonic() + 20
    while len(seen) < 3 and time.monotonic() < deadline:
        status, headers, _ = await fetch(port, "GET", "/")
        seen[headers.get("x-served-by", "")] += status == 200
        await asyncio.sleep(0.05)
    assert set(seen) == {"a", "b", "c"}

    # 1. A session made through one instance is read (and updated) through the others.
    status, headers, _ = await fetch(port, "POST", "/login?user=ann")
    assert status == 200
    cookie = headers["set-cookie"].split(";", 1)[0]
    readers = set()
    for _ in range(6):
        status, headers, body = await fetch(port, "GET", "/me", cookie)
        assert status == 200
        assert b'"user":"ann"' in body
        readers.add(headers["x-served-by"])
    assert readers == {"a", "b", "c"}
    for n in range(1, 7):
        status, _, body = await fetch(port, "POST", "/count", cookie)
        assert body == b'{"n":%d}' % n  # each instance sees the previous one's write

    # 2. A WebSocket on each instance; a publish through the balancer reaches each once.
    sockets = []
    try:
        owners: dict[str, object] = {}
        for _ in range(12):
            ws = await asyncio.wait_for(websockets.connect(f"ws://127.0.0.1:{port}/room"), STEP)
            await ws.send("who")
            owner = str(await asyncio.wait_for(ws.recv(), STEP))
            if owner in owners:
                await ws.close()
                continue
            owners[owner] = ws
            sockets.append(ws)
            if len(owners) == 3:
                break
        assert set(owners) == {"a", "b", "c"}
        for n in range(3):  # three publishes, each handled by whichever instance
            status, headers, _ = await fetch(port, "POST", "/publish", body=b"news %d" % n)
            assert status == 200
        for ws in sockets:
            got = [await asyncio.wait_for(ws.recv(), STEP) for _ in range(3)]
            assert got == ["news 0", "news 1", "news 2"]
            with pytest.raises(TimeoutError):  # exactly once: nothing more arrives
                await asyncio.wait_for(ws.recv(), 0.3)
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))

    # 3. Telemetry is exact after a load the balancer spreads over the three.
    before = await total_requests(deployment)
    started = time.monotonic()
    outcome = await hammer(port, clients=CLIENTS, total=LOAD, deadline=120)
    took = time.monotonic() - started
    assert outcome.statuses == {200: LOAD}
    assert {"a", "b", "c"} <= outcome.servers
    assert await total_requests(deployment) == before + LOAD

    # 4. One instance is killed mid-load: the balancer retries on the others, no
    # acknowledged write is lost (telemetry counts at least every 200; the session's
    # counter at least every acknowledged increment).
    before = await total_requests(deployment)
    acknowledged = 6

    async def counting() -> int:
        ok = 0
        for _ in range(60):
            status, _, body = await fetch(port, "POST", "/count", cookie)
            if status == 200:
                ok += 1
                assert int(body.split(b":")[1].rstrip(b"}")) >= acknowledged + ok
            await asyncio.sleep(0.01)
        return ok

    load = asyncio.ensure_future(hammer(port, clients=CLIENTS, total=KILL_LOAD, deadline=120))
    counter = asyncio.ensure_future(counting())
    await asyncio.sleep(0.5)
    victim = deployment.processes["c"]
    victim.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    outcome = await load
    ok_counts = await counter
    after_kill = time.monotonic() - killed
    victim.wait(timeout=5)
    errors = sum(n for status, n in outcome.statuses.items() if status != 200)
    counted = await total_requests(deployment) - before
    acknowledged_requests = outcome.statuses[200] + ok_counts
    assert counted >= acknowledged_requests  # no acknowledged request uncounted
    assert counted <= KILL_LOAD + 60 + 2 * CLIENTS  # a retried one may count twice
    status, _, body = await fetch(port, "GET", "/me", cookie)
    assert status == 200
    final_n = int(body.split(b'"n":')[1].split(b",")[0].rstrip(b"}"))
    assert final_n >= acknowledged + ok_counts
    assert errors <= KILL_LOAD // 100  # the balancer's retries serve (nearly) everything
    print(
        f"deployment: {LOAD} requests over 3 instances via HAProxy in {took:.2f} s "
        f"({LOAD / took:.0f} req/s), telemetry exact (+{LOAD}); instance c killed "
        f"mid-load ({KILL_LOAD} GET + 60 session POSTs): {outcome.statuses[200]} x 200, "
        f"{errors} errors {dict(outcome.statuses)}, telemetry counted {counted} "
        f"(acknowledged {acknowledged_requests}: {counted - acknowledged_requests} retried "
        "requests counted twice), "
        f"{ok_counts}/60 session increments acknowledged, n={final_n}; the load ended "
        f"{after_kill:.2f} s after the kill"
    )

"""Sessions on a Sentinel-managed Redis while its master dies and a replica takes over.

During the failover every request that needs the session gets the documented 503 with
``Retry-After`` (none waits past the store's timeout), service resumes on the new master
without a restart, and no session write acknowledged before the failover is lost (the
test waits for replication with ``WAIT`` first, as an operator's runbook would).
"""

from __future__ import annotations

import os
import signal
import time
from typing import TYPE_CHECKING

import anyio
import pytest
from redis.asyncio import Redis

from harpia import Session, TestClient
from harpia_store import RedisStore
from tests.harpia.session_app import make_app
from tests.support.redis_topologies import RedisSentinelGroup

if TYPE_CHECKING:
    from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.redis

TIMEOUT = 1.0  # the store's connect and command timeout


@pytest.mark.parametrize("fault", ["kill", "freeze"])
async def test_a_master_failover_is_a_503_window_and_loses_no_session(
    redis_server: RedisServer,  # only for the redis-server binary it was started with
    fault: str,
) -> None:
    """``kill``: the master's host dies (connections refused at once). ``freeze``: it
    stops answering (SIGSTOP, like a partition): each request waits for the timeout."""
    group = RedisSentinelGroup(redis_server.binary)
    store = RedisStore(group.url, prefix="failover:", connect_timeout=TIMEOUT, timeout=TIMEOUT)
    client = TestClient(make_app(Session(store)))
    try:
        await anyio.to_thread.run_sync(group.start)  # sentinels that agree: a real election
        for n in range(1, 6):
            assert (await client.post("/count")).json() == {"n": n}
        assert isinstance(store.client, Redis)
        assert await store.client.wait(1, 5000) == 1  # on the replica
        old = group.master
        assert old.process is not None
        pid = old.process.pid
        os.kill(pid, signal.SIGKILL if fault == "kill" else signal.SIGSTOP)
        killed = time.monotonic()

        statuses: list[int] = []
        slowest = 0.0
        resumed = None
        with anyio.fail_after(40):
            while resumed is None:
                started = time.monotonic()
                response = await client.post("/count")
                slowest = max(slowest, time.monotonic() - started)
                statuses.append(response.status)
                if response.status == 200:
                    resumed = time.monotonic()
                    assert response.json() == {"n": 6}  # n=5 survived: nothing lost
                else:
                    assert response.status == 503
                    assert response.headers["retry-after"] == "5"
                    await anyio.sleep(0.05)
        assert slowest < TIMEOUT * 2 + 1  # never a hang past the store's timeout
        assert 503 in statuses  # there was a window, and it was a 503
        new_port = await anyio.to_thread.run_sync(group.wait_for_failover, old.port)
        assert new_port == group.replica.port
        assert (await client.get("/me")).json() == {"session": {"n": 6}}
        assert (await client.post("/count")).json() == {"n": 7}
        print(
            f"sentinel failover ({fault}): {statuses.count(503)} requests answered 503 over "
            f"{resumed - killed:.2f} s (down-after-milliseconds 1000), slowest request "
            f"{slowest * 1000:.0f} ms (store timeout {TIMEOUT:.0f} s), then 200 on the new "
            "master with the session intact"
        )
    finally:
        if fault == "freeze" and group.master.process is not None:
            os.kill(group.master.process.pid, signal.SIGCONT)
        await store.close()
        await anyio.to_thread.run_sync(group.close)

"""``harpia run --workers 2`` with state kept in process memory: one startup warning per
component (naming it and the fix), from a real ``harpia run`` subprocess; none of it with
shared stores, and only the default-store note with one worker."""

from __future__ import annotations

import http.client
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from harpia import CSRF, MemoryStore, RedisPubSub, RedisStore, Session, harpia, http_cache
from harpia._process_state import ProcessLocal, collect, process_local_of
from harpia_telemetry import Telemetry
from tests.support.apps import write
from tests.support.processes import stop, wait_for
from tests.support.redis_server import free_port

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fork")

APP = """
import os
from harpia import CSRF, Session, harpia, http_cache
from harpia_telemetry import Telemetry

app = harpia()
app.use(Telemetry().middleware())
app.use(Session().middleware())
app.use(CSRF().middleware())
app.get("/pid", lambda req, res: res.text(str(os.getpid())))
app.get("/cached", http_cache(), lambda req, res: "cached")


class Chat:
    async def message(self, ws, data):
        ws.subscribe("room")
        await ws.publish("room", data)


app.ws("/chat", Chat)
"""

SHARED = """
import os
from harpia import CSRF, RedisPubSub, RedisStore, Session, harpia, http_cache

store = RedisStore("redis://127.0.0.1:1/0")  # never reached: nothing connects at start
app = harpia()
app.use(Session(store).middleware())
app.use(CSRF(store).middleware())
app.pubsub(None)
app.get("/pid", lambda req, res: res.text(str(os.getpid())))
app.get("/cached", http_cache(store), lambda req, res: "cached")
"""

CONFIG = """
[session]
store = "memory"

[routes]
modules = ["pages"]
"""

PAGES = """
import os
from harpia import Router

router = Router()
router.get("/pid", lambda req, res: res.text(str(os.getpid())))
"""

MULTI = (
    "{component} keeps {holds} in each worker process's memory, and this server runs 2 "
    "workers: each has its own copy, so a request served by another worker does not see "
    "them. Use {fix} (pip install 'harpia-framework[redis]') or run one worker."
)


def multi(component: str, holds: str, fix: str) -> str:
    return MULTI.format(component=component, holds=holds, fix=fix)


EXPECTED = [
    multi("Telemetry()", "the recorded requests", "Telemetry(RedisStore(url))"),
    multi("Session()", "sessions", "Session(RedisStore(url))"),
    multi("CSRF()", "the CSRF tokens of visitors with a session", "CSRF(RedisStore(url))"),
    multi("http_cache()", "cached responses", "http_cache(RedisStore(url))"),
    multi(
        "WebSocket pub/sub (ws.subscribe, app.publish)",
        "topics and their subscribers",
        "app.pubsub(RedisPubSub(url))",
    ),
]


def pid_of(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/pid", headers={"Connection": "close"})
        return connection.getresponse().read().decode()
    finally:
        connection.close()


def run(folder: Path, *args: str) -> list[str]:
    """``harpia run *args`` in ``folder`` until every worker answered; its log lines."""
    port = free_port()
    command = [sys.executable, "-m", "harpia", "run", *args, "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for(port, process, timeout=20)
        workers = 2 if "--workers" in args else 1
        pids: set[str] = set()
        deadline = time.monotonic() + 20
        while len(pids) < workers and time.monotonic() < deadline:  # every worker started
            pids.add(pid_of(port))
        assert len(pids) == workers, pids
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            stop(process)
    return log.decode().splitlines()


def warnings(lines: list[str]) -> list[str]:
    """The messages of the per-process warnings (the CLI's log format is
    ``time LEVEL [pid] logger: message``)."""
    found = []
    for line in lines:
        for marker in ("keeps ", "has no store"):
            if marker in line:
                head = line.split(" harpia: ", 1)
                found.append(head[1] if len(head) == 2 else line)
                break
    return found


def test_two_workers_warn_once_per_component(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": APP})
    lines = run(tmp_path, "app:app", "--workers", "2")
    assert sorted(warnings(lines)) == sorted(EXPECTED), "\n".join(lines)


def test_one_worker_notes_only_the_default_stores(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": APP})
    found = warnings(run(tmp_path, "app:app"))
    assert [message.split(":")[0] for message in found] == [
        "Session() has no store",
        "CSRF() has no store",
    ]
    assert not any("each worker process" in message for message in found)


def test_shared_stores_and_no_websockets_say_nothing(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": SHARED})
    assert warnings(run(tmp_path, "app:app", "--workers", "2")) == []


def test_a_config_component_is_reported_once_by_the_first_worker(tmp_path: Path) -> None:
    """The session built-in adds its middleware when each worker starts: reported once."""
    write(tmp_path, {"harpia.toml": CONFIG, "pages.py": PAGES})
    found = warnings(run(tmp_path, "--workers", "2"))
    assert found == [
        multi("[session] store = 'memory'", "sessions", '[session] store = "redis://host:6379/0"')
    ]


# -- the registry, in process ------------------------------------------------------------


def test_components_declare_what_they_keep() -> None:
    store = MemoryStore()
    shared = RedisStore("redis://127.0.0.1:1/0")
    session = process_local_of(Session().middleware())
    assert session == ProcessLocal(
        "Session()", "sessions", "Session(RedisStore(url))", default=True, limit=5000
    )
    chosen = process_local_of(CSRF(store).middleware())
    assert chosen is not None
    assert (chosen.component, chosen.default) == ("CSRF()", False)
    assert process_local_of(Session(shared).middleware()) is None
    assert process_local_of(CSRF(shared).middleware()) is None
    assert process_local_of(http_cache()) is not None
    assert process_local_of(http_cache(shared)) is None
    assert process_local_of(Telemetry().middleware()) == ProcessLocal(
        "Telemetry()", "the recorded requests", "Telemetry(RedisStore(url))"
    )


def test_collect_walks_app_routes_and_websockets() -> None:
    app = harpia()
    assert collect(app) == []
    app.get("/cached", http_cache(), lambda req, res: "x")
    app.ws("/chat", {"message": lambda ws, data: None})
    names = [state.component for state in collect(app)]
    assert names == ["http_cache()", "WebSocket pub/sub (ws.subscribe, app.publish)"]
    app.pubsub(RedisPubSub("redis://127.0.0.1:1/0"))
    assert [state.component for state in collect(app)] == ["http_cache()"]

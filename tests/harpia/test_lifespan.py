"""Lifespan context managers: order with the hooks, state in ``req.state``, every front end."""

from __future__ import annotations

import contextlib
import sys
import urllib.request
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from harpia import Harpia, Request, Response, TestClient, harpia
from tests.support.processes import serving, uvicorn
from tests.support.redis_server import free_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path


def build(events: list[str]) -> Harpia:
    """Two lifespans, a startup and a shutdown hook, each noting when it runs."""

    @asynccontextmanager
    async def database(app: Harpia) -> AsyncIterator[dict[str, Any]]:
        events.append("db open")
        yield {"db": "connection", "shared": {"hits": 0}}
        events.append("db closed")

    app = harpia(lifespan=database)

    @app.lifespan
    @asynccontextmanager
    async def cache(app: Harpia) -> AsyncIterator[dict[str, Any]]:
        events.append("cache open")
        yield {"cache": "warm"}
        events.append("cache closed")

    @app.on_startup
    def started() -> None:
        events.append(f"startup hook sees {sorted(app.lifespan_state)}")

    @app.on_shutdown
    def stopping() -> None:
        events.append(f"shutdown hook sees {sorted(app.lifespan_state)}")

    @app.get("/")
    def home(req: Request, res: Response) -> dict[str, Any]:
        req.state["shared"]["hits"] += 1  # the values are shared …
        req.state["mine"] = req.query.get("n")  # … the dict is a copy per request
        return {key: req.state[key] for key in sorted(req.state)}

    return app


async def test_lifespans_wrap_the_hooks_and_their_state_reaches_handlers() -> None:
    events: list[str] = []
    app = build(events)
    async with TestClient(app) as client:
        assert events == [
            "db open",
            "cache open",
            "startup hook sees ['cache', 'db', 'shared']",
        ]
        first = (await client.get("/?n=1")).json()
        second = (await client.get("/")).json()
    assert first == {
        "cache": "warm",
        "db": "connection",
        "mine": "1",
        "shared": {"hits": 1},
    }
    assert second["mine"] is None
    assert second["shared"] == {"hits": 2}
    assert events[3:] == [
        "shutdown hook sees ['cache', 'db', 'shared']",
        "cache closed",
        "db closed",
    ]
    assert app.lifespan_state == {}


async def test_a_task_group_opened_in_the_lifespan_works() -> None:
    """Enter and exit run in one task, so anyio task groups and cancel scopes work."""
    ticks: list[int] = []
    ticked = anyio.Event()

    @asynccontextmanager
    async def background(app: Harpia) -> AsyncIterator[dict[str, Any]]:
        async with anyio.create_task_group() as group:
            yield {"group": group}
            group.cancel_scope.cancel()

    app = harpia(lifespan=background)

    @app.post("/tick")
    def tick(req: Request, res: Response) -> None:
        req.state["group"].start_soon(_tick, ticks, ticked)

    async with TestClient(app) as client:
        assert (await client.post("/tick")).status == 204
        with anyio.fail_after(5):
            await ticked.wait()
    assert ticks == [1]


async def _tick(ticks: list[int], ticked: anyio.Event) -> None:
    ticks.append(1)
    ticked.set()


async def test_a_bare_async_generator_and_a_none_state_are_accepted() -> None:
    seen: list[str] = []

    async def plain(app: Harpia) -> AsyncIterator[None]:
        seen.append("in")
        yield
        seen.append("out")

    app = harpia(lifespan=plain)
    app.get("/", lambda req, res: {"state": req.state})
    async with TestClient(app) as client:
        assert (await client.get("/")).json() == {"state": {}}
    assert seen == ["in", "out"]


async def test_a_failing_startup_hook_exits_the_lifespan_and_the_next_start_retries() -> None:
    events: list[str] = []
    app = build(events)
    attempts: list[int] = []

    @app.on_startup
    def flaky() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("not yet")

    with pytest.raises(RuntimeError, match="not yet"):
        await app.startup()
    assert events[-2:] == ["cache closed", "db closed"]
    assert app.lifespan_state == {}
    await app.startup()
    assert sorted(app.lifespan_state) == ["cache", "db", "shared"]
    await app.shutdown()
    assert events[-2:] == ["cache closed", "db closed"]


async def test_wrong_lifespans_are_type_errors_naming_them() -> None:
    with pytest.raises(TypeError, match="lifespan must be a callable"):
        harpia(lifespan="db")  # type: ignore[arg-type]

    def not_a_manager(app: Harpia) -> int:
        return 42

    app = harpia()
    app.lifespan(not_a_manager)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not_a_manager returned int, not a context manager"):
        await app.startup()

    @asynccontextmanager
    async def yields_a_list(app: Harpia) -> AsyncIterator[list[int]]:
        yield [1]

    other = harpia(lifespan=yields_a_list)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="yields_a_list yielded list: yield a dict"):
        await other.startup()


async def test_asgi_lifespan_scope_enters_and_exits() -> None:
    events: list[str] = []
    app = build(events)
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []
    started = anyio.Event()

    async def receive() -> dict[str, Any]:
        if len(messages) == 1:
            await started.wait()
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "lifespan.startup.complete":
            assert app.lifespan_state["cache"] == "warm"
            started.set()

    with anyio.fail_after(5):
        await app({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert events[-1] == "db closed"


async def test_asgi_lifespan_failure_is_reported() -> None:
    def fail() -> None:
        raise OSError("database unreachable")

    @asynccontextmanager
    async def broken(app: Harpia) -> AsyncIterator[None]:
        fail()
        yield

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await harpia(lifespan=broken)({"type": "lifespan"}, receive, send)
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "database unreachable" in sent[0]["message"]


@pytest.fixture
def events_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "events.txt"
    monkeypatch.setenv("HARPIA_EVENTS", str(path))
    return path


def fetch(port: int, path: str) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
        body: bytes = reply.read()
        return body


def test_uvicorn_runs_the_lifespan_and_waits_for_after_tasks(events_file: Path) -> None:
    """ASGI under uvicorn: lifespan state in handlers; SIGTERM right after a response
    whose after-task sleeps: the task finishes before the shutdown hook and the exit."""
    with uvicorn("tests.harpia.lifecycle_app:app") as port:
        assert fetch(port, "/state") == b'{"greeting":"hello from the lifespan"}'
        assert fetch(port, "/later?label=uvicorn") == b"sent"
    events = events_file.read_text(encoding="utf-8").splitlines()
    assert events == [
        "lifespan enter",
        "startup hook",
        "handler",
        "after uvicorn",
        "shutdown hook",
        "lifespan exit",
    ]


def test_the_native_server_runs_the_lifespan_and_waits_for_after_tasks(
    events_file: Path,
) -> None:
    port = free_port()
    command = [sys.executable, "-m", "harpia", "run", "tests.harpia.lifecycle_app:app"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with contextlib.suppress(FileNotFoundError):
        events_file.unlink()
    with serving(command, port):
        assert fetch(port, "/state") == b'{"greeting":"hello from the lifespan"}'
        assert fetch(port, "/later?label=native") == b"sent"
    events = events_file.read_text(encoding="utf-8").splitlines()
    assert events == [
        "lifespan enter",
        "startup hook",
        "handler",
        "after native",
        "shutdown hook",
        "lifespan exit",
    ]


def test_the_readme_examples_tagged_runs_run() -> None:
    from tests.support.readme import PACKAGES, examples

    readme = PACKAGES / "harpia" / "README.md"
    found = [example for example in examples(readme) if "runs" in example.tags]
    assert found
    for example in found:
        code = compile(example.code, f"{readme}:{example.line}", "exec")
        exec(code, {"__name__": "readme_example"})

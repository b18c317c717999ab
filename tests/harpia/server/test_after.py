"""After-response tasks (``res.after``) and the lifespan on the native server, ASGI, tests."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel
import pytest

from harpia import Request, Response, TestClient, harpia

from .conftest import client, get, running

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from harpia import Harpia

TIMEOUT = 5.0


def recorder() -> tuple[list[Any], Harpia]:
    """An app whose routes register after-response tasks that append to ``events``."""
    events: list[Any] = []
    app = harpia()

    async def later(label: str, *, suffix: str = "") -> None:
        await anyio.lowlevel.checkpoint()
        events.append(f"async {label}{suffix}")

    def blocking(label: str) -> None:
        events.append(("sync", label, threading.get_ident()))

    def broken() -> None:
        raise RuntimeError("the mail server is down")

    @app.get("/")
    def home(req: Request, res: Response) -> str:
        res.after(later, "one", suffix="!").after(blocking, "two")
        events.append("handler")
        return "hello"

    @app.get("/broken")
    def failing(req: Request, res: Response) -> str:
        res.after(broken)
        res.after(later, "after the failure")
        return "still fine"

    @app.get("/returned")
    def returned(req: Request, res: Response) -> Response:
        return Response("made here").after(later, "returned")

    @app.get("/stream")
    def stream(req: Request, res: Response) -> None:
        async def chunks() -> Any:
            for part in (b"a", b"b"):
                events.append(f"chunk {part.decode()}")
                yield part

        res.stream(chunks()).after(later, "streamed")

    return events, app


async def test_tasks_run_in_order_once_the_response_is_collected() -> None:
    events, app = recorder()
    res = await TestClient(app).get("/")
    assert (res.status, res.text()) == (200, "hello")
    assert events[:2] == ["handler", "async one!"]
    kind, label, thread = events[2]
    assert (kind, label) == ("sync", "two")
    assert thread != threading.get_ident()  # a plain function runs in a worker thread
    assert app.after_tasks.running == 0


async def test_a_failing_task_is_logged_and_the_next_one_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events, app = recorder()
    with caplog.at_level(logging.ERROR, logger="harpia"):
        res = await TestClient(app).get("/broken")
    assert (res.status, res.text()) == (200, "still fine")
    assert events == ["async after the failure"]
    (record,) = [r for r in caplog.records if "after-response task" in r.getMessage()]
    assert record.name == "harpia"
    assert "broken" in record.getMessage()
    assert record.exc_info is not None
    assert "the mail server is down" in str(record.exc_info[1])


async def test_a_returned_response_keeps_its_tasks_and_streams_run_them_at_the_end() -> None:
    events, app = recorder()
    client_ = TestClient(app)
    assert (await client_.get("/returned")).text() == "made here"
    assert events == ["async returned"]
    events.clear()
    assert (await client_.get("/stream")).text() == "ab"
    assert events == ["chunk a", "chunk b", "async streamed"]


def test_after_needs_a_callable() -> None:
    with pytest.raises(TypeError, match="after\\(\\) takes a callable, got 'mail'"):
        Response().after("mail")  # type: ignore[arg-type]


async def test_under_asgi_tasks_run_after_the_final_body_message() -> None:
    events, app = recorder()
    sent: list[str] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])
        events.append(message["type"])

    for path in ("/", "/stream"):
        events.clear()
        scope = {"type": "http", "method": "GET", "path": path, "headers": [(b"host", b"t")]}
        await app(scope, receive, send)
        body_sends = [i for i, event in enumerate(events) if event == "http.response.body"]
        task = next(i for i, e in enumerate(events) if isinstance(e, str) and e.startswith("async"))
        assert body_sends
        assert task > body_sends[-1]  # after the last body message


async def test_native_server_sends_the_response_before_the_task_runs(driver: str) -> None:
    """The client has the whole response while the task still waits; the connection
    serves its next request at once (the task runs in the background)."""
    app = harpia()
    release = anyio.Event()
    both_started = anyio.Event()
    both_done = anyio.Event()
    started: list[str] = []
    done: list[str] = []

    async def waits(label: str) -> None:
        started.append(label)
        if len(started) == 2:
            both_started.set()
        with anyio.fail_after(TIMEOUT):
            await release.wait()
        done.append(label)
        if len(done) == 2:
            both_done.set()

    @app.get("/")
    def home(req: Request, res: Response) -> str:
        res.after(waits, req.query.get("n", "?"))
        return "sent first"

    async with running(app, driver) as server:
        assert server.port is not None
        async with client(server.port) as c:
            await c.send(get("/?n=1"))
            reply = await c.response()
            assert (reply.status, reply.body) == (200, b"sent first")
            await c.send(get("/?n=2"))  # same connection, while task 1 still waits
            reply = await c.response()
            assert reply.body == b"sent first"
            with anyio.fail_after(TIMEOUT):
                await both_started.wait()
            assert done == []
            assert app.after_tasks.running == 2
            release.set()
            with anyio.fail_after(TIMEOUT):
                await both_done.wait()
    assert sorted(done) == ["1", "2"]


async def test_graceful_shutdown_waits_for_tasks_before_the_shutdown_hooks(
    driver: str,
) -> None:
    app = harpia()
    order: list[str] = []

    async def slow() -> None:
        await anyio.sleep(0.3)
        order.append("task done")

    app.on_shutdown(lambda: order.append("shutdown hook"))

    @app.get("/")
    def home(req: Request, res: Response) -> str:
        res.after(slow)
        return "ok"

    async with running(app, driver) as server:
        assert server.port is not None
        async with client(server.port) as c:
            await c.send(get("/"))
            assert (await c.response()).body == b"ok"
        assert order == []  # the task still sleeps as the server begins to stop
    assert order == ["task done", "shutdown hook"]
    assert app.after_tasks.running == 0


async def test_a_task_that_outlives_shutdown_timeout_is_cancelled(
    driver: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = harpia()
    finished: list[bool] = []

    async def forever() -> None:
        await anyio.sleep(60)
        finished.append(True)

    @app.get("/")
    def home(req: Request, res: Response) -> str:
        res.after(forever)
        return "ok"

    started = anyio.current_time()
    async with running(app, driver, shutdown_timeout=0.3) as server:
        assert server.port is not None
        async with client(server.port) as c:
            await c.send(get("/"))
            assert (await c.response()).body == b"ok"
    assert anyio.current_time() - started < TIMEOUT
    assert finished == []
    assert "after-response task(s) still running" in caplog.text


async def test_the_lifespan_runs_around_the_native_server(driver: str) -> None:
    """Entered before the first request, its state in req.state, exited after shutdown."""
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: Harpia) -> AsyncIterator[dict[str, str]]:
        events.append("enter")
        yield {"pool": f"pool on {driver}"}
        events.append("exit")

    app = harpia(lifespan=lifespan)
    app.on_shutdown(lambda: events.append("shutdown hook"))
    app.get("/", lambda req, res: {"pool": req.state["pool"]})
    async with running(app, driver) as server:
        assert server.port is not None
        assert events == ["enter"]
        async with client(server.port) as c:
            await c.send(get("/"))
            assert (await c.response()).body == b'{"pool":"pool on %s"}' % driver.encode()
    assert events == ["enter", "shutdown hook", "exit"]


async def test_beyond_the_limit_a_connection_runs_its_tasks_itself(driver: str) -> None:
    """Backpressure: with ``limit`` background tasks running, the next response's task
    runs on its connection, whose next request waits for it."""
    app = harpia()
    app.after_tasks.limit = 1
    release = anyio.Event()
    done: list[str] = []

    async def waits(label: str) -> None:
        with anyio.fail_after(TIMEOUT):
            await release.wait()
        done.append(label)

    @app.get("/")
    def home(req: Request, res: Response) -> str:
        res.after(waits, req.query.get("n", "?"))
        return "sent"

    async with running(app, driver) as server:
        assert server.port is not None
        async with client(server.port) as a, client(server.port) as b:
            await a.send(get("/?n=background"))
            assert (await a.response()).body == b"sent"  # its task: in the background
            await b.send(get("/?n=inline"))
            assert (await b.response()).body == b"sent"  # sent before its task runs …
            await b.send(get("/?n=next"))
            with anyio.move_on_after(0.3) as waited:  # … which holds the connection
                await b.response()
            assert waited.cancelled_caught
            release.set()
            assert (await b.response()).body == b"sent"
    assert sorted(done) == ["background", "inline", "next"]

"""Blocking handlers: logged in development, and ``thread=True`` for def handlers (issue 18)."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time

import anyio
import pytest

import harpia as hp
from harpia import Next, Request, Response, Router, TestClient
from harpia._chain import handler_runner
from harpia._routing import Endpoint
from tests.harpia.server.conftest import client, get, running

SLOW = 0.3  # seconds a "blocking" handler sleeps; the threshold is a third of it


def slow_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "harpia" and "held the event loop" in record.getMessage()
    ]


def held_ms(message: str) -> float:
    found = re.search(r"held the event loop for (\d+) ms", message)
    assert found is not None, message
    return float(found.group(1))


def long_holds(caplog: pytest.LogCaptureFixture, who: str) -> list[str]:
    """Messages naming ``who`` for a hold of most of ``SLOW``: on a loaded machine a
    preempted step may be reported too, but never for that long."""
    return [
        message
        for message in slow_messages(caplog)
        if f"{who} held the event loop" in message and held_ms(message) >= SLOW * 1000 * 0.9
    ]


async def test_a_blocking_handler_is_logged_with_route_and_duration(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = hp.Harpia(development=True, slow_handler_threshold=0.1)

    @app.get("/reports/:id")
    def report(req: Request, res: Response) -> str:
        time.sleep(SLOW)
        return "done"

    with caplog.at_level(logging.WARNING, logger="harpia"):
        res = await TestClient(app).get("/reports/1")
    assert res.text() == "done"
    [message] = long_holds(caplog, "report")
    assert message.startswith("handler ")
    assert "report held the event loop for" in message
    assert "in GET /reports/:id (threshold 100 ms)" in message
    assert "thread=True" in message  # the fix
    assert SLOW * 1000 * 0.9 <= held_ms(message) < SLOW * 1000 * 10


async def test_awaiting_is_not_holding_and_only_the_blocking_part_counts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An async handler is timed per step between awaits: waiting does not count."""
    app = hp.Harpia(development=True, slow_handler_threshold=0.1)

    @app.get("/io")
    async def io(req: Request, res: Response) -> str:
        await asyncio.sleep(SLOW)  # I/O: other requests run meanwhile
        return "ok"

    @app.get("/mixed")
    async def mixed(req: Request, res: Response) -> str:
        await asyncio.sleep(SLOW)
        time.sleep(SLOW)  # noqa: ASYNC251  # the blocking part, on purpose
        await asyncio.sleep(0)
        return "ok"

    with caplog.at_level(logging.WARNING, logger="harpia"):
        client = TestClient(app)
        assert (await client.get("/io")).text() == "ok"
        assert long_holds(caplog, "io") == []
        assert (await client.get("/mixed")).text() == "ok"
    [message] = long_holds(caplog, "mixed")
    assert held_ms(message) < SLOW * 1000 * 1.9  # the sleep awaited is not counted


async def test_blame_goes_to_the_blocking_part_not_the_middlewares_around_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = hp.Harpia(development=True, slow_handler_threshold=0.1)

    async def outer(req: Request, res: Response, next: Next) -> None:
        await next()

    def slow_middleware(req: Request, res: Response, next: Next) -> None:
        time.sleep(SLOW)
        next()

    async def route_mw(req: Request, res: Response, next: Next) -> None:
        await next()

    def handler(req: Request, res: Response) -> str:
        time.sleep(SLOW)
        return "ok"

    app.use(outer)
    app.use("/api", slow_middleware)
    app.get("/api/x", route_mw, handler)
    with caplog.at_level(logging.WARNING, logger="harpia"):
        res = await TestClient(app).get("/api/x")
    assert res.text() == "ok"
    [middleware_message] = long_holds(caplog, "slow_middleware")
    assert middleware_message.startswith("middleware ")
    [handler_message] = long_holds(caplog, "handler")
    assert handler_message.startswith("handler ")
    assert "in GET /api/x" in middleware_message
    assert "in GET /api/x" in handler_message
    assert long_holds(caplog, "outer") == []  # not blamed for what ran inside it
    assert long_holds(caplog, "route_mw") == []


async def test_the_threshold_is_configurable(caplog: pytest.LogCaptureFixture) -> None:
    app = hp.Harpia(development=True)
    assert app.slow_handler_threshold == 0.1  # the default: 100 ms

    def sleepy(req: Request, res: Response) -> str:
        time.sleep(SLOW)
        return "ok"

    app.get("/", sleepy)
    with caplog.at_level(logging.WARNING, logger="harpia"):
        client = TestClient(app)
        app.slow_handler_threshold = SLOW * 5
        await client.get("/")
        app.slow_handler_threshold = None  # off
        await client.get("/")
        assert long_holds(caplog, "sleepy") == []
        app.slow_handler_threshold = 0.05
        await client.get("/")
    assert len(long_holds(caplog, "sleepy")) == 1
    with pytest.raises(ValueError, match="slow_handler_threshold"):
        hp.Harpia(slow_handler_threshold=-1)
    with pytest.raises(ValueError, match="slow_handler_threshold"):
        hp.Harpia(slow_handler_threshold="1")  # type: ignore[arg-type]


async def test_production_pays_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """No wrapper in production: the chain is made of the bare middlewares and the
    plain runner; turning development on recomposes it (and off again)."""
    app = hp.Harpia(slow_handler_threshold=0.01)

    async def mw(req: Request, res: Response, next: Next) -> None:
        await next()

    def handler(req: Request, res: Response) -> str:
        time.sleep(0.05)
        return "ok"

    app.use(mw)
    app.get("/", handler)
    client = TestClient(app)
    with caplog.at_level(logging.WARNING, logger="harpia"):
        assert (await client.get("/")).text() == "ok"
    assert slow_messages(caplog) == []
    assert app._global == (mw,)
    [route] = list(app.router)
    endpoint = route.handlers[0]
    assert isinstance(endpoint, Endpoint)
    runner = endpoint.runner
    plain = handler_runner(handler, check_length=True)
    assert runner is not None
    assert runner.__code__ is plain.__code__

    app.development = True
    with caplog.at_level(logging.WARNING, logger="harpia"):
        assert (await client.get("/")).text() == "ok"
    assert [m for m in slow_messages(caplog) if "handler held" in m]
    assert app._global != (mw,)
    app.development = False
    assert (await client.get("/")).text() == "ok"
    assert app._global == (mw,)


# -- thread=True ------------------------------------------------------------------------


def where_am_i(req: Request, res: Response) -> dict[str, bool]:
    return {"loop_thread": threading.current_thread() is threading.main_thread()}


async def test_thread_per_route_router_and_app() -> None:
    app = hp.harpia()
    app.get("/loop", where_am_i)
    app.get("/route", where_am_i, thread=True)
    pool = Router("/pool", thread=True)
    pool.get("/x", where_am_i)
    pool.get("/pinned", where_am_i, thread=False)  # the route wins over the router
    app.routes(pool)
    client = TestClient(app)
    assert (await client.get("/loop")).json() == {"loop_thread": True}
    assert (await client.get("/route")).json() == {"loop_thread": False}
    assert (await client.get("/pool/x")).json() == {"loop_thread": False}
    assert (await client.get("/pool/pinned")).json() == {"loop_thread": True}

    everywhere = hp.Harpia(threads=True)
    everywhere.get("/x", where_am_i)
    everywhere.get("/pinned", where_am_i, thread=False)

    @everywhere.get("/async")
    async def async_handler(req: Request, res: Response) -> dict[str, bool]:
        return where_am_i(req, res)  # async handlers stay on the loop

    client = TestClient(everywhere)
    assert (await client.get("/x")).json() == {"loop_thread": False}
    assert (await client.get("/pinned")).json() == {"loop_thread": True}
    assert (await client.get("/async")).json() == {"loop_thread": True}


async def test_threaded_handlers_keep_the_full_behaviour(caplog: pytest.LogCaptureFixture) -> None:
    """Return values, errors, res.* and coroutines returned by the handler all work;
    a threaded handler that sleeps is not reported (it does not hold the loop)."""
    app = hp.Harpia(development=True, slow_handler_threshold=0.05, threads=True)

    def sleepy(req: Request, res: Response) -> tuple[dict[str, int], int]:
        time.sleep(0.2)
        return {"a": 1}, 201

    def sends(req: Request, res: Response) -> None:
        res.status(202).text("sent")

    def fails(req: Request, res: Response) -> None:
        raise hp.HTTPError(418)

    app.get("/sleepy", sleepy)
    app.get("/sends", sends)
    app.get("/fails", fails)
    with caplog.at_level(logging.WARNING, logger="harpia"):
        client = TestClient(app)
        first = await client.get("/sleepy")
        assert (first.status, first.json()) == (201, {"a": 1})
        second = await client.get("/sends")
        assert (second.status, second.text()) == (202, "sent")
        assert (await client.get("/fails")).status == 418
    assert [m for m in slow_messages(caplog) if held_ms(m) >= 150] == []  # slept 200 ms


@pytest.mark.parametrize("driver", ["asyncio", "anyio"])
@pytest.mark.parametrize("thread", [False, True])
async def test_real_socket_a_threaded_handler_does_not_stall_others(
    driver: str, thread: bool
) -> None:
    """Over real sockets: with thread=True a fast request is answered while a slow def
    handler sleeps in a worker thread; without it the slow handler holds the one event
    loop (the server's and this test's), so the fast one is answered after it."""
    app = hp.harpia()
    finished: list[str] = []

    def slow(req: Request, res: Response) -> str:
        time.sleep(1.0)
        finished.append("slow")
        return "slow"

    def fast(req: Request, res: Response) -> str:
        finished.append("fast")
        return "fast"

    app.get("/slow", slow, thread=thread)
    app.get("/fast", fast)
    async with running(app, driver) as server:
        port = server.port or 0
        async with client(port) as slow_client, client(port) as fast_client:
            await slow_client.send(get("/slow"))
            with anyio.fail_after(5):
                await asyncio.sleep(0.1)  # the slow request is in its handler by now
                await fast_client.send(get("/fast"))
                fast_reply = await fast_client.response()
                slow_reply = await slow_client.response()
    assert (fast_reply.body, slow_reply.body) == (b"fast", b"slow")
    assert finished == (["fast", "slow"] if thread else ["slow", "fast"])


async def test_development_wrappers_pass_cancellation_through() -> None:
    """The step-by-step timing forwards cancellation into the handler and middleware."""
    app = hp.Harpia(development=True)
    seen: dict[str, str] = {}

    async def mw(req: Request, res: Response, next: Next) -> None:
        try:
            await next()
        finally:
            seen["middleware"] = "finished"

    async def waits(req: Request, res: Response) -> None:
        try:
            await anyio.sleep(10)
        except BaseException as exc:
            seen["handler"] = type(exc).__name__
            raise

    app.use(mw)
    app.get("/", waits)
    started = time.perf_counter()
    with anyio.move_on_after(0.2) as scope:
        await app.handle(hp.Request("GET", "/", "", [(b"host", b"t")]))
    assert scope.cancelled_caught
    assert time.perf_counter() - started < 5
    assert seen == {"handler": "CancelledError", "middleware": "finished"}

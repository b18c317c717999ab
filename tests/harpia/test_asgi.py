"""The ASGI adapter in process: lifespan and http scopes, streaming bodies both ways."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harpia import Request, Response, harpia
from tests.support.asgi import Channel

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


async def test_lifespan_runs_the_hooks_once() -> None:
    app = harpia()
    events: list[str] = []
    app.on_startup(lambda: events.append("up"))

    @app.on_shutdown
    async def down() -> None:
        events.append("down")

    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    channel = Channel(inbox)
    receive, send, sent = channel.receive, channel.send, channel.sent

    await app({"type": "lifespan"}, receive, send)
    assert events == ["up", "down"]
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_a_failing_startup_is_reported() -> None:
    app = harpia()

    def broken() -> None:
        raise RuntimeError("no database")

    app.on_startup(broken)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan"}, receive, send)
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "no database" in sent[0]["message"]


async def test_http_scope_with_a_chunked_body_and_a_streamed_answer() -> None:
    app = harpia()

    @app.post("/echo/:name")
    async def echo(req: Request, res: Response) -> None:
        body = await req.body()

        async def chunks() -> AsyncIterator[bytes]:
            yield f"{req.params['name']}:{req.query.get('x')}:".encode()
            yield body

        res.stream(chunks(), content_type="text/plain")

    inbox = [
        {"type": "http.request", "body": b"hel", "more_body": True},
        {"type": "http.request", "body": b"lo", "more_body": False},
    ]
    channel = Channel(inbox)
    receive, send, sent = channel.receive, channel.send, channel.sent

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/echo/a b",
        "raw_path": b"/echo/a%20b",
        "query_string": b"x=1",
        "headers": [(b"Content-Type", b"text/plain")],
        "client": ("10.0.0.1", 1234),
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    assert (b"content-type", b"text/plain") in sent[0]["headers"]
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"a b:1:hello"
    assert sent[-1] == {"type": "http.response.body", "body": b""}


async def test_a_disconnect_while_reading_the_body_raises_client_disconnected() -> None:
    from harpia import ClientDisconnected

    app = harpia()
    seen: list[object] = []

    @app.post("/echo")
    async def echo(req: Request, res: Response) -> str:
        try:
            body = await req.body()
        except ClientDisconnected:
            seen.append("disconnected")
            try:
                await req.body()  # again: still no truncated body
            except ClientDisconnected:
                seen.append("again")
            raise
        seen.append(len(body))
        return "ok"

    inbox: list[dict[str, Any]] = [
        {"type": "http.request", "body": b"x" * 500, "more_body": True},
        {"type": "http.disconnect"},
    ]
    channel = Channel(inbox)
    receive, send, sent = channel.receive, channel.send, channel.sent

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/echo",
        "raw_path": b"/echo",
        "query_string": b"",
        "headers": [(b"content-length", b"1000")],
    }
    await app(scope, receive, send)
    assert seen == ["disconnected", "again"]
    assert sent[0]["status"] == 400

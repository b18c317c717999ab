"""ShieldMiddleware on a bare ASGI app: scopes, state, header merging."""

from __future__ import annotations

from typing import Any

from harpia_shield import SecurityHeaders, Shield, ShieldMiddleware

Message = dict[str, Any]


def http_scope(**extra: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": "/", "headers": []}
    scope.update(extra)
    return scope


class Recorder:
    """An ASGI app answering with the given headers; keeps the scope it saw."""

    def __init__(self, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.headers = headers or []
        self.scopes: list[Any] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scopes.append(scope)
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": self.headers})
        await send({"type": "http.response.body", "body": b"ok"})


async def run(app: Any, scope: dict[str, Any]) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_headers_are_added_after_the_apps_own() -> None:
    inner = Recorder([(b"content-type", b"text/plain")])
    sent = await run(ShieldMiddleware(inner), http_scope())
    headers = sent[0]["headers"]
    assert headers[0] == (b"content-type", b"text/plain")
    assert headers[1:] == Shield().raw_headers()
    assert sent[1] == {"type": "http.response.body", "body": b"ok"}


async def test_names_are_compared_case_insensitively() -> None:
    inner = Recorder([(b"X-Frame-Options", b"DENY"), (b"X-POWERED-BY", b"x")])
    headers = (await run(ShieldMiddleware(inner), http_scope()))[0]["headers"]
    names = [name.lower() for name, _ in headers]
    assert names.count(b"x-frame-options") == 1
    assert (b"X-Frame-Options", b"DENY") in headers
    assert b"x-powered-by" not in names


async def test_nonce_is_in_a_copied_scope_state_and_the_callers_scope_is_untouched() -> None:
    inner = Recorder()
    scope = http_scope(state={"db": "pool"})
    sent = await run(ShieldMiddleware(inner, use_nonce=True), scope)
    seen = inner.scopes[0]
    nonce = seen["state"]["nonce"]
    assert seen["state"]["db"] == "pool"
    assert scope["state"] == {"db": "pool"}
    csp = dict(sent[0]["headers"])[b"content-security-policy"].decode()
    assert f"'nonce-{nonce}'" in csp


async def test_without_use_nonce_the_scope_is_passed_as_is() -> None:
    inner = Recorder()
    scope = http_scope()
    await run(ShieldMiddleware(inner), scope)
    assert inner.scopes[0] is scope


async def test_other_scope_types_pass_through_untouched() -> None:
    inner = Recorder()
    for kind in ("lifespan", "websocket"):
        scope = {"type": kind}
        assert await run(ShieldMiddleware(inner, use_nonce=True), scope) == []
        assert inner.scopes[-1] is scope


async def test_the_shield_can_be_given_every_way() -> None:
    shield = Shield(x_frame_options={"action": "DENY"})
    expected = shield.headers()
    for middleware in (
        ShieldMiddleware(Recorder(), shield=shield),
        ShieldMiddleware(Recorder(), shield=SecurityHeaders(x_frame_options={"action": "DENY"})),
        ShieldMiddleware(Recorder(), shield={"xFrameOptions": {"action": "DENY"}}),
        ShieldMiddleware(Recorder(), x_frame_options={"action": "DENY"}),
    ):
        assert middleware.shield.headers() == expected
    assert ShieldMiddleware(Recorder(), shield=shield).shield is shield

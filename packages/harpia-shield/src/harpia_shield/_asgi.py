"""``ShieldMiddleware``: the shield for any ASGI 3 application (Starlette, FastAPI, …).

The headers are added to ``http.response.start`` unless the application already set a
header of the same name (a route can relax its own policy); ``X-Powered-By`` is removed
unless ``x_powered_by=True``. With ``use_nonce`` each request gets a fresh nonce in
``scope["state"]["nonce"]`` (Starlette: ``request.state.nonce``) before the app runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from ._shield import Shield

if TYPE_CHECKING:
    from ._options import SecurityHeaders

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ShieldMiddleware:
    """ASGI middleware adding the shield's headers to every HTTP response.

    Args:
        app: The ASGI application to wrap.
        shield: A ``Shield``, ``SecurityHeaders`` or dict of options (None: the defaults).
        **options: Keyword options instead of ``shield``.

    ``app.add_middleware(ShieldMiddleware, shield=shield)`` in Starlette.
    """

    __slots__ = ("app", "shield")

    def __init__(
        self,
        app: ASGIApp,
        /,
        shield: Shield | SecurityHeaders | dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        self.app = app
        self.shield = shield if isinstance(shield, Shield) else Shield(shield, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        shield = self.shield
        nonce, extra = shield.for_request()
        if nonce is not None:
            scope = dict(scope)
            state = dict(scope.get("state") or {})
            state["nonce"] = nonce
            scope["state"] = state
        remove = shield.remove
        names = shield.header_names

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or ())
                present = {bytes(name).lower().decode("latin-1") for name, _ in headers}
                if remove and not remove.isdisjoint(present):
                    headers = [
                        (name, value)
                        for name, value in headers
                        if bytes(name).lower().decode("latin-1") not in remove
                    ]
                if names.isdisjoint(present):
                    headers.extend(extra)
                else:
                    headers.extend(pair for pair in extra if pair[0].decode() not in present)
                message = dict(message)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

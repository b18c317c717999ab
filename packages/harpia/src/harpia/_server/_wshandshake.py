"""The server side of the WebSocket handshake, for a request h11 has already parsed.

The pipeline (``WSRoute``) has validated the request headers; this computes the ``101``
response headers and negotiates permessage-deflate with wsproto's extension.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wsproto.extensions import PerMessageDeflate
from wsproto.utilities import generate_accept_token

if TYPE_CHECKING:
    from wsproto.extensions import Extension

    from .._ws_options import WSOptions
    from ._events import RawHeaders

_SKIP = frozenset({b"content-length", b"content-type", b"transfer-encoding", b"connection"})


def accept_headers(
    request_headers: RawHeaders, response_headers: RawHeaders, options: WSOptions
) -> tuple[RawHeaders, list[Extension]]:
    """The ``101`` headers and the accepted extensions.

    Args:
        request_headers: The handshake request's headers (names lower-cased).
        response_headers: Headers the app set on the response (cookies …), kept.
        options: The WebSocket options (``compress``/``decompress``).
    """
    key = b""
    offers: list[bytes] = []
    for name, value in request_headers:
        if name == b"sec-websocket-key":
            key = value.strip()
        elif name == b"sec-websocket-extensions":
            offers.extend(part.strip() for part in value.split(b","))
    headers: RawHeaders = [
        (b"upgrade", b"websocket"),
        (b"connection", b"Upgrade"),
        (b"sec-websocket-accept", generate_accept_token(key)),
    ]
    headers.extend(pair for pair in response_headers if pair[0] not in _SKIP)
    extensions: list[Extension] = []
    if options.deflate:
        for offer in offers:
            name = offer.split(b";", 1)[0].strip()
            if name != b"permessage-deflate":
                continue
            deflate = PerMessageDeflate()
            accepted = deflate.accept(offer.decode("latin-1"))
            if accepted is None or accepted is False:
                continue
            text = "permessage-deflate"
            if isinstance(accepted, str) and accepted:
                text = f"permessage-deflate; {accepted}"
            headers.append((b"sec-websocket-extensions", text.encode("latin-1")))
            extensions.append(deflate)
            break
    return headers, extensions

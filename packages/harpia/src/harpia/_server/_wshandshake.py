"""The server side of the WebSocket handshake, for a request h11 has already parsed.

The pipeline (``WSRoute``) has validated the request headers; this computes the ``101``
response headers and negotiates permessage-deflate with wsproto's extension.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import CloseReason
from wsproto.utilities import generate_accept_token

if TYPE_CHECKING:
    from wsproto.extensions import Extension
    from wsproto.frame_protocol import FrameDecoder, FrameProtocol

    from .._ws_options import WSOptions
    from ._events import RawHeaders

_SKIP = frozenset({b"content-length", b"content-type", b"transfer-encoding", b"connection"})


class BoundedDeflate(PerMessageDeflate):
    """wsproto's permessage-deflate, with decompression bounded by the payload limit.

    wsproto inflates each received chunk whole: a few kilobytes of zeros could expand to
    gigabytes before any size check. This inflates at most ``max_length + 1`` bytes per
    chunk and answers 1009 beyond it (the whole message is bounded by ``WSConnection``).
    """

    def __init__(self, max_length: int) -> None:
        super().__init__()
        self.max_length = max_length

    def frame_inbound_payload_data(
        self, proto: FrameDecoder | FrameProtocol, data: bytes
    ) -> bytes | CloseReason:
        if not self._inbound_compressed or not self._inbound_is_compressible:
            return data
        decompressor = self._decompressor
        assert decompressor is not None
        try:
            out = decompressor.decompress(bytes(data), self.max_length + 1)
        except zlib.error:
            return CloseReason.INVALID_FRAME_PAYLOAD_DATA
        if decompressor.unconsumed_tail or len(out) > self.max_length:
            return CloseReason.MESSAGE_TOO_BIG
        return out


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
            deflate = BoundedDeflate(options.max_payload_length)
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

"""Canned responses: what the connection layer answers by itself before closing."""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._events import RawHeaders

PHRASES: dict[int, bytes] = {status.value: status.phrase.encode() for status in HTTPStatus}


def canned_response(status: int, extra_headers: RawHeaders | None = None) -> bytes:
    """Serialise a small plain-text error response that closes the connection.

    Args:
        status: The status code; its reason phrase is the body.
        extra_headers: Headers put before the framing headers (``Date``).

    Returns:
        The whole response, ready to send.
    """
    phrase = PHRASES.get(status, b"Error")
    lines = [b"HTTP/1.1 %d %s\r\n" % (status, phrase)]
    lines.extend(b"%s: %s\r\n" % pair for pair in extra_headers or ())
    lines.append(
        b"content-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\n"
        b"connection: close\r\n\r\n%s" % (len(phrase), phrase)
    )
    return b"".join(lines)

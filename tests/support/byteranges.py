"""A strict reader of ``multipart/byteranges`` bodies, for the tests of ranged responses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Part:
    """One part: its ``Content-Type``, its ``Content-Range`` and its bytes."""

    content_type: str
    content_range: str
    data: bytes


def parse_byteranges(content_type: str, body: bytes) -> list[Part]:
    """Split ``body`` into its parts, checking the framing byte for byte.

    Raises:
        AssertionError: the content type or the framing is not what RFC 9110 describes.
    """
    kind, _, param = content_type.partition(";")
    assert kind.strip() == "multipart/byteranges", content_type
    name, _, boundary = param.strip().partition("=")
    assert name == "boundary", content_type
    assert boundary, content_type
    delimiter = b"--" + boundary.encode()
    assert body.endswith(delimiter + b"--\r\n"), body[-80:]
    parts: list[Part] = []
    rest = body[: -len(delimiter + b"--\r\n")]
    while rest:
        assert rest.startswith(delimiter + b"\r\n"), rest[:80]
        rest = rest[len(delimiter) + 2 :]
        head, sep, rest = rest.partition(b"\r\n\r\n")
        assert sep, "part without a blank line"
        fields = dict(line.split(b": ", 1) for line in head.split(b"\r\n"))
        size = int(fields[b"Content-Range"].split(b" ")[1].split(b"/")[0].split(b"-")[1]) + 1
        size -= int(fields[b"Content-Range"].split(b" ")[1].split(b"-")[0])
        data, crlf, rest = rest[:size], rest[size : size + 2], rest[size + 2 :]
        assert crlf == b"\r\n", crlf
        parts.append(
            Part(fields[b"Content-Type"].decode(), fields[b"Content-Range"].decode(), data)
        )
    return parts

"""Request-head rules h11 leaves to the server: framing that could smuggle, and the Host.

h11 parses a request head leniently where RFC 9112 lets a recipient choose, which is
fine for a client but not for a server that may sit behind a proxy: if two parsers on
one path disagree about where a request ends, the bytes one of them takes for a body the
other serves as a second request (request smuggling). A head is therefore refused (400,
then close) when it has

- ``Content-Length`` and ``Transfer-Encoding`` together (h11 uses the chunked framing and
  keeps the connection; RFC 9112 §6.1 allows rejecting, and requires closing either way);
- ``Transfer-Encoding`` in an HTTP/1.0 request (h11 decodes it; §6.1: faulty framing);
- a line ending in a bare LF (h11 accepts ``\\n`` for ``\\r\\n``; §2.2 allows it, but
  proxies that do not will see a different head);
- obs-fold, a header line continued on the next (h11 unfolds it; §5.2 allows rejecting);
- a control character other than HTAB anywhere in the head (h11 refuses only NUL, CR and
  LF in field values and allows ``\\x01`` to ``\\x1f`` and ``\\x7f`` in them);
- ``Content-Length`` twice, even with one value (h11 merges equal ones; RFC 9110 §8.6
  allows rejecting);
- a malformed ``Host``: not ``host[:port]`` (``a@b/c?d``, spaces …), or empty in an
  HTTP/1.1 request whose target does not carry the authority (RFC 9110 §4.2.1: an http URI
  has a host). h11 already refuses a missing ``Host`` in HTTP/1.1 and more than one.

The same line rules hold for the trailer section that ends a chunked body: h11 ends it
at a bare LF too (``0\\r\\n\\n``), so a proxy that waits for CRLF would take what follows
for trailers and we for the next request. ``StrictTrailers`` wraps h11's chunked reader
(its private state, read only; with another h11 it steps aside) and refuses that.

For an absolute-form target (``GET http://a.example/x HTTP/1.1``) the authority of the
target wins over ``Host`` (RFC 9112 §3.2.2): the connection rewrites ``Host`` to it, so
``req.url``, ``req.headers["host"]`` and every origin check agree.

Everything here is pure: bytes in, a reason (or ``None``) out. ``host_error`` is shared
with the ASGI adapter, whose server does the framing but passes ``Host`` through.
"""

from __future__ import annotations

import re
from typing import Any

import h11

_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# RFC 3986 host (IP-literal or reg-name: unreserved, sub-delims, pct-encoded) and port
_HOST = re.compile(
    rb"(?:\[[0-9A-Za-z:._~!$&'()*+,;=%-]+\]|[0-9A-Za-z._~!$&'()*+,;=%-]*)(?::[0-9]*)?"
)
_SCHEMES = (b"http", b"https")


def head_error(raw: bytes | bytearray, fields: int) -> str | None:
    """Why the request head at the start of ``raw`` must be refused, or ``None``.

    Args:
        raw: The bytes h11 parsed the head from (maybe more after it).
        fields: How many header fields h11 found in it.
    """
    end = raw.find(b"\r\n\r\n")
    if end < 0:  # h11 found the blank line, so it ends in a bare LF
        return "bare LF line ending in the request head"
    end += 4
    lines = raw.count(b"\n", 0, end)  # request line, fields, folded lines, blank line
    if raw.count(b"\r\n", 0, end) != lines:
        return "bare LF line ending in the request head"
    if lines != fields + 2:  # h11 joined lines: folded ones, or a repeated Content-Length
        if raw.find(b"\n ", 0, end) >= 0 or raw.find(b"\n\t", 0, end) >= 0:
            return "obsolete line folding in the request head"
        return "repeated Content-Length header"
    if _CONTROL.search(raw, 0, end) is not None:
        return "control character in the request head"
    return None


def check_request(
    raw: bytes | bytearray,
    fields: int,
    method: bytes,
    target: bytes,
    version: str,
    headers: list[tuple[bytes, bytes]],
) -> tuple[str, str, list[tuple[bytes, bytes]], bool] | str:
    """Apply every rule to a request head h11 has parsed.

    Args:
        raw: The bytes the head was parsed from (see ``head_error``).
        fields: How many header fields h11 found.
        method, target, version: From the request line.
        headers: The header pairs, names lower-cased.

    Returns:
        ``(raw_path, query_string, headers, chunked)`` — ``Host`` set to the authority of
        an absolute-form target — or why the request must be refused with 400.
    """
    error = head_error(raw, fields)
    host: bytes | None = None
    framing = 0
    for name, value in headers:
        if name == b"host":
            host = value
        elif name == b"content-length":
            framing |= 1
        elif name == b"transfer-encoding":
            framing |= 2
    if framing & 2 and (framing == 3 or version == "1.0"):
        error = error or (
            "Content-Length with Transfer-Encoding"
            if framing == 3
            else "Transfer-Encoding in an HTTP/1.0 request"
        )
    if target[:1] == b"/":
        path, _, rest = target.partition(b"?")
        error = error or host_error(host, version)
    elif target == b"*" or method == b"CONNECT":  # asterisk-form, authority-form
        path, rest = target, b""
        error = error or host_error(host, version)
    else:
        absolute = split_absolute(target)
        if absolute is None:
            return error or "malformed request target"
        authority, path_and_query = absolute  # RFC 9112 §3.2.2: it wins over Host
        path, _, rest = path_and_query.partition(b"?")
        error = error or host_error(host, version, absolute=True)
        headers = [pair for pair in headers if pair[0] != b"host"]
        headers.append((b"host", authority))
    if error is not None:
        return error
    return path.decode("latin-1"), rest.decode("latin-1"), headers, framing == 2


def valid_host(value: bytes) -> bool:
    """True when ``value`` is ``host[:port]`` as RFC 9110 §7.2 allows (maybe empty)."""
    return _HOST.fullmatch(value) is not None


def host_error(value: bytes | None, http_version: str, *, absolute: bool = False) -> str | None:
    """Why a request's ``Host`` header (``None``: absent) must be refused, or ``None``.

    Args:
        value: The one ``Host`` header's value (callers refuse several first).
        http_version: ``"1.1"``, ``"1.0"`` …: HTTP/1.1 needs a non-empty ``Host``.
        absolute: The target is absolute-form: it carries the authority itself.
    """
    if value is None or not value:
        if http_version == "1.0" or absolute:
            return None
        return "missing Host header" if value is None else "empty Host header"
    if _HOST.fullmatch(value) is None:
        return "malformed Host header"
    return None


def split_absolute(target: bytes) -> tuple[bytes, bytes] | None:
    """``(authority, path_and_query)`` of an absolute-form target, or ``None`` if malformed.

    Only ``http`` and ``https`` targets are accepted; the authority must be a valid,
    non-empty host (no userinfo: ``http://a@b/`` is refused, RFC 9110 §4.2.4).
    """
    scheme, sep, rest = target.partition(b"://")
    if not sep or scheme.lower() not in _SCHEMES:
        return None
    end = len(rest)
    for stop in (b"/", b"?"):
        index = rest.find(stop)
        if 0 <= index < end:
            end = index
    authority, tail = rest[:end], rest[end:]
    if not authority or _HOST.fullmatch(authority) is None:
        return None
    if not tail.startswith(b"/"):
        tail = b"/" + tail
    return authority, tail


def front_end_host(
    headers: list[tuple[bytes, bytes]], raw_path: bytes, http_version: str
) -> tuple[list[tuple[bytes, bytes]], bytes] | str:
    """The Host rule for a front end whose server did the framing (ASGI).

    Returns ``(headers, raw_path)`` — for an absolute-form path (uvicorn's h11 passes the
    target whole) the path part, with ``Host`` set to the target's authority — or why the
    request must be refused. A missing ``Host`` is the server's business there.
    """
    hosts = [value for name, value in headers if name == b"host"]
    if len(hosts) > 1:
        return "multiple Host headers"
    if raw_path[:1] not in (b"/", b"*", b"") and b"://" in raw_path:
        absolute = split_absolute(raw_path)
        if absolute is None:
            return "malformed request target"
        authority, raw_path = absolute
        headers = [pair for pair in headers if pair[0] != b"host"]
        headers.append((b"host", authority))
        return headers, raw_path
    if hosts:
        error = host_error(hosts[0], http_version)
        if error is not None:
            return error
    return headers, raw_path


_ZERO_CHUNK = re.compile(rb"0+(?:;[^\r\n]*)?[ \t]*")
_TRAILER_END = re.compile(rb"\n\r?\n")


def trailer_error(data: bytes | bytearray, start: int) -> str | None:
    """Why the trailer section at ``data[start:]`` (maybe incomplete) must be refused."""
    if data[start : start + 2] == b"\r\n":
        return None  # no trailers: the body ends here
    match = _TRAILER_END.search(data, start)
    end = match.end() if match is not None else len(data)
    if data[start : start + 1] == b"\n" or data.count(b"\n", start, end) != data.count(
        b"\r\n", start, end
    ):
        return "bare LF line ending in the chunked trailer section"
    if data.find(b"\n ", start, end) >= 0 or data.find(b"\n\t", start, end) >= 0:
        return "obsolete line folding in the chunked trailer section"
    if _CONTROL.search(data, start, end) is not None:
        return "control character in the chunked trailer section"
    return None


class StrictTrailers:
    """h11's chunked-body reader, refusing a trailer section with bare LF, obs-fold or CTLs.

    It looks at the bytes h11 is about to parse as the last chunk and the trailers,
    before h11 does, and raises ``h11.RemoteProtocolError`` (a ``BodyError`` for the
    connection). It uses h11's private reader state and buffer, only to read them; if
    they are not as expected (another h11 version) it steps aside.
    """

    __slots__ = ("_inner",)

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __call__(self, buf: Any) -> Any:
        inner = self._inner
        try:
            data = buf._data
            start = 0
            if not inner._reading_trailer:
                if inner._bytes_in_chunk:
                    return inner(buf)
                start = len(inner._bytes_to_discard)
                end = data.find(b"\r\n", start)
                if end < 0 or _ZERO_CHUNK.fullmatch(data, start, end) is None:
                    return inner(buf)
                start = end + 2
        except AttributeError:  # pragma: no cover - an h11 with other internals
            return inner(buf)
        error = trailer_error(data, start)
        if error is not None:
            raise h11.RemoteProtocolError(error, 400)
        return inner(buf)

    def read_eof(self) -> Any:
        """What h11's reader says when the peer closes mid-body."""
        return self._inner.read_eof()

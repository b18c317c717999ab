"""Smuggling-prone request heads, sans-IO: the connection refuses them (400, then close).

Each case is the exact bytes a hostile client sends; h11 alone accepts most of them (the
control test below proves it, so these tests fail on an implementation that only relies
on h11). The rules must hold for every request of a pipelined stream, however the bytes
are split, and a request after a refused one is never parsed.
"""

from __future__ import annotations

import h11
import pytest

from harpia._server._connection import HTTPConnection
from harpia._server._events import BodyChunk, BodyError, Close, Event, Reject, RequestHead
from harpia._server._framing import head_error, host_error, split_absolute
from harpia._server._states import CLOSING

OK = [(b"content-length", b"2")]

# name -> (request bytes, reason the connection gives)
REFUSED: dict[str, tuple[bytes, str]] = {
    "cl-and-te (D6)": (
        b"POST /any HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "Content-Length with Transfer-Encoding",
    ),
    "te-before-cl": (
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
        b"0\r\n\r\n",
        "Content-Length with Transfer-Encoding",
    ),
    "te-on-http-1.0": (
        b"POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "Transfer-Encoding in an HTTP/1.0 request",
    ),
    "obs-fold": (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", "obsolete line folding"),
    "obs-fold-tab": (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n", "obsolete line"),
    "obs-fold-of-cl": (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n 5\r\n\r\nhello",
        "obsolete line folding",
    ),
    "bare-lf-everywhere": (b"GET / HTTP/1.1\nHost: x\n\n", "bare LF"),
    "bare-lf-one-line": (b"GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", "bare LF"),
    "bare-lf-blank-line": (b"GET / HTTP/1.1\r\nHost: x\r\n\n", "bare LF"),
    "bare-lf-and-fold-cancel": (b"GET / HTTP/1.1\nHost: x\r\nX: a\r\n b\r\n\r\n", "bare LF"),
    "ctl-01-in-value": (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n", "control character"),
    "ctl-7f-in-value": (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x7fb\r\n\r\n", "control character"),
    "ctl-1f-in-value": (b"GET / HTTP/1.1\r\nHost: x\r\nX: \x1f\r\n\r\n", "control character"),
    "ctl-in-target": (b"GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n", "request line"),
    "repeated-cl": (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
        "repeated Content-Length",
    ),
    "host-userinfo-path-query": (b"GET / HTTP/1.1\r\nHost: a@b/c?d\r\n\r\n", "malformed Host"),
    "host-space": (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "malformed Host"),
    "host-empty-http-1.1": (b"GET / HTTP/1.1\r\nHost: \r\n\r\n", "empty Host"),
    "host-bad-port": (b"GET / HTTP/1.1\r\nHost: a:8o\r\n\r\n", "malformed Host"),
    "host-twice": (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "multiple Host"),
    "absolute-userinfo": (
        b"GET http://u@a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n",
        "malformed request target",
    ),
    "absolute-other-scheme": (b"GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", "malformed request"),
    "absolute-empty-authority": (b"GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", "malformed"),
    "no-form-at-all": (b"GET a.example/x HTTP/1.1\r\nHost: a\r\n\r\n", "malformed request"),
}

# What h11 accepts by itself among them (its defaults; the rest it refuses too).
H11_LENIENT = {
    "cl-and-te (D6)",
    "te-before-cl",
    "te-on-http-1.0",
    "obs-fold",
    "obs-fold-tab",
    "obs-fold-of-cl",
    "bare-lf-everywhere",
    "bare-lf-one-line",
    "bare-lf-blank-line",
    "bare-lf-and-fold-cancel",
    "ctl-01-in-value",
    "ctl-7f-in-value",
    "ctl-1f-in-value",
    "repeated-cl",
    "host-userinfo-path-query",
    "host-space",
    "host-empty-http-1.1",
    "host-bad-port",
    "absolute-userinfo",
    "absolute-other-scheme",
    "absolute-empty-authority",
    "no-form-at-all",
}


def h11_accepts(data: bytes) -> bool:
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    try:
        return isinstance(conn.next_event(), h11.Request)
    except h11.RemoteProtocolError:
        return False


def test_h11_alone_accepts_what_the_connection_refuses() -> None:
    accepted = {name for name, (data, _) in REFUSED.items() if h11_accepts(data)}
    assert accepted == H11_LENIENT


def first_event(data: bytes, *, split: int = 0) -> Event:
    """Feed ``data`` (whole, or in ``split``-byte pieces) until an event other than NeedData."""
    conn = HTTPConnection()
    pieces = [data] if not split else [data[i : i + split] for i in range(0, len(data), split)]
    for piece in pieces:
        conn.receive_data(piece)
        event = conn.next_event()
        if type(event).__name__ != "NeedData":
            return event
    return conn.next_event()


@pytest.mark.parametrize("split", [0, 1, 7])
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_each_case_is_refused_with_400_and_close(name: str, split: int) -> None:
    data, reason = REFUSED[name]
    event = first_event(data, split=split)
    assert isinstance(event, Reject), event
    assert event.status == 400
    assert reason in event.reason
    assert event.data.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"connection: close" in event.data


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_refused_request_after_good_pipelined_ones_still_is(name: str) -> None:
    """The head check follows the pipelined stream: request 3 is checked as strictly as 1."""
    data, reason = REFUSED[name]
    good = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
    posted = b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
    conn = HTTPConnection()
    conn.receive_data(good + posted + data + good)
    for path in ("/a", "/b"):
        head = conn.next_event()
        assert isinstance(head, RequestHead)
        assert head.raw_path == path
        if path == "/b":
            while type(conn.next_event()).__name__ != "BodyEnd":
                pass
        conn.respond(200, OK, b"ok")
    event = conn.next_event()
    assert isinstance(event, Reject)
    assert reason in event.reason
    assert conn.state is CLOSING
    assert isinstance(conn.next_event(), Close)  # the request after it is never parsed


def test_d6_reproduction_gives_one_400_and_never_parses_the_smuggled_request() -> None:
    conn = HTTPConnection()
    conn.receive_data(
        b"POST /any HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n"
        b"\r\n5\r\nhello\r\n0\r\n\r\nGET /rawpath?smuggled=1 HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    event = conn.next_event()
    assert isinstance(event, Reject)
    assert event.status == 400
    for _ in range(3):
        assert isinstance(conn.next_event(), Close)


def test_a_smuggled_head_after_an_unread_body_that_is_drained_is_refused() -> None:
    """The body is discarded (DRAIN) and the head after it is checked from its first byte."""
    conn = HTTPConnection()
    conn.receive_data(b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhe")
    assert isinstance(conn.next_event(), RequestHead)
    conn.respond(200, OK, b"ok")  # the app never read the body
    conn.receive_data(b"llo" + b"GET / HTTP/1.1\r\nHost: x\r\nX: \x7f\r\n\r\n")
    event = conn.next_event()
    assert isinstance(event, Reject)
    assert "control character" in event.reason


def test_a_good_pipelined_stream_split_anywhere_is_served_whole() -> None:
    """The kept head bytes stay aligned with h11's buffer: no false refusal."""
    stream = (
        b"GET /1 HTTP/1.1\r\nHost: x\r\nX-Tab: a\tb\r\nX-Latin: caf\xe9\r\n\r\n"
        b"POST /2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\nTrailer: t\r\n\r\n"
        b"GET http://a.example:8080/3?q HTTP/1.1\r\nHost: other\r\n\r\n"
        b"OPTIONS * HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"
        b"GET /5 HTTP/1.0\r\n\r\n"
    )
    for split in (1, 2, 5, 13, len(stream)):
        conn = HTTPConnection()
        pieces = [stream[i : i + split] for i in range(0, len(stream), split)]
        seen: list[tuple[str, str, bytes | None]] = []
        for _ in range(10_000):
            event = conn.next_event()
            kind = type(event).__name__
            if isinstance(event, RequestHead):
                host = dict(event.headers).get(b"host")
                seen.append((event.raw_path, event.query_string, host))
            elif kind in ("NeedData", "BodyChunk"):
                if kind == "NeedData":
                    if not pieces:
                        break
                    conn.receive_data(pieces.pop(0))
            elif kind in ("Paused", "BodyEnd"):
                conn.respond(200, OK, b"ok")
            elif kind == "Close":  # after the HTTP/1.0 response
                break
            else:
                raise AssertionError(f"split {split}: {event!r}")
        assert seen == [
            ("/1", "", b"x"),
            ("/2", "", b"x"),
            ("/3", "q", b"a.example:8080"),
            ("*", "", b"[::1]:80"),
            ("/5", "", None),
        ], split


def test_the_absolute_form_authority_replaces_host() -> None:
    conn = HTTPConnection()
    conn.receive_data(b"GET https://a.example/x/y?z=1 HTTP/1.1\r\nHost: evil.example\r\n\r\n")
    head = conn.next_event()
    assert isinstance(head, RequestHead)
    assert (head.raw_path, head.query_string) == ("/x/y", "z=1")
    assert [v for n, v in head.headers if n == b"host"] == [b"a.example"]


def test_the_pure_rules() -> None:
    assert head_error(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody\n\x01", 1) is None  # body ignored
    assert host_error(b"example.org:443", "1.1") is None
    assert host_error(b"[2001:db8::1]", "1.1") is None
    assert host_error(b"xn--bcher-kva.example", "1.1") is None
    assert host_error(None, "1.0") is None
    assert host_error(b"", "1.0") is None
    assert host_error(b"", "1.1", absolute=True) is None
    assert host_error(b"a/b", "1.1") == "malformed Host header"
    assert host_error(b"a\\b", "1.1") == "malformed Host header"
    assert split_absolute(b"HTTP://A.example") == (b"A.example", b"/")
    assert split_absolute(b"http://a?q") == (b"a", b"/?q")
    assert split_absolute(b"http://a:99/p") == (b"a:99", b"/p")
    assert split_absolute(b"mailto:a@b") is None


TRAILERS = {
    b"0\r\n\n": "bare LF",
    b"000;ext=1\r\n\n": "bare LF",
    b"5\r\nhello\r\n0\r\n\n": "bare LF",
    b"0\r\nX: a\nY: b\r\n\r\n": "bare LF",
    b"0\r\nX: a\r\n b\r\n\r\n": "obsolete line folding",
    b"0\r\nX: \x01\r\n\r\n": "control character",
}


@pytest.mark.parametrize("split", [0, 1, 3])
@pytest.mark.parametrize("body", sorted(TRAILERS))
def test_a_chunked_body_ending_leniently_is_a_body_error(body: bytes, split: int) -> None:
    """h11 ends a chunked body at ``0\\r\\n\\n``: what follows must not become a request."""
    assert h11_accepts_body(body)  # h11 alone would serve the request after it
    conn = HTTPConnection()
    head = b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    data = body + b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    conn.receive_data(head + (data if not split else b""))
    pieces = [] if not split else [data[i : i + split] for i in range(0, len(data), split)]
    assert isinstance(conn.next_event(), RequestHead)
    for _ in range(1000):
        event = conn.next_event()
        if isinstance(event, BodyError):
            assert TRAILERS[body] in event.reason
            break
        assert type(event).__name__ in ("NeedData", "BodyChunk"), event
        if type(event).__name__ == "NeedData":
            conn.receive_data(pieces.pop(0))
    else:
        raise AssertionError("no BodyError")
    assert conn.respond(400, OK, b"no").find(b"connection: close") > 0
    assert isinstance(conn.next_event(), Close)


def h11_accepts_body(body: bytes) -> bool:
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    return any(isinstance(conn.next_event(), h11.EndOfMessage) for _ in range(10))


def test_good_trailers_still_pass() -> None:
    conn = HTTPConnection()
    conn.receive_data(
        b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;n=v\r\nabc\r\n0\r\nX-Sum: 1\r\nY: a\tb\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    assert isinstance(conn.next_event(), RequestHead)
    assert conn.next_event() == BodyChunk(b"abc")
    assert type(conn.next_event()).__name__ == "BodyEnd"
    conn.respond(200, OK, b"ok")
    head = conn.next_event()
    assert isinstance(head, RequestHead)
    assert head.raw_path == "/b"

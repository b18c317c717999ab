"""The sans-IO connection layer: bytes in, events and exact bytes out, no sockets."""

from __future__ import annotations

import h11
import pytest

from harpia._server._canned import PHRASES, canned_response
from harpia._server._connection import HTTPConnection
from harpia._server._events import (
    BODY_END,
    CLOSE,
    NEED_DATA,
    PAUSED,
    PEER_CLOSED,
    BodyChunk,
    BodyError,
    Event,
    Reject,
    RequestHead,
)
from harpia._server._states import (
    BODY,
    CLOSED,
    CLOSING,
    DRAIN,
    HEAD,
    IDLE,
    TRANSITIONS,
    ConnState,
    TimerKind,
    Trigger,
)

OK_HI = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi"


def connection(
    *, max_header_size: int = 16384, max_headers: int = 100, drain_limit: int = 65536
) -> HTTPConnection:
    return HTTPConnection(
        max_header_size=max_header_size, max_headers=max_headers, drain_limit=drain_limit
    )


def timer_of(conn: HTTPConnection) -> TimerKind | None:
    return conn.timer


def state_of(conn: HTTPConnection) -> ConnState:
    return conn.state  # a call, so that mypy does not narrow the state between asserts


def head_of(conn: HTTPConnection, data: bytes) -> RequestHead:
    conn.receive_data(data)
    event = conn.next_event()
    assert isinstance(event, RequestHead), event
    return event


def body_events(conn: HTTPConnection) -> list[Event]:
    events: list[Event] = []
    for _ in range(100):
        event = conn.next_event()
        events.append(event)
        if not isinstance(event, BodyChunk):
            return events
    raise AssertionError("too many body events")


def respond_hi(conn: HTTPConnection) -> bytes:
    return conn.respond(200, [(b"content-length", b"2")], b"hi")


# -- the state table --------------------------------------------------------------------


def test_every_state_is_reachable_and_can_close() -> None:
    targets = set(TRANSITIONS.values()) | {IDLE}
    assert targets == set(ConnState)
    for state in ConnState:
        assert (state, Trigger.CLOSE) in TRANSITIONS or (state, Trigger.EOF) in TRANSITIONS


def test_an_illegal_move_is_a_bug() -> None:
    conn = connection()
    with pytest.raises(RuntimeError, match="KEEP_ALIVE is not allowed in state IDLE"):
        conn._move(Trigger.KEEP_ALIVE)


# -- requests and responses ----------------------------------------------------------------


def test_simple_get_and_keep_alive() -> None:
    conn = connection()
    assert state_of(conn) is IDLE
    assert timer_of(conn) is TimerKind.HEADER  # a new connection must send its head in time
    head = head_of(conn, b"GET /a%2Fb?x=1&y=2 HTTP/1.1\r\nHost: example.org\r\nX-A: 1\r\n\r\n")
    assert head == RequestHead(
        "GET", "/a%2Fb", "x=1&y=2", [(b"host", b"example.org"), (b"x-a", b"1")], "1.1", False
    )
    assert state_of(conn) is BODY
    assert timer_of(conn) is None
    assert conn.next_event() is PAUSED
    assert respond_hi(conn) == OK_HI
    assert state_of(conn) is IDLE
    assert timer_of(conn) is TimerKind.KEEP_ALIVE
    assert conn.next_event() is NEED_DATA
    conn.receive_data(b"")
    assert conn.next_event() is PEER_CLOSED
    assert state_of(conn) is CLOSED


def test_head_arriving_in_pieces() -> None:
    conn = connection()
    assert conn.next_event() is NEED_DATA
    conn.receive_data(b"GET / HT")
    assert state_of(conn) is HEAD
    assert conn.next_event() is NEED_DATA
    conn.receive_data(b"TP/1.1\r\nhost: a\r\n\r")
    assert conn.next_event() is NEED_DATA
    head = head_of(conn, b"\n")
    assert (head.method, head.raw_path, head.query_string) == ("GET", "/", "")


def test_date_header_is_added_once() -> None:
    conn = HTTPConnection(date=lambda: b"Thu, 01 Jan 2026 00:00:00 GMT")
    head_of(conn, b"GET / HTTP/1.1\r\nhost: a\r\n\r\n")
    assert respond_hi(conn) == (
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ndate: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\nhi"
    )
    head_of(conn, b"GET / HTTP/1.1\r\nhost: a\r\n\r\n")
    assert conn.respond(204, [(b"date", b"mine")], b"") == (
        b"HTTP/1.1 204 No Content\r\ndate: mine\r\n\r\n"
    )


def test_validated_headers_and_a_serialised_block() -> None:
    conn = connection()
    head_of(conn, b"GET / HTTP/1.1\r\nhost: a\r\n\r\n")
    block = b"x-frame-options: SAMEORIGIN\r\nx-b: 2\r\n"
    assert conn.respond(200, [(b"content-length", b"2")], b"hi", validated=True, block=block) == (
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n" + block + b"\r\nhi"
    )
    # without validated=True, h11 still refuses a broken header: a canned 500
    head_of(conn, b"GET / HTTP/1.1\r\nhost: a\r\n\r\n")
    out = conn.respond(200, [(b"bad name", b"v")], b"hi")
    assert out.startswith(b"HTTP/1.1 500 ")
    # validated: framing headers are still h11's to check
    conn = connection()
    head_of(conn, b"GET / HTTP/1.1\r\nhost: a\r\n\r\n")
    out = conn.respond(200, [(b"content-length", b"x")], b"hi", validated=True, block=block)
    assert out.startswith(b"HTTP/1.1 500 ")
    assert block not in out


def test_response_heads_seen_before_serialise_the_same_and_stay_apart() -> None:
    """Validated heads are reused by status and headers: never mixed up, never unbounded."""
    from harpia._server import _connection

    def answer(conn: HTTPConnection, status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
        head_of(conn, b"GET / HTTP/1.1\r\nhost: a\r\n\r\n")
        return conn.respond(status, headers, b"hi", validated=True)

    conn = connection()
    json = [(b"content-type", b"application/json"), (b"content-length", b"2")]
    text = [(b"content-type", b"text/plain"), (b"content-length", b"2")]
    first = answer(conn, 200, json)
    assert first == (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\nhi"
    )
    assert answer(conn, 200, json) == first
    assert answer(conn, 201, json) == first.replace(b"200 OK", b"201 Created")
    assert answer(conn, 200, text) == first.replace(b"application/json", b"text/plain")
    # a cached head still closes when this connection must: h11 decides per connection
    conn = connection()
    head_of(conn, b"GET / HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n")
    out = conn.respond(200, json, b"hi", validated=True)
    assert b"connection: close\r\n" in out.lower()
    assert state_of(conn) is CLOSING
    # HEAD: the same cached head, no body
    conn = connection()
    head_of(conn, b"HEAD / HTTP/1.1\r\nhost: a\r\n\r\n")
    assert conn.respond(200, json, b"", validated=True) == first[:-2]
    for n in range(3 * _connection._HEADS_MAX):
        answer(conn, 200, [(b"content-length", b"2"), (b"x-n", str(n).encode())])
    assert 0 < len(_connection._HEADS) <= _connection._HEADS_MAX


def test_absolute_and_asterisk_targets() -> None:
    conn = connection()
    head = head_of(conn, b"GET http://example.org/p/q?z HTTP/1.1\r\nhost: example.org\r\n\r\n")
    assert (head.raw_path, head.query_string) == ("/p/q", "z")
    respond_hi(conn)
    head = head_of(conn, b"OPTIONS * HTTP/1.1\r\nhost: a\r\n\r\n")
    assert (head.method, head.raw_path) == ("OPTIONS", "*")


def test_pipelined_requests_are_handled_one_at_a_time() -> None:
    conn = connection()
    conn.receive_data(b"".join(b"GET /%d HTTP/1.1\r\nhost: a\r\n\r\n" % i for i in range(3)))
    for i in range(3):
        event = conn.next_event()
        assert isinstance(event, RequestHead)
        assert event.raw_path == f"/{i}"
        assert conn.next_event() is PAUSED  # the next request waits for this response
        assert respond_hi(conn) == OK_HI
    assert conn.next_event() is NEED_DATA
    assert state_of(conn) is IDLE


def test_content_length_body() -> None:
    conn = connection()
    head = head_of(conn, b"POST /u HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\n\r\nhel")
    assert head.has_body
    assert body_events(conn) == [BodyChunk(b"hel"), NEED_DATA]
    conn.receive_data(b"lo")
    assert body_events(conn) == [BodyChunk(b"lo"), BODY_END]
    assert conn.next_event() is PAUSED
    assert respond_hi(conn) == OK_HI
    assert state_of(conn) is IDLE


def test_chunked_body_in_and_streamed_response_out() -> None:
    conn = connection()
    head_of(conn, b"POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n")
    conn.receive_data(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
    assert body_events(conn) == [BodyChunk(b"abc"), BodyChunk(b"de"), BODY_END]
    out = conn.start_response(200, [(b"content-type", b"text/plain")])
    assert (
        out == b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    assert conn.send_body(b"") == b""
    assert conn.send_body(b"hello") == b"5\r\nhello\r\n"
    assert conn.end_response() == b"0\r\n\r\n"
    assert state_of(conn) is IDLE


def test_http_10_streamed_response_is_close_delimited() -> None:
    conn = connection()
    head = head_of(conn, b"GET / HTTP/1.0\r\n\r\n")
    assert head.http_version == "1.0"
    out = conn.start_response(200, [])
    assert out == b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
    assert conn.send_body(b"data") == b"data"
    assert conn.end_response() == b""
    assert state_of(conn) is CLOSING
    assert conn.next_event() is CLOSE


def test_connection_close_request() -> None:
    conn = connection()
    head_of(conn, b"GET / HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n")
    assert (
        respond_hi(conn) == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nConnection: close\r\n\r\nhi"
    )
    assert state_of(conn) is CLOSING
    assert not conn.unread_input


def test_head_request_keeps_get_headers_without_body() -> None:
    conn = connection()
    head_of(conn, b"HEAD / HTTP/1.1\r\nhost: a\r\n\r\n")
    assert conn.respond(200, [(b"content-length", b"2")], b"") == (
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"
    )
    assert state_of(conn) is IDLE


# -- errors and limits -----------------------------------------------------------------


def test_malformed_request_line_is_400() -> None:
    conn = connection()
    conn.receive_data(b"GARBAGE\r\n\r\n")
    event = conn.next_event()
    assert isinstance(event, Reject)
    assert event.status == 400
    assert event.data == (
        b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"content-length: 11\r\nconnection: close\r\n\r\nBad Request"
    )
    assert state_of(conn) is CLOSING
    assert conn.unread_input
    assert conn.next_event() is CLOSE


def test_missing_host_is_400() -> None:
    conn = connection()
    conn.receive_data(b"GET / HTTP/1.1\r\n\r\n")
    event = conn.next_event()
    assert isinstance(event, Reject)
    assert event.status == 400


def test_unknown_transfer_encoding_is_501() -> None:
    conn = connection()
    conn.receive_data(b"POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: gzip\r\n\r\n")
    event = conn.next_event()
    assert isinstance(event, Reject)
    assert event.status == 501


def test_too_many_headers_is_431() -> None:
    conn = connection(max_headers=3)
    conn.receive_data(b"GET / HTTP/1.1\r\nhost: a\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n")
    event = conn.next_event()
    assert isinstance(event, Reject)
    assert event.status == 431
    assert event.data.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")


def test_head_too_large_in_pieces_is_431() -> None:
    conn = connection(max_header_size=100)
    conn.receive_data(b"GET / HTTP/1.1\r\nhost: a\r\nx: " + b"a" * 200)
    event = conn.next_event()
    assert isinstance(event, Reject)
    assert event.status == 431


def test_head_too_large_in_one_piece_is_431() -> None:
    conn = connection(max_header_size=100)
    conn.receive_data(b"GET / HTTP/1.1\r\nhost: a\r\nx: " + b"a" * 200 + b"\r\n\r\n")
    event = conn.next_event()
    assert isinstance(event, Reject)
    assert event.status == 431


def test_head_too_large_in_two_pieces_each_under_the_limit_is_431() -> None:
    conn = connection(max_header_size=100)
    conn.receive_data(b"GET / HTTP/1.1\r\nhost: a\r\nx: " + b"a" * 60)
    assert conn.next_event() is NEED_DATA  # incomplete and under the limit so far
    conn.receive_data(b"a" * 60 + b"\r\n\r\n")
    event = conn.next_event()
    assert isinstance(event, Reject)
    assert event.status == 431


def test_a_large_head_pipelined_behind_a_small_request_is_431() -> None:
    conn = connection(max_header_size=100)
    small = b"GET / HTTP/1.1\r\nhost: a\r\n\r\n"
    conn.receive_data(small + b"GET / HTTP/1.1\r\nhost: a\r\nx: " + b"a" * 200 + b"\r\n\r\n")
    assert isinstance(conn.next_event(), RequestHead)
    respond_hi(conn)
    event = conn.next_event()
    assert isinstance(event, Reject)
    assert event.status == 431


def test_heads_near_the_limit_on_a_kept_alive_connection_are_served() -> None:
    conn = connection(max_header_size=100)
    for _ in range(5):  # the byte count starts again after each request
        head = head_of(conn, b"GET / HTTP/1.1\r\nhost: a\r\nx: " + b"a" * 60 + b"\r\n\r\n")
        assert head.method == "GET"
        respond_hi(conn)


def test_peer_closing_mid_head_is_quiet() -> None:
    conn = connection()
    conn.receive_data(b"GET / HTTP/1.1\r\nho")
    conn.receive_data(b"")
    assert conn.next_event() is PEER_CLOSED
    assert state_of(conn) is CLOSED


def test_header_timeout_mid_head_sends_408() -> None:
    conn = connection()
    conn.receive_data(b"GET / HTTP/1.1\r\n")
    assert timer_of(conn) is TimerKind.HEADER
    assert conn.expire().startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert state_of(conn) is CLOSING


def test_keep_alive_timeout_closes_silently() -> None:
    conn = connection()
    head_of(conn, b"GET / HTTP/1.1\r\nhost: a\r\n\r\n")
    respond_hi(conn)
    assert timer_of(conn) is TimerKind.KEEP_ALIVE
    assert conn.expire() == b""
    assert state_of(conn) is CLOSING
    assert not conn.unread_input


def test_malformed_chunked_body_is_a_body_error() -> None:
    conn = connection()
    head_of(conn, b"POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n")
    [event] = body_events(conn)
    assert isinstance(event, BodyError)
    assert not event.disconnected
    conn.respond(400, [(b"content-length", b"0")], b"")
    assert state_of(conn) is CLOSING


def test_disconnect_mid_body_is_a_body_error() -> None:
    conn = connection()
    head_of(conn, b"POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 10\r\n\r\nabc")
    conn.receive_data(b"")
    events = body_events(conn)
    assert events[0] == BodyChunk(b"abc")
    assert isinstance(events[1], BodyError)
    assert events[1].disconnected


def test_invalid_response_header_becomes_500() -> None:
    conn = connection()
    head_of(conn, b"GET / HTTP/1.1\r\nhost: a\r\n\r\n")
    out = conn.start_response(200, [(b"bad name", b"x")])
    assert out.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert state_of(conn) is CLOSING
    assert conn.send_body(b"x") == b""
    assert conn.end_response() == b""


def test_canned_response_with_extra_headers() -> None:
    assert canned_response(408, [(b"date", b"D")]) == (
        b"HTTP/1.1 408 Request Timeout\r\ndate: D\r\ncontent-type: text/plain; charset=utf-8"
        b"\r\ncontent-length: 15\r\nconnection: close\r\n\r\nRequest Timeout"
    )
    assert canned_response(599).endswith(b"\r\n\r\nError")


# -- unread bodies -------------------------------------------------------------------


def test_small_unread_body_is_drained_and_the_connection_kept() -> None:
    conn = connection()
    head_of(conn, b"POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 10\r\n\r\n01234")
    assert respond_hi(conn) == OK_HI  # no Connection: close, the rest is small
    assert state_of(conn) is DRAIN
    assert timer_of(conn) is TimerKind.HEADER
    assert conn.next_event() is NEED_DATA
    head = head_of(conn, b"56789GET /next HTTP/1.1\r\nhost: a\r\n\r\n")
    assert head.raw_path == "/next"


def test_large_unread_body_closes_without_reading_it() -> None:
    conn = connection()
    head_of(conn, b"POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 10000000\r\n\r\nabc")
    out = conn.respond(413, [(b"content-length", b"0")], b"")
    assert out == (
        b"HTTP/1.1 413 %s\r\ncontent-length: 0\r\nconnection: close\r\n\r\n" % PHRASES[413]
    )
    assert state_of(conn) is CLOSING
    assert conn.unread_input  # the driver half-closes and lingers


def test_drain_beyond_the_limit_closes() -> None:
    conn = connection(drain_limit=10)
    head_of(conn, b"POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n")
    assert respond_hi(conn) == OK_HI
    assert state_of(conn) is DRAIN
    conn.receive_data(b"20\r\n" + b"x" * 32 + b"\r\n")
    assert conn.next_event() is CLOSE
    assert state_of(conn) is CLOSING


# -- 100-continue --------------------------------------------------------------------


EXPECT = b"POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\nexpect: 100-continue\r\n\r\n"


def test_continue_is_sent_when_the_body_is_wanted() -> None:
    conn = connection()
    head_of(conn, EXPECT)
    assert conn.waiting_for_continue
    assert conn.send_continue() == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert conn.send_continue() == b""
    conn.receive_data(b"abc")
    assert body_events(conn) == [BodyChunk(b"abc"), BODY_END]
    assert respond_hi(conn) == OK_HI
    assert state_of(conn) is IDLE


def test_no_continue_when_answered_without_reading_and_then_close() -> None:
    conn = connection()
    head_of(conn, EXPECT)
    out = conn.respond(417, [(b"content-length", b"0")], b"")
    assert (
        out == b"HTTP/1.1 417 Expectation Failed\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )
    assert state_of(conn) is CLOSING


def test_expect_with_empty_body_keeps_the_connection() -> None:
    conn = connection()
    head_of(
        conn, b"POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 0\r\nexpect: 100-continue\r\n\r\n"
    )
    assert not conn.waiting_for_continue
    assert respond_hi(conn) == OK_HI
    assert state_of(conn) is IDLE


# -- graceful shutdown ---------------------------------------------------------------


def test_request_close_when_idle_closes_now() -> None:
    conn = connection()
    assert conn.request_close()
    assert state_of(conn) is CLOSING


def test_request_close_during_a_request_closes_after_the_response() -> None:
    conn = connection()
    head_of(conn, b"GET / HTTP/1.1\r\nhost: a\r\n\r\n")
    assert not conn.request_close()
    assert (
        respond_hi(conn) == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi"
    )
    assert state_of(conn) is CLOSING


# -- against h11's own client ---------------------------------------------------------


def test_back_to_back_with_an_h11_client() -> None:
    client = h11.Connection(h11.CLIENT)
    conn = connection()
    wire = client.send(
        h11.Request(
            method="PUT",
            target="/items/1",
            headers=[("Host", "a"), ("Transfer-Encoding", "chunked")],
        )
    )
    wire += client.send(h11.Data(data=b"payload")) + client.send(h11.EndOfMessage())
    head = head_of(conn, wire)
    assert head.method == "PUT"
    assert body_events(conn) == [BodyChunk(b"payload"), BODY_END]
    client.receive_data(conn.respond(201, [(b"content-length", b"2")], b"ok"))
    response = client.next_event()
    assert isinstance(response, h11.Response)
    assert response.status_code == 201
    data = client.next_event()
    assert isinstance(data, h11.Data)
    assert data.data == b"ok"
    assert isinstance(client.next_event(), h11.EndOfMessage)

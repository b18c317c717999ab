"""The sans-IO HTTP/1.1 server connection: bytes in, events and bytes out.

Theory of operation
-------------------
``HTTPConnection`` wraps one ``h11.Connection`` (server role) and adds what a server
needs on top of it: limits, canned error responses, 100-continue, draining of unread
request bodies, graceful close and the choice of timer. It performs no I/O and knows no
event loop; a driver moves bytes and runs timers::

    conn.receive_data(data)            # b"" when the peer closed its side
    event = conn.next_event()          # RequestHead | BodyChunk | BodyEnd | BodyError
                                       # | NeedData | Paused | Reject | Close | PeerClosed
    conn.send_continue()               # bytes of "100 Continue" (or b"")
    conn.start_response(status, headers), conn.send_body(data), conn.end_response()
    conn.expire()                      # the timer of ``conn.timer`` ran out: bytes to send
    conn.request_close()               # graceful shutdown: close once the response is done

One request is handled at a time, in order. While a request is in progress (``BODY``),
bytes of the next pipelined request stay in h11's buffer (h11 reports ``PAUSED``); they
are parsed after ``end_response`` has started the next cycle. A driver that sees
``NeedData`` while a request runs may stop reading until the app asks for more body,
which is how backpressure reaches the peer.

After the response, the rest of an unread request body is *drained* (read and thrown
away) when it is small (``drain_limit``), so the connection can be kept alive; a larger
one, or one the client will not send because it still waits for ``100 Continue``, makes
the response carry ``Connection: close`` instead. This is how a 413 is answered from the
declared ``Content-Length`` without reading the body.

Every request head h11 accepts is also held to ``check_request`` (``_framing.py``):
heads two parsers could frame differently (request smuggling) and malformed ``Host``
headers get a canned 400 and a close, and an absolute-form target's authority becomes
``Host``. For it the connection keeps the raw bytes of the head being awaited
(``_raw``: usually the received ``bytes`` object itself, no copy).

The connection states, their table and their timers are in ``_states.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import h11

from ._canned import PHRASES, canned_response
from ._events import (
    BODY_END,
    CLOSE,
    NEED_DATA,
    PAUSED,
    PEER_CLOSED,
    BodyChunk,
    BodyError,
    Event,
    RawHeaders,
    Reject,
    RequestHead,
)
from ._framing import StrictTrailers, check_request
from ._states import (
    BODY,
    CLOSED,
    DRAIN,
    HEAD,
    IDLE,
    TRANSITIONS,
    TimerKind,
    Trigger,
)

if TYPE_CHECKING:
    from collections.abc import Callable


# The transitions every keep-alive request takes, resolved from the table once.
_IDLE_DATA = TRANSITIONS[IDLE, Trigger.DATA]
_HEAD_REQUEST = TRANSITIONS[HEAD, Trigger.REQUEST]
_BODY_KEEP_ALIVE = TRANSITIONS[BODY, Trigger.KEEP_ALIVE]

DEFAULT_DRAIN_LIMIT = 64 * 1024

_VERSIONS = {b"1.1": "1.1", b"1.0": "1.0"}
_CLOSE_HEADER = (b"connection", b"close")

# h11 events are immutable values, and building one costs more than serialising it (an
# ``h11.Response`` about 3.5 µs, an ``EndOfMessage`` 0.7 µs, of a ~90 µs request): the end
# of every response is one event, and response heads already seen are kept by their
# status and headers (most responses repeat one: same type, length and ``Date`` within
# a second). Only heads whose headers the caller vouches for are kept; bounded.
_END = h11.EndOfMessage()
_HEADS: dict[tuple[object, ...], h11.Response] = {}
_HEADS_MAX = 512


def _response_event(status: int, headers: RawHeaders) -> h11.Response:
    """An ``h11.Response`` for checked ``headers``, from the cache when seen before."""
    key = (status, *headers)
    event = _HEADS.get(key)
    if event is None:
        event = h11.Response(
            status_code=status, headers=headers, reason=PHRASES.get(status, b""), _parsed=True
        )
        if len(_HEADS) >= _HEADS_MAX:
            _HEADS.clear()
        _HEADS[key] = event
    return event


class HTTPConnection:
    """One server-side HTTP/1.1 connection, without I/O.

    Args:
        max_header_size: Largest request head in bytes (431 beyond it).
        max_headers: Most header lines in a request (431 beyond it).
        drain_limit: Largest unread request body discarded to keep the connection alive.
        date: Returns the value of the ``Date`` header to add to every response, or
            ``None`` for no ``Date`` header (exact-bytes tests).
    """

    __slots__ = (
        "_body_done",
        "_body_received",
        "_close_after",
        "_date",
        "_drained",
        "_eof",
        "_h11",
        "_head_bytes",
        "_headers",
        "_pending",
        "_raw",
        "drain_limit",
        "max_header_size",
        "max_headers",
        "requests",
        "state",
    )

    def __init__(
        self,
        *,
        max_header_size: int = 16384,
        max_headers: int = 100,
        drain_limit: int = DEFAULT_DRAIN_LIMIT,
        date: Callable[[], bytes] | None = None,
    ) -> None:
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=max_header_size)
        self.max_header_size = max_header_size
        self.max_headers = max_headers
        self.drain_limit = drain_limit
        self._date = date
        self.state = IDLE
        self.requests = 0
        self._eof = False
        self._close_after = False
        self._body_done = True
        self._body_received = 0
        self._headers: RawHeaders = []
        self._pending: Event | None = None
        self._drained = 0
        # Bytes received since the buffer was last empty between requests: a request
        # head is part of them, so while they fit the header limit so does the head.
        self._head_bytes = 0
        # The bytes h11 will parse the next request head from (the head first), kept
        # while a head is awaited so that ``head_error`` sees them as sent. Usually the
        # very ``bytes`` object received: no copy.
        self._raw: bytes | bytearray = b""

    def __repr__(self) -> str:
        return f"<HTTPConnection {self.state.value} requests={self.requests}>"

    def _move(self, trigger: Trigger) -> None:
        try:
            self.state = TRANSITIONS[self.state, trigger]
        except KeyError:
            raise RuntimeError(
                f"{trigger.name} is not allowed in state {self.state.name}"
            ) from None

    # -- input --------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the peer; ``b""`` means the peer closed its side."""
        if self._eof:
            return
        if not data:
            self._eof = True
        else:
            state = self.state
            if state is IDLE:
                self.state = state = _IDLE_DATA
            if state is HEAD:  # a head is awaited: keep its raw bytes for head_error
                raw = self._raw
                if not raw:
                    self._raw = data
                elif type(raw) is bytearray:
                    raw += data
                else:
                    self._raw = raw + data if len(raw) < 4096 else bytearray(raw) + data
        self._head_bytes += len(data)
        self._h11.receive_data(data)

    @property
    def timer(self) -> TimerKind | None:
        """The timeout a driver should run now (``None``: no timeout)."""
        state = self.state
        if state is HEAD or state is DRAIN or (state is IDLE and not self.requests):
            return TimerKind.HEADER
        if state is IDLE:
            return TimerKind.KEEP_ALIVE
        return None

    def expire(self) -> bytes:
        """A timer ran out: returns what to send, then close (``CLOSING``).

        A 408 mid-head, or mid-body (``body_timeout``) when nothing of the response was
        sent yet; else ``b""``. Afterwards ``start_response``/``respond`` send nothing.
        """
        state = self.state
        if state is HEAD or (state is BODY and self._h11.our_state is h11.SEND_RESPONSE):
            data = self._canned(408)
        else:
            data = b""
        self._move(Trigger.CLOSE)
        return data

    def next_event(self) -> Event:
        """Parse what has been received so far into the next event."""
        state = self.state
        if state is BODY:
            return self._body_event()
        if state is HEAD:
            return self._head_event()
        if state is IDLE:
            # IDLE means no byte arrived since the last request: nothing for h11 to parse
            # (after a keep-alive response this saves a trip through h11's reader).
            return self._head_event() if self._eof else NEED_DATA
        if state is DRAIN:
            return self._drain()
        return CLOSE

    def _head_event(self) -> Event:
        try:
            event = self._h11.next_event()
        except h11.RemoteProtocolError as exc:
            if self._eof:  # the peer gave up mid-head: nobody to answer
                self._move(Trigger.EOF)
                return PEER_CLOSED
            return self._reject(exc.error_status_hint, str(exc))
        if type(event) is h11.Request:
            return self._request_head(event)
        if event is h11.NEED_DATA:
            return NEED_DATA
        if type(event) is h11.ConnectionClosed:
            self._move(Trigger.EOF)
            return PEER_CLOSED
        raise RuntimeError(f"unexpected h11 event {event!r} between requests")  # pragma: no cover

    def _request_head(self, event: h11.Request) -> Event:
        items = event.headers._full_items  # (raw name, lower-cased name, value) triples
        if len(items) > self.max_headers:
            return self._reject(431, f"more than {self.max_headers} header lines")
        headers: RawHeaders = [(name, value) for _, name, value in items]
        # h11 enforces the size of a head arriving in pieces; this catches one read whole
        # (measured only when what arrived since the buffer was empty could be too big)
        if self._head_bytes > self.max_header_size:
            size = len(event.target) + 4 * len(headers) + sum([len(n) + len(v) for n, v in headers])
            if size > self.max_header_size:
                return self._reject(431, f"request head larger than {self.max_header_size} bytes")
        raw, self._raw = self._raw, b""
        version = _VERSIONS.get(event.http_version) or event.http_version.decode("ascii")
        checked = check_request(raw, len(items), event.method, event.target, version, headers)
        if isinstance(checked, str):
            return self._reject(400, checked)
        raw_path, query, headers, chunked = checked
        if chunked:  # hold its trailer section to the same rules
            h = self._h11
            h._reader = StrictTrailers(h._reader)
        self.state = _HEAD_REQUEST  # only HEAD can parse a request (receive_data moved us)
        self.requests += 1
        self._headers = headers
        self._body_received = 0
        self._body_done = False
        self._pending = None
        # Peek at the body: an empty one ends at once (the app never has to ask for it)
        # and the first chunk is often already here.
        first = self._body_event()
        if first is BODY_END:
            has_body = False
        else:
            has_body = True
            self._pending = first if first is not NEED_DATA else None
        return RequestHead(
            event.method.decode("ascii"), raw_path, query, headers, version, has_body
        )

    def _body_event(self) -> Event:
        pending = self._pending
        if pending is not None:
            self._pending = None
            return pending
        if self._body_done:
            return PAUSED
        try:
            event = self._h11.next_event()
        except h11.RemoteProtocolError as exc:
            self._close_after = True
            self._body_done = True
            return BodyError(str(exc), disconnected=self._eof)
        if type(event) is h11.Data:
            data = bytes(event.data)
            self._body_received += len(data)
            return BodyChunk(data)
        if type(event) is h11.EndOfMessage:
            self._body_done = True
            return BODY_END
        return NEED_DATA

    def _drain(self) -> Event:
        h = self._h11
        while True:
            try:
                event = h.next_event()
            except h11.RemoteProtocolError:
                return self._close()
            if type(event) is h11.Data:
                self._drained += len(event.data)
                if self._drained > self.drain_limit:
                    return self._close()
            elif type(event) is h11.EndOfMessage:
                h.start_next_cycle()
                self._move(Trigger.DRAINED)
                self._raw = h.trailing_data[0]
                if self._raw:
                    self._move(Trigger.DATA)
                else:
                    self._head_bytes = 0
                return self._head_event()
            else:
                return NEED_DATA

    def _close(self) -> Event:
        self._move(Trigger.CLOSE)
        return CLOSE

    def _reject(self, status: int, reason: str) -> Reject:
        self._move(Trigger.CLOSE)
        return Reject(status, reason, self._canned(status))

    def _canned(self, status: int) -> bytes:
        return canned_response(status, [(b"date", self._date())] if self._date else [])

    # -- output ---------------------------------------------------------------------

    @property
    def waiting_for_continue(self) -> bool:
        """True while the client waits for ``100 Continue`` before sending the body."""
        return self._h11.they_are_waiting_for_100_continue

    def send_continue(self) -> bytes:
        """Bytes of ``100 Continue`` if the client waits for it (else ``b""``)."""
        h = self._h11
        if (
            self.state is BODY
            and h.they_are_waiting_for_100_continue
            and h.our_state is h11.SEND_RESPONSE
        ):
            return h.send(
                h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue")
            )
        return b""

    def start_response(
        self, status: int, headers: RawHeaders, *, validated: bool = False, block: bytes = b""
    ) -> bytes:
        """Serialise the response head (h11 adds chunked framing when there is no length).

        An invalid head (h11 refuses it) is replaced by a canned 500 and the connection
        goes to ``CLOSING``: the driver then sends no body.

        Args:
            status: The status code (an ``int``, not 1xx).
            headers: The app's headers, names lower-cased, ``Content-Length`` included when
                the body length is known.
            validated: The caller vouches that every name is a token and every value a
                valid field value (``harpia.Response`` checks them when they are set):
                h11 then skips its own per-header regexes, most of the cost of a small
                response head. ``Content-Length`` and ``Transfer-Encoding`` are still
                checked.
            block: More header lines already serialised (``name: value\r\n`` each) and
                checked by the caller, put after the others; never framing or
                ``Connection`` headers, which h11 must see.

        Returns:
            The bytes to send; ``b""`` when the connection is already closing (a timer
            expired, or ``abort``).
        """
        if self.state is not BODY:
            return b""
        h = self._h11
        if self._close_after or (not self._body_done and self._unread_too_big()):
            headers = [pair for pair in headers if pair[0] != b"connection"]
            headers.append(_CLOSE_HEADER)
        date = self._date
        if date is not None:
            for name, _ in headers:
                if name == b"date":
                    break
            else:
                headers = [*headers, (b"date", date())]
        try:
            if validated:  # h11's own flag for "already checked" headers, inside
                response = _response_event(status, headers)
            else:
                response = h11.Response(
                    status_code=status, headers=headers, reason=PHRASES.get(status, b"")
                )
            head = h.send(response)
        except h11.LocalProtocolError:
            self._move(Trigger.CLOSE)
            return self._canned(500)
        return head[:-2] + block + b"\r\n" if block else head

    def _unread_too_big(self) -> bool:
        if self._h11.they_are_waiting_for_100_continue:
            return True  # it will not come unless we ask: do not wait for it
        declared = self._declared_length()
        return declared is not None and declared - self._body_received > self.drain_limit

    def _declared_length(self) -> int | None:
        """The request's ``Content-Length`` (h11 has validated it), unless chunked."""
        length = None
        for name, value in self._headers:
            if name == b"transfer-encoding":
                return None
            if name == b"content-length":
                length = int(value)
        return length

    def send_body(self, data: bytes) -> bytes:
        """Serialise a piece of the response body (chunk-framed if needed)."""
        if not data or self.state is not BODY:
            return b""
        return self._h11.send(h11.Data(data=data))

    def end_response(self) -> bytes:
        """Finish the response; afterwards ``state`` tells whether to keep the connection.

        ``IDLE`` (or ``HEAD`` with pipelined bytes): call ``next_event`` for the next
        request; ``DRAIN``: read on, ``next_event`` discards the rest of the body;
        ``CLOSING``: close after flushing.
        """
        if self.state is not BODY:
            return b""
        h = self._h11
        data = h.send(_END)
        if h.our_state is h11.MUST_CLOSE or self._close_after:
            self._move(Trigger.CLOSE)
        elif h.their_state is h11.DONE:
            h.start_next_cycle()
            self.state = _BODY_KEEP_ALIVE
            self._raw = h.trailing_data[0]
            if self._raw:
                self._move(Trigger.DATA)
            else:
                self._head_bytes = 0
        elif h.their_state is h11.SEND_BODY:
            self._drained = 0
            self._move(Trigger.UNREAD_BODY)
        else:
            self._move(Trigger.CLOSE)
        return data

    def respond(
        self,
        status: int,
        headers: RawHeaders,
        body: bytes,
        *,
        validated: bool = False,
        block: bytes = b"",
    ) -> bytes:
        """``start_response`` + ``send_body`` + ``end_response`` in one call."""
        head = self.start_response(status, headers, validated=validated, block=block)
        if self.state is not BODY:
            return head
        h = self._h11
        if body:
            return b"".join((head, h.send(h11.Data(data=body)), self.end_response()))
        return head + self.end_response()

    def switch_protocol(self, headers: RawHeaders) -> tuple[bytes, bytes]:
        """Answer the current (upgrade) request with ``101 Switching Protocols``.

        The connection is then no longer HTTP: it goes to ``CLOSING`` with nothing left to
        read, and the caller takes the transport over.

        Returns:
            The bytes of the 101 response and the bytes already received after the
            request head (the first bytes of the new protocol).
        """
        h = self._h11
        data = h.send(
            h11.InformationalResponse(
                status_code=101, headers=headers, reason=b"Switching Protocols"
            )
        )
        trailing = bytes(h.trailing_data[0])
        self._move(Trigger.CLOSE)
        self._eof = True
        return data, trailing

    def abort(self) -> None:
        """The response could not be completed (e.g. its stream failed): close."""
        if self.state is not CLOSED:
            self._move(Trigger.CLOSE)

    def request_close(self) -> bool:
        """Graceful shutdown: close as soon as no response is in progress.

        Returns:
            True when the connection can be closed right away.
        """
        self._close_after = True
        if self.state is BODY:
            return False
        if self.state is not CLOSED:
            self._move(Trigger.CLOSE)
        return True

    @property
    def unread_input(self) -> bool:
        """True when the peer may still be sending (unread body, bytes after an error).

        Closing a socket with unread input resets the connection, which can destroy the
        response before the peer reads it: a driver then closes gracefully (half-close,
        read and discard for a while, close).
        """
        h = self._h11
        if self._eof:
            return False
        return (
            h.their_state is h11.SEND_BODY or h.their_state is h11.ERROR or bool(h.trailing_data[0])
        )

    @property
    def receive_closed(self) -> bool:
        """True once the peer has closed its side."""
        return self._eof

"""The WebSocket inbox, sans-IO: bounded in bytes and in count, whatever the peer sends."""

from __future__ import annotations

from wsproto import ConnectionType
from wsproto.connection import Connection
from wsproto.events import BytesMessage, TextMessage

from harpia._server._wsconnection import INBOX_LIMIT, Inbox, WSClose, WSConnection, WSMessage
from harpia._ws_options import WSOptions


def test_large_messages_fill_it_to_twice_the_payload_limit_at_most() -> None:
    client = Connection(ConnectionType.CLIENT)
    server = WSConnection(max_payload_length=1000)
    server.receive_data(b"".join(client.send(BytesMessage(b"m" * 900)) for _ in range(50)))
    inbox = Inbox(1000)
    assert inbox.fill(server) is None
    assert (len(inbox), inbox.size) == (2, 1800)  # parsing stopped: the rest stays unparsed
    assert room(inbox) == (True, False)
    assert inbox.popleft() == WSMessage(b"m" * 900)
    assert room(inbox) == (False, False)  # reading resumes only once about half is taken
    assert inbox.popleft() == WSMessage(b"m" * 900)
    assert room(inbox) == (False, True)
    for _ in range(48):  # every message arrives, in order, a bounded handful at a time
        assert inbox.fill(server) is None
        assert inbox.size <= 2 * 1000
        assert inbox.popleft() == WSMessage(b"m" * 900)
    assert len(inbox) == 0


def room(inbox: Inbox) -> tuple[bool, bool]:
    """``(full, has_room)``."""
    return inbox.full, inbox.has_room


def test_tiny_messages_fill_it_to_the_count_limit() -> None:
    client = Connection(ConnectionType.CLIENT)
    server = WSConnection(max_payload_length=1 << 20)
    server.receive_data(b"".join(client.send(TextMessage("")) for _ in range(1000)))
    inbox = Inbox(1 << 20)
    inbox.fill(server)
    assert len(inbox) == INBOX_LIMIT
    assert room(inbox) == (True, False)


def test_the_close_is_reported_not_counted() -> None:
    inbox = Inbox(10)
    inbox.append(WSMessage("abc"))
    inbox.append(WSClose(1000, ""))
    assert inbox.size == 3
    assert inbox.popleft() == WSMessage("abc")
    assert inbox.popleft() == WSClose(1000, "")
    assert inbox.size == 0


def test_the_default_payload_limit_is_1_mib() -> None:
    """No larger than the original's (Bun: 16 MiB); the ``websockets`` library's own."""
    assert WSOptions().max_payload_length == 1 << 20
    assert WSOptions().allowed_origins == "same-origin"

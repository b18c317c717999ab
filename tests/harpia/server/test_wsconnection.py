"""The sans-IO ``WSConnection`` against a wsproto client, back to back, no sockets."""

from __future__ import annotations

import struct
import tracemalloc

from wsproto import ConnectionType
from wsproto.connection import Connection
from wsproto.events import BytesMessage, CloseConnection, Ping, Pong, TextMessage
from wsproto.extensions import PerMessageDeflate

from harpia._server._events import NEED_DATA
from harpia._server._wsconnection import WSClose, WSConnection, WSMessage, encode_frame
from harpia._server._wshandshake import BoundedDeflate


def pair(**options: object) -> tuple[Connection, WSConnection]:
    return Connection(ConnectionType.CLIENT), WSConnection(**options)  # type: ignore[arg-type]


def events(client: Connection, data: bytes) -> list[object]:
    client.receive_data(data)
    return list(client.events())


def test_text_binary_and_fragments() -> None:
    client, server = pair()
    server.receive_data(client.send(TextMessage("héllo")))
    assert server.next_event() == WSMessage("héllo")
    server.receive_data(client.send(BytesMessage(b"\x00\x01")))
    assert server.next_event() == WSMessage(b"\x00\x01")
    data = client.send(TextMessage("ab", message_finished=False))
    data += client.send(TextMessage("cd", message_finished=False))
    server.receive_data(data)
    assert server.next_event() is NEED_DATA
    server.receive_data(client.send(TextMessage("ef")))
    assert server.next_event() == WSMessage("abcdef")
    assert server.next_event() is NEED_DATA


def test_frames_arriving_byte_by_byte() -> None:
    client, server = pair()
    data = client.send(BytesMessage(b"x" * 300))
    for byte in data[:-1]:
        server.receive_data(bytes([byte]))
        assert server.next_event() is NEED_DATA
    server.receive_data(data[-1:])
    assert server.next_event() == WSMessage(b"x" * 300)


def test_max_payload_length_closes_1009_even_mid_message() -> None:
    client, server = pair(max_payload_length=10)
    server.receive_data(client.send(TextMessage("x" * 8, message_finished=False)))
    assert server.next_event() is NEED_DATA
    server.receive_data(client.send(TextMessage("x" * 8, message_finished=False)))
    assert server.next_event() == WSClose(1009, "message too big")
    reply = events(client, server.data_to_send())
    assert isinstance(reply[0], CloseConnection)
    assert reply[0].code == 1009
    assert server.finished


def test_ping_is_answered_and_close_echoed() -> None:
    client, server = pair()
    server.receive_data(client.send(Ping(b"hi")))
    assert server.next_event() is NEED_DATA
    assert events(client, server.data_to_send()) == [Pong(b"hi")]
    server.receive_data(client.send(CloseConnection(4001, "done")))
    assert server.next_event() == WSClose(4001, "done")
    reply = events(client, server.data_to_send())
    assert isinstance(reply[0], CloseConnection)
    assert (reply[0].code, reply[0].reason) == (4001, "done")
    assert server.finished


def test_our_close_then_the_peer_answers() -> None:
    client, server = pair()
    reply = events(client, server.close(1000, "bye"))
    assert isinstance(reply[0], CloseConnection)
    assert server.send("late") == b""
    server.receive_data(client.send(reply[0].response()))
    assert server.next_event() == WSClose(1000, "bye")
    assert server.finished


def test_protocol_errors() -> None:
    _, server = pair()
    server.receive_data(b"\x81\x82\x00\x00\x00\x00\xff\xfe")  # invalid UTF-8
    assert server.next_event().code == 1007  # type: ignore[union-attr]
    close = server.data_to_send()
    assert close[:1] == b"\x88"
    assert close[2:4] == struct.pack("!H", 1007)
    _, server = pair()
    server.receive_data(b"\x81\x02hi")  # a client frame must be masked
    assert server.next_event().code == 1002  # type: ignore[union-attr]


def test_lost_transport_is_1006() -> None:
    _, server = pair()
    server.receive_data(None)
    assert server.next_event() == WSClose(1006, "")


def test_encode_frame_lengths() -> None:
    for size in (0, 125, 126, 65535, 65536):
        client = Connection(ConnectionType.CLIENT)
        assert events(client, encode_frame(b"a" * size)) == [BytesMessage(b"a" * size)]
    assert encode_frame("é")[:2] == bytes((0x81, 2))
    assert struct.unpack("!H", encode_frame(b"a" * 200)[2:4]) == (200,)


def test_permessage_deflate_both_ways() -> None:
    client_ext, server_ext = PerMessageDeflate(), PerMessageDeflate()
    offer = client_ext.offer()
    assert isinstance(offer, str)
    accepted = server_ext.accept(offer)
    assert isinstance(accepted, str)
    client_ext.finalize(accepted)
    client = Connection(ConnectionType.CLIENT, [client_ext])
    server = WSConnection([server_ext])
    text = "squeeze " * 1000
    data = client.send(TextMessage(text))
    assert len(data) < len(text) // 10
    server.receive_data(data)
    assert server.next_event() == WSMessage(text)
    out = server.send(text)
    assert len(out) < len(text) // 10
    assert events(client, out) == [TextMessage(text)]
    assert not server.plain_frames


def test_a_deflate_bomb_is_refused_without_inflating_it() -> None:
    client_ext, server_ext = PerMessageDeflate(), BoundedDeflate(max_length=100_000)
    offer = client_ext.offer()
    assert isinstance(offer, str)
    accepted = server_ext.accept(offer)
    assert isinstance(accepted, str)
    client_ext.finalize(accepted)
    client = Connection(ConnectionType.CLIENT, [client_ext])
    server = WSConnection([server_ext], max_payload_length=100_000)
    bomb = client.send(BytesMessage(bytes(50_000_000)))
    assert len(bomb) < 100_000
    tracemalloc.start()
    try:
        server.receive_data(bomb)
        event = server.next_event()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(event, WSClose)
    assert event.code == 1009
    assert peak < 5_000_000  # wsproto's own extension would inflate all 50 MB first


def test_compress_off_sends_plain_frames_on_a_deflate_connection() -> None:
    for compress in (True, False):
        client_ext, server_ext = PerMessageDeflate(), BoundedDeflate(max_length=1 << 20)
        offer = client_ext.offer()
        assert isinstance(offer, str)
        accepted = server_ext.accept(offer)
        assert isinstance(accepted, str)
        client_ext.finalize(accepted)
        client = Connection(ConnectionType.CLIENT, [client_ext])
        server = WSConnection([server_ext], compress=compress)
        data = server.send("aaaa" * 100)
        assert bool(data[0] & 0x40) is compress  # RSV1: compressed
        assert events(client, data) == [TextMessage("aaaa" * 100)]

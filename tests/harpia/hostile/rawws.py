"""A raw WebSocket client for hostile tests: handshake by hand, frames built in bulk.

Client frames must be masked; they use the all-zero masking key (legal, RFC 6455 §5.3),
so a payload is sent as it is and a million frames cost no XOR work in the test.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct

TIMEOUT = 5.0
_ZERO_MASK = b"\x00\x00\x00\x00"


def frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked client frame (``opcode`` 0x1 text, 0x2 binary, 0x9 ping …)."""
    size = len(payload)
    first = 0x80 | opcode
    if size < 126:
        head = bytes((first, 0x80 | size))
    elif size < 65536:
        head = struct.pack("!BBH", first, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", first, 0x80 | 127, size)
    return head + _ZERO_MASK + payload


async def handshake(
    port: int, path: str = "/", *headers: str, receive_buffer: int = 0
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    """Open a WebSocket; returns the streams and the response head (status line first).

    ``receive_buffer``: a small ``SO_RCVBUF`` makes the kernel pass our reads on to the
    server at once (loopback buffers of megabytes hide a slow reader's progress).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setblocking(False)
    try:
        await asyncio.wait_for(
            asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port)), TIMEOUT
        )
    except BaseException:
        sock.close()
        raise
    reader, writer = await asyncio.open_connection(sock=sock)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *headers,
        "",
        "",
    ]
    writer.write("\r\n".join(lines).encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    return reader, writer, head


async def send_until_stalled(
    writer: asyncio.StreamWriter, data: bytes, *, most: int, stall: float = 1.5
) -> int:
    """Write ``data`` up to ``most`` times, until a write does not drain within ``stall`` s.

    Returns how many were written (the last may still sit in the kernel); stops too when
    the server drops the connection meanwhile.
    """
    for count in range(1, most + 1):
        writer.write(data)
        try:
            await asyncio.wait_for(writer.drain(), stall)
        except (TimeoutError, ConnectionError):
            return count
    return most


def abort(writer: asyncio.StreamWriter) -> None:
    """Drop the connection without flushing (the server never read what we sent)."""
    writer.transport.abort()

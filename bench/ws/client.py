"""The echo load of bench/ws: C connections, each sends a message and waits for its echo.

``--kind websockets`` uses the ``websockets`` client; ``--kind raw`` a minimal asyncio
client (one masked text frame out, frames parsed by hand): the ``websockets`` client can
be the bottleneck, so both are measured. Prints one JSON line:
``{"messages": N, "seconds": S}``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import struct
import time

MESSAGE = "x" * 64


async def run_websockets(port: int, connections: int, messages: int) -> int:
    import websockets

    async def one() -> int:
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/echo", compression=None, max_size=None
        ) as ws:
            for _ in range(messages):
                await ws.send(MESSAGE)
                assert await ws.recv() == MESSAGE
        return messages

    return sum(await asyncio.gather(*[one() for _ in range(connections)]))


def _frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes((0x81, 0x80 | len(payload))) + mask + masked


async def run_raw(port: int, connections: int, messages: int) -> int:
    frame = _frame(MESSAGE)
    expected = len(MESSAGE) + 2

    async def one() -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /echo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        for _ in range(messages):
            writer.write(frame)
            data = await reader.readexactly(expected)
            assert data[:2] == bytes((0x81, len(MESSAGE))), data[:2]
        writer.write(b"\x88\x82" + b"\x00\x00\x00\x00" + struct.pack("!H", 1000))
        with_close = await reader.read(4)
        assert with_close[:1] == b"\x88", with_close
        writer.close()
        return messages

    return sum(await asyncio.gather(*[one() for _ in range(connections)]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--kind", choices=("websockets", "raw"), default="websockets")
    args = parser.parse_args()
    run = run_websockets if args.kind == "websockets" else run_raw
    started = time.perf_counter()
    total = asyncio.run(run(args.port, args.connections, args.messages))
    print(json.dumps({"messages": total, "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()

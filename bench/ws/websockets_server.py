"""The ``websockets`` library's own server, echoing (a contender of bench/ws)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from websockets.asyncio.server import serve


async def echo(ws: Any) -> None:
    async for message in ws:
        await ws.send(message)


async def main(host: str, port: int) -> None:
    async with serve(echo, host, port, compression=None, max_size=None) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port))

"""The harpia contender of bench/ws: an echo WebSocket route on harpia's own server."""

from __future__ import annotations

import argparse

from harpia import WebSocket, harpia

app = harpia()


@app.ws("/echo")
class Echo:
    async def message(self, ws: WebSocket, message: str | bytes) -> None:
        await ws.send(message)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--driver", default="auto")
    args = parser.parse_args()
    app.listen(port=args.port, hostname=args.host, driver=args.driver)

"""A chat room: an HTML page, a WebSocket route and pub/sub.

Run it on its own: ``python -m examples.chat.app`` (native server, port 3001), or under
any ASGI server: ``uvicorn examples.chat.app:app``. With ``REDIS_URL`` set, messages go
through Redis, so several workers share one room (``workers=`` below).

Each tab asks for a name (``/?name=ann`` skips the prompt); ``upgrade`` takes it from the
query string, ``open`` subscribes to the room and announces the newcomer, every message
is published to the room as JSON ``{"from": name, "text": ...}``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from harpia import HTTPError, RedisPubSub, Request, Response, WebSocket, harpia

app = harpia()
ROOM = "chat"
MAX_TEXT = 1000

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Harpia chat</title>
<style>body{font:16px system-ui;margin:2rem auto;max-width:40rem}
#log{border:1px solid #ccc;height:20rem;overflow:auto;padding:.5rem}
#log p{margin:.2rem 0}</style></head>
<body><h1>Harpia chat</h1>
<div id="log" aria-live="polite"></div>
<form id="form"><input id="text" autocomplete="off" maxlength="1000" autofocus>
<button>Send</button></form>
<script>
const params = new URLSearchParams(location.search);
const name = params.get("name") || prompt("Your name?") || "anonymous";
const log = document.getElementById("log");
function show(line, cls) {
  const p = document.createElement("p"); p.textContent = line;
  if (cls) p.className = cls;
  log.append(p); log.scrollTop = log.scrollHeight;
}
const scheme = location.protocol === "https:" ? "wss" : "ws";
const ws = new WebSocket(`${scheme}://${location.host}/ws?name=${encodeURIComponent(name)}`);
ws.onopen = () => { document.body.dataset.ready = "1"; };
ws.onmessage = (event) => {
  const msg = JSON.parse(event.data);
  show(msg.from ? `${msg.from}: ${msg.text}` : msg.text, msg.from ? "message" : "notice");
};
ws.onclose = () => show("(disconnected)", "notice");
document.getElementById("form").onsubmit = (event) => {
  event.preventDefault();
  const input = document.getElementById("text");
  if (input.value) { ws.send(input.value); input.value = ""; }
};
</script></body></html>
"""


@app.get("/")
def page(req: Request, res: Response) -> None:
    res.html(PAGE)


@app.ws("/ws")
class Chat:
    """The room: everyone subscribed to one topic; the sender sees its own messages too."""

    def upgrade(self, req: Request) -> dict[str, Any]:
        name = (req.query.get("name") or "").strip()[:32]
        if not name:
            raise HTTPError(400, "a name is required")
        return {"name": name}

    async def open(self, ws: WebSocket) -> None:
        ws.subscribe(ROOM)
        await app.publish(ROOM, json.dumps({"text": f"{ws.data['name']} joined"}))

    async def message(self, ws: WebSocket, message: str | bytes) -> None:
        if not isinstance(message, str) or not message.strip():
            return
        text = message.strip()[:MAX_TEXT]
        await app.publish(ROOM, json.dumps({"from": ws.data["name"], "text": text}))

    async def close(self, ws: WebSocket, code: int, reason: str) -> None:
        await app.publish(ROOM, json.dumps({"text": f"{ws.data['name']} left"}))


if os.environ.get("REDIS_URL"):
    app.pubsub(RedisPubSub(os.environ["REDIS_URL"], prefix="chat:"))

if __name__ == "__main__":
    port = int(os.environ.get("PORT", "3001"))
    app.listen(port=port, hostname="127.0.0.1", workers=int(os.environ.get("WORKERS", "1")))

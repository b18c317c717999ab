"""An ASGI ``receive``/``send`` pair for calling an app directly, without a server."""

from __future__ import annotations

from typing import Any

Message = dict[str, Any]


class Channel:
    """``receive`` hands out ``inbox`` in order (the list itself, so a test sees what is
    left); ``send`` keeps what the app sent in ``sent``. Once ``inbox`` is empty,
    ``receive`` answers ``after`` when given, else raises ``IndexError``."""

    def __init__(self, inbox: list[Message], after: Message | None = None) -> None:
        self.inbox = inbox
        self.after = after
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        if not self.inbox and self.after is not None:
            return self.after
        return self.inbox.pop(0)

    async def send(self, message: Message) -> None:
        self.sent.append(message)

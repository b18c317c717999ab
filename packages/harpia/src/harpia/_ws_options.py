"""WebSocket server options (the ``ws={...}`` of ``listen``/``serve``), validated once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

_MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class WSOptions:
    """Limits and behaviour of every WebSocket route of an app (Bun's defaults).

    Attributes:
        max_payload_length: Largest incoming message in bytes; beyond it the connection is
            closed with 1009.
        idle_timeout: Seconds without any byte from the peer before the connection is
            closed (1001); 0 disables it.
        backpressure_limit: Bytes that may wait in a connection's send buffer. ``send``
            beyond it waits until the buffer drains (then ``drain`` runs); a published
            message is dropped for that connection.
        close_on_backpressure_limit: Close (1008) instead of waiting or dropping.
        send_pings: Ping a silent peer (at half the idle timeout); one that does not
            answer is closed when the idle timeout runs out.
        publish_to_self: ``ws.publish`` also delivers to the publishing connection.
        compress: permessage-deflate: compress outgoing messages.
        decompress: permessage-deflate: accept compressed incoming messages. The
            extension is negotiated when either is on.
    """

    max_payload_length: int = 16 * _MB
    idle_timeout: float = 120
    backpressure_limit: int = 16 * _MB
    close_on_backpressure_limit: bool = False
    send_pings: bool = True
    publish_to_self: bool = False
    compress: bool = False
    decompress: bool = False

    @property
    def deflate(self) -> bool:
        """True when permessage-deflate is offered."""
        return self.compress or self.decompress

    @property
    def tick(self) -> float | None:
        """Period of the idle/ping timer (``None``: no timer)."""
        if self.idle_timeout > 0:
            return self.idle_timeout / 2
        return 30.0 if self.send_pings else None

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any] | None) -> WSOptions:
        """Validate the ``ws`` option mapping (snake_case keys, as in the spec).

        Raises:
            ValueError: An unknown key or a value of the wrong kind.
        """
        if not options:
            return cls()
        values: dict[str, Any] = {}
        known = {field.name for field in fields(cls)} | {"per_message_deflate"}
        for key, value in options.items():
            if key not in known:
                raise ValueError(f"unknown ws option {key!r}")
            if key == "per_message_deflate":
                values.update(_deflate(value))
            else:
                values[key] = value
        for name in ("max_payload_length", "backpressure_limit"):
            value = values.get(name, 1)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ws option {name} must be a positive int, got {value!r}")
        timeout = values.get("idle_timeout", 0)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0:
            raise ValueError(f"ws option idle_timeout must be seconds >= 0, got {timeout!r}")
        for name in ("close_on_backpressure_limit", "send_pings", "publish_to_self"):
            if not isinstance(values.get(name, False), bool):
                raise ValueError(f"ws option {name} must be a bool")
        return cls(**values)


def _deflate(value: Any) -> dict[str, bool]:
    if isinstance(value, bool):
        return {"compress": value, "decompress": value}
    if isinstance(value, Mapping) and set(value) <= {"compress", "decompress"}:
        result = {key: value.get(key, False) for key in ("compress", "decompress")}
        if all(isinstance(v, bool) for v in result.values()):
            return result
    raise ValueError(
        'ws option per_message_deflate must be a bool or {"compress": bool, "decompress": bool}'
    )

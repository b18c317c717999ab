"""WebSocket server options (the ``ws={...}`` of ``listen``/``serve``), validated once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

_MB = 1024 * 1024


SAME_ORIGIN = "same-origin"
"""``allowed_origins`` default: a browser's handshake must come from the page's own site."""

_DEFAULT_PORTS = {"http": "80", "ws": "80", "https": "443", "wss": "443"}


def origin_key(origin: str) -> str | None:
    """``scheme://host:port`` of an origin, lower-cased with its port explicit.

    ``None`` when ``origin`` is not ``scheme://host[:port]`` (``"null"``, a path …).
    """
    scheme, sep, rest = origin.strip().lower().partition("://")
    if not sep or not rest or any(c in rest for c in "/?#@ \t"):
        return None
    if rest.startswith("["):  # IPv6 literal
        host, bracket, port = rest.partition("]")
        if not bracket or (port and not port.startswith(":")):
            return None
        host, port = host + "]", port[1:]
    else:
        host, _, port = rest.partition(":")
    port = port or _DEFAULT_PORTS.get(scheme, "")
    if not host or not port.isdigit():
        return None
    return f"{scheme}://{host}:{port}"


def origin_allowed(allowed: str | frozenset[str], origin: str | None, host: str | None) -> bool:
    """True when a handshake with ``Origin: origin`` may proceed (see ``allowed_origins``).

    Args:
        allowed: ``"*"``, ``"same-origin"`` or a set of ``origin_key`` values.
        origin: The request's ``Origin`` header (``None``: not a browser, allowed).
        host: The request's ``Host`` (for same-origin).
    """
    if origin is None or allowed == "*":
        return True
    key = origin_key(origin)
    if key is None:
        return False
    if allowed == SAME_ORIGIN:  # compared as if the request's host were on that scheme
        return bool(host) and origin_key(f"{key.partition('://')[0]}://{host}") == key
    return key in allowed


def allowed_origins_option(value: Any) -> str | frozenset[str]:
    """Validate ``allowed_origins``: ``"same-origin"``, ``"*"`` or origins.

    Raises:
        ValueError: Anything else, or an entry that is not ``scheme://host[:port]``.
    """
    if value == SAME_ORIGIN or value == "*":
        return str(value)
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise ValueError(
            'ws option allowed_origins must be "same-origin", "*" or a list of origins '
            f"like 'https://example.com', got {value!r}"
        )
    keys = set()
    for origin in value:
        key = origin_key(origin) if isinstance(origin, str) else None
        if key is None:
            raise ValueError(
                f"ws option allowed_origins: {origin!r} is not an origin like 'https://example.com'"
            )
        keys.add(key)
    return frozenset(keys)


@dataclass(frozen=True, slots=True)
class WSOptions:
    """Limits and behaviour of every WebSocket route of an app.

    Attributes:
        max_payload_length: Largest incoming message in bytes; beyond it the connection is
            closed with 1009. Parsed messages waiting for the handler are bounded by twice
            it in all (then the connection stops reading).
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
        allowed_origins: Which browser pages may open a WebSocket: ``"same-origin"`` (the
            ``Origin`` must name the host of the request), ``"*"`` (any) or origins
            (``["https://app.example"]``); refused handshakes get 403. A handshake
            without ``Origin`` (not a browser) is always allowed.
    """

    max_payload_length: int = 1 * _MB
    idle_timeout: float = 120
    backpressure_limit: int = 16 * _MB
    close_on_backpressure_limit: bool = False
    send_pings: bool = True
    publish_to_self: bool = False
    compress: bool = False
    decompress: bool = False
    allowed_origins: str | frozenset[str] = SAME_ORIGIN

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
            elif key == "allowed_origins":
                values[key] = allowed_origins_option(value)
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

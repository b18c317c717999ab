"""Who is asking: the client IP of a request, behind proxies only when trusted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._checks import UNKNOWN_IP, normalize_ip, parse_ip

if TYPE_CHECKING:
    from collections.abc import Callable

PROXY_HEADERS = ("x-forwarded-for", "cf-connecting-ip", "x-real-ip")
"""Read in this order when ``trust_proxy`` is on; the first valid address wins."""

_peers: dict[str, str] = {}
_MAX_CACHED = 4096


def peer_ip(host: str | None) -> str:
    """The canonical text of the socket peer's address (``"unknown"`` when there is none)."""
    if not host:
        return UNKNOWN_IP
    known = _peers.get(host)
    if known is not None:
        return known
    try:
        ip = normalize_ip(host, "peer address")
    except ValueError:
        ip = UNKNOWN_IP
    if len(_peers) >= _MAX_CACHED:
        _peers.clear()
    _peers[host] = ip
    return ip


def client_ip(peer: str | None, header: Callable[[str], str | None], *, trust_proxy: bool) -> str:
    """The visitor's IP.

    Args:
        peer: The socket peer's host.
        header: Returns a request header by lower-case name, or ``None``.
        trust_proxy: Believe ``X-Forwarded-For`` (its first valid entry: the original
            client), then ``CF-Connecting-IP``, then ``X-Real-IP``. Only turn it on behind a
            proxy that sets these headers, or clients can claim any address.
    """
    if trust_proxy:
        for name in PROXY_HEADERS:
            value = header(name)
            if not value:
                continue
            for part in value.split(","):
                ip = parse_ip(part)
                if ip is not None:
                    return ip
    return peer_ip(peer)

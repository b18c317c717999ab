"""Who may read: the token (constant-time compare) and the allowed IPs, on every method."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from harpia_telemetry import Telemetry, Unauthorized

from .conftest import TOKEN

if TYPE_CHECKING:
    from collections.abc import Callable

READERS: list[tuple[str, dict[str, Any]]] = [
    ("get_all", {}),
    ("summary", {}),
    ("get_daily_stats", {}),
    ("get_visitors", {}),
    ("get_visitor_by_ip", {"ip": "10.0.0.1"}),
    ("count_unique_visitors", {}),
    ("get_page_views", {}),
    ("get_top_pages", {"limit": 3}),
    ("get_page_by_path", {"path": "/"}),
    ("get_avg_response_time", {}),
    ("get_slow_requests", {"threshold": 100}),
    ("get_errors", {}),
    ("count_errors", {}),
    ("get_traffic_sources", {}),
    ("flush", {}),
    ("delete", {"date": "2024-03-01"}),
]


@pytest.mark.parametrize(("method", "args"), READERS, ids=[name for name, _ in READERS])
async def test_every_reader_needs_the_token(
    make: Callable[..., Telemetry], method: str, args: dict[str, Any]
) -> None:
    telemetry = make()
    call = getattr(telemetry, method)
    with pytest.raises(Unauthorized, match="required"):
        await call(**args)
    with pytest.raises(Unauthorized, match="invalid token"):
        await call(**args, token="wrong")
    with pytest.raises(Unauthorized):
        await call(**args, token=TOKEN + "x")
    await call(**args, token=TOKEN)


@pytest.mark.parametrize(("method", "args"), READERS, ids=[name for name, _ in READERS])
async def test_every_reader_checks_the_caller_ip(
    make: Callable[..., Telemetry], method: str, args: dict[str, Any]
) -> None:
    telemetry = make(access_token=None, allowed_ips=["127.0.0.1", "10.8.0.0/16", "::1"])
    call = getattr(telemetry, method)
    with pytest.raises(Unauthorized, match="caller_ip is required"):
        await call(**args)
    for denied in ("10.9.0.1", "192.168.0.1", "not-an-ip", "::2"):
        with pytest.raises(Unauthorized, match="not allowed"):
            await call(**args, caller_ip=denied)
    for allowed in ("127.0.0.1", "10.8.200.3", "0:0::1"):
        await call(**args, caller_ip=allowed)


async def test_token_and_ip_are_both_required_when_both_are_set(
    make: Callable[..., Telemetry],
) -> None:
    telemetry = make(allowed_ips=["127.0.0.1"])
    with pytest.raises(Unauthorized):
        await telemetry.summary(token=TOKEN, caller_ip="10.0.0.1")
    with pytest.raises(Unauthorized):
        await telemetry.summary(token="nope", caller_ip="127.0.0.1")
    await telemetry.summary(token=TOKEN, caller_ip="127.0.0.1")


async def test_an_open_telemetry_reads_without_credentials() -> None:
    telemetry = Telemetry()
    assert not telemetry.protected
    assert (await telemetry.summary())["total_requests"] == 0


async def test_an_empty_allowlist_allows_nobody() -> None:
    telemetry = Telemetry(allowed_ips=[])
    with pytest.raises(Unauthorized):
        await telemetry.summary(caller_ip="127.0.0.1")


async def test_a_non_string_token_is_a_type_error() -> None:
    telemetry = Telemetry(access_token=TOKEN)
    with pytest.raises(TypeError, match="token"):
        await telemetry.summary(token=b"s3cret-token")  # type: ignore[arg-type]


def test_unauthorized_carries_401_and_never_the_token() -> None:
    telemetry = Telemetry(access_token=TOKEN)
    with pytest.raises(Unauthorized) as caught:
        telemetry.authorize(token="guess")
    assert caught.value.status == 401
    assert TOKEN not in str(caught.value)


def test_the_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    telemetry = Telemetry(access_token=TOKEN)
    telemetry.authorize(token=TOKEN)
    with pytest.raises(Unauthorized):
        telemetry.authorize(token="x")
    assert calls == [(TOKEN.encode(), TOKEN.encode()), (b"x", TOKEN.encode())]

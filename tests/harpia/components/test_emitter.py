"""Emitter: ordered sync/async listeners, once/off, errors re-emitted or logged."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from harpia.components import Emitter

if TYPE_CHECKING:
    from collections.abc import Callable


async def test_listeners_run_in_order_sync_and_async() -> None:
    emitter, calls = Emitter(), []

    def first(x: int) -> None:
        calls.append(("first", x))

    async def second(x: int) -> None:
        calls.append(("second", x))

    assert emitter.on("tick", first) is first
    emitter.on("tick", second)
    await emitter.emit("tick", 1)
    await emitter.emit("other", 2)
    assert calls == [("first", 1), ("second", 1)]
    assert emitter.listener_count("tick") == 2
    assert emitter.listener_count("other") == 0
    assert emitter.listener_count() == 2


async def test_on_without_listener_is_a_decorator() -> None:
    emitter, calls = Emitter(), []

    @emitter.on("ready")
    async def ready() -> None:
        calls.append("ready")

    await emitter.emit("ready")
    await ready()  # the function is returned unchanged
    assert calls == ["ready", "ready"]


async def test_once_fires_once_and_off_removes() -> None:
    emitter, calls = Emitter(), []

    def listener(x: int) -> None:
        calls.append(x)

    emitter.once("tick", listener)
    await emitter.emit("tick", 1)
    await emitter.emit("tick", 2)
    assert calls == [1]
    assert emitter.listener_count("tick") == 0

    emitter.once("tick", listener)
    emitter.off("tick", listener)  # off works with the original function
    emitter.on("tick", listener)
    emitter.off("tick", listener)
    emitter.off("tick", listener)  # unknown: ignored
    await emitter.emit("tick", 3)
    assert calls == [1]


async def test_a_failing_listener_is_emitted_as_error_and_the_rest_still_run() -> None:
    emitter = Emitter()
    errors: list[Exception] = []
    calls: list[int] = []

    def broken(x: int) -> None:
        raise KeyError(x)

    emitter.on("tick", broken)
    emitter.on("tick", calls.append)
    emitter.on("error", errors.append)
    await emitter.emit("tick", 7)
    assert calls == [7]
    assert len(errors) == 1
    assert isinstance(errors[0], KeyError)


async def test_without_error_listener_the_failure_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    emitter = Emitter()

    async def broken() -> None:
        raise RuntimeError("boom")

    emitter.on("ready", broken)
    with caplog.at_level(logging.ERROR, logger="harpia.components"):
        await emitter.emit("ready")
    assert "'ready' listener failed" in caplog.text
    assert "boom" in caplog.text


async def test_a_failing_error_listener_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    emitter = Emitter()

    def broken(*args: object) -> None:
        raise RuntimeError("again")

    emitter.on("tick", broken)
    emitter.on("error", broken)
    with caplog.at_level(logging.ERROR, logger="harpia.components"):
        await emitter.emit("tick")
    assert "'error' listener failed" in caplog.text


def test_bad_arguments_raise_type_errors() -> None:
    emitter = Emitter()
    bad: Callable[..., object] = "nope"  # type: ignore[assignment]
    with pytest.raises(TypeError, match="listener for 'tick' must be callable"):
        emitter.on("tick", bad)
    with pytest.raises(TypeError, match="event must be a non-empty string"):
        emitter.on("", print)


async def test_remove_all_listeners() -> None:
    emitter = Emitter()
    emitter.on("a", print)
    emitter.on("b", print)
    emitter.remove_all_listeners("a")
    assert emitter.listener_count() == 1
    emitter.remove_all_listeners()
    assert emitter.listener_count() == 0

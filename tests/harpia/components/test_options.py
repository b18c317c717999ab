"""OptionsWatcher: get/get_all/get_root, leaf-level change diffs, remove -> ready, close."""

from __future__ import annotations

from typing import Any

import pytest

from harpia.components import OptionsWatcher

ROOT: dict[str, Any] = {
    "static": {"files": "web/**", "url_path": "/static", "cache": {"max_age": 60, "etag": True}},
    "other": {"x": 1},
}


def record(options: OptionsWatcher) -> list[tuple[Any, ...]]:
    events: list[tuple[Any, ...]] = []
    options.on("change", lambda key, value, config: events.append(("change", key, value)))
    options.on("remove", lambda: events.append(("remove",)))
    options.on("ready", lambda: events.append(("ready",)))
    options.on("close", lambda: events.append(("close",)))
    return events


def is_removed(options: OptionsWatcher) -> bool:
    return options.removed  # a call: mypy does not keep a narrowed property across awaits


def test_get_by_dotted_or_list_key() -> None:
    options = OptionsWatcher("static", ROOT)
    assert options.get("files") == "web/**"
    assert options.get("cache.max_age") == 60
    assert options.get(["cache", "etag"]) is True
    assert options.get("cache.missing") is None
    assert options.get("files.deeper") is None
    assert options.get_all() == ROOT["static"]
    assert options.get_root() == ROOT
    assert OptionsWatcher("absent", ROOT).get_all() is None
    assert OptionsWatcher("static").get_root() is None


def test_bad_keys() -> None:
    options = OptionsWatcher("static", ROOT)
    with pytest.raises(ValueError, match="empty option key"):
        options.get("cache..max_age")
    with pytest.raises(TypeError, match="an option key must be"):
        options.get(3)  # type: ignore[arg-type]


def test_the_options_are_a_copy() -> None:
    root = {"static": {"files": ["a"]}}
    options = OptionsWatcher("static", root)
    root["static"]["files"].append("b")
    assert options.get("files") == ["a"]


async def test_changes_are_reported_per_leaf_key() -> None:
    options = OptionsWatcher("static", ROOT)
    events = record(options)
    new = {
        "static": {
            "files": "web/**/*.css",  # changed
            "cache": {"max_age": 60, "immutable": True},  # nested: one added, one removed
            "extra": {"a": {"b": [1, 2]}},  # a new nested table: its leaf
        },
        "other": {"x": 2},  # another component: not reported
    }
    await options.apply(new)
    assert events == [
        ("change", ["files"], "web/**/*.css"),
        ("change", ["url_path"], None),
        ("change", ["cache", "etag"], None),
        ("change", ["cache", "immutable"], True),
        ("change", ["extra", "a", "b"], [1, 2]),
    ]
    assert options.get("cache.immutable") is True
    assert options.get_root() == new

    events.clear()
    await options.apply(new)  # nothing changed
    assert events == []


async def test_the_change_event_carries_the_whole_config() -> None:
    options = OptionsWatcher("static", {"static": {"a": 1}})
    seen: list[Any] = []
    options.on("change", lambda key, value, config: seen.append(config))
    await options.apply({"static": {"a": 2, "b": 3}})
    assert seen == [{"a": 2, "b": 3}, {"a": 2, "b": 3}]


async def test_type_changes_and_lists_are_leaves() -> None:
    options = OptionsWatcher("c", {"c": {"a": {"x": 1}, "b": [1], "n": 1}})
    events = record(options)
    await options.apply({"c": {"a": 5, "b": [1, 2], "n": 1.0}})
    assert events == [
        ("change", ["a"], 5),
        ("change", ["b"], [1, 2]),
        ("change", ["n"], 1.0),
    ]


async def test_remove_then_restore_emits_ready_and_the_changes() -> None:
    options = OptionsWatcher("static", ROOT)
    events = record(options)
    await options.apply(None)  # e.g. the config file failed to parse
    await options.apply(None)
    assert events == [("remove",)]
    assert is_removed(options)
    assert options.get_all() is None
    assert options.get("files") is None

    restored = {"static": {**ROOT["static"], "url_path": "/s"}}
    await options.apply(restored)
    assert events == [("remove",), ("change", ["url_path"], "/s"), ("ready",)]
    assert not is_removed(options)
    assert options.get("url_path") == "/s"


async def test_a_root_without_the_component_counts_as_removed() -> None:
    options = OptionsWatcher("static", ROOT)
    events = record(options)
    await options.apply({"other": {"x": 1}})
    assert events == [("remove",)]
    await options.apply(ROOT)
    assert events == [("remove",), ("ready",)]


async def test_first_config_after_none_emits_changes_and_ready() -> None:
    options = OptionsWatcher("static", None)
    events = record(options)
    await options.apply({"static": {"files": "a"}})
    assert events == [("change", ["files"], "a"), ("ready",)]


async def test_close_emits_close_and_ignores_later_configs() -> None:
    options = OptionsWatcher("static", ROOT)
    events = record(options)
    await options.close()
    await options.close()
    assert events == [("close",)]
    assert options.listener_count() == 0
    await options.apply({"static": {"files": "b"}})
    assert options.get("files") == "web/**"

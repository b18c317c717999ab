"""Config mistakes get a "did you mean …?" (difflib), and a ``routes`` glob that matches
nothing stops the start with a ConfigError naming the glob and the folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import harpia
from harpia import ConfigError
from harpia._suggest import close_matches, did_you_mean
from harpia_shield import SecurityHeaders
from tests.support.apps import app_dir, write

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ("app_dir",)


def load_error(root: Path, config: str) -> str:
    write(root, {"harpia.toml": config})
    with pytest.raises(ConfigError) as caught:
        harpia.load(root)
    return str(caught.value)


def folder(path: Path) -> str:
    return str(path.resolve())


def test_did_you_mean() -> None:
    assert did_you_mean("max_agee", ["files", "max_age", "url_path"]) == "did you mean 'max_age'?"
    assert did_you_mean("Templates", ["static", "templates"]) == "did you mean 'templates'?"
    assert did_you_mean("colour", ["files", "max_age"]) == ""
    assert close_matches("rout", ["routes", "router", "static"], n=2) == ["routes", "router"]


def test_a_mistyped_option_gets_a_suggestion(app_dir: Path) -> None:
    message = load_error(app_dir, "[static]\nfiles = 'web/**'\nmax_agee = 60\n")
    assert message == (
        "harpia.toml: [static] max_agee: unknown option, did you mean 'max_age'? "
        "(known options: dotfiles, files, index, max_age, memory_max_size, url_path)"
    )
    message = load_error(app_dir, "[session]\nttls = 60\n")
    assert message.startswith("harpia.toml: [session] ttls: unknown option, did you mean 'ttl'?")
    message = load_error(app_dir, "[cors]\norigins = '*'\n")
    assert message.startswith(
        "harpia.toml: [cors] origins: unknown option, did you mean 'origin'? (known options: "
    )


def test_a_far_option_gets_the_list_only(app_dir: Path) -> None:
    message = load_error(app_dir, "[routes]\nmodules = ['m']\ncolour = 1\n")
    assert message == (
        "harpia.toml: [routes] colour: unknown option (known options: files, modules, url_path)"
    )


@pytest.mark.parametrize(
    ("table", "suggested"),
    [("template", "templates"), ("route", "routes"), ("statics", "static"), ("Session", "session")],
)
def test_a_mistyped_component_gets_a_suggestion(app_dir: Path, table: str, suggested: str) -> None:
    message = load_error(app_dir, f"[{table}]\nx = 1\n")
    assert message.startswith(
        f"harpia.toml: [{table}] unknown component {table!r} (did you mean {suggested!r}?): "
        "not a built-in (static, templates, routes, shield, cors, telemetry, session), "
    )


def test_a_shield_option_gets_a_suggestion(app_dir: Path) -> None:
    with pytest.raises(TypeError) as caught:
        SecurityHeaders.from_mapping({"useNonse": True})
    assert (
        str(caught.value) == "unknown security header option 'useNonse' (did you mean 'use_nonce'?)"
    )
    assert "did you mean 'use_nonce'?" in load_error(app_dir, "[shield]\nuse_nonse = true\n")


@pytest.mark.parametrize(
    ("files", "shown"),
    [
        ("'api/*.py'", "'api/*.py'"),
        ("['api/*.py', 'more/**/*.py']", "'api/*.py', 'more/**/*.py'"),
    ],
)
async def test_a_routes_glob_matching_nothing_is_a_config_error(
    app_dir: Path, files: str, shown: str
) -> None:
    write(app_dir, {"harpia.toml": f"[routes]\nfiles = {files}\n", "apis/books.py": "x = 1\n"})
    app = harpia.load(app_dir)
    with pytest.raises(ConfigError) as caught:
        await app.startup()
    assert str(caught.value) == (
        f"harpia.toml: [routes] files: {shown} matched no .py file in {folder(app_dir)!r}: "
        "check the glob (relative to the folder of the config file) or remove the [routes] table"
    )


async def test_a_routes_glob_matching_only_other_files_is_a_config_error(app_dir: Path) -> None:
    write(
        app_dir,
        {
            "harpia.toml": "[routes]\nfiles = {source = 'api/*', ignore = ['api/skip.py']}\n",
            "api/notes.txt": "not python",
            "api/skip.py": "x = 1\n",
        },
    )
    with pytest.raises(ConfigError) as caught:
        await harpia.load(app_dir).startup()
    assert str(caught.value).startswith(
        f"harpia.toml: [routes] files: 'api/*' matched no .py file in "
        f"{folder(app_dir)!r} (after 'ignore'/'only'): check the glob"
    )

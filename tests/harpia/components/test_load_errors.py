"""Every config error is raised by harpia.load() (or aborts startup) with a clear message
naming the config file, the component and the key."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import harpia
from harpia import ConfigError, TestClient
from tests.support.apps import app_dir, write

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ("app_dir",)


def load_error(root: Path, config: str, **files: str) -> str:
    write(root, {"harpia.toml": config, **{f"{name}.py": text for name, text in files.items()}})
    with pytest.raises(ConfigError) as caught:
        harpia.load(root)
    return str(caught.value)


def test_unknown_component(app_dir: Path) -> None:
    message = load_error(app_dir, "[nosuchthing]\nfiles = 'x/*'\n")
    assert message.startswith(
        "harpia.toml: [nosuchthing] unknown component 'nosuchthing': not a built-in (static, "
        "templates, routes, shield, cors, telemetry, session), no 'harpia.extensions' entry point"
    )
    assert 'set package = "<module>"' in message


def test_missing_package(app_dir: Path) -> None:
    message = load_error(app_dir, "[extra]\npackage = 'harpia_no_such_extension'\n")
    assert message == (
        "harpia.toml: [extra] package: no module named 'harpia_no_such_extension': "
        "is its package installed?"
    )


def test_package_must_be_a_module_name(app_dir: Path) -> None:
    message = load_error(app_dir, "[extra]\npackage = 'not a module'\n")
    assert message == (
        "harpia.toml: [extra] package: expected an importable module name such as "
        "'my_extension', got 'not a module'"
    )


def test_invalid_option_type(app_dir: Path) -> None:
    message = load_error(app_dir, "[static]\nfiles = 3\n")
    assert message == (
        "harpia.toml: [static] files: expected a glob string, a list of globs or a table, got 3"
    )


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            "[static]\nfiles = 'web/**'\nmax_age = '60'\n",
            "[static] max_age: expected an integer, got '60'",
        ),
        (
            "[static]\nfiles = 'web/**'\nmax_age = -1\n",
            "[static] max_age: expected an integer >= 0, got -1",
        ),
        (
            "[static]\nfiles = 'web/**'\ndotfiles = 1\n",
            "[static] dotfiles: expected true or false, got 1",
        ),
        ("[static]\nurl_path = '/'\n", "[static] files: this option is required"),
        ("[templates]\nlayouts = 'l'\n", "[templates] views: this option is required"),
        ("[templates]\nviews = 7\n", "[templates] views: expected a non-empty string, got 7"),
        ("[routes]\nmodules = 'a'\nfiles = 'r/*.py'\n", "[routes] set either files"),
        ("[routes]\nmodules = [1]\n", "[routes] modules: expected a string or a list of strings"),
        (
            "[session]\nstore = 'mongo://x'\n",
            '[session] store: expected "memory" or a redis:// URL',
        ),
        ("[session]\nttl = 0\n", "[session] ttl: expected an integer >= 1, got 0"),
        ("[session]\nsame_site = 'Sometimes'\n", "[session] same_site: expected one of 'Strict'"),
        ("[telemetry]\nmax_paths = true\n", "[telemetry] max_paths: expected an integer, got True"),
        ("[cors]\ncredentials = 'yes'\n", "[cors] credentials: CORS credentials must be a bool"),
        ("[shield]\nuse_nonce = 'yes'\n", "[shield] "),
        ("[sample]\ngreeting = 5\n", "[sample] greeting: expected a string, got 5"),
    ],
)
def test_invalid_option_values(app_dir: Path, config: str, expected: str) -> None:
    assert load_error(app_dir, config).startswith("harpia.toml: " + expected)


@pytest.mark.parametrize(
    ("component", "known"),
    [
        ("static", "dotfiles, files, index, max_age, memory_max_size, url_path"),
        ("templates", "components, file_extension, layouts, strict, use_modules, view_name, views"),
        ("routes", "files, modules, url_path"),
        ("session", "cookie_name, prefix, rolling, same_site, secure, store, ttl"),
    ],
)
def test_unknown_key(app_dir: Path, component: str, known: str) -> None:
    required = {
        "static": "files = 'web/**'\n",
        "templates": "views = 'v'\n",
        "routes": "modules = ['m']\n",
    }
    config = f"[{component}]\n{required.get(component, '')}colour = 'blue'\n"
    assert load_error(app_dir, config) == (
        f"harpia.toml: [{component}] colour: unknown option (known options: {known})"
    )


def test_unknown_key_of_cors_and_shield(app_dir: Path) -> None:
    assert load_error(app_dir, "[cors]\norigins = '*'\n").startswith(
        "harpia.toml: [cors] origins: unknown option, did you mean 'origin'? "
        "(known options: allowed_headers, "
    )
    assert "colour" in load_error(app_dir, "[shield]\ncolour = 1\n")


@pytest.mark.parametrize(
    ("glob", "problem"),
    [
        ("../outside/**", "'..' (patterns cannot leave the component folder)"),
        ("/etc/*", "an absolute path (patterns are relative to the component folder)"),
        ("", "an empty pattern"),
        ("web/[unclosed", "unclosed '['"),
    ],
)
def test_bad_glob(app_dir: Path, glob: str, problem: str) -> None:
    message = load_error(app_dir, f"[static]\nfiles = {glob!r}\n")
    assert message == f"harpia.toml: [static] files: {glob!r} is not a valid glob: {problem}"


def test_url_path_with_dotdot(app_dir: Path) -> None:
    message = load_error(app_dir, "[static]\nfiles = 'web/**'\nurl_path = '../up'\n")
    assert message == (
        "harpia.toml: [static] url_path: '..' is not allowed in a URL path, got '../up'"
    )


def test_module_without_handle_component(app_dir: Path) -> None:
    message = load_error(app_dir, "[plain]\n", plain="VALUE = 1\n")
    assert message == (
        "harpia.toml: [plain] module 'plain' (plain) has no handle_component(scope) function"
    )


def test_package_without_handle_component(app_dir: Path) -> None:
    message = load_error(app_dir, "[util]\npackage = 'helpers'\n", helpers="X = 1\n")
    assert message == (
        "harpia.toml: [util] package 'helpers' (helpers) has no handle_component(scope) function"
    )


def test_extension_failing_to_import(app_dir: Path) -> None:
    message = load_error(app_dir, "[broken]\n", broken="raise RuntimeError('boom at import')\n")
    assert message == (
        "harpia.toml: [broken] importing 'broken' failed: RuntimeError: boom at import"
    )


async def test_extension_raising_during_load_aborts_startup(app_dir: Path) -> None:
    write(app_dir, {"harpia.toml": "[static]\nfiles = 'web/**'\n\n[sample]\nfail = true\n"})
    write(app_dir, {"web/index.html": "hi"})
    app = harpia.load(app_dir)  # options are valid: the failure comes at activation
    client = TestClient(app)
    with pytest.raises(ConfigError) as caught:
        await client.get("/index.html").execute()
    assert str(caught.value) == (
        "harpia.toml: [sample] entry point 'sample' (harpia_ext_sample) failed to start: "
        "RuntimeError: the sample extension was told to fail"
    )
    # refused to start half-configured: the static component started first was closed again
    assert not app._started
    assert app._static is None or not app._static.mounts
    assert app.state["harpia.components"].scopes == {}


async def test_sync_handle_component_raising(app_dir: Path) -> None:
    write(
        app_dir,
        {
            "harpia.toml": "[local]\n",
            "local.py": "def handle_component(scope):\n    raise ValueError('no way')\n",
        },
    )
    app = harpia.load(app_dir)
    with pytest.raises(
        ConfigError,
        match=r"^harpia.toml: \[local\] module 'local' failed to start: ValueError: no way$",
    ):
        await app.startup()

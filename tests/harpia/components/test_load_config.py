"""Config discovery and parsing: harpia.toml, [tool.harpia] of pyproject.toml, config.yaml."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import pytest

import harpia
from harpia import ConfigError, TestClient
from harpia.components._config import find_config, read_config
from tests.support.apps import app_dir, write

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ("app_dir",)

SAMPLE_TOML = """
[sample]
greeting = "from toml"
"""


async def greeting(app: harpia.Harpia) -> str:
    async with TestClient(app) as client:
        res = await client.get("/_sample/sample").execute()
        assert res.status == 200, res.text()
        value = res.json()["greeting"]
        assert isinstance(value, str)
        return value


async def test_harpia_toml(app_dir: Path) -> None:
    write(app_dir, {"harpia.toml": SAMPLE_TOML})
    assert await greeting(harpia.load(app_dir)) == "from toml"


async def test_tool_harpia_of_pyproject(app_dir: Path) -> None:
    write(
        app_dir,
        {
            "pyproject.toml": """
            [project]
            name = "site"

            [tool.harpia.sample]
            greeting = "from pyproject"
            """
        },
    )
    assert await greeting(harpia.load(app_dir)) == "from pyproject"


async def test_config_yaml(app_dir: Path) -> None:
    write(app_dir, {"config.yaml": "sample:\n  greeting: from yaml\n"})
    assert await greeting(harpia.load(app_dir)) == "from yaml"


async def test_harpia_toml_wins_then_pyproject_then_yaml(app_dir: Path) -> None:
    write(
        app_dir,
        {
            "harpia.toml": SAMPLE_TOML,
            "pyproject.toml": '[tool.harpia.sample]\ngreeting = "from pyproject"\n',
            "config.yaml": "sample:\n  greeting: from yaml\n",
        },
    )
    assert find_config(app_dir).name == "harpia.toml"
    (app_dir / "harpia.toml").unlink()
    assert find_config(app_dir).name == "pyproject.toml"
    (app_dir / "pyproject.toml").write_text('[project]\nname = "x"\n')  # no [tool.harpia]
    assert find_config(app_dir).name == "config.yaml"


def test_no_config_file(app_dir: Path) -> None:
    with pytest.raises(ConfigError, match=r"no harpia.toml, \[tool.harpia\] in pyproject.toml"):
        harpia.load(app_dir)


def test_not_a_folder(app_dir: Path) -> None:
    with pytest.raises(ConfigError, match="is not a folder"):
        harpia.load(app_dir / "missing")


def test_malformed_toml_names_the_file(app_dir: Path) -> None:
    write(app_dir, {"harpia.toml": "[static\nfiles = 1\n"})
    with pytest.raises(ConfigError, match=r"^harpia.toml: invalid TOML: "):
        harpia.load(app_dir)


def test_malformed_yaml_names_the_file(app_dir: Path) -> None:
    write(app_dir, {"config.yaml": "sample: [unclosed\n"})
    with pytest.raises(ConfigError, match=r"^config.yaml: invalid YAML: "):
        harpia.load(app_dir)


def test_yaml_top_level_must_be_a_mapping(app_dir: Path) -> None:
    write(app_dir, {"config.yaml": "- static\n"})
    with pytest.raises(ConfigError, match="the top level must be a mapping of components"):
        harpia.load(app_dir)


def test_config_yaml_without_pyyaml(app_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(app_dir, {"config.yaml": "sample:\n  greeting: hi\n"})
    monkeypatch.setitem(sys.modules, "yaml", None)  # what an environment without PyYAML sees
    with pytest.raises(ConfigError, match=r"^config.yaml: reading config.yaml needs PyYAML"):
        harpia.load(app_dir)


def test_true_enables_and_false_disables(app_dir: Path) -> None:
    write(app_dir, {"harpia.toml": "sample = true\nstatic = false\n"})
    assert read_config(find_config(app_dir)) == {"sample": {}}


def test_a_component_must_be_a_table(app_dir: Path) -> None:
    write(app_dir, {"harpia.toml": 'sample = "yes"\n'})
    with pytest.raises(
        ConfigError, match=r"^harpia.toml: \[sample\] expected a table of options \(or true"
    ):
        harpia.load(app_dir)


def test_pyproject_errors_spell_the_table(app_dir: Path) -> None:
    write(app_dir, {"pyproject.toml": "[tool.harpia.static]\nfiles = 3\n"})
    with pytest.raises(ConfigError) as caught:
        harpia.load(app_dir)
    assert str(caught.value) == (
        "pyproject.toml: [tool.harpia.static] files: "
        "expected a glob string, a list of globs or a table, got 3"
    )
    assert (caught.value.file, caught.value.component, caught.value.key) == (
        "pyproject.toml",
        "static",
        "files",
    )


async def test_code_can_still_add_routes(app_dir: Path) -> None:
    write(app_dir, {"harpia.toml": SAMPLE_TOML})
    app = harpia.load(app_dir)

    @app.get("/extra")
    def extra(req: harpia.Request, res: harpia.Response) -> str:
        return "added in code"

    async with TestClient(app) as client:
        assert (await client.get("/extra").execute()).text() == "added in code"
        assert (await client.get("/_sample/sample").execute()).status == 200


def test_components_all_lists_exactly_the_public_names() -> None:
    import types

    from harpia import components

    public = {
        name
        for name, value in vars(components).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(components.__all__) == public
    assert harpia.load is components.load
    assert harpia.ConfigError is components.ConfigError


async def asgi_lifespan(app: harpia.Harpia, *messages: str) -> list[dict[str, Any]]:
    """Drive the ASGI lifespan protocol with ``messages``; return what the app sent."""
    incoming = [{"type": f"lifespan.{name}"} for name in messages]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    return sent


async def test_activation_under_the_asgi_lifespan(app_dir: Path) -> None:
    write(app_dir, {"harpia.toml": SAMPLE_TOML})
    app = harpia.load(app_dir)
    composer = app.state["harpia.components"]
    assert composer.scopes == {}  # nothing runs before startup
    sent = await asgi_lifespan(app, "startup", "shutdown")
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert composer.scopes == {}  # closed again at shutdown


async def test_a_failing_extension_fails_the_asgi_startup(app_dir: Path) -> None:
    write(app_dir, {"harpia.toml": "[sample]\nfail = true\n"})
    sent = await asgi_lifespan(harpia.load(app_dir), "startup")
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "harpia.toml: [sample] entry point 'sample'" in sent[0]["message"]


async def test_components_start_before_user_startup_hooks(app_dir: Path) -> None:
    write(app_dir, {"harpia.toml": SAMPLE_TOML})
    app = harpia.load(app_dir)
    seen: list[bool] = []
    app.on_startup(lambda: seen.append("sample" in app.state["harpia.components"].scopes))
    async with TestClient(app):
        assert seen == [True]


async def test_development_without_watchfiles(
    app_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(app_dir, {"harpia.toml": "[shield]\n"})
    app = harpia.load(app_dir, development=True)
    monkeypatch.setitem(sys.modules, "watchfiles", None)  # what a bare install sees
    with pytest.raises(ConfigError) as caught:
        await app.startup()
    assert str(caught.value) == (
        "harpia.toml: development mode: file watching needs the watchfiles package: "
        'pip install "harpia-framework[watch]"'
    )

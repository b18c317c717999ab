"""Finding and reading the config file of an app folder.

Discovery, in order: ``harpia.toml``; else the ``[tool.harpia]`` table of
``pyproject.toml``; else ``config.yaml`` (read with PyYAML, which is optional: a
``config.yaml`` without PyYAML installed is an error, never silently ignored). Each
top-level table names a component and holds its options; ``name = true`` enables a
component with its defaults and ``name = false`` leaves it out.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ._errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

Kind = Literal["toml", "pyproject", "yaml"]
NAMES: tuple[tuple[str, Kind], ...] = (
    ("harpia.toml", "toml"),
    ("pyproject.toml", "pyproject"),
    ("config.yaml", "yaml"),
)


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """The config file of an app: its path and format."""

    path: Path
    kind: Kind

    @property
    def name(self) -> str:
        """The file name used in error messages."""
        return self.path.name

    def table(self, component: str) -> str:
        """How ``component``'s table is spelled in this file (for messages)."""
        return f"tool.harpia.{component}" if self.kind == "pyproject" else component

    def error(
        self, problem: str, component: str | None = None, key: str | None = None
    ) -> ConfigError:
        """A ``ConfigError`` located in this file."""
        table = self.table(component) if component is not None else None
        return ConfigError(problem, file=self.name, component=component, key=key, table=table)


def find_config(root: Path) -> ConfigFile:
    """The config file of the app folder ``root``.

    Raises:
        ConfigError: ``root`` is not a folder or holds no config file.
    """
    if not root.is_dir():
        raise ConfigError(f"{str(root)!r} is not a folder")
    for name, kind in NAMES:
        path = root / name
        if not path.is_file():
            continue
        if kind == "pyproject" and not _has_tool_harpia(path):
            continue
        return ConfigFile(path, kind)
    raise ConfigError(
        f"no harpia.toml, [tool.harpia] in pyproject.toml or config.yaml in {str(root)!r}"
    )


def _has_tool_harpia(path: Path) -> bool:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # not ours to complain about when it has no harpia table
    tool = data.get("tool")
    return isinstance(tool, dict) and "harpia" in tool


def read_config(config: ConfigFile) -> dict[str, dict[str, Any]]:
    """Parse ``config`` into ``{component: options}`` (disabled components left out).

    Raises:
        ConfigError: the file cannot be read or parsed, or a top-level entry is not a table.
    """
    data = parse(config)
    components: dict[str, dict[str, Any]] = {}
    for name, options in data.items():
        if not isinstance(name, str) or not name:
            raise config.error(f"component names must be non-empty strings, got {name!r}")
        if options is True:
            options = {}
        elif options is False:
            continue
        if not isinstance(options, dict):
            raise config.error(
                f"expected a table of options (or true/false), got {options!r}", name
            )
        for key in options:
            if not isinstance(key, str):
                raise config.error(f"option names must be strings, got {key!r}", name)
        components[name] = options
    return components


def parse(config: ConfigFile) -> dict[Any, Any]:
    """The raw top-level mapping of ``config``.

    Raises:
        ConfigError: unreadable, malformed, PyYAML missing for ``config.yaml``, or a
            top level that is not a mapping.
    """
    try:
        text = config.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise config.error(f"cannot read the file: {exc}") from exc
    if config.kind == "yaml":
        return _parse_yaml(config, text)
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise config.error(f"invalid TOML: {exc}") from exc
    if config.kind == "pyproject":
        tool = data.get("tool")
        harpia = tool.get("harpia") if isinstance(tool, dict) else None
        if not isinstance(harpia, dict):
            raise config.error("[tool.harpia] must be a table of components")
        return harpia
    return data


def _parse_yaml(config: ConfigFile, text: str) -> dict[Any, Any]:
    try:
        import yaml
    except ImportError as exc:
        raise config.error(
            "reading config.yaml needs PyYAML: pip install pyyaml (or use harpia.toml)"
        ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise config.error(f"invalid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise config.error(f"the top level must be a mapping of components, got {data!r}")
    return data

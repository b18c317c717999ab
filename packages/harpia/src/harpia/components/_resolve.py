"""Which module implements a component, imported and its options checked — at load time.

A table name resolves, in order, to:

1. a built-in (``static``, ``templates``, ``routes``, ``shield``, ``cors``, ``telemetry``,
   ``session``) — unless the table has a ``package`` option;
2. the module named by the ``package`` option (``package = "my_ext"``);
3. the module of a ``harpia.extensions`` entry point of that name (installed packages
   declare ``[project.entry-points."harpia.extensions"] name = "module"``);
4. a module of that name (the app folder is importable, so ``my_ext.py`` next to
   ``harpia.toml`` works).

Entry points come before plain module names: a package that declares itself a Harpia
extension wins over an unrelated module that happens to share the name.

The module must define ``handle_component(scope)``. It may define
``validate_options(options)``, called here with the component's options (``package``
left out) to refuse bad ones before anything starts; built-ins check every key this way.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .._suggest import did_you_mean
from ._errors import OptionError
from .builtins import BUILTINS
from .builtins._schema import files as check_files
from .builtins._schema import url_path as check_url_path

if TYPE_CHECKING:
    from ._config import ConfigFile

GROUP = "harpia.extensions"
_MODULE_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


@dataclass(frozen=True, slots=True)
class Component:
    """A resolved component: its table name, module and options (as written)."""

    name: str
    module: ModuleType
    options: dict[str, Any]
    origin: str  # "built-in", "package 'x'", "entry point 'x' (module)", "module 'x'"


def resolve(config: ConfigFile, name: str, options: dict[str, Any]) -> Component:
    """Find, import and check the component ``name`` of ``config``.

    Raises:
        ConfigError: unknown component, missing package, no ``handle_component``, or an
            invalid option.
    """
    package = options.get("package")
    if package is not None and (
        not isinstance(package, str) or not _MODULE_NAME.fullmatch(package)
    ):
        raise config.error(
            f"expected an importable module name such as 'my_extension', got {package!r}",
            name,
            "package",
        )
    if package is None and name in BUILTINS:
        module = importlib.import_module(f"{__package__}.builtins.{name}")
        origin = "built-in"
    elif package is not None:
        module = _import(config, name, package, "package")
        origin = f"package {package!r}"
    else:
        found = _from_entry_point(config, name)
        if found is not None:
            module, origin = found
        elif _MODULE_NAME.fullmatch(name) and _importable(name):
            module = _import(config, name, name, None)
            origin = f"module {name!r}"
        else:
            builtins = ", ".join(BUILTINS)
            hint = did_you_mean(name, BUILTINS)
            raise config.error(
                f"unknown component {name!r}{f' ({hint})' if hint else ''}: "
                f"not a built-in ({builtins}), no "
                f"{GROUP!r} entry point and no module of that name; install its package or "
                f'set package = "<module>" in its table',
                name,
            )
    if not callable(getattr(module, "handle_component", None)):
        raise config.error(
            f"{origin} ({module.__name__}) has no handle_component(scope) function", name
        )
    check(config, name, module, options)
    return Component(name, module, options, origin)


def check(config: ConfigFile, name: str, module: ModuleType, options: dict[str, Any]) -> None:
    """Check ``options`` of component ``name`` (the common ones, then the module's own).

    Raises:
        ConfigError: naming the file, the component and (when known) the key.
    """
    given = {key: value for key, value in options.items() if key != "package"}
    try:
        if "files" in given:
            check_files("files", given["files"])
        if "url_path" in given:
            check_url_path("url_path", given["url_path"])
        validate = getattr(module, "validate_options", None)
        if callable(validate):
            validate(given)
    except OptionError as exc:
        raise config.error(exc.problem, name, exc.key) from exc
    except (TypeError, ValueError) as exc:
        raise config.error(str(exc), name) from exc


def _import(config: ConfigFile, name: str, module_name: str, key: str | None) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (
            module_name == exc.name or module_name.startswith(exc.name + ".")
        ):
            raise config.error(
                f"no module named {module_name!r}: is its package installed?", name, key
            ) from exc
        raise config.error(f"importing {module_name!r} failed: {exc}", name, key) from exc
    except Exception as exc:
        raise config.error(
            f"importing {module_name!r} failed: {type(exc).__name__}: {exc}", name, key
        ) from exc


def _importable(module_name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module_name) is not None
    except (ImportError, ValueError):
        return False


def _from_entry_point(config: ConfigFile, name: str) -> tuple[ModuleType, str] | None:
    for point in entry_points(group=GROUP, name=name):
        try:
            loaded = point.load()
        except Exception as exc:
            raise config.error(
                f"loading entry point {name!r} ({point.value}) failed: {type(exc).__name__}: {exc}",
                name,
            ) from exc
        if not isinstance(loaded, ModuleType):
            raise config.error(
                f"entry point {name!r} must name a module, got {point.value!r}", name
            )
        return loaded, f"entry point {name!r} ({point.value})"
    return None

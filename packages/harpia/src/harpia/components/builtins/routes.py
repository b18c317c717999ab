"""The ``routes`` built-in: Python modules exporting a ``harpia.Router``, mounted at a path.

Options::

    [routes]
    files = "routes/*.py"       # modules by file (relative to the app folder), or
    modules = ["app.routes"]    # modules by name (importable; the app folder is on sys.path)
    url_path = "/"              # where their routers are mounted ("./x", ".", "/api")

A module exports its router as ``router``; without that attribute, every module-level
``harpia.Router`` is mounted. All routers of the component are merged into one router
that sits in an ``app.swap_routes`` slot, so it can be replaced as a whole.

Live (development): a module file that is added, changed or deleted is executed again from
the source the ``EntryHandler`` delivered (never from a stale ``.pyc``) and the merged
router is rebuilt and swapped in; a deleted module's routes go away. A module that fails
to import, or routes that conflict, are logged and the previous router keeps serving.
At startup the same failures abort startup instead.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from ..._routing import Router
from .._errors import OptionError
from ._schema import check_options, files, strings, url_path

if TYPE_CHECKING:
    from pathlib import Path
    from types import ModuleType

    from .. import EntryEvent, Scope

logger = logging.getLogger("harpia.components")
SCHEMA = {"files": files, "modules": strings, "url_path": url_path}


def validate_options(options: dict[str, Any]) -> None:
    """Every key known and of the right type; exactly one of ``files`` and ``modules``."""
    values = check_options(options, SCHEMA)
    if ("files" in values) == ("modules" in values):
        raise OptionError(None, "set either files (globs of .py files) or modules (names)")
    for name in values.get("modules", ()):
        if not all(part.isidentifier() for part in name.split(".")):
            raise OptionError("modules", f"expected module names, got {name!r}")


def routers_of(module: ModuleType) -> list[Router]:
    """The routers ``module`` exports (``router``, else every module-level Router).

    Raises:
        TypeError: ``router`` is not a ``harpia.Router``, or there is none.
    """
    exported = getattr(module, "router", None)
    if exported is not None:
        if not isinstance(exported, Router):
            raise TypeError(
                f"{module.__name__}.router must be a harpia.Router, got {type(exported).__name__}"
            )
        return [exported]
    found = [value for value in vars(module).values() if isinstance(value, Router)]
    if not found:
        raise TypeError(f"module {module.__name__} defines no harpia.Router (export one as router)")
    return found


def module_name(root: Path, path: str) -> str:
    """The dotted module name of the file ``path`` below ``root``."""
    relative = os.path.relpath(path, root)
    parts = relative[: -len(".py")].split(os.sep) if relative.endswith(".py") else []
    if parts and parts[-1] == "__init__":
        parts.pop()
    if not parts or not all(part.isidentifier() for part in parts):
        raise ValueError(f"{relative!r} is not an importable Python module file")
    return ".".join(parts)


def execute(name: str, path: str, source: bytes) -> ModuleType:
    """Run ``source`` as the module ``name`` (file ``path``), fresh, and register it.

    On failure the previous ``sys.modules`` entry is restored and the error propagates.
    """
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:  # pragma: no cover - a .py path always has a spec
        raise ImportError(f"cannot make a module spec for {path!r}")
    module = importlib.util.module_from_spec(spec)
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        exec(compile(source, path, "exec"), module.__dict__)
    except BaseException:
        if previous is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous
        raise
    return module


class RoutesComponent:
    """The modules of one ``routes`` component and the router made of them."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.slot = f"routes:{scope.name}"
        self.modules: dict[str, ModuleType] = {}  # by absolute file path
        self.names: dict[str, str] = {}  # absolute file path -> module name
        self.started = False
        self.failures: list[str] = []

    def base(self) -> str:
        from .. import url_base

        return url_base(self.scope.options.get("url_path"), self.scope.name)

    def rebuild(self, modules: dict[str, ModuleType] | None = None) -> None:
        """Merge the routers of ``modules`` (default: the current ones) under ``url_path``
        and swap the result in.

        Raises:
            ValueError: two routes conflict (the previous router stays).
        """
        modules = self.modules if modules is None else modules
        merged = Router(self.base())
        for path in sorted(modules):
            for router in routers_of(modules[path]):
                merged.routes(router)
        self.scope.app.swap_routes(self.slot, merged)

    def entry(self, event: EntryEvent) -> None:
        """Follow one entry event: execute or forget the module, then rebuild.

        The module table changes only when the new router was swapped in, so a failed
        edit leaves both the routes and the table as they were.
        """
        if event.entry_type != "file" or not event.absolute_path.endswith(".py"):
            return
        path = event.absolute_path
        if not self.started and event.event_type == "add" and path in self.modules:
            return  # imported by name already (modules option)
        modules = dict(self.modules)
        try:
            if event.event_type == "unlink":
                modules.pop(path, None)
                name = self.names.get(path)
            else:
                name = self.names.get(path) or module_name(self.scope.directory, path)
                source = event.contents if event.contents is not None else _read(path)
                modules[path] = module = execute(name, path, source)
                routers_of(module)  # refuse a module without a router before swapping
            if self.started:
                self.rebuild(modules)
        except Exception as exc:
            message = f"{os.path.relpath(path, self.scope.directory)}: {type(exc).__name__}: {exc}"
            if not self.started:
                self.failures.append(message)
            logger.error("[%s] %s (the previous routes keep serving)", self.scope.name, message)
            return
        self.modules = modules
        if event.event_type == "unlink":
            self.names.pop(path, None)
            if name is not None:
                sys.modules.pop(name, None)
        elif name is not None:
            self.names[path] = name
        if self.started:
            logger.info("[%s] %s %s: routes updated", self.scope.name, event.event_type, path)

    def ready(self) -> None:
        """After the initial scan: fail on any module that did not load, or on ``files``
        globs that matched no module (a typo would otherwise start an app without its
        routes), else mount.

        Raises:
            OptionError: ``files`` matched no ``.py`` file (naming the globs and folder).
        """
        if self.failures:
            raise RuntimeError("; ".join(self.failures))
        files = self.scope.options.get("files")
        if not self.modules and files is not None:
            raise OptionError("files", no_match(files, self.scope.directory))
        self.rebuild()
        self.started = True


def no_match(files: Any, directory: Path) -> str:
    """What to say when the ``files`` option found no module."""
    if isinstance(files, dict):
        globs = files.get("source")
        extra = " (after 'ignore'/'only')" if "ignore" in files or "only" in files else ""
    else:
        globs, extra = files, ""
    listed = ", ".join(repr(g) for g in ([globs] if isinstance(globs, str) else globs or []))
    return (
        f"{listed} matched no .py file in {str(directory)!r}{extra}: check the glob "
        "(relative to the folder of the config file) or remove the [routes] table"
    )


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def handle_component(scope: Scope) -> None:
    """Load the modules (by file through an EntryHandler, or by name) and mount them."""
    component = RoutesComponent(scope)
    options = scope.options.get_all() or {}
    if "modules" in options:
        watched: list[str] = []
        for name in strings("modules", options["modules"]):
            module = importlib.import_module(name)
            path = getattr(module, "__file__", None)
            if path is None:
                raise TypeError(f"module {name} has no file")
            path = os.path.realpath(path)
            component.modules[path] = module
            component.names[path] = name
            relative = os.path.relpath(path, scope.directory)
            if not relative.startswith(".."):
                watched.append(relative.replace(os.sep, "/"))
        if watched:  # in development, follow the files of the modules inside the app
            handler = scope.handle_entry({"files": watched}, component.entry)
        else:
            handler = None
    else:
        handler = scope.handle_entry(component.entry)

    def closed() -> None:
        scope.app.swap_routes(component.slot, None)

    scope.on("close", closed)
    scope.on("ready", component.ready)
    if handler is None:
        component.ready()

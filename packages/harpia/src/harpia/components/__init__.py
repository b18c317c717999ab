"""Components: compose an app from a config file, extensions, live updates.

``harpia.load(path)`` reads ``harpia.toml`` (or ``[tool.harpia]`` of ``pyproject.toml``,
or ``config.yaml``) and composes an app from its components: built-ins (``static``,
``templates``, ``routes``, ``shield``, ``cors``, ``telemetry``, ``session``) and
extensions — modules with ``handle_component(scope)``, named by a ``package`` option or
found through the ``harpia.extensions`` entry-point group.

The extension API: ``handle_component(scope)`` receives a ``Scope`` with ``options`` (an
``OptionsWatcher``) and ``handle_entry()`` (``EntryHandler``s emitting ``EntryEvent``s);
in development files and the config are watched and changes applied live.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._emitter import Emitter as Emitter
    from ._entries import EntryHandler as EntryHandler
    from ._errors import ConfigError as ConfigError
    from ._files import FilesOptions as FilesOptions
    from ._files import parse_files as parse_files
    from ._files import url_base as url_base
    from ._loader import load as load
    from ._options import OptionsWatcher as OptionsWatcher
    from ._scan import EntryEvent as EntryEvent
    from ._scope import Scope as Scope

# Imported on first use, so that ``import harpia`` (which exports ``load`` and
# ``ConfigError``) does not load the watcher, the glob engine and the built-ins.
_HOMES = {
    "ConfigError": "._errors",
    "Emitter": "._emitter",
    "EntryEvent": "._scan",
    "EntryHandler": "._entries",
    "FilesOptions": "._files",
    "OptionsWatcher": "._options",
    "Scope": "._scope",
    "load": "._loader",
    "parse_files": "._files",
    "url_base": "._files",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


__all__ = (
    "ConfigError",
    "Emitter",
    "EntryEvent",
    "EntryHandler",
    "FilesOptions",
    "OptionsWatcher",
    "Scope",
    "load",
    "parse_files",
    "url_base",
)

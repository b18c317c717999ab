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

from .._compose import load as load
from ._emitter import Emitter as Emitter
from ._entries import EntryHandler as EntryHandler
from ._errors import ConfigError as ConfigError
from ._files import FilesOptions as FilesOptions
from ._files import parse_files as parse_files
from ._files import url_base as url_base
from ._options import OptionsWatcher as OptionsWatcher
from ._scan import EntryEvent as EntryEvent
from ._scope import Scope as Scope

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

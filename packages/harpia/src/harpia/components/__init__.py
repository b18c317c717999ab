"""Components: compose an app from a config file, extensions, live updates.

``harpia.load(path)`` reads ``harpia.toml`` (or ``[tool.harpia]`` of ``pyproject.toml``,
or ``config.yaml``) and composes an app from its components: built-ins (``static``,
``templates``, ``routes``, ``shield``, ``cors``, ``telemetry``, ``session``) and
extensions — modules with ``handle_component(scope)``, named by a ``package`` option or
found through the ``harpia.extensions`` entry-point group. A ``Scope`` gives an extension
its options (``OptionsWatcher``), its files (``EntryHandler`` events with ``EntryEvent``
entries) and the app; in development files and config are watched and applied live.
"""

from ._entries import EntryEvent as EntryEvent
from ._entries import EntryHandler as EntryHandler
from ._errors import ConfigError as ConfigError
from ._files import FilesOptions as FilesOptions
from ._files import parse_files as parse_files
from ._files import url_base as url_base
from ._loader import load as load
from ._options import OptionsWatcher as OptionsWatcher
from ._scope import Scope as Scope

__all__ = (
    "ConfigError",
    "EntryEvent",
    "EntryHandler",
    "FilesOptions",
    "OptionsWatcher",
    "Scope",
    "load",
    "parse_files",
    "url_base",
)

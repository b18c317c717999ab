"""Components: compose an app from a config file, extensions and live updates.

The extension API: ``handle_component(scope)`` receives a ``Scope`` with ``options`` (an
``OptionsWatcher``) and ``handle_entry()`` (``EntryHandler``s emitting ``EntryEvent``s).
"""

from ._emitter import Emitter as Emitter
from ._entries import EntryHandler as EntryHandler
from ._files import FilesOptions as FilesOptions
from ._files import parse_files as parse_files
from ._files import url_base as url_base
from ._options import OptionsWatcher as OptionsWatcher
from ._scan import EntryEvent as EntryEvent
from ._scope import Scope as Scope

__all__ = (
    "Emitter",
    "EntryEvent",
    "EntryHandler",
    "FilesOptions",
    "OptionsWatcher",
    "Scope",
    "parse_files",
    "url_base",
)

"""``Scope``: what ``handle_component(scope)`` receives for one component of the config.

The loader creates one scope per component, calls the extension's ``handle_component``,
then awaits ``scope.start()``. Option changes are the extension's business when it listens
to them (``scope.options.on("change", ...)``) or to its default entry handler; otherwise the
scope updates the default handler for ``files``/``url_path`` changes and asks for a restart
for anything else, as the reference does.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from ._emitter import Emitter
from ._entries import EntryHandler
from ._files import FilesOptions, parse_entry_config, parse_files
from ._options import OptionsWatcher

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

    from .._app import Harpia

logger = logging.getLogger("harpia.components")

_ENTRY_OPTIONS = ("files", "url_path")


class Scope(Emitter):
    """A component's name, folder, options, app and entry handlers.

    Events: ``"ready"`` (after ``start()``), ``"close"``, ``"error"``.

    Attributes:
        name: the component's name (its table in the config file).
        directory: the component's folder (where the config file is).
        options: the component's options (an ``OptionsWatcher``).
        app: the ``harpia.Harpia`` being composed (add routes and middleware to it).
        development: whether files and options are watched for changes.
        restart_requested: set by ``request_restart()``.
    """

    def __init__(
        self,
        name: str,
        directory: str | os.PathLike[str],
        app: Harpia,
        root: Mapping[str, Any] | None = None,
        *,
        development: bool = False,
    ) -> None:
        """Args:
        name: the component's name.
        directory: the component's folder.
        app: the app to configure.
        root: the whole parsed config file (the component's options are ``root[name]``).
        development: watch files and options (needs ``watchfiles``).
        """
        super().__init__()
        self.name = name
        self.directory = Path(directory).resolve()
        self.app = app
        self.development = development
        self.options = OptionsWatcher(name, root)
        self.restart_requested = False
        self._default: EntryHandler | None = None
        self._handlers: list[EntryHandler] = []
        self._started = False
        self._closed = False
        self.options.on("change", self._on_option_change)

    def __repr__(self) -> str:
        return f"Scope({self.name!r}, {str(self.directory)!r})"

    @property
    def entry_handlers(self) -> tuple[EntryHandler, ...]:
        """Every entry handler created by ``handle_entry`` (the default one included)."""
        return tuple(self._handlers)

    @overload
    def handle_entry(
        self, files: Callable[..., Any] | None = None, handler: None = None
    ) -> EntryHandler: ...
    @overload
    def handle_entry(
        self,
        files: FilesOptions | str | list[str] | Mapping[str, Any],
        handler: Callable[..., Any] | None = None,
    ) -> EntryHandler: ...
    def handle_entry(
        self, files: Any = None, handler: Callable[..., Any] | None = None
    ) -> EntryHandler:
        """An entry handler for this component's files.

        - ``handle_entry()``: the default handler, from the ``files``/``url_path`` options
          (created once);
        - ``handle_entry(fn)``: the default handler, with ``fn`` listening to ``"all"``;
        - ``handle_entry(files)``, ``handle_entry(files, fn)``: a new handler for ``files``
          (a glob, a list, ``{source, ignore, only}``, a ``FilesOptions`` or
          ``{"files": ..., "url_path": ...}``), with ``fn`` listening to ``"all"``.

        Handlers created before ``start()`` are started by it; start later ones yourself
        (``await handler.start()``).

        Raises:
            ValueError: no ``files`` option for the default handler, or invalid options
                (naming the component and the key).
            TypeError: options of the wrong type, or a handler that is not callable.
        """
        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        if files is None or (callable(files) and handler is None):
            entry = self._default_handler()
            listener = files
        else:
            entry = self._new_handler(files)
            listener = handler
        if listener is not None:
            if not callable(listener):
                raise TypeError(
                    f"{self.name}: the entry handler must be callable, got {listener!r}"
                )
            entry.on("all", listener)
        return entry

    def _default_handler(self) -> EntryHandler:
        if self._default is None:
            files = self.options.get("files")
            if files is None:
                raise ValueError(
                    f"{self.name}: handle_entry() without files needs a 'files' option "
                    f"in the component's config"
                )
            self._default = self._add(files, self.options.get("url_path"))
        return self._default

    def _new_handler(self, files: Any) -> EntryHandler:
        if isinstance(files, Mapping) and "files" in files:
            parsed, url_path = parse_entry_config(files, key=self.name)
            return self._add(parsed, url_path)
        return self._add(files, None)

    def _add(self, files: Any, url_path: Any) -> EntryHandler:
        entry = EntryHandler(self.name, self.directory, files, url_path, watch=self.development)
        self._handlers.append(entry)
        return entry

    def request_restart(self) -> None:
        """Tell the user the app must be restarted to apply a change (logged once)."""
        if not self.restart_requested:
            self.restart_requested = True
            logger.warning(
                "%s: a configuration change needs a restart of the application to apply",
                self.name,
            )

    async def start(self) -> None:
        """Start every entry handler (scan, then watch in development), then emit ``ready``.

        ``scope.options`` emits its first ``ready`` here too.
        """
        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        if self._started:
            return
        self._started = True
        for entry in list(self._handlers):
            await entry.start()
        await self.options.emit("ready")
        await self.emit("ready")

    async def close(self) -> None:
        """Close the entry handlers and the options, emit ``close``, remove all listeners."""
        if self._closed:
            return
        self._closed = True
        for entry in self._handlers:
            await entry.close()
        await self.options.close()
        await self.emit("close")
        self.remove_all_listeners()

    async def _on_option_change(self, key: list[str], value: Any, config: Any) -> None:
        handled = False
        default = self._default
        if key and key[0] in _ENTRY_OPTIONS and default is not None:
            files, url_path = self.options.get("files"), self.options.get("url_path")
            if files is not None:
                handled = True
                if url_path != default.url_path or not _same_files(default.files, files):
                    await default.update(files, url_path)
        user_listeners = self.options.listener_count("change") - 1  # minus this one
        if handled or user_listeners > 0:
            return
        if default is None or default.listener_count() == 0:
            self.request_restart()


def _same_files(current: FilesOptions, value: Any) -> bool:
    try:
        return parse_files(value) == current
    except (TypeError, ValueError):
        return False

"""``harpia.load(path)``: compose an app from the config file of an app folder.

Two phases
----------
*Load* (``load()``, synchronous) finds and parses the config file, resolves and imports
every component and checks every option: every error a config can hold is raised here,
as a ``ConfigError`` naming the file, the component and the key, before any server starts.

*Activation* runs when the app starts up (``app.startup()``: the native server, the ASGI
lifespan and the test client all call it), before the user's own startup hooks: for each
component in file order, a ``Scope`` is made, ``handle_component(scope)`` is called (and
awaited when async), then ``scope.start()`` scans its files (and, in development, starts
watching them). A component raising there aborts startup with a ``ConfigError`` naming the
file and the component; the components already started are closed again and their
middleware removed, so the app never serves half-configured.

Middleware order: middleware the components add runs before middleware added in code after
``load()`` (config first, then code), whatever the order of ``app.use`` calls.

Development mode: ``load(development=True|False)`` decides; ``None`` (the default) follows
``app.development`` when the app starts, so ``harpia run --dev``,
``app.listen(development=True)`` and ``Harpia(development=True)`` all turn it on. In
development, files are watched and the config file too (``_live.py``).
"""

from __future__ import annotations

import inspect
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import ConfigError

if TYPE_CHECKING:
    import os

    from ._app import Harpia
    from ._routing import AnyHandler as Handler
    from .components._config import ConfigFile
    from .components._emitter import Emitter
    from .components._resolve import Component
    from .components._scope import Scope

logger = logging.getLogger("harpia.components")


def load(path: str | os.PathLike[str] = ".", *, development: bool | None = None) -> Harpia:
    """Compose an app from the config file in the folder ``path``.

    The folder holds ``harpia.toml`` (else ``[tool.harpia]`` in ``pyproject.toml``, else
    ``config.yaml``); each top-level table names a component and holds its options. The
    folder is put on ``sys.path``, so its modules (routes, local extensions) import.

    Args:
        path: The app folder.
        development: Watch files and the config and apply changes live. ``None``: decided
            when the app starts, from ``app.development``.

    Returns:
        The app; code may still add routes and middleware to it. Components activate
        when it starts up.

    Raises:
        ConfigError: no config file, a malformed one, an unknown component, a missing
            package, a module without ``handle_component``, or an invalid option.
    """
    from ._app import Harpia
    from .components._config import find_config, read_config  # here, so `import harpia` stays light
    from .components._resolve import resolve

    if development is not None and not isinstance(development, bool):
        raise TypeError(f"development must be a bool or None, got {development!r}")
    root = Path(path).resolve()
    config = find_config(root)
    tables = read_config(config)
    folder = str(root)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    components = [resolve(config, name, options) for name, options in tables.items()]
    app = Harpia(development=bool(development))
    composer = Composer(app, root, config, components, development)
    app.on_startup(composer.start)
    app.on_shutdown(composer.stop)
    app.state["harpia.components"] = composer
    return app


class Composer:
    """Activates the components of one app at startup and closes them at shutdown."""

    def __init__(
        self,
        app: Harpia,
        root: Path,
        config: ConfigFile,
        components: list[Component],
        development: bool | None,
    ) -> None:
        self.app = app
        self.root = root
        self.config = config
        self.components = components
        self._development = development
        self.scopes: dict[str, Scope] = {}
        self.config_root: dict[str, Any] = {c.name: c.options for c in components}
        self._live: Any = None
        self._added: list[tuple[str | None, Handler]] = []  # middleware the components added

    @property
    def development(self) -> bool:
        """Whether files and the config are watched (fixed when the app starts)."""
        if self._development is None:
            return bool(self.app.development)
        return self._development

    async def start(self) -> None:
        """Activate every component (the app's first startup hook).

        Raises:
            ConfigError: a component failed; the ones already started are closed again.
        """
        if self.scopes:
            return
        app = self.app
        development = self._development = self.development
        if development:  # fail before anything starts
            from .components._watch import require_asyncio, require_watchfiles

            try:
                require_watchfiles()
                require_asyncio()
            except RuntimeError as exc:
                raise self.config.error(f"development mode: {exc}") from exc
        in_code: list[tuple[str | None, Handler]] = list(app._middlewares)
        try:
            for component in self.components:
                await self._activate(component, development)
        except BaseException:
            app._middlewares[:] = in_code
            app._router.version += 1
            await self._close_scopes()
            raise
        self._added = app._middlewares[len(in_code) :]
        app._middlewares[:] = [*self._added, *in_code]  # config first, then code
        app._router.version += 1
        if development:
            from .components._live import ConfigWatcher

            self._live = ConfigWatcher(self)
            await self._live.start()

    async def _activate(self, component: Component, development: bool) -> None:
        from .components._scope import Scope

        name = component.name
        scope = Scope(name, self.root, self.app, self.config_root, development=development)
        self.scopes[name] = scope
        failures: list[Exception] = []  # what listeners raise while starting is fatal too
        emitters: list[Emitter] = [scope]
        try:
            result = component.module.handle_component(scope)
            if inspect.isawaitable(result):
                await result
            emitters += scope.entry_handlers
            for emitter in emitters:
                emitter.on("error", failures.append)
            await scope.start()
            if failures:
                raise failures[0]
        except Exception as exc:
            if isinstance(exc, ConfigError):
                raise
            from .components._errors import OptionError

            if isinstance(exc, OptionError):  # an option found wrong only when starting
                raise self.config.error(exc.problem, name, exc.key) from exc
            raise self.config.error(
                f"{component.origin} failed to start: {type(exc).__name__}: {exc}", name
            ) from exc
        finally:
            for emitter in emitters:  # later errors: the extension's listeners, or logged
                emitter.off("error", failures.append)

    async def stop(self) -> None:
        """Stop watching and close every scope (the app's last shutdown hook)."""
        if self._live is not None:
            live, self._live = self._live, None
            await live.stop()
        await self._close_scopes()
        if self._added:  # a later startup activates the components afresh
            added = {id(entry) for entry in self._added}
            self.app._middlewares[:] = [m for m in self.app._middlewares if id(m) not in added]
            self.app._router.version += 1
            self._added = []

    async def _close_scopes(self) -> None:
        scopes = list(self.scopes.values())
        self.scopes.clear()
        for scope in reversed(scopes):
            try:
                await scope.close()
            except Exception:
                logger.exception("closing component %r failed", scope.name)

    async def reload(self) -> bool:
        """Read the config file again and hand the new options to the running components.

        A file that no longer parses or checks keeps the last good configuration running:
        the reason is logged and every component's options emit ``remove`` (then
        ``ready`` once the file is good again). Components added to, removed from or
        replaced in the file cannot be applied live: a warning says a restart is needed.

        Returns:
            Whether the new configuration was applied.
        """
        from .components._config import read_config
        from .components._resolve import resolve

        try:
            tables = read_config(self.config)
            fresh = {name: resolve(self.config, name, options) for name, options in tables.items()}
        except ConfigError as exc:
            logger.error("%s; keeping the last good configuration running", exc)
            for scope in self.scopes.values():
                await scope.options.apply(None)
            return False
        if list(fresh) != [c.name for c in self.components] or any(
            fresh[c.name].module is not c.module for c in self.components
        ):
            logger.warning(
                "%s: components were added, removed or replaced: restart required to apply "
                "that (the other changes are applied now)",
                self.config.name,
            )
        self.config_root = {name: c.options for name, c in fresh.items()}
        for name, scope in self.scopes.items():
            await scope.options.apply(self.config_root if name in fresh else None)
        return True

"""``TemplateEngine``: the public face — options, plugins, and the render entry points."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from ._compiler import render
from ._context import RenderContext
from ._errors import TemplateNotFound
from ._exprparser import RESERVED
from ._loader import Loader
from ._parser import BUILTINS

if TYPE_CHECKING:
    from ._compiler import CompiledTemplate

_PATH_KEYS: Final = frozenset({"views", "layouts", "components"})
_PLUGIN_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_NO_DATA: Final[Mapping[str, Any]] = {}
DEFAULT_MAX_OUTPUT: Final = 64 * 1024 * 1024  # characters
DEFAULT_MAX_WORK: Final = 5_000_000  # units
DEFAULT_MAX_LOCALS: Final = 64 * 1024 * 1024  # characters or items


class TemplateEngine:
    """A compiled, sandboxed template engine.

    Args:
        path: Folders: ``{"views": ..., "layouts": ..., "components": ...}``; ``layouts``
            and ``components`` are optional; relative paths are taken from the current
            working directory now. Optional only if you never call ``render``.
        view_name: ``render("home")`` reads ``<views>/home/<view_name><ext>``; with None,
            ``<views>/home<ext>``.
        use_modules: The views path holds ``**`` (``"modules/**/pages"``), replaced by the
            module of ``engine.module(name)``.
        file_extension: Extension of template files, with its dot.
        auto_reload: Recompile a template when its file changes (development).
        strict: An undefined name or attribute raises ``TemplateError`` instead of
            rendering empty.
        max_iterations: Loop iterations one render may run, all loops together.
        max_depth: How deep layouts, imports and components may nest (recursion guard).
        max_output: Characters of output one render may write, layouts and components
            included (``TemplateLimitError`` past it).
        max_work: Work units one render may spend: a unit per expression operation, write
            and statement, loop bodies times their iterations, templates each time they
            run, and a unit per 8 characters of large ``+`` results. The default stops a
            render after about a second of CPU.
        max_locals: Total size of what ``@set`` locals may hold at once (string and bytes
            lengths, container item counts).
        nonce_provider: What ``generateNonce()`` calls when a render gets no ``nonce``.

    Raises:
        TypeError: an option has the wrong type.
        ValueError: an option has a wrong value (unknown path key, ``**`` without
            ``use_modules`` or the reverse, an extension without its dot, ...).
    """

    def __init__(
        self,
        path: Mapping[str, str | os.PathLike[str]] | None = None,
        *,
        view_name: str | None = "page",
        use_modules: bool = False,
        file_extension: str = ".html",
        auto_reload: bool = False,
        strict: bool = False,
        max_iterations: int = 1_000_000,
        max_depth: int = 64,
        max_output: int = DEFAULT_MAX_OUTPUT,
        max_work: int = DEFAULT_MAX_WORK,
        max_locals: int = DEFAULT_MAX_LOCALS,
        nonce_provider: Callable[[], str] | None = None,
    ) -> None:
        paths = _check_paths(path, use_modules)
        if view_name is not None and (not isinstance(view_name, str) or not view_name):
            raise TypeError(f"view_name must be a non-empty str or None, got {view_name!r}")
        if view_name is not None and ("/" in view_name or "\\" in view_name):
            raise ValueError(f"view_name must be a file name, got {view_name!r}")
        if not isinstance(file_extension, str):
            raise TypeError(f"file_extension must be a str, got {type(file_extension).__name__}")
        if not re.fullmatch(r"\.[\w.-]+", file_extension):
            raise ValueError(
                f"file_extension must start with a dot, like '.html': {file_extension!r}"
            )
        for name, value in (
            ("max_iterations", max_iterations),
            ("max_depth", max_depth),
            ("max_output", max_output),
            ("max_work", max_work),
            ("max_locals", max_locals),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        for name, flag in (
            ("use_modules", use_modules),
            ("auto_reload", auto_reload),
            ("strict", strict),
        ):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {flag!r}")
        self.view_name = view_name
        self.use_modules = use_modules
        self.file_extension = file_extension
        self.strict = strict
        self.max_iterations = max_iterations
        self.max_depth = max_depth
        self.max_output = max_output
        self.max_work = max_work
        self.max_locals = max_locals
        self.paths: Mapping[str, str | None] = paths
        self._loader = Loader(
            paths,
            view_name=view_name,
            extension=file_extension,
            auto_reload=auto_reload,
            strict=strict,
        )
        self._plugins: dict[str, Callable[..., Any]] = {}
        self._nonce_provider: Callable[[], str] | None = None
        self.set_nonce_provider(nonce_provider)

    def __repr__(self) -> str:
        return f"<TemplateEngine views={self.paths.get('views')!r}>"

    # -- configuration ------------------------------------------------------------------

    @property
    def auto_reload(self) -> bool:
        """Recompile a template when its file changes; settable (harpia turns it on for an
        app in development mode when its server starts)."""
        return self._loader.auto_reload

    @auto_reload.setter
    def auto_reload(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise TypeError(f"auto_reload must be a bool, got {value!r}")
        self._loader.auto_reload = value

    @property
    def plugins(self) -> Mapping[str, Callable[..., Any]]:
        """The registered plugins (read-only view; ``raw``, ``json``, ``generateNonce``
        are built in and not listed)."""
        return dict(self._plugins)

    def register_plugin(self, name: str, function: Callable[..., Any]) -> None:
        """Make ``function`` callable from templates as ``name(args...)``.

        Registering a name again replaces the plugin; templates already compiled see the
        new one on their next render.

        Raises:
            TypeError: ``function`` is not callable or ``name`` not a str.
            ValueError: ``name`` is not an identifier, starts with ``_``, is a keyword
                (``true``, ``and``, ...), or a built-in (``raw``, ``json``,
                ``generateNonce`` — use ``set_nonce_provider`` for the nonce).
        """
        if not isinstance(name, str):
            raise TypeError(f"plugin name must be a str, got {type(name).__name__}")
        if not _PLUGIN_NAME.match(name) or name in RESERVED:
            raise ValueError(
                f"plugin name {name!r} must be an identifier (letters, digits, '_'), "
                "not starting with '_' and not a keyword"
            )
        if name in BUILTINS:
            hint = " (use set_nonce_provider)" if name == "generateNonce" else ""
            raise ValueError(f"plugin {name!r} is built in and cannot be replaced{hint}")
        if not callable(function):
            raise TypeError(f"plugin {name!r} must be callable, got {type(function).__name__}")
        self._plugins[name] = function

    def set_nonce_provider(self, provider: Callable[[], str] | None) -> None:
        """Set what ``generateNonce()`` calls when a render gets no ``nonce=`` (None: nothing).

        Raises:
            TypeError: ``provider`` is neither callable nor None.
        """
        if provider is not None and not callable(provider):
            raise TypeError(f"nonce provider must be callable, got {type(provider).__name__}")
        self._nonce_provider = provider

    def configure(self, app: Any) -> None:
        """Use this engine for ``res.render`` in ``app`` (any app with ``engine.set``).

        Raises:
            TypeError: ``app`` has no ``engine.set``.
        """
        slot = getattr(app, "engine", None)
        setter = getattr(slot, "set", None)
        if not callable(setter):
            raise TypeError(f"configure() needs an app with engine.set(), got {app!r}")
        setter(self)

    def clear_cache(self) -> None:
        """Forget every compiled template (they are compiled again when next used)."""
        self._loader.clear()

    # -- rendering ----------------------------------------------------------------------

    def render(
        self, view: str, data: Mapping[str, Any] | None = None, *, nonce: str | None = None
    ) -> str:
        """Render view ``view`` (``<views>/<view>/<view_name><ext>``) with ``data``.

        Args:
            view: The view name, like ``"home"`` or ``"books/show"``.
            data: The values templates can read.
            nonce: What ``generateNonce()`` returns in this render (the request's nonce).

        Raises:
            TemplateNotFound: the view does not exist (the message names the path tried).
            TemplateSyntaxError: a template is not valid.
            TemplateError: rendering failed (the message names the template and line).
            ValueError: ``use_modules=True`` (use ``module(name).render``), or a bad name.
        """
        return self._render_view(view, None, data, nonce)

    def module(self, name: str) -> ModuleViews:
        """The views of module ``name`` (``use_modules=True``): ``module(name).render(...)``.

        Raises:
            ValueError: the engine does not use modules, or ``name`` is not a folder name.
        """
        if not self.use_modules:
            raise ValueError("module() needs TemplateEngine(use_modules=True, ...)")
        self._loader.views_root(name)  # checks the name
        return ModuleViews(self, name)

    def generate(
        self,
        path: str | os.PathLike[str],
        data: Mapping[str, Any] | None = None,
        *,
        nonce: str | None = None,
    ) -> str:
        """Render the template file at ``path`` (relative to the working directory; the
        extension is added when missing), wherever it is.

        Raises:
            TemplateNotFound: there is no such file.
        """
        file = self._loader.path_of(path)  # type: ignore[arg-type]
        template = self._loader.get(file)
        if template is None:
            raise TemplateNotFound(
                f"template {os.fspath(path)!r} not found: {file} does not exist", path=file
            )
        return self._run(template, data, nonce)

    def render_string(
        self, source: str, data: Mapping[str, Any] | None = None, *, nonce: str | None = None
    ) -> str:
        """Render template source given as a string (compiled once, cached).

        ``@import`` in it is relative to the views folder (the working directory when
        there is none).
        """
        if not isinstance(source, str):
            raise TypeError(f"source must be a str, got {type(source).__name__}")
        return self._run(self._loader.from_string(source), data, nonce)

    def _render_view(
        self, view: str, module: str | None, data: Mapping[str, Any] | None, nonce: str | None
    ) -> str:
        path = self._loader.view_path(view, module)
        template = self._loader.get(path)
        if template is None:
            where = f" of module {module!r}" if module is not None else ""
            raise TemplateNotFound(
                f"view {view!r}{where} not found: {path} does not exist", path=path
            )
        return self._run(template, data, nonce)

    def _run(
        self, template: CompiledTemplate, data: Mapping[str, Any] | None, nonce: str | None
    ) -> str:
        if data is None:
            data = _NO_DATA
        elif not isinstance(data, Mapping):
            raise TypeError(f"data must be a mapping (a dict), got {type(data).__name__}")
        if nonce is not None and not isinstance(nonce, str):
            raise TypeError(f"nonce must be a str, got {type(nonce).__name__}")
        context = RenderContext(
            self._loader,
            self._plugins,
            max_iterations=self.max_iterations,
            max_depth=self.max_depth,
            max_output=self.max_output,
            max_work=self.max_work,
            max_locals=self.max_locals,
            nonce=nonce,
            nonce_provider=self._nonce_provider,
        )
        return render(template, data, context)


class ModuleViews:
    """The views of one module: what ``engine.module(name)`` returns."""

    __slots__ = ("engine", "name")

    def __init__(self, engine: TemplateEngine, name: str) -> None:
        self.engine = engine
        self.name = name

    def __repr__(self) -> str:
        return f"<ModuleViews {self.name!r}>"

    def render(
        self, view: str, data: Mapping[str, Any] | None = None, *, nonce: str | None = None
    ) -> str:
        """Render view ``view`` of this module (see ``TemplateEngine.render``)."""
        return self.engine._render_view(view, self.name, data, nonce)


def _check_paths(path: object, use_modules: bool) -> dict[str, str | None]:
    paths: dict[str, str | None] = dict.fromkeys(sorted(_PATH_KEYS))
    if path is None:
        if use_modules:
            raise ValueError("use_modules=True needs path={'views': '.../**/...'}")
        return paths
    if not isinstance(path, Mapping):
        raise TypeError(f"path must be a dict like {{'views': ...}}, got {type(path).__name__}")
    for key, value in path.items():
        if key not in _PATH_KEYS:
            raise ValueError(f"unknown path key {key!r} (expected views, layouts, components)")
        if value is None:
            continue
        if not isinstance(value, str | os.PathLike):
            raise TypeError(f"path[{key!r}] must be a str or os.PathLike, got {value!r}")
        paths[key] = os.path.abspath(os.fspath(value))
    views = paths["views"]
    if use_modules and (views is None or "**" not in views):
        raise ValueError(f"use_modules=True needs '**' in the views path, got {views!r}")
    if not use_modules and views is not None and "**" in views:
        raise ValueError(f"the views path holds '**' but use_modules is False: {views!r}")
    return paths

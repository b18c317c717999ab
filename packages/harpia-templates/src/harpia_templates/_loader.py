"""The loader: where templates live on disk, and the cache of compiled ones.

Path rules:

- a view ``"home"`` is ``<views>/home/<view_name><ext>`` (``view_name=None``:
  ``<views>/home<ext>``); with ``use_modules`` the views path holds ``**``, replaced by the
  module name;
- ``@layout("x")`` is ``<layouts>/x<ext>``, ``@component("x")`` is ``<components>/x<ext>``;
  without a layouts or components path they are looked up like imports;
- ``@import("x")`` is ``x<ext>`` next to the template that imports it (``../`` allowed);
- ``generate("a/b")`` is ``a/b<ext>`` relative to the working directory.

A template can only name files inside the views, layouts or components folders, or
inside its own folder: ``@import("../../x")`` climbing out of them is a syntax error, so
even a template from an untrusted source cannot read other files.

The extension is added only when the name does not already end with it. Names of views
and modules are checked (no absolute paths, no ``..``), since they may come from code
that took them from a request.

Each file is compiled once and kept. With ``auto_reload`` the file's modification time and
size are checked on every use and a changed file is compiled again; as layouts and
components are loaded when used, editing any of them shows on the next render.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final

from ._compiler import CompiledTemplate, compile_template
from ._context import Target

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

MAX_STRING_CACHE: Final = 256


def _display(path: str) -> str:
    """``path`` relative to the working directory when it is inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return path
    return path if relative.startswith("..") else relative


def _check_relative(what: str, name: str, *, parent_ok: bool) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a str, got {type(name).__name__}")
    if not name or "\0" in name:
        raise ValueError(f"{what} {name!r} is empty or holds a NUL character")
    if os.path.isabs(name) or name.startswith(("/", "\\")):
        raise ValueError(f"{what} {name!r} must be a relative path")
    if not parent_ok and ".." in name.replace("\\", "/").split("/"):
        raise ValueError(f"{what} {name!r} must not contain '..'")


class Loader:
    """Resolve template paths and cache compiled templates.

    Args:
        paths: ``views`` (may hold ``**``), ``layouts``, ``components``: absolute or None.
        view_name: File name of a view inside its folder, or None for ``<view><ext>``.
        extension: File extension with its dot.
        auto_reload: Recompile files that changed.
        strict: Compile templates in strict mode.
    """

    def __init__(
        self,
        paths: Mapping[str, str | None],
        *,
        view_name: str | None,
        extension: str,
        auto_reload: bool,
        strict: bool,
    ) -> None:
        self.views = paths.get("views")
        self.layouts = paths.get("layouts")
        self.components = paths.get("components")
        self.view_name = view_name
        self.extension = extension
        self.auto_reload = auto_reload
        self.strict = strict
        self.cache: dict[str, CompiledTemplate] = {}
        self.strings: dict[str, CompiledTemplate] = {}
        # Folders a template may read other templates from (with its own folder).
        views = self.views.split("**")[0] if self.views else None
        self.roots = tuple(
            os.path.normpath(root) for root in (views, self.layouts, self.components) if root
        )

    def _file(self, base: str, name: str) -> str:
        name = name if name.endswith(self.extension) else name + self.extension
        return os.path.normpath(os.path.join(base, name))

    # -- paths ------------------------------------------------------------------------------

    def views_root(self, module: str | None) -> str:
        """The views folder (of ``module`` when modules are used).

        Raises:
            ValueError: no views path, or a module name where none is expected (or the
                reverse), or a bad module name.
        """
        if self.views is None:
            raise ValueError("no views path configured: TemplateEngine(path={'views': ...})")
        if module is None:
            if "**" in self.views:
                raise ValueError(
                    "use_modules=True: render views with engine.module(name).render(view, data)"
                )
            return self.views
        _check_relative("module name", module, parent_ok=False)
        if "/" in module or "\\" in module:
            raise ValueError(f"module name {module!r} must be a single folder name")
        return self.views.replace("**", module)

    def view_path(self, view: str, module: str | None = None) -> str:
        """The file of view ``view``.

        Raises:
            TypeError: ``view`` is not a str.
            ValueError: ``view`` is empty, absolute or climbs out with ``..``.
        """
        _check_relative("view name", view, parent_ok=False)
        root = self.views_root(module)
        if self.view_name is None:
            return self._file(root, view)
        return self._file(os.path.join(root, view), self.view_name)

    def path_of(self, path: str) -> str:
        """The file ``generate(path)`` means: relative to the working directory."""
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        path = os.fspath(path)
        if not path or "\0" in path:
            raise ValueError(f"path {path!r} is empty or holds a NUL character")
        return self._file(os.getcwd(), path)

    def resolver(self, folder: str) -> Callable[[str, str], Target]:
        """Resolve the names a template in ``folder`` uses."""

        allowed = (*self.roots, folder)

        def resolve(kind: str, name: str) -> Target:
            _check_relative(f"{kind} name", name, parent_ok=True)
            base = {"layout": self.layouts, "component": self.components}.get(kind) or folder
            path = self._file(base, name)
            if not any(path.startswith(os.path.join(root, "")) for root in allowed):
                raise ValueError(f"{kind} {name!r} is outside the template folders ({path})")
            return Target(kind, name, path)

        return resolve

    # -- compiled templates -----------------------------------------------------------------

    def get(self, path: str) -> CompiledTemplate | None:
        """The compiled template in file ``path``, or None when there is no such file.

        Raises:
            TemplateSyntaxError: the file is not a valid template.
        """
        template = self.cache.get(path)
        if template is not None and not self.auto_reload:
            return template
        try:
            status = os.stat(path)
        except OSError:  # missing, or a path through a file
            self.cache.pop(path, None)
            return None
        stamp = (status.st_mtime_ns, status.st_size)
        if template is not None and template.stamp == stamp:
            return template
        try:
            with open(path, encoding="utf-8") as file:
                text = file.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        template = compile_template(
            text,
            _display(path),
            strict=self.strict,
            resolve=self.resolver(os.path.dirname(path)),
            stamp=stamp,
        )
        self.cache[path] = template
        return template

    def from_string(self, text: str) -> CompiledTemplate:
        """The compiled template for source ``text`` (cached for the last few strings)."""
        template = self.strings.get(text)
        if template is None:
            if self.views is not None and "**" not in self.views:
                folder = self.views
            else:
                folder = os.getcwd()
            template = compile_template(
                text, "<string>", strict=self.strict, resolve=self.resolver(folder)
            )
            if len(self.strings) >= MAX_STRING_CACHE:
                del self.strings[next(iter(self.strings))]
            self.strings[text] = template
        return template

    def clear(self) -> None:
        """Forget every compiled template."""
        self.cache.clear()
        self.strings.clear()

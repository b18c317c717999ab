"""The render context: what one ``render()`` call shares with every template it runs.

A compiled template is a plain function ``root(context, data, out, blocks)``. The context
carries what is per render, never global: the plugins, the nonce that ``generateNonce()``
returns (so two concurrent requests never see each other's), the resource budgets, and the
include depth; and it loads the layouts, imports and components a template names.

The budgets (see ``_codegen`` for where the generated code charges them):

- ``room``: characters of output still allowed (``max_output``). Each write of text and
  values subtracts what it wrote and checks; a block's text is given back when the block
  is finished, since it is charged again where it is yielded.
- ``work``: work units still allowed (``max_work``). A template charges its top-level
  units each time it runs, a loop its body's units times its length when it starts, and
  ``+`` one unit per 8 characters (or items) of a large result.
- ``held``: the size of the values ``@set`` locals hold now (``max_locals``): the length
  of a string, bytes or container. Rebinding a local gives back what it held before, and
  a template's locals are given back when it returns.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from ._errors import TemplateError, TemplateLimitError, TemplateNotFound
from ._parser import BUILTINS

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ._compiler import CompiledTemplate

EMPTY_BLOCKS: dict[str, str] = {}
# What max_locals measures: strings and bytes by length, containers by item count.
_SIZED = (str, bytes, bytearray, list, tuple, dict, set, frozenset)


@dataclass(frozen=True, slots=True)
class Target:
    """A template that a directive names, resolved when the naming template is compiled.

    Attributes:
        kind: ``"layout"``, ``"import"`` or ``"component"``.
        name: The name as written.
        path: The file it resolves to.
    """

    kind: str
    name: str
    path: str


class TemplateSource(Protocol):
    """Where a render context gets compiled templates from (the engine's loader)."""

    def get(self, path: str) -> CompiledTemplate | None:
        """The compiled template at ``path``, or None when there is no such file."""
        ...


class RenderContext:
    """State shared by one render and every layout and component it pulls in.

    Args:
        loader: Loads compiled templates by path.
        plugins: Name → callable, for ``name(...)`` calls in templates.
        max_iterations: Loop iterations allowed in this render (all loops together).
        max_depth: How deep layouts, imports and components may nest.
        max_output: Characters of output allowed in this render.
        max_work: Work units allowed in this render.
        max_locals: Total size of the values ``@set`` locals may hold at once.
        nonce: What ``generateNonce()`` returns during this render, if given.
        nonce_provider: Called by ``generateNonce()`` when no ``nonce`` was given.
    """

    __slots__ = (
        "budget",
        "depth",
        "held",
        "loader",
        "max_depth",
        "max_iterations",
        "max_locals",
        "max_output",
        "max_work",
        "nonce",
        "nonce_provider",
        "plugins",
        "room",
        "work",
    )

    def __init__(
        self,
        loader: TemplateSource,
        plugins: Mapping[str, Callable[..., Any]],
        *,
        max_iterations: int,
        max_depth: int,
        max_output: int,
        max_work: int,
        max_locals: int,
        nonce: str | None = None,
        nonce_provider: Callable[[], str] | None = None,
    ) -> None:
        self.loader = loader
        self.plugins = plugins
        self.budget = max_iterations
        self.max_iterations = max_iterations
        self.depth = 0
        self.max_depth = max_depth
        self.nonce = nonce
        self.nonce_provider = nonce_provider
        self.room = self.max_output = max_output
        self.work = self.max_work = max_work
        self.held = 0
        self.max_locals = max_locals

    # -- budgets --------------------------------------------------------------------------

    def charge(self, units: int) -> None:
        """Spend ``units`` of work.

        Raises:
            TemplateLimitError: the render has done more than ``max_work`` units.
        """
        self.work -= units
        if self.work < 0:
            raise TemplateLimitError(
                f"render exceeded {self.max_work:,} work units (max_work); loops, "
                "expressions and included templates all count. Raise it with "
                "TemplateEngine(max_work=...)",
                limit="max_work",
            )

    def overflow(self) -> NoReturn:
        """The output went past ``max_output`` (``room`` fell below zero).

        Raises:
            TemplateLimitError: always.
        """
        raise TemplateLimitError(
            f"render exceeded {self.max_output:,} characters of output (max_output). "
            "Raise it with TemplateEngine(max_output=...)",
            limit="max_output",
        )

    def hold(self, value: Any, before: int) -> int:
        """``@set``: a local now holds ``value`` instead of something of size ``before``.

        Returns the size charged for ``value`` (the length of a string, bytes or
        container; 0 for anything else).

        Raises:
            TemplateLimitError: the locals hold more than ``max_locals`` together.
        """
        size = len(value) if isinstance(value, _SIZED) else 0
        held = self.held = self.held + size - before
        if held > self.max_locals:
            raise TemplateLimitError(
                f"@set locals hold {held:,} characters or items together, more than "
                f"{self.max_locals:,} (max_locals). Raise it with "
                "TemplateEngine(max_locals=...)",
                limit="max_locals",
            )
        return size

    def plugin(self, name: str) -> Callable[..., Any]:
        """The plugin ``name``; an unknown one fails when (and where) it is called."""
        function = self.plugins.get(name)
        if function is not None:
            return function
        plugins = self.plugins

        def unknown(*args: Any) -> NoReturn:
            raise TemplateError(unknown_plugin(name, plugins))

        return unknown

    def generate_nonce(self) -> str:
        """``generateNonce()``: this render's nonce, else one from the provider, asked once
        per render (every call in a render, layouts and components included, returns the
        same nonce).

        Raises:
            TemplateError: neither a nonce nor a provider was given.
        """
        if self.nonce is not None:
            return self.nonce
        if self.nonce_provider is not None:
            self.nonce = str(self.nonce_provider())
            return self.nonce
        raise TemplateError(
            "generateNonce() has no nonce: render with nonce=... "
            "or give the engine a nonce provider (set_nonce_provider)"
        )

    def undefined(self, name: str) -> NoReturn:
        """Strict mode: a name that is neither data, a loop variable nor an ``@set`` local."""
        raise TemplateError(f"{name!r} is undefined")

    def load(self, target: Target) -> CompiledTemplate:
        """The compiled template ``target`` names.

        Raises:
            TemplateNotFound: the file does not exist.
            TemplateError: templates nest deeper than ``max_depth``.
        """
        if self.depth >= self.max_depth:
            raise TemplateError(
                f"templates nested more than {self.max_depth} deep at {target.kind} "
                f"{target.name!r} (does it include itself?)"
            )
        template = self.loader.get(target.path)
        if template is None:
            raise TemplateNotFound(
                f"{target.kind} {target.name!r} not found: {target.path} does not exist",
                path=target.path,
            )
        self.work -= template.cost
        if self.work < 0:
            self.charge(0)
        return template

    def include(self, target: Target, props: dict[str, Any], out: list[str]) -> None:
        """``@import`` / ``@component``: render ``target`` with ``props`` into ``out``."""
        template = self.load(target)
        self.depth += 1
        template.function(self, props, out, EMPTY_BLOCKS)
        self.depth -= 1

    def layout(
        self,
        target: Target,
        data: Mapping[str, Any],
        params: dict[str, Any],
        blocks: dict[str, str],
        inherited: dict[str, str],
        out: list[str],
    ) -> None:
        """``@layout``: render ``target`` with the data, the params and the blocks.

        The layout sees the render data with the ``@layout`` params on top. It yields the
        blocks of the template that names it; blocks that template inherited from its own
        child pass through unless it redefines them.
        """
        template = self.load(target)
        merged = dict(data)
        merged.update(params)
        if inherited:
            blocks = {**inherited, **blocks}
        self.depth += 1
        template.function(self, merged, out, blocks)
        self.depth -= 1


def unknown_plugin(name: str, plugins: Mapping[str, Any]) -> str:
    """``unknown plugin 'uper', did you mean 'upper'? (registered plugins: ...)``."""
    registered = sorted(plugins)
    close = difflib.get_close_matches(name, [*registered, *BUILTINS], n=1)
    hint = f", did you mean {close[0]!r}?" if close else ""
    listed = ", ".join(registered) or "none"
    return (
        f"unknown plugin {name!r}{hint} (registered plugins: {listed}; "
        f"built in: {', '.join(BUILTINS)})"
    )

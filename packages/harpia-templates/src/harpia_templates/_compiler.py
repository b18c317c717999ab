"""Compiling: source → tokens → tree → Python code → a function; and locating errors.

``compile_template`` runs the whole pipeline once per template; the result is a
``CompiledTemplate`` whose ``function`` renders it. ``render`` is the one entry point that
runs a compiled template, and the one place where errors are turned into located
``TemplateError``\\ s: the traceback is walked for frames of compiled templates (their
globals hold ``__harpia_template__``), the innermost one gives the template and the
expression that failed, the outer ones the ``included from`` chain.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Final

from . import _runtime as rt
from ._codegen import generate
from ._context import EMPTY_BLOCKS
from ._errors import Source, TemplateError, TemplateSyntaxError
from ._lexer import scan
from ._parser import parse
from ._runtime import Markup

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import CodeType, TracebackType

    from ._codegen import Span
    from ._context import RenderContext, Target

# What generated code may reach: these helpers, and nothing from builtins.
_NAMESPACE: Final[dict[str, Any]] = {
    "__builtins__": {},
    "_e": rt.escape,
    "_s": rt.to_str,
    "_raw": rt.raw,
    "_json": rt.json_script,
    "_M": Markup,
    "_U": rt.MISSING,
    "_ga": rt.get_attr,
    "_gas": rt.get_attr_strict,
    "_gi": rt.get_item,
    "_gis": rt.get_item_strict,
    "_add": rt.add,
    "_sub": rt.sub,
    "_mul": rt.mul,
    "_div": rt.div,
    "_mod": rt.mod,
    "_neg": rt.neg,
    "_pos": rt.pos,
    "_seq": rt.strict_eq,
    "_sne": rt.strict_ne,
    "_it": rt.iterate,
    "_itp": rt.iterate_pairs,
    "_props": rt.props,
    "_len": len,
    "_T": type,
    "_D": dict,
    "_big": rt.charge_size,
}
_serial = itertools.count(1)
MAX_SITES: Final = 8


class CompiledTemplate:
    """A compiled template.

    Attributes:
        source: Its source and display name.
        function: ``root(context, data, out, blocks)``: appends its output to ``out``.
        code: The generated Python source (for the curious and for tests).
        stamp: What the loader compares to notice the file changed (mtime, size).
        cost: Work units one run of it costs, its loops aside (charged each time it runs).
    """

    __slots__ = ("_positions", "code", "cost", "function", "lines", "source", "spans", "stamp")

    def __init__(
        self,
        source: Source,
        function: Callable[..., None],
        code: str,
        spans: list[list[Span]],
        lines: list[int],
        stamp: object = None,
        cost: int = 1,
    ) -> None:
        self.cost = cost
        self.source = source
        self.function = function
        self.code = code
        self.spans = spans
        self.lines = lines
        self.stamp = stamp
        self._positions: list[tuple[int | None, int | None, int | None, int | None]] | None = None

    def __repr__(self) -> str:
        return f"<CompiledTemplate {self.source.name!r}>"

    @property
    def code_object(self) -> CodeType:
        """The code object of ``function``."""
        return self.function.__code__

    def offset_at(self, lasti: int) -> tuple[int, str] | None:
        """The template offset (and error label) of the instruction at ``lasti``."""
        if self._positions is None:
            self._positions = list(self.code_object.co_positions())
        index = lasti // 2
        if not 0 <= index < len(self._positions):
            return None
        line, _, start, end = self._positions[index]
        if line is None or not 0 < line <= len(self.spans):
            return None
        best: Span | None = None
        if start is not None and end is not None:
            for span in self.spans[line - 1]:
                if (
                    span[0] <= start
                    and end <= span[1]
                    and (best is None or span[1] - span[0] < best[1] - best[0])
                ):
                    best = span
        if best is not None:
            return best[2], best[3]
        fallback = self.lines[line - 1]
        return (fallback, "") if fallback >= 0 else None


def compile_template(
    text: str,
    name: str,
    *,
    strict: bool,
    resolve: Callable[[str, str], Target],
    stamp: object = None,
) -> CompiledTemplate:
    """Compile template source to a ``CompiledTemplate``.

    Args:
        text: The template source.
        name: Its display name, for errors.
        strict: Undefined names/attributes raise instead of rendering empty.
        resolve: ``(kind, name) -> Target`` for the layouts/imports/components it names.
        stamp: Stored on the result for the loader's change detection.

    Raises:
        TemplateSyntaxError: the template is not valid.
    """
    source = Source(text, name)
    tree = parse(scan(source), source)
    generated = generate(tree, source, strict=strict, resolve=resolve)
    namespace = dict(_NAMESPACE)
    namespace.update(generated.targets)
    filename = f"<template {name} #{next(_serial)}>"
    try:
        code = compile(generated.code, filename, "exec")
    except (SyntaxError, RecursionError, MemoryError) as exc:  # pragma: no cover - limits
        error = TemplateSyntaxError(f"template too complex to compile: {exc}")
        error.name = name
        raise error from None
    exec(code, namespace)
    template = CompiledTemplate(
        source,
        namespace["root"],
        generated.code,
        generated.spans,
        generated.lines,
        stamp,
        generated.cost,
    )
    namespace["__harpia_template__"] = template
    return template


def render(template: CompiledTemplate, data: Mapping[str, Any], context: RenderContext) -> str:
    """Run ``template`` with ``data``; every failure becomes a located ``TemplateError``."""
    out: list[str] = []
    try:
        context.charge(template.cost)
        template.function(context, data, out, EMPTY_BLOCKS)
    except TemplateError as exc:
        _locate(exc, exc.__traceback__)
        raise
    except Exception as exc:
        raise _wrap(exc) from exc
    return "".join(out)


def _template_frames(
    traceback: TracebackType | None,
) -> list[tuple[CompiledTemplate, int, bool]]:
    """(template, instruction, raised deeper) for each compiled-template frame, outermost first."""
    frames: list[tuple[CompiledTemplate, int, bool]] = []
    while traceback is not None:
        frame = traceback.tb_frame
        template = frame.f_globals.get("__harpia_template__")
        if isinstance(template, CompiledTemplate) and frame.f_code is template.code_object:
            frames.append((template, traceback.tb_lasti, traceback.tb_next is not None))
        traceback = traceback.tb_next
    return frames


def _locate(error: TemplateError, traceback: TracebackType | None) -> str:
    """Fill in where ``error`` happened; returns the label of the failing expression."""
    frames = _template_frames(traceback)
    label = ""
    if frames and not error.located:
        template, lasti, deeper = frames.pop()
        found = template.offset_at(lasti)
        if found is not None:
            error.locate(template.source, found[0])
            label = found[1] if deeper else ""
        else:  # pragma: no cover - every generated line carries a position
            error.name = template.source.name
    sites = []
    for template, lasti, _ in reversed(frames):
        found = template.offset_at(lasti)
        if found is not None:
            line, column = template.source.position(found[0])
            sites.append(f"{template.source.name}:{line}:{column}")
    if len(sites) > MAX_SITES:  # a runaway recursion: the first and last few say enough
        hidden = len(sites) - MAX_SITES
        sites[MAX_SITES // 2 : -MAX_SITES // 2] = [f"... {hidden} more ..."]
    error.included_from.extend(sites)
    return label


def _wrap(exc: Exception) -> TemplateError:
    """A located ``TemplateError`` for an exception that is not one (a plugin's, say)."""
    error = TemplateError(f"{type(exc).__name__}: {exc}")
    label = _locate(error, exc.__traceback__)
    if label:
        error.message = f"{label} raised {type(exc).__name__}: {exc}"
        error.args = (error.message,)
    return error

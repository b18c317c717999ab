"""The template parser: chunks → a ``Template`` tree.

Block directives nest on a stack of open frames (``@if``, ``@for``, ``@block``); every
closing or continuing directive must match the innermost open frame, and anything still
open at the end is reported at its opening line. Structural rules checked here, so that a
template either compiles whole or not at all:

- ``@layout`` appears at most once, at the top level; ``@block`` only at the top level of a
  template that has a ``@layout``, each name once. In such a template only the blocks and
  the top-level ``@set`` count: the rest of the text would have nowhere to go.
- Names of layouts, blocks, yields, imports and components are string literals, so they
  are resolved and checked when the template is compiled, and data can never choose which
  file is read.
- Directives nest at most ``MAX_NESTING`` deep (Python's compiler has its own limits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ._errors import TemplateSyntaxError
from ._exprparser import ExprParser
from ._lexer import DirectiveChunk, OutputChunk, TextChunk
from ._nodes import (
    Block,
    Call,
    Expr,
    For,
    If,
    Include,
    Layout,
    Node,
    Output,
    Set,
    Template,
    Text,
    Yield,
)

if TYPE_CHECKING:
    from ._errors import Source
    from ._lexer import Chunk, Token

MAX_NESTING: Final = 16
# Plugins that the compiler implements itself, with the number of arguments they take.
BUILTINS: Final = {"raw": 1, "json": 1, "generateNonce": 0}
_CLOSER: Final = {"if": "endif", "for": "endfor", "block": "endblock"}


@dataclass(slots=True)
class _Frame:
    kind: str  # "root", "if", "for" or "block"
    chunk: DirectiveChunk | None
    body: list[Node] = field(default_factory=list)
    # "if": finished (condition, body) branches, the pending condition, whether in @else.
    branches: list[tuple[Expr, tuple[Node, ...]]] = field(default_factory=list)
    condition: Expr | None = None
    in_else: bool = False
    # "for": the loop's target and iterable; "block": its name.
    target: tuple[str | None, str] = (None, "")
    iterable: Expr | None = None
    name: str = ""


class Parser:
    """Build the tree of one template.

    Args:
        chunks: The lexer's output.
        source: The template, for error positions.
    """

    def __init__(self, chunks: list[Chunk], source: Source) -> None:
        self.chunks = chunks
        self.source = source
        self.stack: list[_Frame] = [_Frame("root", None)]
        self.layout: Layout | None = None
        self.blocks: set[str] = set()

    def error(self, offset: int, message: str) -> TemplateSyntaxError:
        """A syntax error at ``offset``."""
        error = TemplateSyntaxError(message)
        error.locate(self.source, offset)
        return error

    def parse(self) -> Template:
        """Parse every chunk.

        Raises:
            TemplateSyntaxError: the template breaks a syntax or structure rule.
        """
        for chunk in self.chunks:
            if isinstance(chunk, TextChunk):
                self.stack[-1].body.append(Text(chunk.text, chunk.pos))
            elif isinstance(chunk, OutputChunk):
                expr = self.expression(chunk.tokens, chunk.end - 2)
                self.check_calls(expr)
                self.stack[-1].body.append(Output(expr, chunk.pos))
            else:
                self.directive(chunk)
        if len(self.stack) > 1:
            frame = self.stack[-1]
            assert frame.chunk is not None
            raise self.error(
                frame.chunk.pos,
                f"@{frame.kind} is never closed: expected @{_CLOSER[frame.kind]}",
            )
        body = self.stack[0].body
        if self.blocks and self.layout is None:
            first = next(node for node in body if isinstance(node, Block))
            raise self.error(first.pos, "@block needs a @layout in the same template")
        if self.layout is not None:
            body = [node for node in body if isinstance(node, Set | Block)]
        return Template(tuple(body), self.layout)

    def expression(self, tokens: tuple[Token, ...], end: int) -> Expr:
        """Parse tokens that must form exactly one expression."""
        parser = ExprParser(tokens, self.source, end)
        expr = parser.parse()
        parser.done()
        return expr

    def check_calls(self, expr: Expr) -> None:
        """Refuse wrong argument counts for the built-in plugins, at compile time."""
        stack: list[object] = [expr]
        while stack:
            node = stack.pop()
            if isinstance(node, Call) and node.name in BUILTINS:
                wanted = BUILTINS[node.name]
                if len(node.args) != wanted:
                    plural = "argument" if wanted == 1 else "arguments"
                    raise self.error(
                        node.pos, f"{node.name}() takes {wanted} {plural}, got {len(node.args)}"
                    )
            for name in getattr(node, "__slots__", ()):
                value = getattr(node, name)
                if isinstance(value, tuple):
                    stack.extend(value)
                elif not isinstance(value, str | int | float | bool | type(None)):
                    stack.append(value)

    # -- directives ------------------------------------------------------------------------

    def directive(self, chunk: DirectiveChunk) -> None:
        """Handle one directive chunk."""
        handler = getattr(self, "d_" + chunk.name)
        handler(chunk)

    def push(self, frame: _Frame) -> None:
        """Open a block directive, within the nesting limit."""
        if len(self.stack) > MAX_NESTING:
            assert frame.chunk is not None
            raise self.error(
                frame.chunk.pos, f"directives nested too deeply (over {MAX_NESTING} levels)"
            )
        self.stack.append(frame)

    def close(self, chunk: DirectiveChunk, kind: str) -> _Frame:
        """Pop the innermost frame, which must be a ``kind``."""
        frame = self.stack[-1]
        if frame.kind == kind:
            self.stack.pop()
            return frame
        if frame.kind == "root":
            raise self.error(chunk.pos, f"@{chunk.name} without @{kind}")
        assert frame.chunk is not None
        line, _ = self.source.position(frame.chunk.pos)
        raise self.error(
            chunk.pos,
            f"@{chunk.name} does not close @{frame.kind} (line {line}): "
            f"expected @{_CLOSER[frame.kind]}",
        )

    def condition(self, chunk: DirectiveChunk) -> Expr:
        """The condition of ``@if`` / ``@elseif``."""
        if not chunk.tokens:
            raise self.error(chunk.pos, f"@{chunk.name} needs a condition")
        expr = self.expression(chunk.tokens, chunk.end)
        self.check_calls(expr)
        return expr

    def d_if(self, chunk: DirectiveChunk) -> None:
        """``@if cond``."""
        frame = _Frame("if", chunk, condition=self.condition(chunk))
        self.push(frame)

    def _if_frame(self, chunk: DirectiveChunk) -> _Frame:
        frame = self.stack[-1]
        if frame.kind != "if":
            if frame.kind == "root":
                raise self.error(chunk.pos, f"@{chunk.name} without @if")
            raise self.error(chunk.pos, f"@{chunk.name} inside @{frame.kind}: expected @if")
        if frame.in_else:
            raise self.error(chunk.pos, f"@{chunk.name} after @else")
        return frame

    def _end_branch(self, frame: _Frame) -> None:
        assert frame.condition is not None
        frame.branches.append((frame.condition, tuple(frame.body)))
        frame.body = []

    def d_elseif(self, chunk: DirectiveChunk) -> None:
        """``@elseif cond``."""
        frame = self._if_frame(chunk)
        condition = self.condition(chunk)
        self._end_branch(frame)
        frame.condition = condition

    def d_else(self, chunk: DirectiveChunk) -> None:
        """``@else``."""
        frame = self._if_frame(chunk)
        self._end_branch(frame)
        frame.in_else = True

    def d_endif(self, chunk: DirectiveChunk) -> None:
        """``@endif``."""
        frame = self.close(chunk, "if")
        if frame.in_else:
            orelse: tuple[Node, ...] | None = tuple(frame.body)
        else:
            self._end_branch(frame)
            orelse = None
        assert frame.chunk is not None
        self.stack[-1].body.append(If(tuple(frame.branches), orelse, frame.chunk.pos))

    def d_for(self, chunk: DirectiveChunk) -> None:
        """``@for item in items`` / ``@for [key, value] in obj``."""
        parser = ExprParser(chunk.tokens, self.source, chunk.end)
        key: str | None = None
        if parser.accept("["):
            key = str(parser.name("a key variable name").value)
            parser.expect(",", "',' between the key and value names")
            value = str(parser.name("a value variable name").value)
            parser.expect("]", "']'")
            if key == value:
                raise self.error(chunk.pos, f"@for uses {key!r} for both the key and the value")
        else:
            value = str(parser.name("a loop variable name or [key, value]").value)
        parser.expect("in", "'in'")
        iterable = parser.parse()
        parser.done()
        self.check_calls(iterable)
        self.push(_Frame("for", chunk, target=(key, value), iterable=iterable))

    def d_endfor(self, chunk: DirectiveChunk) -> None:
        """``@endfor``."""
        frame = self.close(chunk, "for")
        assert frame.chunk is not None
        assert frame.iterable is not None
        key, value = frame.target
        node = For(key, value, frame.iterable, tuple(frame.body), frame.chunk.pos)
        self.stack[-1].body.append(node)

    def d_set(self, chunk: DirectiveChunk) -> None:
        """``@set name = expr @endset``."""
        parser = ExprParser(chunk.tokens, self.source, chunk.end - len("@endset"))
        name = str(parser.name("a variable name after @set").value)
        parser.expect("=", "'=' after the variable name")
        expr = parser.parse()
        parser.done()
        self.check_calls(expr)
        self.stack[-1].body.append(Set(name, expr, chunk.pos))

    def d_endset(self, chunk: DirectiveChunk) -> None:
        """An ``@endset`` the lexer did not consume belongs to no ``@set``."""
        raise self.error(chunk.pos, "@endset without @set")

    def name_and_args(self, chunk: DirectiveChunk, *, props: bool) -> tuple[str, Expr | None]:
        """The string-literal name and the optional second argument of a directive."""
        tokens = chunk.tokens
        if not tokens or tokens[0].kind != "string":
            raise self.error(
                tokens[0].start if tokens else chunk.pos,
                f'@{chunk.name} takes a quoted name, like @{chunk.name}("name")',
            )
        name = str(tokens[0].value)
        if not name.strip():
            raise self.error(tokens[0].start, f"@{chunk.name} name is empty")
        if len(tokens) == 1:
            return name, None
        if not props or tokens[1].value != ",":
            raise self.error(
                tokens[1].start,
                f"@{chunk.name} takes only a name"
                if not props
                else f"expected ',' after the @{chunk.name} name",
            )
        if len(tokens) == 2:
            return name, None  # a trailing comma
        expr = self.expression(tokens[2:], chunk.end - 1)
        self.check_calls(expr)
        return name, expr

    def d_layout(self, chunk: DirectiveChunk) -> None:
        """``@layout("name", params)``."""
        if len(self.stack) > 1:
            raise self.error(chunk.pos, "@layout must be at the top level of the template")
        if self.layout is not None:
            raise self.error(chunk.pos, "a template has at most one @layout")
        name, params = self.name_and_args(chunk, props=True)
        self.layout = Layout(name, params, chunk.pos)

    def d_yield(self, chunk: DirectiveChunk) -> None:
        """``@yield("name")``."""
        name, _ = self.name_and_args(chunk, props=False)
        self.stack[-1].body.append(Yield(name, chunk.pos))

    def d_block(self, chunk: DirectiveChunk) -> None:
        """``@block("name")``."""
        if len(self.stack) > 1:
            raise self.error(chunk.pos, "@block must be at the top level of the template")
        name, _ = self.name_and_args(chunk, props=False)
        if name in self.blocks:
            raise self.error(chunk.pos, f"block {name!r} is defined twice")
        self.blocks.add(name)
        self.push(_Frame("block", chunk, name=name))

    def d_endblock(self, chunk: DirectiveChunk) -> None:
        """``@endblock``."""
        frame = self.close(chunk, "block")
        assert frame.chunk is not None
        self.stack[-1].body.append(Block(frame.name, tuple(frame.body), frame.chunk.pos))

    def d_import(self, chunk: DirectiveChunk) -> None:
        """``@import("name", props)``."""
        name, props = self.name_and_args(chunk, props=True)
        self.stack[-1].body.append(Include("import", name, props, chunk.pos))

    def d_component(self, chunk: DirectiveChunk) -> None:
        """``@component("name", props)``."""
        name, props = self.name_and_args(chunk, props=True)
        self.stack[-1].body.append(Include("component", name, props, chunk.pos))


def parse(chunks: list[Chunk], source: Source) -> Template:
    """Parse a scanned template (see ``Parser``)."""
    return Parser(chunks, source).parse()

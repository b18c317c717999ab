"""The syntax tree: expression nodes and template nodes (frozen, slotted dataclasses).

Every node carries ``pos``, the offset in the template source of the text it came from,
so that compile-time and run-time errors can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass

# -- expressions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    """A string, number, ``true``/``false`` or ``null``/``undefined``."""

    value: str | int | float | bool | None
    pos: int


@dataclass(frozen=True, slots=True)
class Name:
    """A variable: a loop variable, an ``@set`` local or a key of the render data."""

    name: str
    pos: int


@dataclass(frozen=True, slots=True)
class Attr:
    """``obj.name``."""

    obj: Expr
    name: str
    pos: int


@dataclass(frozen=True, slots=True)
class Item:
    """``obj[key]``."""

    obj: Expr
    key: Expr
    pos: int


@dataclass(frozen=True, slots=True)
class Call:
    """``plugin(args...)``: only registered plugins (and the built-ins) can be called."""

    name: str
    args: tuple[Expr, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Unary:
    """``!x`` / ``not x`` (op ``"not"``), ``-x``, ``+x``."""

    op: str
    operand: Expr
    pos: int


@dataclass(frozen=True, slots=True)
class Binary:
    """Arithmetic ``+ - * / %``."""

    op: str
    left: Expr
    right: Expr
    pos: int


@dataclass(frozen=True, slots=True)
class Compare:
    """``== != === !== < <= > >=``."""

    op: str
    left: Expr
    right: Expr
    pos: int


@dataclass(frozen=True, slots=True)
class Logical:
    """``&&``/``and`` (op ``"and"``) and ``||``/``or`` (op ``"or"``): they return an operand."""

    op: str
    left: Expr
    right: Expr
    pos: int


@dataclass(frozen=True, slots=True)
class Conditional:
    """``test ? yes : no``."""

    test: Expr
    yes: Expr
    no: Expr
    pos: int


@dataclass(frozen=True, slots=True)
class ArrayLit:
    """``[a, b, ...]``."""

    items: tuple[Expr, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class ObjectLit:
    """``{ key: value, ... }`` (keys are names or strings; ``{ key }`` is ``{ key: key }``)."""

    keys: tuple[str, ...]
    values: tuple[Expr, ...]
    pos: int


Expr = (
    Literal
    | Name
    | Attr
    | Item
    | Call
    | Unary
    | Binary
    | Compare
    | Logical
    | Conditional
    | ArrayLit
    | ObjectLit
)

# -- template structure ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    """Literal text."""

    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class Output:
    """``{{ expr }}``."""

    expr: Expr
    pos: int


@dataclass(frozen=True, slots=True)
class If:
    """``@if`` / ``@elseif`` branches and the optional ``@else`` body."""

    branches: tuple[tuple[Expr, tuple[Node, ...]], ...]
    orelse: tuple[Node, ...] | None
    pos: int


@dataclass(frozen=True, slots=True)
class For:
    """``@for value in iterable`` or ``@for [key, value] in iterable``."""

    key: str | None
    value: str
    iterable: Expr
    body: tuple[Node, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Set:
    """``@set name = expr @endset``."""

    name: str
    expr: Expr
    pos: int


@dataclass(frozen=True, slots=True)
class Yield:
    """``@yield("name")``: the block a view filled, or nothing."""

    name: str
    pos: int


@dataclass(frozen=True, slots=True)
class Block:
    """``@block("name") ... @endblock``: content for the layout's ``@yield("name")``."""

    name: str
    body: tuple[Node, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Include:
    """``@import(name, props)`` (``kind="import"``) or ``@component(name, props)``."""

    kind: str
    name: str
    props: Expr | None
    pos: int


@dataclass(frozen=True, slots=True)
class Layout:
    """``@layout(name, params)``."""

    name: str
    params: Expr | None
    pos: int


Node = Text | Output | If | For | Set | Yield | Block | Include


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: its body and, if it extends one, its ``@layout``."""

    body: tuple[Node, ...]
    layout: Layout | None

"""The code generator: a ``Template`` tree → the Python source of one function.

Theory of operation. Each template becomes::

    def root(_c, _d, _o, _y):     # context, data, output list, blocks from a child
        _w = _o.append; _x = _o.extend
        f_upper = _c.plugin("upper")          # each plugin it calls, resolved once
        v_title = _d.get("title")             # each data name it reads, looked up once
        ...                                   # the body: appends strings to _o

Names are decided here, at compile time: a loop variable is a fresh local (``l3_item``)
visible inside its loop only; every other name is ``v_<name>``, first read from the data
and then reassigned by ``@set``. Template names cannot collide with the generated code's
own names, which all start with ``_`` (refused in templates). Nothing is ever looked up in
Python's builtins: the function runs in a namespace of the runtime helpers with empty
``__builtins__``.

Escaping is decided here too: text and literals are escaped now, ``raw()`` and ``json()``
are called directly, and every other output goes through ``_e``. Consecutive text and
outputs become one ``_x((...))`` call.

Resource limits are charged here (the budgets live on the context, ``_context``):

- output: the function keeps the room left in a local, ``_r`` (read from ``_c.room`` when
  it starts, written back before it calls another template and when it returns). Each
  ``_x((...))`` call (at most ``MAX_VALUES_PER_WRITE`` values) is followed by
  ``if (_r := _r - (<its text's length> + _len(_q0) + ...)) < 0: _c.overflow()`` (the
  values were kept in ``_q`` locals by ``:=``), so the output never runs past
  ``max_output`` by more than one write;
- work: every expression node, write and statement is a unit, counted while generating.
  A loop's body units (``for x in _it(_c, items, <units>)``) are charged times its length
  when the loop starts; the units outside loops are the template's ``cost``, charged each
  time the template runs; nothing is checked per iteration;
- locals: after each ``@set``, ``_zN = _c.hold(value, _zN)`` charges the size of the new
  value and gives back the old one; the template gives back all of them when it returns.

Every expression is written with its span: for each generated line, the columns of each
expression's code and the template offset it came from. When rendering fails, the
instruction that raised (``co_positions``) is looked up there, so the error points at the
exact expression, in the right template, without a try block in the generated code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ._errors import TemplateSyntaxError
from ._nodes import (
    ArrayLit,
    Attr,
    Binary,
    Block,
    Call,
    Compare,
    Conditional,
    For,
    If,
    Include,
    Item,
    Literal,
    Logical,
    Name,
    ObjectLit,
    Output,
    Set,
    Text,
    Unary,
    Yield,
)
from ._runtime import escape

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ._context import Target
    from ._errors import Source
    from ._nodes import Expr, Node, Template

# (start column, end column, template offset, label for errors or "")
Span = tuple[int, int, int, str]

_BINARY: Final = {"+": "_add", "-": "_sub", "*": "_mul", "/": "_div", "%": "_mod"}
_UNARY: Final = {"-": "_neg", "+": "_pos"}
_COMPARE: Final = {"==", "!=", "<", "<=", ">", ">="}
_STRICT_COMPARE: Final = {"===": "_seq", "!==": "_sne"}
MAX_VALUES_PER_WRITE: Final = 8  # values written between two output checks
INCLUDE_UNITS: Final = 10  # an @import / @component / @layout call, besides the template
_COST: Final = "@units@"  # placeholder for a loop body's units, filled in after the body


@dataclass(slots=True)
class Code:
    """Generated expression code and the spans of its sub-expressions (columns from 0)."""

    text: str
    spans: list[Span]


@dataclass(frozen=True, slots=True)
class Generated:
    """The output of code generation.

    Attributes:
        code: Python source defining ``root``.
        spans: For each generated line (index = line number - 1), its spans.
        lines: For each generated line, the template offset of its statement, or -1.
        targets: Global name → ``Target`` for every layout/import/component named.
        cost: Work units of one run of the template, its loops' bodies aside.
    """

    code: str
    spans: list[list[Span]]
    lines: list[int]
    targets: dict[str, Target]
    cost: int


def _join(*parts: str | Code) -> Code:
    """Concatenate code pieces, shifting the spans of the ``Code`` ones."""
    text: list[str] = []
    spans: list[Span] = []
    offset = 0
    for part in parts:
        if isinstance(part, str):
            text.append(part)
            offset += len(part)
        else:
            text.append(part.text)
            spans.extend((a + offset, b + offset, pos, label) for a, b, pos, label in part.spans)
            offset += len(part.text)
    return Code("".join(text), spans)


def _spanned(code: Code, pos: int, label: str = "") -> Code:
    code.spans.append((0, len(code.text), pos, label))
    return code


class CodeGenerator:
    """Generate the function for one template.

    Args:
        tree: The parsed template.
        source: Its source, for errors.
        strict: Undefined names and attributes raise instead of rendering empty.
        resolve: ``(kind, name) -> Target`` for layouts, imports and components; raises
            ``ValueError`` for a name that cannot be a template.
    """

    def __init__(
        self,
        tree: Template,
        source: Source,
        *,
        strict: bool,
        resolve: Callable[[str, str], Target],
    ) -> None:
        self.tree = tree
        self.source = source
        self.strict = strict
        self.resolve = resolve
        self.body: list[tuple[int, str, list[Span], int]] = []  # indent, text, spans, pos
        self.indent = 1
        self.names: dict[str, None] = {}  # data names, in first-use order
        self.plugins: dict[str, None] = {}
        self.scopes: list[dict[str, str]] = []
        self.targets: dict[str, Target] = {}
        self.counter = 0
        self.out = "_o"
        self.run: list[str | Code] = []
        self.run_pos = -1
        self.units = 0  # work units generated so far (outside the loop being generated)
        self.held: dict[str, str] = {}  # Python variable set by @set → its size local

    # -- output -----------------------------------------------------------------------------

    def line(self, *parts: str | Code, pos: int = -1) -> None:
        """Write one statement at the current indentation."""
        self.flush()
        code = _join(*parts)
        self.body.append((self.indent, code.text, code.spans, pos))

    def flush(self) -> None:
        """Write the pending run of text and outputs as one call."""
        run, self.run = self.run, []
        if not run:
            return
        merged: list[str | Code] = []
        for part in run:  # adjacent literal text becomes one constant
            if isinstance(part, str) and merged and isinstance(merged[-1], str):
                merged[-1] += part
            else:
                merged.append(part)
        chunk: list[str | Code] = []
        values = 0
        for part in merged:
            if not isinstance(part, str):
                if values == MAX_VALUES_PER_WRITE:
                    self.write(chunk)
                    chunk, values = [], 0
                values += 1
            chunk.append(part)
        self.write(chunk)

    def write(self, parts: list[str | Code]) -> None:
        """One call writing ``parts``, then the output charge and check."""
        pieces: list[str | Code] = []
        sizes: list[str] = []
        text = 0
        for part in parts:
            if isinstance(part, str):
                pieces.append(repr(part))
                text += len(part)
            else:
                local = f"_q{len(sizes)}"
                pieces.append(_join(f"({local} := ", part, ")"))
                sizes.append(f"_len({local})")
        if len(pieces) == 1:
            code = _join("_w(", pieces[0], ")")
        else:
            joined: list[str | Code] = ["_x(("]
            for index, piece in enumerate(pieces):
                joined.extend((piece, ", ") if index < len(pieces) - 1 else (piece,))
            joined.append("))")
            code = _join(*joined)
        self.body.append((self.indent, code.text, code.spans, self.run_pos))
        charge = " + ".join(([str(text)] if text else []) + sizes)
        if charge:
            check = f"if (_r := _r - ({charge})) < 0: _c.overflow()"
            self.body.append((self.indent, check, [], self.run_pos))
        self.units += 1 + len(sizes)

    def emit(self, part: str | Code, pos: int) -> None:
        """Add text (a ``str``, already HTML) or an output (``Code``) to the pending run."""
        if not self.run:
            self.run_pos = pos
        self.run.append(part)

    # -- the function -----------------------------------------------------------------------

    def generate(self) -> Generated:
        """Generate the whole function."""
        tree = self.tree
        if tree.layout is not None:
            self.line("_b = {}")
        self.nodes(tree.body)
        if tree.layout is not None:
            layout = tree.layout
            target = self.target("layout", layout.name, layout.pos)
            params = self.props(layout.params)
            self.line("_c.room = _r")
            self.line(f"_c.layout({target}, _d, ", params, ", _b, _y, _o)", pos=layout.pos)
            self.units += INCLUDE_UNITS
        else:
            self.flush()
            self.line("_c.room = _r")
        if self.held:
            self.line("_c.held -= " + " + ".join(self.held.values()))
        prologue = [
            "def root(_c, _d, _o, _y):",
            "    _w = _o.append",
            "    _x = _o.extend",
            "    _r = _c.room",
        ]
        prologue.extend(f"    {size} = 0" for size in self.held.values())
        for name in self.plugins:
            prologue.append(f"    f_{name} = _c.plugin({name!r})")
        default = ", _U" if self.strict else ""
        for name in self.names:
            prologue.append(f"    v_{name} = _d.get({name!r}{default})")
        lines = list(prologue)
        spans: list[list[Span]] = [[] for _ in prologue]
        positions = [-1] * len(prologue)
        for indent, text, line_spans, pos in self.body:
            pad = 4 * indent
            lines.append(" " * pad + text)
            spans.append([(a + pad, b + pad, p, label) for a, b, p, label in line_spans])
            positions.append(pos)
        if not self.body:
            lines.append("    pass")
            spans.append([])
            positions.append(-1)
        return Generated("\n".join(lines) + "\n", spans, positions, self.targets, self.units + 1)

    def target(self, kind: str, name: str, pos: int) -> str:
        """The global holding the ``Target`` for a layout/import/component name."""
        try:
            target = self.resolve(kind, name)
        except ValueError as exc:
            error = TemplateSyntaxError(str(exc))
            error.locate(self.source, pos)
            raise error from None
        variable = f"_t{len(self.targets)}"
        self.targets[variable] = target
        return variable

    def props(self, expr: Expr | None) -> Code:
        """Props / params: a dict literal when written as an object, else checked at run time."""
        if expr is None:
            return Code("{}", [])
        if isinstance(expr, ObjectLit):
            return self.expr(expr)
        return _join("_props(", self.expr(expr), ")")

    def body_of(self, nodes: Sequence[Node]) -> None:
        """An indented body (``pass`` when it writes nothing)."""
        self.indent += 1
        size = len(self.body)
        self.nodes(nodes)
        self.flush()
        if len(self.body) == size:
            self.line("pass")
        self.indent -= 1

    def nodes(self, nodes: Sequence[Node]) -> None:
        """Generate a sequence of template nodes."""
        for node in nodes:
            if isinstance(node, Text):
                self.emit(node.text, node.pos)
            elif isinstance(node, Output):
                self.output(node)
            elif isinstance(node, Yield):
                self.emit(Code(f"_y.get({node.name!r}, '')", []), node.pos)
            else:
                getattr(self, "s_" + type(node).__name__)(node)

    def output(self, node: Output) -> None:
        """``{{ expr }}``: constants are escaped now, ``raw()``/``json()`` skip ``_e``."""
        expr = node.expr
        if isinstance(expr, Literal):
            self.emit(escape(expr.value), node.pos)
        elif isinstance(expr, Call) and expr.name == "raw":
            self.emit(_spanned(_join("_s(", self.expr(expr.args[0]), ")"), expr.pos), node.pos)
        elif isinstance(expr, Call) and expr.name == "json":
            self.emit(self.expr(expr), node.pos)
        else:
            self.emit(_join("_e(", self.expr(expr), ")"), node.pos)

    # -- statements -------------------------------------------------------------------------

    def s_If(self, node: If) -> None:
        self.units += 1
        for index, (condition, body) in enumerate(node.branches):
            keyword = "if " if index == 0 else "elif "
            self.line(keyword, self.expr(condition), ":", pos=condition.pos)
            self.body_of(body)
        if node.orelse is not None:
            self.line("else:", pos=node.pos)
            self.body_of(node.orelse)

    def s_For(self, node: For) -> None:
        self.counter += 1
        scope = {node.value: f"l{self.counter}_{node.value}"}
        iterable = self.expr(node.iterable)
        if node.key is None:
            self.line(
                f"for {scope[node.value]} in _it(_c, ", iterable, f", {_COST}):", pos=node.pos
            )
        else:
            scope[node.key] = f"l{self.counter}_{node.key}"
            self.line(
                f"for {scope[node.key]}, {scope[node.value]} in _itp(_c, ",
                iterable,
                f", {_COST}):",
                pos=node.pos,
            )
        header = len(self.body) - 1
        outer, self.units = self.units, 1  # an iteration costs one unit and its body's
        self.scopes.append(scope)
        self.body_of(node.body)
        self.scopes.pop()
        indent, text, spans, pos = self.body[header]
        self.body[header] = (indent, text.replace(_COST, str(self.units)), spans, pos)
        self.units = outer + 2

    def s_Set(self, node: Set) -> None:
        variable = self.variable(node.name)
        self.line(f"{variable} = ", self.expr(node.expr), pos=node.pos)
        size = self.held.setdefault(variable, f"_z{len(self.held)}")
        self.line(f"{size} = _c.hold({variable}, {size})", pos=node.pos)
        self.units += 2

    def s_Block(self, node: Block) -> None:
        self.flush()
        self.counter += 1
        buffer = f"_o{self.counter}"
        self.line(f"{buffer} = []")
        self.line(f"_w = {buffer}.append")
        self.line(f"_x = {buffer}.extend")
        outer, self.out = self.out, buffer
        self.nodes(node.body)
        self.flush()
        self.out = outer
        self.line(f"_b[{node.name!r}] = _M(''.join({buffer}))")
        # Given back: the block's text is charged again wherever it is yielded.
        self.line(f"_r += _len(_b[{node.name!r}])")
        self.units += 2
        self.line(f"_w = {outer}.append")
        self.line(f"_x = {outer}.extend")

    def s_Include(self, node: Include) -> None:
        target = self.target(node.kind, node.name, node.pos)
        props = self.props(node.props)
        label = f"{node.kind} {node.name!r}"
        call = _spanned(_join(f"_c.include({target}, ", props, f", {self.out})"), node.pos, label)
        self.line("_c.room = _r")
        self.line(call, pos=node.pos)
        self.line("_r = _c.room")
        self.units += INCLUDE_UNITS

    # -- expressions ------------------------------------------------------------------------

    def variable(self, name: str) -> str:
        """The Python local for template name ``name`` here."""
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        self.names[name] = None
        return f"v_{name}"

    def expr(self, node: Expr) -> Code:
        """Generate an expression, with spans."""
        code = getattr(self, "e_" + type(node).__name__)(node)
        assert isinstance(code, Code)
        self.units += 1
        return _spanned(code, node.pos, f"plugin {node.name!r}" if isinstance(node, Call) else "")

    def e_Literal(self, node: Literal) -> Code:
        return Code(repr(node.value), [])

    def e_Name(self, node: Name) -> Code:
        variable = self.variable(node.name)
        if self.strict and variable.startswith("v_"):
            return Code(
                f"({variable} if {variable} is not _U else _c.undefined({node.name!r}))", []
            )
        return Code(variable, [])

    def e_Attr(self, node: Attr) -> Code:
        helper = "_gas" if self.strict else "_ga"
        obj = self.expr(node.obj)
        if not self.strict and isinstance(node.obj, Name):
            # A dict's key, read inline (``_ga`` does the same, one call later): this
            # pays for the output checks on the common ``item.name``.
            name = obj.text
            return _join(
                f"({name}.get({node.name!r}) if _T({name}) is _D else {helper}(",
                obj,
                f", {node.name!r}))",
            )
        return _join(f"{helper}(", obj, f", {node.name!r})")

    def e_Item(self, node: Item) -> Code:
        helper = "_gis" if self.strict else "_gi"
        return _join(f"{helper}(", self.expr(node.obj), ", ", self.expr(node.key), ")")

    def e_Call(self, node: Call) -> Code:
        args: list[str | Code] = []
        for index, arg in enumerate(node.args):
            if index:
                args.append(", ")
            args.append(self.expr(arg))
        if node.name == "raw":
            return _join("_raw(", *args, ")")
        if node.name == "json":
            return _join("_json(", *args, ")")
        if node.name == "generateNonce":
            return Code("_c.generate_nonce()", [])
        self.plugins[node.name] = None
        return _join(f"f_{node.name}(", *args, ")")

    def e_Unary(self, node: Unary) -> Code:
        if node.op == "not":
            return _join("(not ", self.expr(node.operand), ")")
        return _join(f"{_UNARY[node.op]}(", self.expr(node.operand), ")")

    def e_Binary(self, node: Binary) -> Code:
        helper = "_add(_c, " if node.op == "+" else f"{_BINARY[node.op]}("
        return _join(helper, self.expr(node.left), ", ", self.expr(node.right), ")")

    def e_Compare(self, node: Compare) -> Code:
        left = self.expr(node.left)
        if not isinstance(node.left, Literal) and not isinstance(node.right, Literal):
            left = _join("_big(_c, ", left, ")")  # comparing two large values is work
        if node.op in _COMPARE:
            return _join("(", left, f" {node.op} ", self.expr(node.right), ")")
        helper = _STRICT_COMPARE[node.op]
        return _join(f"{helper}(", left, ", ", self.expr(node.right), ")")

    def e_Logical(self, node: Logical) -> Code:
        return _join("(", self.expr(node.left), f" {node.op} ", self.expr(node.right), ")")

    def e_Conditional(self, node: Conditional) -> Code:
        return _join(
            "(",
            self.expr(node.yes),
            " if ",
            self.expr(node.test),
            " else ",
            self.expr(node.no),
            ")",
        )

    def e_ArrayLit(self, node: ArrayLit) -> Code:
        parts: list[str | Code] = ["["]
        for item in node.items:
            parts.extend((self.expr(item), ", "))
        parts.append("]")
        return _join(*parts)

    def e_ObjectLit(self, node: ObjectLit) -> Code:
        parts: list[str | Code] = ["{"]
        for key, value in zip(node.keys, node.values, strict=True):
            parts.extend((f"{key!r}: ", self.expr(value), ", "))
        parts.append("}")
        return _join(*parts)


def generate(
    tree: Template, source: Source, *, strict: bool, resolve: Callable[[str, str], Target]
) -> Generated:
    """Generate the Python source for a parsed template (see ``CodeGenerator``)."""
    return CodeGenerator(tree, source, strict=strict, resolve=resolve).generate()

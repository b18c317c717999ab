"""The expression parser: tokens → expression nodes, by recursive descent.

Precedence, loosest first::

    c ? a : b                       right-associative
    ||  or
    &&  and
    not x                           Python's place for `not`: `not a == b` is `not (a == b)`
    ==  !=  ===  !==
    <  <=  >  >=
    +  -
    *  /  %
    !x  -x  +x                      JavaScript's place for `!`: `!a == b` is `(!a) == b`
    a.b  a[b]  plugin(...)
    literals, names, ( ... ), [ ... ], { ... }

The sandbox starts here: a name or attribute starting with ``_`` is refused, only a bare
name can be called (a plugin: ``a.b()`` is refused), and nesting deeper than
``MAX_DEPTH`` (or operator chains longer than ``MAX_NODES_DEPTH``) is refused, so hostile
input cannot exhaust the parser or Python's compiler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ._errors import TemplateSyntaxError
from ._nodes import (
    ArrayLit,
    Attr,
    Binary,
    Call,
    Compare,
    Conditional,
    Expr,
    Item,
    Literal,
    Logical,
    Name,
    ObjectLit,
    Unary,
)

if TYPE_CHECKING:
    from ._errors import Source
    from ._lexer import Token

MAX_DEPTH: Final = 32  # parser recursion: brackets, unary operators, ? :
MAX_NODES_DEPTH: Final = 80  # tree depth, long operator chains included
RESERVED: Final = frozenset({"true", "false", "null", "undefined", "and", "or", "not", "in"})
_CONSTANTS: Final[dict[str, bool | None]] = {
    "true": True,
    "false": False,
    "null": None,
    "undefined": None,
}
_EQUALITY: Final = frozenset({"==", "!=", "===", "!=="})
_RELATIONAL: Final = frozenset({"<", "<=", ">", ">="})


class ExprParser:
    """Parse the expression tokens of one output or directive.

    Args:
        tokens: The tokens (from ``_lexer.tokenize``).
        source: The template, for error positions.
        end: Offset just past the tokens, where "unexpected end" errors point.
    """

    def __init__(self, tokens: tuple[Token, ...], source: Source, end: int) -> None:
        self.tokens = tokens
        self.source = source
        self.end = end
        self.index = 0
        self.level = 0
        self._depths: dict[int, int] = {}

    # -- token helpers ---------------------------------------------------------------------

    def peek(self) -> Token | None:
        """The next token, or None at the end."""
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def at(self, value: str) -> bool:
        """Whether the next token is the operator or keyword ``value``."""
        token = self.peek()
        return token is not None and token.value == value and token.kind in ("op", "name")

    def accept(self, value: str) -> bool:
        """Consume the next token if it is ``value``."""
        if self.at(value):
            self.index += 1
            return True
        return False

    def expect(self, value: str, what: str | None = None) -> Token:
        """Consume ``value`` or raise a syntax error naming what was expected."""
        token = self.peek()
        if token is None or token.value != value or token.kind not in ("op", "name"):
            raise self.error(f"expected {what or repr(value)}", token)
        self.index += 1
        return token

    def error(self, message: str, token: Token | None = None) -> TemplateSyntaxError:
        """A syntax error at ``token`` (the end of the expression when None)."""
        if token is None:
            found = "the end" if self.peek() is None else None
            token = self.peek()
        else:
            found = None
        offset = token.start if token is not None else self.end
        if found is None and token is not None:
            shown = repr(token.value) if token.kind != "string" else "a string"
            found = shown
        error = TemplateSyntaxError(f"{message}, found {found}")
        error.locate(self.source, offset)
        return error

    def name(self, what: str) -> Token:
        """Consume an identifier usable as a variable name."""
        token = self.peek()
        if token is None or token.kind != "name" or token.value in RESERVED:
            raise self.error(f"expected {what}", token)
        self._check_name(token)
        self.index += 1
        return token

    def _check_name(self, token: Token) -> None:
        if str(token.value).startswith("_"):
            error = TemplateSyntaxError(f"names starting with '_' are not allowed: {token.value!r}")
            error.locate(self.source, token.start)
            raise error

    def done(self) -> None:
        """Raise unless every token was consumed."""
        token = self.peek()
        if token is not None:
            raise self.error("unexpected token after the expression", token)

    # -- depth bookkeeping -----------------------------------------------------------------

    def _descend(self, token: Token | None) -> None:
        # Bound the recursion itself: `((((...` or `!!!!...` never reach Python's limit.
        self.level += 1
        if self.level > MAX_DEPTH:
            error = TemplateSyntaxError(f"expression nested too deeply (over {MAX_DEPTH} levels)")
            error.locate(self.source, token.start if token is not None else self.end)
            raise error

    def _node(self, node: Expr, *children: Expr) -> Expr:
        depth = 1 + max((self._depths.get(id(child), 1) for child in children), default=0)
        if depth > MAX_NODES_DEPTH:
            error = TemplateSyntaxError(
                f"expression too deep (over {MAX_NODES_DEPTH} nested operations)"
            )
            error.locate(self.source, node.pos)
            raise error
        if children:
            self._depths[id(node)] = depth
        return node

    # -- grammar ---------------------------------------------------------------------------

    def parse(self) -> Expr:
        """Parse one whole expression (there may be tokens left after it)."""
        if self.peek() is None:
            raise self.error("expected an expression")
        return self.conditional()

    def conditional(self) -> Expr:
        """``test ? yes : no`` or anything looser-binding."""
        self._descend(self.peek())
        test = self.logical_or()
        token = self.peek()
        if self.accept("?"):
            yes = self.conditional()
            self.expect(":", "':' of the '? :' expression")
            no = self.conditional()
            assert token is not None
            test = self._node(Conditional(test, yes, no, token.start), test, yes, no)
        self.level -= 1
        return test

    def logical_or(self) -> Expr:
        """``a || b`` / ``a or b``."""
        left = self.logical_and()
        while True:
            token = self.peek()
            if not (self.accept("||") or self.accept("or")):
                return left
            assert token is not None
            right = self.logical_and()
            left = self._node(Logical("or", left, right, token.start), left, right)

    def logical_and(self) -> Expr:
        """``a && b`` / ``a and b``."""
        left = self.logical_not()
        while True:
            token = self.peek()
            if not (self.accept("&&") or self.accept("and")):
                return left
            assert token is not None
            right = self.logical_not()
            left = self._node(Logical("and", left, right, token.start), left, right)

    def logical_not(self) -> Expr:
        """``not x`` (binds looser than comparisons, as in Python)."""
        token = self.peek()
        if token is not None and token.kind == "name" and token.value == "not":
            self.index += 1
            self._descend(token)
            operand = self.logical_not()
            self.level -= 1
            return self._node(Unary("not", operand, token.start), operand)
        return self.equality()

    def equality(self) -> Expr:
        """``== != === !==``."""
        left = self.relational()
        while True:
            token = self.peek()
            if token is None or token.kind != "op" or token.value not in _EQUALITY:
                return left
            self.index += 1
            right = self.relational()
            left = self._node(Compare(str(token.value), left, right, token.start), left, right)

    def relational(self) -> Expr:
        """``< <= > >=``."""
        left = self.additive()
        while True:
            token = self.peek()
            if token is None or token.kind != "op" or token.value not in _RELATIONAL:
                return left
            self.index += 1
            right = self.additive()
            left = self._node(Compare(str(token.value), left, right, token.start), left, right)

    def additive(self) -> Expr:
        """``+ -``."""
        left = self.multiplicative()
        while True:
            token = self.peek()
            if token is None or token.kind != "op" or token.value not in ("+", "-"):
                return left
            self.index += 1
            right = self.multiplicative()
            left = self._node(Binary(str(token.value), left, right, token.start), left, right)

    def multiplicative(self) -> Expr:
        """``* / %``."""
        left = self.unary()
        while True:
            token = self.peek()
            if token is None or token.kind != "op" or token.value not in ("*", "/", "%"):
                return left
            self.index += 1
            right = self.unary()
            left = self._node(Binary(str(token.value), left, right, token.start), left, right)

    def unary(self) -> Expr:
        """``!x -x +x``."""
        token = self.peek()
        if token is not None and token.kind == "op" and token.value in ("!", "-", "+"):
            self.index += 1
            self._descend(token)
            operand = self.unary()
            self.level -= 1
            op = "not" if token.value == "!" else str(token.value)
            if op == "-" and isinstance(operand, Literal) and _is_number(operand.value):
                assert isinstance(operand.value, int | float)
                return Literal(-operand.value, token.start)
            return self._node(Unary(op, operand, token.start), operand)
        return self.postfix()

    def postfix(self) -> Expr:
        """``a.b``, ``a[b]`` and ``plugin(...)`` after a primary."""
        node = self.primary()
        while True:
            token = self.peek()
            if token is None or token.kind != "op":
                return node
            if token.value == ".":
                self.index += 1
                attr = self.peek()
                if attr is None or attr.kind != "name":
                    raise self.error("expected an attribute name after '.'", attr)
                self._check_name(attr)
                self.index += 1
                node = self._node(Attr(node, str(attr.value), attr.start), node)
            elif token.value == "[":
                self.index += 1
                key = self.conditional()
                self.expect("]", "']'")
                node = self._node(Item(node, key, token.start), node, key)
            elif token.value == "(":
                if not isinstance(node, Name):
                    raise self.error("only plugins can be called, as name(...)", token)
                self.index += 1
                args = self._sequence(")")
                node = self._node(Call(node.name, tuple(args), node.pos), *args)
            else:
                return node

    def _sequence(self, closer: str) -> list[Expr]:
        items: list[Expr] = []
        while not self.accept(closer):
            items.append(self.conditional())
            if not self.accept(","):
                self.expect(closer, f"',' or {closer!r}")
                break
        return items

    def primary(self) -> Expr:
        """A literal, a name, or a parenthesised, array or object expression."""
        token = self.peek()
        if token is None:
            raise self.error("expected a value")
        if token.kind == "number":
            self.index += 1
            return Literal(token.value, token.start)
        if token.kind == "string":
            self.index += 1
            return Literal(token.value, token.start)
        if token.kind == "name":
            word = str(token.value)
            if word in _CONSTANTS:
                self.index += 1
                return Literal(_CONSTANTS[word], token.start)
            if word in RESERVED:
                raise self.error("expected a value", token)
            self._check_name(token)
            self.index += 1
            return Name(word, token.start)
        if token.value == "(":
            self.index += 1
            inner = self.conditional()
            self.expect(")", "')'")
            return inner
        if token.value == "[":
            self.index += 1
            items = self._sequence("]")
            return self._node(ArrayLit(tuple(items), token.start), *items)
        if token.value == "{":
            self.index += 1
            return self._object(token)
        raise self.error("expected a value", token)

    def _object(self, opener: Token) -> Expr:
        keys: list[str] = []
        values: list[Expr] = []
        while not self.accept("}"):
            token = self.peek()
            if token is None or token.kind not in ("name", "string", "number"):
                raise self.error("expected a key", token)
            self.index += 1
            if token.kind == "name" and not self.at(":"):
                # Shorthand { user } means { user: user }.
                if token.value in RESERVED:
                    raise self.error("expected a key", token)
                self._check_name(token)
                keys.append(str(token.value))
                values.append(Name(str(token.value), token.start))
            else:
                self.expect(":", "':' after the key")
                keys.append(str(token.value))
                values.append(self.conditional())
            if not self.accept(","):
                self.expect("}", "',' or '}'")
                break
        return self._node(ObjectLit(tuple(keys), tuple(values), opener.start), *values)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

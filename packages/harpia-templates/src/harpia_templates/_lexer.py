"""The lexer: template text → chunks (text, ``{{ }}`` outputs, ``@`` directives).

Theory of operation. A template is text with three kinds of islands:

- ``{{ expr }}`` — an output. The expression is tokenized right away, so a ``}}`` inside a
  string or closing a nested object literal does not end it; only ``}}`` outside every
  bracket does.
- ``@keyword`` — a directive, recognised only for the keywords of the syntax table; an
  opening one only when the ``@`` does not follow a letter, digit or ``_``
  (``me@import.io`` stays text), a closing one anywhere (``Users@endblock``). Its
  argument depends on the keyword (``ARGUMENT`` below): the rest of the line (``@if``,
  ``@elseif``, ``@for``), everything up to ``@endset`` (``@set``), a parenthesised list
  (``@layout``, ``@yield``, ``@block``, ``@import``, ``@component``), or nothing.
  ``@import`` without ``(`` is CSS (``@import url(...)``) and stays text. ``@@if`` writes a
  literal ``@if`` and ``@{{`` a literal ``{{``.
- ``## comment`` — a line whose first non-blank characters are ``##``; it disappears with
  its line break.

A directive standing alone on its line (only blanks around it) takes the whole line with
it, line break included, so block structure leaves no blank lines behind. The line break
that ends an ``@if``/``@elseif``/``@for`` line always goes with the directive.

Expression tokens are ``Token(kind, value, start, end)`` with ``kind`` one of ``name``,
``number``, ``string``, ``op``; offsets index the whole template, so every error points at
the right line and column.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ._errors import TemplateSyntaxError

if TYPE_CHECKING:
    from ._errors import Source


@dataclass(frozen=True, slots=True)
class Token:
    """One expression token; ``value`` is the decoded literal for numbers and strings."""

    kind: str
    value: str | int | float
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class TextChunk:
    """Literal template text."""

    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class OutputChunk:
    """``{{ expr }}``: ``tokens`` are the expression's, ``pos`` is the ``{{``."""

    tokens: tuple[Token, ...]
    pos: int
    end: int


@dataclass(frozen=True, slots=True)
class DirectiveChunk:
    """``@name ...``: ``tokens`` are the argument's, ``pos`` is the ``@``."""

    name: str
    tokens: tuple[Token, ...]
    pos: int
    end: int


Chunk = TextChunk | OutputChunk | DirectiveChunk

# How each directive's argument is delimited.
LINE, SET, PARENS, BARE = "line", "set", "parens", "bare"
ARGUMENT: Final = {
    "if": LINE,
    "elseif": LINE,
    "for": LINE,
    "set": SET,
    "layout": PARENS,
    "yield": PARENS,
    "block": PARENS,
    "import": PARENS,
    "component": PARENS,
    "else": BARE,
    "endif": BARE,
    "endfor": BARE,
    "endblock": BARE,
    "endset": BARE,
}

# These may follow a word (`Users@endblock`); the others may not (`me@import.io`).
CLOSERS: Final = frozenset({"else", "endif", "endfor", "endblock", "endset"})
_KEYWORDS = "|".join(sorted(ARGUMENT, key=len, reverse=True))
_SCAN = re.compile(
    rf"""
      (?P<out>\{{\{{)
    | (?P<lit>@\{{\{{)
    | (?<!@)@(?P<esc>@?)(?P<kw>{_KEYWORDS})(?![\w$])
    | ^(?P<cmt>[ \t]*\#\#[^\n]*(?:\n|\Z))
    """,
    re.MULTILINE | re.VERBOSE,
)

_TOKEN = re.compile(
    r"""
      (?P<ws>[ \t\r\n]+)
    | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<quote>["'])
    | (?P<op>===|!==|==|!=|<=|>=|&&|\|\||[-+*/%<>!?:.,()\[\]{}=])
    """,
    re.VERBOSE,
)
_STRING_ESCAPES: Final = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "0": "\0",
}
_CLOSERS: Final = {")": "(", "]": "[", "}": "{"}
MAX_NUMBER_LENGTH: Final = 100


def tokenize(source: Source, pos: int, mode: str, opener: int) -> tuple[list[Token], int]:
    """Tokenize the expression starting at ``pos`` until the end that ``mode`` defines.

    Args:
        source: The template.
        pos: Where the expression starts.
        mode: ``"output"`` (ends at ``}}``), ``LINE`` (at a line break), ``SET`` (at
            ``@endset``) or ``PARENS`` (at the ``)`` matching an already consumed ``(``).
        opener: Offset of what opened the expression, for "never closed" errors.

    Returns:
        The tokens and the offset just past the end (the closing ``}}``, ``@endset`` or
        ``)`` consumed; a line break not consumed).

    Raises:
        TemplateSyntaxError: bad character, unterminated string, unbalanced brackets or
            missing end.
    """
    text = source.text
    size = len(text)
    tokens: list[Token] = []
    stack: list[tuple[str, int]] = [("(", opener)] if mode == PARENS else []
    match_token = _TOKEN.match
    while True:
        if pos >= size:
            if mode == LINE and not stack:
                return tokens, pos
            _unclosed(source, mode, opener, stack)
        char = text[pos]
        if not stack:
            if mode == "output" and text.startswith("}}", pos):
                return tokens, pos + 2
            if mode == LINE and char == "\n":
                return tokens, pos
            if mode == SET and char == "@":
                if re.match(r"@endset(?![\w$])", text[pos : pos + 8]):
                    return tokens, pos + 7
                raise _error(source, pos, "unexpected '@' in @set (is @endset missing?)")
            if mode == LINE and char == "@":
                raise _error(source, pos, "unexpected '@': a condition runs to the end of its line")
        found = match_token(text, pos)
        if found is None and char == "@" and stack:
            bracket, where = stack[-1]
            raise _error(source, where, f"{bracket!r} is never closed")
        if found is None:
            if char == "@" and mode == "output":
                raise _error(source, pos, "unexpected '@' inside '{{ }}' (is '}}' missing?)")
            if char == "|":
                raise _error(source, pos, pipe_message(text, tokens, pos))
            raise _error(source, pos, f"unexpected character {char!r}")
        kind = found.lastgroup
        end = found.end()
        if kind == "ws":
            if mode == LINE and not stack and "\n" in found.group():
                end = pos + found.group().index("\n")
                if end == pos:
                    return tokens, pos
            pos = end
            continue
        if kind == "quote":
            value, end = _read_string(source, pos)
            tokens.append(Token("string", value, pos, end))
        elif kind == "num":
            tokens.append(Token("number", _number(source, pos, found.group()), pos, end))
        elif kind == "name":
            tokens.append(Token("name", found.group(), pos, end))
        else:
            op = found.group()
            if op in "([{":
                stack.append((op, pos))
            elif op in _CLOSERS:
                if not stack:
                    if mode == PARENS:  # pragma: no cover - the PARENS stack starts non-empty
                        return tokens, end
                    raise _error(source, pos, f"unexpected {op!r}")
                opened, _ = stack.pop()
                if opened != _CLOSERS[op]:
                    raise _error(source, pos, f"{op!r} does not close {opened!r}")
                if mode == PARENS and not stack:
                    return tokens, end
            tokens.append(Token("op", op, pos, end))
        pos = end


def _unclosed(source: Source, mode: str, opener: int, stack: list[tuple[str, int]]) -> None:
    if mode == PARENS or (stack and mode != SET):
        bracket, where = stack[-1] if stack else ("(", opener)
        raise _error(source, where, f"{bracket!r} is never closed")
    if mode == "output":
        raise _error(source, opener, "'{{' is never closed: expected '}}'")
    if mode == SET:
        raise _error(source, opener, "@set is never closed: expected @endset")
    raise _error(source, opener, "unexpected end of template")  # pragma: no cover


def _number(source: Source, pos: int, literal: str) -> int | float:
    if len(literal) > MAX_NUMBER_LENGTH:
        raise _error(source, pos, f"number literal longer than {MAX_NUMBER_LENGTH} characters")
    if "." in literal or "e" in literal or "E" in literal:
        value = float(literal)
        if math.isinf(value):
            raise _error(source, pos, "number literal too large")
        return value
    return int(literal)


def _read_string(source: Source, start: int) -> tuple[str, int]:
    text = source.text
    quote = text[start]
    parts: list[str] = []
    pos = start + 1
    size = len(text)
    while True:
        stop = pos
        while stop < size and text[stop] not in (quote, "\\", "\n"):
            stop += 1
        parts.append(text[pos:stop])
        if stop >= size or text[stop] == "\n":
            raise _error(source, start, "unterminated string")
        if text[stop] == quote:
            return "".join(parts), stop + 1
        # A backslash escape.
        if stop + 1 >= size:
            raise _error(source, start, "unterminated string")
        code = text[stop + 1]
        if code in "xu":
            digits = 2 if code == "x" else 4
            hexa = text[stop + 2 : stop + 2 + digits]
            if len(hexa) != digits or not all(c in "0123456789abcdefABCDEF" for c in hexa):
                raise _error(source, stop, f"bad \\{code} escape: expected {digits} hex digits")
            parts.append(chr(int(hexa, 16)))
            pos = stop + 2 + digits
        else:
            parts.append(_STRING_ESCAPES.get(code, code))
            pos = stop + 2


def pipe_message(text: str, tokens: list[Token], pos: int) -> str:
    """The error for a ``|`` (a Jinja-style filter): how to write it as a plugin call."""
    plugin = re.match(r"\|[ \t]*([A-Za-z_][A-Za-z0-9_]*)", text[pos:])
    name = plugin.group(1) if plugin else "upper"
    value = text[tokens[0].start : pos].strip() if tokens else ""
    if not value or len(value) > 40 or "\n" in value:
        value = "x"
    return (
        f"unexpected character '|': filters are plugin calls, write "
        f"{{{{ {name}({value}) }}}} (plugins come from engine.register_plugin(name, fn); "
        "raw, json and generateNonce are built in)"
    )


def _error(source: Source, offset: int, message: str) -> TemplateSyntaxError:
    error = TemplateSyntaxError(message)
    error.locate(source, offset)
    return error


def scan(source: Source) -> list[Chunk]:
    """Split a template into chunks.

    Raises:
        TemplateSyntaxError: an expression or directive argument cannot be tokenized.
    """
    text = source.text
    chunks: list[Chunk] = []
    pending: list[str] = []  # text not yet emitted
    pending_pos = 0
    pos = 0
    last_end = 0  # end of the last non-text chunk, for "alone on its line"
    search = _SCAN.search

    def flush() -> None:
        nonlocal pending
        joined = "".join(pending)
        if joined:
            chunks.append(TextChunk(joined, pending_pos))
        pending = []

    while True:
        found = search(text, pos)
        if found is None:
            pending.append(text[pos:])
            flush()
            return chunks
        start = found.start()
        if not pending:
            pending_pos = pos
        pending.append(text[pos:start])
        group = found.lastgroup
        if group == "cmt":
            pos = found.end()
            continue
        if group == "lit":
            pending.append("{{")
            pos = found.end()
            continue
        if group == "out":
            tokens, end = tokenize(source, found.end(), "output", start)
            flush()
            chunks.append(OutputChunk(tuple(tokens), start, end))
            pos = last_end = end
            continue
        keyword = found.group("kw")
        if found.group("esc"):
            pending.append("@" + keyword)
            pos = found.end()
            continue
        if (
            keyword not in CLOSERS
            and start != last_end  # right after another directive is fine: `@endset@if`
            and start
            and (text[start - 1].isalnum() or text[start - 1] == "_")
        ):
            pending.append(found.group())  # an e-mail address, not a directive
            pos = found.end()
            continue
        kind = ARGUMENT[keyword]
        end = found.end()
        tokens = []
        if kind == PARENS:
            paren = end
            while paren < len(text) and text[paren] in " \t":
                paren += 1
            if paren >= len(text) or text[paren] != "(":
                if keyword == "import":  # CSS @import
                    pending.append(found.group())
                    pos = end
                    continue
                raise _error(source, end, f"expected '(' after @{keyword}")
            tokens, end = tokenize(source, paren + 1, PARENS, paren)
        elif kind in (LINE, SET):
            tokens, end = tokenize(source, end, kind, start)
        # Alone on its line: drop the blanks before it and the rest of the line after it.
        line_start = text.rfind("\n", 0, start) + 1
        eol = text.find("\n", end)
        line_end = len(text) if eol == -1 else eol
        if (
            line_start >= last_end
            and not text[line_start:start].strip(" \t")
            and not text[end:line_end].strip(" \t\r")
        ):
            if pending:
                pending[-1] = pending[-1][: len(pending[-1]) - (start - line_start)]
            end = line_end if eol == -1 else eol + 1
        elif kind == LINE and end < len(text):
            end += 1  # the line break that ends a condition belongs to the directive
        flush()
        chunks.append(DirectiveChunk(keyword, tuple(tokens), start, end))
        pos = last_end = end

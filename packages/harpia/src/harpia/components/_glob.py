"""Glob patterns of the ``files`` option, compiled to regular expressions over relative paths.

Paths are relative to the component directory and ``/``-separated. ``**`` as a whole segment
matches any number of folders (zero or more in the middle, one or more at the end), ``*`` and
``?`` never cross ``/``, ``[abc]``/``[!a-z]`` are character classes, ``{a,b}`` alternatives are
expanded before compiling and ``\\`` escapes the next character. As with most glob libraries,
wildcards do not match a leading ``.`` (``**/*.css`` skips ``.git/`` and ``.hidden.css``); name
the dot explicitly (``.well-known/*``) to match one.

A pattern's *static prefix* is the run of leading literal folders (``web`` in ``web/**/*.css``):
scanning and watching start there, and an entry's URL is its path relative to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Only = Literal["all", "files", "directories"]

MAX_EXPANSIONS = 256


class GlobError(ValueError):
    """A pattern that is not a valid glob (the caller adds which option it came from)."""


def _class_end(text: str, start: int) -> int:
    """Index of the ``]`` closing the class opened at ``start``, or -1."""
    i = start + 1
    if i < len(text) and text[i] in "!^":
        i += 1
    if i < len(text) and text[i] == "]":  # a leading ] is a literal
        i += 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "]":
            return i
        if text[i] == "/":
            return -1
        i += 1
    return -1


def _split_alternatives(body: str) -> list[str]:
    parts, depth, current, i = [], 0, [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            current.append(body[i : i + 2])
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append("".join(current))
            current = []
            i += 1
            continue
        current.append(c)
        i += 1
    parts.append("".join(current))
    return parts


def _first_group(pattern: str) -> tuple[int, int, list[str]] | None:
    """The first top-level ``{...}`` holding a comma: (start, end, alternatives)."""
    depth, start, i = 0, -1, 0
    found: tuple[int, int, list[str]] | None = None
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            end = _class_end(pattern, i)
            if end < 0:
                raise GlobError("unclosed '['")
            i = end + 1
            continue
        if c == "{":
            if depth == 0:
                start = i
            depth += 1
        elif c == "}":
            if depth == 0:
                raise GlobError("'}' without '{'")
            depth -= 1
            if depth == 0 and found is None:
                alternatives = _split_alternatives(pattern[start + 1 : i])
                if len(alternatives) > 1:
                    found = (start, i, alternatives)
        i += 1
    if depth:
        raise GlobError("unclosed '{'")
    return found


def expand_braces(pattern: str) -> list[str]:
    """``web/*.{css,js}`` -> ``["web/*.css", "web/*.js"]`` (nested groups too).

    Raises:
        GlobError: unbalanced braces or brackets, or too many alternatives.
    """
    out: list[str] = []
    todo = [pattern]
    while todo:
        current = todo.pop()
        group = _first_group(current)
        if group is None:
            out.append(current)
        else:
            start, end, alternatives = group
            todo.extend(
                current[:start] + alt + current[end + 1 :] for alt in reversed(alternatives)
            )
        if len(out) + len(todo) > MAX_EXPANSIONS:
            raise GlobError(f"more than {MAX_EXPANSIONS} alternatives")
    return out


def is_magic(segment: str) -> bool:
    return any(c in segment for c in "*?[\\")


def _segment_regex(segment: str) -> str:
    out: list[str] = []
    if segment[:1] in ("*", "?", "["):
        out.append(r"(?!\.)")  # wildcards never match a leading dot
    i = 0
    while i < len(segment):
        c = segment[i]
        if c == "*":
            while i + 1 < len(segment) and segment[i + 1] == "*":
                i += 1
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = _class_end(segment, i)
            if end < 0:
                raise GlobError("unclosed '['")
            body = segment[i + 1 : end]
            negate = body[:1] in ("!", "^")
            if negate:
                body = body[1:]
            chars = re.sub(r"\\(.)", r"\1", body)
            escaped = "".join(ch if ch == "-" else re.escape(ch) for ch in chars)
            out.append(f"[^/{escaped}]" if negate else f"(?:(?!/)[{escaped}])")
            i = end
        elif c == "\\":
            if i + 1 >= len(segment):
                raise GlobError("a trailing '\\' escapes nothing")
            i += 1
            out.append(re.escape(segment[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


_DIR_PART = r"(?!\.)[^/]+"


@dataclass(frozen=True, slots=True)
class Pattern:
    """One compiled glob (after brace expansion)."""

    text: str
    segments: tuple[str, ...]
    prefix: tuple[str, ...]  # leading literal folders
    regex: re.Pattern[str]
    segment_regexes: tuple[re.Pattern[str] | None, ...]  # None for "**"

    @property
    def globstar(self) -> bool:
        return None in self.segment_regexes

    @property
    def depth(self) -> int | None:
        """How many levels below the prefix folder it matches (None: any, with ``**``)."""
        return None if self.globstar else len(self.segments) - len(self.prefix)

    def matches(self, rel: str) -> bool:
        return self.regex.fullmatch(rel) is not None

    def could_contain(self, parts: list[str]) -> bool:
        """Whether the folder ``parts`` (relative path split on ``/``) can hold a match."""
        for index, part in enumerate(parts):
            regex = self.segment_regexes[index] if index < len(self.segments) else None
            if index >= len(self.segments) - 1 and self.segments[index : index + 1] != ("**",):
                return False
            if regex is None:  # "**" matches any folder but dot folders
                return not any(p.startswith(".") for p in parts[index:]) or any(
                    s.startswith(".") for s in self.segments[index + 1 :]
                )
            if regex.fullmatch(part) is None:
                return False
        return True


def compile_pattern(text: str) -> Pattern:
    """Compile one brace-free, normalised pattern (see ``normalise``)."""
    raw = text.split("/")
    segments: list[str] = []
    for segment in raw:
        if segment == "**" and segments and segments[-1] == "**":
            continue
        segments.append(segment)
    pieces: list[str] = []
    regexes: list[re.Pattern[str] | None] = []
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment == "**":
            regexes.append(None)
            pieces.append(
                f"{_DIR_PART}(?:/{_DIR_PART})*" if index == last else f"(?:{_DIR_PART}/)*"
            )
        else:
            source = _segment_regex(segment)
            regexes.append(re.compile(source))
            pieces.append(source if index == last else source + "/")
    prefix: list[str] = []
    for segment in segments[:-1]:
        if is_magic(segment):
            break
        prefix.append(segment)
    return Pattern(
        text=text,
        segments=tuple(segments),
        prefix=tuple(prefix),
        regex=re.compile("".join(pieces)),
        segment_regexes=tuple(regexes),
    )


def normalise(pattern: str) -> str:
    """Strip ``./`` and empty or ``.`` segments; refuse absolute paths and ``..``.

    Raises:
        GlobError: empty, absolute or escaping the component folder.
    """
    if not pattern.strip():
        raise GlobError("an empty pattern")
    if pattern.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", pattern):
        raise GlobError("an absolute path (patterns are relative to the component folder)")
    segments = [s for s in pattern.split("/") if s not in ("", ".")]
    if ".." in segments:
        raise GlobError("'..' (patterns cannot leave the component folder)")
    if not segments:
        raise GlobError("a pattern naming the component folder itself")
    return "/".join(segments)


class Matcher:
    """The compiled ``source`` and ``ignore`` patterns of one ``files`` option."""

    def __init__(self, source: tuple[str, ...], ignore: tuple[str, ...], only: Only) -> None:
        self.sources = tuple(compile_pattern(p) for text in source for p in _expand(text))
        self.ignores = tuple(compile_pattern(p) for text in ignore for p in _expand(text))
        self.only = only

    def ignored(self, rel: str) -> bool:
        """``rel`` or one of its folders matches an ``ignore`` pattern."""
        if not self.ignores:
            return False
        parts = rel.split("/")
        for end in range(1, len(parts) + 1):
            path = "/".join(parts[:end])
            if any(p.matches(path) for p in self.ignores):
                return True
        return False

    def match(self, rel: str, is_dir: bool) -> Pattern | None:
        """The first source pattern matching ``rel``, unless it is ignored or filtered out."""
        if self.only == ("files" if is_dir else "directories"):
            return None
        for pattern in self.sources:
            if pattern.matches(rel):
                return None if self.ignored(rel) else pattern
        return None

    def descend(self, rel: str) -> bool:
        """Whether the folder ``rel`` ("" for the root) may hold matches worth scanning."""
        if not rel:
            return True
        parts = rel.split("/")
        return any(p.could_contain(parts) for p in self.sources) and not self.ignored(rel)


def _expand(text: str) -> list[str]:
    return [normalise(p) for p in expand_braces(text)]

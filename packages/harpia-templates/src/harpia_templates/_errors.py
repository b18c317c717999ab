"""Errors, and the source positions they point at.

Every error the engine raises is a ``TemplateError``. Once it knows where it happened, its
message names the template, the line and the column, and shows that line with a caret::

    views/home.html:3:15: unexpected ')'
        3 | <p>{{ user.name) }}</p>
          |                ^
"""

from __future__ import annotations

from bisect import bisect_right


class Source:
    """A template's text and display name; turns offsets into lines and columns.

    Args:
        text: The template source.
        name: How errors name the template (a path relative to the cwd, or ``<string>``).
    """

    __slots__ = ("_starts", "name", "text")

    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name
        self._starts: list[int] | None = None

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based ``(line, column)`` of ``offset``."""
        if self._starts is None:
            starts = [0]
            find = self.text.find
            index = find("\n")
            while index != -1:
                starts.append(index + 1)
                index = find("\n", index + 1)
            self._starts = starts
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def line_text(self, line: int) -> str:
        """The text of 1-based ``line`` without its line break."""
        lines = self.text.split("\n")
        return lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else ""


class TemplateError(Exception):
    """Something went wrong compiling or rendering a template.

    Attributes:
        message: What went wrong, without the location.
        name: The template's display name, when known.
        line: 1-based line, when known.
        column: 1-based column, when known.
        source_line: The text of that line, when known.
        included_from: ``"name:line:column"`` of the directives that led here, innermost first.
    """

    def __init__(
        self,
        message: str,
        *,
        name: str | None = None,
        line: int | None = None,
        column: int | None = None,
        source_line: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.name = name
        self.line = line
        self.column = column
        self.source_line = source_line
        self.included_from: list[str] = []

    @property
    def located(self) -> bool:
        """Whether the error already knows its template and line."""
        return self.line is not None

    def locate(self, source: Source, offset: int) -> None:
        """Point the error at ``offset`` in ``source`` (the first location given wins)."""
        if self.line is not None:
            return
        self.name = source.name
        self.line, self.column = source.position(offset)
        self.source_line = source.line_text(self.line)

    def __str__(self) -> str:
        if self.line is None:
            head = f"{self.name}: {self.message}" if self.name else self.message
            return head + "".join(f"\n  included from {site}" for site in self.included_from)
        head = f"{self.name}:{self.line}:{self.column}: {self.message}"
        lines = [head]
        if self.source_line is not None:
            gutter = f"{self.line:>5} | "
            lines.append(gutter + self.source_line)
            # Copy tabs from the source line so the caret lines up under any tab width.
            lead = "".join(
                ch if ch == "\t" else " " for ch in self.source_line[: (self.column or 1) - 1]
            )
            lines.append(" " * (len(gutter) - 2) + "| " + lead + "^")
        lines.extend(f"  included from {site}" for site in self.included_from)
        return "\n".join(lines)

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments: rebuild through __init__ then restore the state.
        return (_rebuild, (type(self), self.message), self.__dict__)


def _rebuild(cls: type[TemplateError], message: str) -> TemplateError:
    return cls.__new__(cls, message)


class TemplateSyntaxError(TemplateError):
    """The template text is not valid: raised when it is compiled, never half-rendered."""


class TemplateNotFound(TemplateError):
    """A view, layout, component or import does not exist.

    Attributes:
        path: The file that was looked for.
    """

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class TemplateLimitError(TemplateError):
    """A render went past one of the engine's resource limits and was stopped.

    Attributes:
        limit: The engine option that was exceeded: ``"max_output"``, ``"max_work"``,
            ``"max_locals"`` or ``"max_iterations"``.
    """

    def __init__(self, message: str, *, limit: str) -> None:
        super().__init__(message)
        self.limit = limit

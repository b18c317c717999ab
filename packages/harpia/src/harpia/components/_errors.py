"""``ConfigError``: everything wrong with a config file, named by file, component and key."""

from __future__ import annotations


class ConfigError(ValueError):
    """A config file that cannot compose an app.

    The message starts with where the problem is, e.g.
    ``harpia.toml: [static] files: expected a glob string, a list of globs or a table,
    got 3``.

    Attributes:
        file: The config file's name (``harpia.toml``, ``pyproject.toml``, ``config.yaml``).
        component: The component's table name, when the problem is inside one.
        key: The option's name, when the problem is one option.
        problem: The message without the location.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        component: str | None = None,
        key: str | None = None,
        table: str | None = None,
    ) -> None:
        self.file = file
        self.component = component
        self.key = key
        self.problem = problem
        where = f"{file}: " if file else ""
        if component is not None:
            where += f"[{table or component}] "
        if key is not None:
            where += f"{key}: "
        super().__init__(where + problem)


class OptionError(Exception):
    """Raised by option checks: ``key`` (dotted, inside the component) and the problem.

    The loader turns it into a ``ConfigError`` naming the file and the component.
    """

    def __init__(self, key: str | None, problem: str) -> None:
        super().__init__(f"{key}: {problem}" if key else problem)
        self.key = key
        self.problem = problem

"""``ConfigError`` (everything wrong with a config file) and ``OptionError`` (one option)."""

from __future__ import annotations

from .._errors import (
    ConfigError as ConfigError,  # defined with harpia's errors, loaded by `import harpia`
)


class OptionError(Exception):
    """Raised by option checks: ``key`` (dotted, inside the component) and the problem.

    The loader turns it into a ``ConfigError`` naming the file and the component.
    """

    def __init__(self, key: str | None, problem: str) -> None:
        super().__init__(f"{key}: {problem}" if key else problem)
        self.key = key
        self.problem = problem

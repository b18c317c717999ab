"""HTTPError: raise it anywhere in a handler or middleware to answer with a status.

ConfigError: a config file (``harpia.load``) that cannot compose an app.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class HTTPError(Exception):
    """An error that becomes an HTTP response with ``status``.

    The body is JSON ``{"error": message, "status": status}`` (or a small HTML page when the
    client prefers HTML). ``headers`` are added to the response (e.g. ``Allow``,
    ``WWW-Authenticate``); ``detail`` is added to the JSON body when given.

    Raises:
        ValueError: ``status`` is not a 4xx or 5xx code.
    """

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        detail: Any = None,
    ) -> None:
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError(f"HTTPError status must be an int from 400 to 599, got {status!r}")
        if message is None:
            try:
                message = HTTPStatus(status).phrase
            except ValueError:
                message = "Error"
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.detail = detail

    def __repr__(self) -> str:
        return f"HTTPError({self.status}, {self.message!r})"


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

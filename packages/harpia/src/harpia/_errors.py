"""HTTPError: raise it anywhere in a handler or middleware to answer with a status."""

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

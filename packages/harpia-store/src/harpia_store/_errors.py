"""The one exception type a store raises for backend failures."""

from __future__ import annotations


class StoreError(Exception):
    """A store backend could not do what was asked (unreachable, timed out, refused).

    Bad arguments are not store errors: they raise ``TypeError`` or ``ValueError``.

    Attributes:
        url: The backend's address with any password masked, when the store has one.
    """

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url

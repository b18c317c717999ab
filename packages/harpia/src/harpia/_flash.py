"""Flash messages: ``req.flash(message, category)`` now, ``req.flashes()`` on a later request.

Messages wait in the session (under ``FLASH_KEY``, as ``[category, message]`` pairs, so
they survive JSON in a store or a signed cookie) until read: ``req.flashes()`` returns
them and removes them, so each is shown once. Works on either backend: ``Session`` (any
store) and ``CookieSession``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ._request import Request

FLASH_KEY = "_flashes"


class Flash(NamedTuple):
    """One flash message: ``category`` and ``message`` (unpacks as a pair)."""

    category: str
    message: str


def flash(req: Request, message: str, category: str = "info") -> None:
    """Keep ``message`` in ``req``'s session for a later ``req.flashes()``.

    Raises:
        TypeError: ``message`` or ``category`` is not a str.
        RuntimeError: no session middleware ran for the request.
    """
    if not isinstance(message, str):
        raise TypeError(f"flash message must be str, got {type(message).__name__}")
    if not isinstance(category, str):
        raise TypeError(f"flash category must be str, got {type(category).__name__}")
    session = req.session
    waiting = session.get(FLASH_KEY)
    pairs = list(waiting) if isinstance(waiting, list) else []
    pairs.append([category, message])
    session[FLASH_KEY] = pairs


def flashes(req: Request, *categories: str) -> list[Flash]:
    """Return and remove the waiting messages (only those of ``categories``, if given).

    Raises:
        RuntimeError: no session middleware ran for the request.
    """
    session = req.session
    if FLASH_KEY not in session:
        return []
    waiting = session[FLASH_KEY]
    found: list[Flash] = []
    kept: list[list[str]] = []
    for pair in waiting if isinstance(waiting, list) else ():
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            continue
        category, message = str(pair[0]), str(pair[1])
        if categories and category not in categories:
            kept.append([category, message])
        else:
            found.append(Flash(category, message))
    if not found and kept == waiting:
        return found  # nothing of those categories: leave the session unchanged
    if kept:
        session[FLASH_KEY] = kept
    else:
        del session[FLASH_KEY]
    return found

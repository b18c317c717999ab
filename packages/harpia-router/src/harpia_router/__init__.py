"""harpia-router: a standalone radix-tree URL router.

Usage:
    >>> from harpia_router import Router
    >>> r = Router(prefix="books")
    >>> r.get("/:id", show)
    >>> r.match("GET", "/books/42")
    Match(handlers=(show,), params={'id': '42'}, route='/books/:id')
"""

from __future__ import annotations

from ._route import Match as Match
from ._route import Route as Route
from ._router import Router as Router
from ._version import __version__ as __version__

__all__ = ("Match", "Route", "Router", "__version__")

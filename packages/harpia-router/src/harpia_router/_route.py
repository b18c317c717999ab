"""The router's public value types: a registered `Route` and a lookup result, `Match`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

Handler: TypeAlias = Any
"""What the router stores for a route: any object (a function, an endpoint object, a
name…). Handlers are opaque to the router: it never calls nor checks them and hands them
back, in registration order, as a tuple. A framework checks what it needs (``harpia``
refuses a handler that is not callable)."""

ANY_METHOD = "*"
"""The method under which `Router.all` registers: such a route answers every method."""


@dataclass(frozen=True, slots=True)
class Route:
    """One registered route, as yielded by iterating over a `Router`.

    Attributes:
        method: The upper-cased method, or ``"*"`` for a route registered with `Router.all`.
        pattern: The full pattern (prefix included, normalised), e.g. ``"/books/:id"``.
        handlers: The handlers given at registration, in order.
    """

    method: str
    pattern: str
    handlers: tuple[Handler, ...]


@dataclass(frozen=True, slots=True)
class Match:
    """The result of a successful `Router.match`.

    Attributes:
        handlers: The matched route's handlers, in registration order.
        params: Parameter values by name, percent-decoded. A wildcard's value is stored under
            its name, or under ``"*"`` for a bare ``*``. A fresh dict on every match.
        route: The matched route's pattern, e.g. ``"/books/:id"``.
    """

    handlers: tuple[Handler, ...]
    params: dict[str, str]
    route: str


# The generated __init__ of a frozen dataclass assigns through object.__setattr__, which
# costs about as much as the whole static lookup. The router builds its results through
# the slot descriptors instead (same object, same invariants, about half the time).
_new = object.__new__
_set_handlers = vars(Match)["handlers"].__set__
_set_params = vars(Match)["params"].__set__
_set_route = vars(Match)["route"].__set__


def new_match(handlers: tuple[Handler, ...], params: dict[str, str], route: str) -> Match:
    """Build a `Match` without going through the frozen dataclass's ``__init__``."""
    match: Match = _new(Match)
    _set_handlers(match, handlers)
    _set_params(match, params)
    _set_route(match, route)
    return match

"""The segment trie: one `Node` per pattern prefix, `Entry` per method at a route's end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._route import Handler


@dataclass(frozen=True, slots=True)
class Entry:
    """What a lookup returns for one method of one route.

    Attributes:
        handlers: The route's handlers.
        route: The route's pattern text (`Match.route`).
    """

    handlers: tuple[Handler, ...]
    route: str


class Node:
    """A trie node: the routes that end here and the ways to go one segment further.

    Children are tried in priority order: ``static`` (exact segment), then ``param`` (any
    non-empty segment), then ``wildcard`` (the rest of the path). At most one parameter
    name and one wildcard name exist per node; ``param_route`` and ``wildcard_route``
    remember the pattern that chose the name, for conflict messages.
    """

    __slots__ = (
        "param",
        "param_name",
        "param_route",
        "routes",
        "static",
        "wildcard",
        "wildcard_name",
        "wildcard_route",
    )

    def __init__(self) -> None:
        self.static: dict[str, Node] = {}
        self.param: Node | None = None
        self.param_name = ""
        self.param_route = ""
        self.routes: dict[str, Entry] = {}
        self.wildcard: dict[str, Entry] | None = None
        self.wildcard_name = ""
        self.wildcard_route = ""

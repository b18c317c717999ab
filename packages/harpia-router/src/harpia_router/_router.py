"""`Router`: registration API, mounting, lookup and 405 support."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from ._build import StaticIndex, insert
from ._match import collect_methods, make_walker, normalise_path
from ._node import Entry, Node
from ._pattern import WILDCARD, check_method, join, method_label, normalise_prefix, parse
from ._route import ANY_METHOD, Route, new_match

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ._route import Handler, Match


class Router:
    """A radix-tree (segment trie) URL router.

    Patterns are made of static segments, ``:name`` parameters and a final ``*`` or
    ``*name`` wildcard. Lookups prefer static over parameter over wildcard segments, from
    left to right, whatever the registration order, and cost the same with 10 or 1,000
    routes.

    Args:
        prefix: Prepended to every path registered on this router; ``"books"``,
            ``"/books"`` and ``"books/"`` all mean ``/books``. It may hold ``:name``
            parameters but no wildcard.
        strict_slashes: When false (the default), ``/a`` and ``/a/`` are the same path, for
            patterns and for lookups. When true, they are different paths.

    Raises:
        ValueError: If the prefix is not a valid pattern or holds a wildcard.

    Example:
        >>> r = Router(prefix="books")
        >>> r.get("/:id", show)
        >>> r.match("GET", "/books/42")
        Match(handlers=(show,), params={'id': '42'}, route='/books/:id')
    """

    __slots__ = ("_prefix", "_root", "_routes", "_static", "_strict", "_walk")

    def __init__(self, prefix: str | None = None, strict_slashes: bool = False) -> None:
        self._prefix = normalise_prefix(prefix)
        if self._prefix and any(
            kind == WILDCARD for kind, _ in parse(self._prefix, strict_slashes=True).segments
        ):
            raise ValueError(f"router prefix {prefix!r} must not contain a wildcard")
        self._strict = bool(strict_slashes)
        self._walk = make_walker(self._strict)
        self._routes: list[Route] = []
        self._static: StaticIndex = {}
        self._root = Node()

    @property
    def prefix(self) -> str:
        """The normalised prefix, e.g. ``"/books"``, or ``""``."""
        return self._prefix

    @property
    def strict_slashes(self) -> bool:
        """Whether ``/a`` and ``/a/`` are different paths."""
        return self._strict

    # -- registration ---------------------------------------------------------------------

    def add(self, method: str, path: str, *handlers: Handler) -> Route:
        """Register handlers for a method and a path (under the router's prefix).

        Args:
            method: An HTTP method, in any case (it is upper-cased: ``"get"`` registers
                GET), or ``"*"`` for any.
            path: The pattern, relative to the prefix; ``""`` is the prefix itself.
            *handlers: One or more objects of any kind (functions, endpoint objects,
                names…), kept in order and returned by `match`; the router never calls
                them.

        Returns:
            The registered route.

        Raises:
            ValueError: For an invalid method or pattern, or a conflict with a registered
                route (the message quotes both patterns).
            TypeError: If no handler is given.
        """
        method = check_method(method)
        route = self._index(self._static, self._root, method, join(self._prefix, path), handlers)
        self._routes.append(route)
        return route

    def _index(
        self, static: StaticIndex, root: Node, method: str, text: str, handlers: tuple[Handler, ...]
    ) -> Route:
        pattern = parse(text, self._strict)
        if not handlers:
            raise TypeError(
                f"{method_label(method)} {pattern.text!r}: at least one handler is required"
            )
        insert(static, root, pattern, method, Entry(handlers, pattern.text))
        return Route(method, pattern.text, handlers)

    def get(self, path: str, *handlers: Handler) -> Route:
        """Register a GET route; see `add`."""
        return self.add("GET", path, *handlers)

    def post(self, path: str, *handlers: Handler) -> Route:
        """Register a POST route; see `add`."""
        return self.add("POST", path, *handlers)

    def put(self, path: str, *handlers: Handler) -> Route:
        """Register a PUT route; see `add`."""
        return self.add("PUT", path, *handlers)

    def patch(self, path: str, *handlers: Handler) -> Route:
        """Register a PATCH route; see `add`."""
        return self.add("PATCH", path, *handlers)

    def delete(self, path: str, *handlers: Handler) -> Route:
        """Register a DELETE route; see `add`."""
        return self.add("DELETE", path, *handlers)

    def options(self, path: str, *handlers: Handler) -> Route:
        """Register an OPTIONS route; see `add`."""
        return self.add("OPTIONS", path, *handlers)

    def head(self, path: str, *handlers: Handler) -> Route:
        """Register a HEAD route; see `add`."""
        return self.add("HEAD", path, *handlers)

    def all(self, path: str, *handlers: Handler) -> Route:
        """Register a route for every method (stored as ``"*"``); see `add`.

        A route registered for a specific method wins over an ``all`` route with the same
        pattern.
        """
        return self.add(ANY_METHOD, path, *handlers)

    def routes(self, other: Router) -> None:
        """Mount another router: copy its routes under this router's prefix.

        Each of ``other``'s routes is registered here as ``self.prefix + route.pattern``
        (``other``'s prefix is already part of its patterns). This is a snapshot: routes
        added to ``other`` later are not seen. Either every route is mounted or, on a
        conflict, none is.

        Raises:
            ValueError: On a conflict, as `add` would raise it.
            TypeError: If ``other`` is not a `Router`.
        """
        if not isinstance(other, Router):
            raise TypeError(f"routes() expects a Router, not {type(other).__name__}")
        pending = [(r.method, r.pattern, r.handlers) for r in self._routes]
        pending += [(r.method, join(self._prefix, r.pattern), r.handlers) for r in other._routes]
        # Index everything afresh so that a conflict half-way leaves this router untouched.
        static: StaticIndex = {}
        root = Node()
        routes = [self._index(static, root, *route) for route in pending]
        self._static, self._root, self._routes = static, root, routes

    # -- lookup ---------------------------------------------------------------------------

    def match(self, method: str, path: str) -> Match | None:
        """Find the route for a request.

        Args:
            method: The request method, compared exactly: methods are case-sensitive
                (RFC 9110 §9.1), so ``"get"`` is not ``GET`` (only an ``all`` route
                answers it).
            path: The raw request path, still percent-encoded and without the query
                string. ``"%2F"`` inside a segment is not a separator.

        Returns:
            The best matching route that accepts the method, with its parameters decoded,
            or None. Never raises for any string.
        """
        # Fast path: a request for a static route, spelled as registered (raw path already
        # canonical, no slash to fold) is one dict access away.
        static = self._static
        methods = static.get(path)
        if methods is not None:
            entry = methods.get(method)
            if entry is not None:
                return new_match(entry.handlers, {}, entry.route)
        normal = normalise_path(path, self._strict)
        if normal is None:
            return None
        if normal != path:
            path = normal
            methods = static.get(path)
        if methods is not None:
            entry = methods.get(method) or methods.get(ANY_METHOD)
            if entry is not None:
                return new_match(entry.handlers, {}, entry.route)
        params: dict[str, str] = {}
        entry = self._walk(self._root, path[1:].split("/"), 0, method, params)
        if entry is None:
            return None
        if "%" in path:
            for name, value in params.items():
                if "%" in value:
                    params[name] = unquote(value)
        return new_match(entry.handlers, params, entry.route)

    def allowed_methods(self, path: str) -> frozenset[str]:
        """Return the methods registered for the routes that match a path.

        Useful to answer 405 with an ``Allow`` header when `match` returns None but this
        set is not empty. It reports exactly what is registered: ``"*"`` is in it when an
        ``all`` route matches, and HEAD is not implied by GET.

        Args:
            path: The raw request path, as for `match`.
        """
        normal = normalise_path(path, self._strict)
        if normal is None:
            return frozenset()
        found = set(self._static.get(normal, ()))
        collect_methods(self._root, normal[1:].split("/"), 0, self._strict, found)
        return frozenset(found)

    # -- introspection --------------------------------------------------------------------

    def __iter__(self) -> Iterator[Route]:
        """Iterate over the registered routes, in registration order (a snapshot)."""
        return iter(list(self._routes))

    def __len__(self) -> int:
        """Return the number of registered routes (one per method and pattern)."""
        return len(self._routes)

    def __repr__(self) -> str:
        return (
            f"Router(prefix={self._prefix!r}, strict_slashes={self._strict!r},"
            f" routes={len(self._routes)})"
        )

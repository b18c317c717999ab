"""Lookup: path normalisation and the trie walk with backtracking.

The walk is a depth-first search in priority order (static child, parameter child,
wildcard), so the first route it finds is the best one: comparing two patterns segment by
segment from the left, the first segment where they differ decides (static beats parameter
beats wildcard), and an exact end beats a wildcard matching the empty rest. A route counts
only if it has an entry for the method (or an ``all`` entry), so ``GET /a/b`` can fall back
to ``/a/:x`` when ``/a/b`` only has ``POST``.

A node at depth ``d`` is only ever visited with segment ``d``, so one lookup visits each
node at most once: backtracking is bounded by the size of the trie, never exponential,
and the recursion depth by the longest pattern, not by the path.
"""

from __future__ import annotations

from collections.abc import Callable

from ._node import Entry, Node
from ._pattern import canonical
from ._route import ANY_METHOD

Walker = Callable[[Node, list[str], int, str, dict[str, str]], Entry | None]


def normalise_path(path: str, strict_slashes: bool) -> str | None:
    """Bring a raw request path to the form the index is keyed by.

    Paths holding ``%`` or non-ASCII characters are canonicalised (see `canonical`); ``""``
    is ``/``; without strict slashes one trailing slash is dropped.

    Returns:
        The normalised path, or None for a string that is not a path (no leading ``/``).
    """
    if "%" in path or not path.isascii():
        path = canonical(path)
    if path[:1] != "/":
        return None if path else "/"
    if not strict_slashes and len(path) > 1 and path[-1] == "/":
        return path[:-1]
    return path


def make_walker(strict_slashes: bool) -> Walker:
    """Return the trie walk for one slash mode.

    The walker takes ``(node, segments, index, method, params)``. It returns the entry of
    the best route for the method and adds that route's parameters to ``params`` (raw, in
    pattern order), or returns None and leaves ``params`` as it found it.
    """
    # Without strict slashes "/a" is "/a/", so "/a/*" matches it with an empty rest.
    wildcard_at_end = not strict_slashes

    def walk(
        node: Node, segments: list[str], index: int, method: str, params: dict[str, str]
    ) -> Entry | None:
        # Recurse only where a node offers an alternative to come back to; a single way
        # down is followed in this loop. The names along one trie path are unique, so a
        # failed branch is undone by dropping the keys added since `mark`.
        mark = len(params)
        count = len(segments)
        while index < count:
            segment = segments[index]
            index += 1
            child = node.static.get(segment)
            param = node.param
            wildcard = node.wildcard
            if child is not None:
                if param is None and wildcard is None:
                    node = child
                    continue
                entry = walk(child, segments, index, method, params)
                if entry is not None:
                    return entry
            if param is not None and segment:
                params[node.param_name] = segment
                if wildcard is None:
                    node = param
                    continue
                entry = walk(param, segments, index, method, params)
                if entry is not None:
                    return entry
                del params[node.param_name]
            if wildcard is not None:
                entry = wildcard.get(method) or wildcard.get(ANY_METHOD)
                if entry is not None:
                    params[node.wildcard_name] = "/".join(segments[index - 1 :])
                    return entry
            break
        else:
            routes = node.routes
            if routes:
                entry = routes.get(method) or routes.get(ANY_METHOD)
                if entry is not None:
                    return entry
            wildcard = node.wildcard
            if wildcard_at_end and wildcard is not None:
                entry = wildcard.get(method) or wildcard.get(ANY_METHOD)
                if entry is not None:
                    params[node.wildcard_name] = ""
                    return entry
        if len(params) > mark:
            for key in list(params)[mark:]:
                del params[key]
        return None

    return walk


def collect_methods(
    node: Node, segments: list[str], index: int, strict_slashes: bool, found: set[str]
) -> None:
    """Add to ``found`` the methods of every trie route whose pattern matches the path."""
    if index == len(segments):
        found.update(node.routes)
        if not strict_slashes and node.wildcard is not None:
            found.update(node.wildcard)
        return
    segment = segments[index]
    child = node.static.get(segment)
    if child is not None:
        collect_methods(child, segments, index + 1, strict_slashes, found)
    if node.param is not None and segment:
        collect_methods(node.param, segments, index + 1, strict_slashes, found)
    if node.wildcard is not None:
        found.update(node.wildcard)

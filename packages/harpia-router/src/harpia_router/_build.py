"""Registration: put a parsed pattern into the index, refusing conflicts first.

The index has two parts. Patterns without parameters go into ``static``, a dict from the
canonical path to ``{method: Entry}``: a static route always wins over any dynamic route
for the same path, so one dict access settles those lookups. Every other pattern goes into
the segment trie under ``root``.

`insert` either succeeds or raises without touching the index: it first walks the existing
trie read-only, checking the pattern against what is already there, and only then
creates nodes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._node import Entry, Node
from ._pattern import PARAM, STATIC, WILDCARD, method_label

if TYPE_CHECKING:
    from ._pattern import Pattern

StaticIndex = dict[str, dict[str, Entry]]


def insert(static: StaticIndex, root: Node, pattern: Pattern, method: str, entry: Entry) -> None:
    """Index ``entry`` for ``method`` under ``pattern``.

    Raises:
        ValueError: If the method is already registered for an equivalent pattern, or if the
            pattern names a parameter or wildcard differently from an existing pattern at
            the same position. The message quotes both patterns.
    """
    if pattern.static_key is not None:
        methods = static.get(pattern.static_key)
        if methods is not None and method in methods:
            raise _duplicate(method, pattern.text, methods[method].route)
        static.setdefault(pattern.static_key, {})[method] = entry
    else:
        _place(root, pattern, method, entry, create=False)
        _place(root, pattern, method, entry, create=True)


def _place(node: Node, pattern: Pattern, method: str, entry: Entry, *, create: bool) -> None:
    # With create=False, only check: stop as soon as the pattern leaves the existing trie,
    # since nothing below a missing node can conflict.
    for kind, text in pattern.segments:
        if kind == WILDCARD:
            wildcard = node.wildcard
            if wildcard is not None:
                if node.wildcard_name != text:
                    raise _renamed("wildcard", "*", text, pattern.text, node, wildcard=True)
                if method in wildcard:
                    raise _duplicate(method, pattern.text, wildcard[method].route)
            if create:
                if wildcard is None:
                    wildcard = node.wildcard = {}
                    node.wildcard_name = text
                    node.wildcard_route = pattern.text
                wildcard[method] = entry
            return
        if kind == STATIC:
            child = node.static.get(text)
            if child is None:
                if not create:
                    return
                child = node.static[text] = Node()
        else:
            assert kind == PARAM
            child = node.param
            if child is not None and node.param_name != text:
                raise _renamed("parameter", ":", text, pattern.text, node, wildcard=False)
            if child is None:
                if not create:
                    return
                child = node.param = Node()
                node.param_name = text
                node.param_route = pattern.text
        node = child
    if method in node.routes:
        raise _duplicate(method, pattern.text, node.routes[method].route)
    if create:
        node.routes[method] = entry


def _duplicate(method: str, pattern: str, existing: str) -> ValueError:
    label = method_label(method)
    return ValueError(
        f"duplicate route: {label} {pattern!r} is already registered (as {label} {existing!r})"
    )


def _spell(sigil: str, name: str) -> str:
    return "*" if name == "*" else sigil + name


def _renamed(
    what: str, sigil: str, name: str, pattern: str, node: Node, *, wildcard: bool
) -> ValueError:
    other_name = node.wildcard_name if wildcard else node.param_name
    other_route = node.wildcard_route if wildcard else node.param_route
    return ValueError(
        f"conflicting {what} names: {_spell(sigil, name)!r} in {pattern!r} and"
        f" {_spell(sigil, other_name)!r} in {other_route!r} are at the same position;"
        " use one name"
    )

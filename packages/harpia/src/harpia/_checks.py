"""Registration-time checks: mistakes that would otherwise fail silently or per request.

- A path segment in another framework's syntax (``{id}`` FastAPI/Starlette, ``<id>`` and
  ``<int:id>`` Flask) would register a *static* path: ``GET /books/7`` is then a 404 with
  nothing logged. Such a path raises ``ValueError`` with the harpia spelling instead.
- A handler that cannot be called as ``(req, res)`` (a middleware as ``(req, res, next)``)
  would be a 500 on every request; it raises ``TypeError`` naming the route.

Both run once, when the route is added; nothing is kept for requests.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

# A whole segment in braces or angle brackets: {id}, {id:int}, {p:path}, <id>, <int:id>.
_FOREIGN = re.compile(r"^(?:\{([^{}/]*)\}|<([^<>/]*)>)$")
_WILDCARD_CONVERTERS = ("path",)  # Flask <path:p>, Starlette {p:path}: the rest of the path


def check_path(path: str, what: str) -> None:
    """Refuse a path with ``{name}`` / ``<name>`` / ``<conv:name>`` segments.

    Args:
        path: The route path (or router prefix) as given.
        what: How to name it in the message (``"route GET '/books/{id}'"``).

    Raises:
        ValueError: a segment uses another framework's parameter syntax; the message
            shows the path written the harpia way.
    """
    if "{" not in path and "<" not in path:
        return
    segments = path.split("/")
    fixed: list[str] = []
    found = False
    for segment in segments:
        match = _FOREIGN.match(segment)
        if match is None:
            if "{" in segment or "<" in segment:
                raise ValueError(
                    f"{what}: segment {segment!r} looks like a path parameter in another "
                    "framework's syntax; harpia parameters are whole segments written "
                    "`:name` (or a final `*name` for the rest of the path). Braces and angle "
                    "brackets in a path are almost never meant literally, so they are refused"
                )
            fixed.append(segment)
            continue
        found = True
        fixed.append(_harpia_spelling(match.group(1), match.group(2)))
    if found:
        suggestion = "/".join(fixed)
        raise ValueError(
            f"{what}: did you mean {suggestion!r}? harpia path parameters are written "
            "`:name` (`*name` for the rest of the path), not `{name}` or `<name>`; braces "
            "and angle brackets in a path are almost never meant literally, so they are "
            "refused"
        )


def _harpia_spelling(braces: str | None, angles: str | None) -> str:
    if braces is not None:  # Starlette: {name} or {name:convertor}
        name, _, converter = braces.partition(":")
    else:  # Flask: <name> or <converter:name>
        assert angles is not None
        converter, _, name = angles.rpartition(":")
    name = name.strip() or "name"
    prefix = "*" if converter.strip() in _WILDCARD_CONVERTERS else ":"
    return prefix + name


def check_callable(fn: Any, count: int, role: str, where: str) -> None:
    """Refuse ``fn`` unless it can be called with ``count`` positional arguments.

    Args:
        fn: The handler or middleware.
        count: 2 for a handler ``(req, res)``, 3 for a middleware ``(req, res, next)``.
        role: ``"handler"`` or ``"middleware"``.
        where: The route or registration named in the message.

    Raises:
        TypeError: ``fn`` is not callable, or its signature cannot take the arguments.
    """
    expected = "(req, res)" if count == 2 else "(req, res, next)"
    if not callable(fn):
        raise TypeError(f"{where}: the {role} must be callable {expected}, got {fn!r}")
    try:  # what is called: a decorator's wrapper, not the function it wraps
        signature = inspect.signature(fn, follow_wrapped=False)
    except (TypeError, ValueError):  # a builtin or C callable without a signature: trust it
        return
    if not _binds(signature, count):
        name = getattr(fn, "__qualname__", None) or repr(fn)
        hint = ""
        if count == 2 and _binds(signature, 3):
            hint = " (it takes 3 arguments: is it a middleware? pass it before the handler)"
        elif count == 3 and _binds(signature, 2):
            hint = " (it takes 2 arguments: a handler, not a middleware?)"
        raise TypeError(
            f"{where}: the {role} {name}{signature} cannot be called as {role}{expected}; "
            f"a {role} takes {expected}{hint}"
        )


def _binds(signature: inspect.Signature, count: int) -> bool:
    try:
        signature.bind(*range(count))
    except TypeError:
        return False
    return True

"""Downloads and ``res.format``: ``Content-Disposition`` (RFC 6266) and content negotiation.

``content_disposition(filename)`` makes ``attachment; filename="..."`` with a plain ASCII
fallback that every client reads, plus ``filename*=UTF-8''...`` (RFC 8187) when the name
is not plain ASCII, which current browsers prefer. Only the last path component of a name
is kept, and control characters are dropped: a name can neither split the header nor
point a client's save dialog at another folder.
"""

from __future__ import annotations

import inspect
import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ._cors import add_vary
from ._errors import HTTPError
from ._negotiation import best_type, media_type

if TYPE_CHECKING:
    from ._request import Request
    from ._response import Response

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_FALLBACK_UNSAFE = re.compile(r'[^\x20-\x7e]|["\\%]')
_ATTR_CHAR = "!#$&+-.^_`|~"  # RFC 8187 attr-char, beside letters and digits


def _base_name(filename: str) -> str:
    name = _CONTROL.sub("", filename).replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "" if name in (".", "..") else name


def ascii_fallback(name: str) -> str:
    """``name`` as printable ASCII: accents dropped (é → e), any other character, ``"``,
    ``\\`` and ``%`` replaced by ``_``."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _FALLBACK_UNSAFE.sub("_", stripped)


def content_disposition(filename: str | None = None, *, inline: bool = False) -> str:
    """A ``Content-Disposition`` value: ``attachment`` (or ``inline``), with the file name.

    Raises:
        TypeError: ``filename`` is not a str or None.
    """
    kind = "inline" if inline else "attachment"
    if filename is None:
        return kind
    if not isinstance(filename, str):
        raise TypeError(f"filename must be a str or None, got {type(filename).__name__}")
    name = _base_name(filename)
    if not name:
        return kind
    fallback = ascii_fallback(name)
    value = f'{kind}; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe=_ATTR_CHAR)}"
    return value


def set_attachment(res: Response, filename: str | os.PathLike[str] | None) -> None:
    """``res.attachment``: the disposition and, from the name's extension, the type."""
    from ._files import content_type_for

    name = os.fspath(filename) if filename is not None else None
    res.headers.set("content-disposition", content_disposition(name))
    if name:
        res.headers.set("content-type", content_type_for(_base_name(name)))


async def download(
    res: Response,
    path: str | os.PathLike[str],
    filename: str | None,
    content_type: str | None,
) -> None:
    """``res.download``: the file at ``path`` (as ``res.file``) as an attachment."""
    from ._files import send_file

    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"download() takes a path, got {type(path).__name__}")
    name = os.path.basename(os.fspath(path)) if filename is None else filename
    await send_file(res, path, content_type=content_type)
    res.headers.set("content-disposition", content_disposition(name))


Formatter = Callable[["Request", "Response"], Any]


async def format_response(res: Response, handlers: Mapping[str, Formatter]) -> None:
    """``res.format``: call the handler of the type the request's ``Accept`` prefers."""
    from ._chain import apply_result

    if not isinstance(handlers, Mapping) or not handlers:
        raise TypeError("format() takes a non-empty dict of media type -> handler")
    offers = tuple(key for key in handlers if key != "default")
    for key, handler in handlers.items():
        if not callable(handler):
            raise TypeError(f"format() handler for {key!r} must be callable, got {handler!r}")
    request = res.request
    if request is None:
        raise RuntimeError("format() needs the response of a request (res.request)")
    accept = request.headers.get("accept")
    chosen = best_type(accept, offers) if offers else None
    add_vary(res, ["Accept"])
    if chosen is None:
        if "default" not in handlers:
            raise HTTPError(406, detail={"available": [media_type(offer) for offer in offers]})
        handler = handlers["default"]
    else:
        handler = handlers[chosen]
        kind = media_type(chosen)
        if kind.startswith("text/"):
            kind += "; charset=utf-8"
        res.headers.set("content-type", kind)
    result = handler(request, res)
    if inspect.isawaitable(result):
        result = await result
    apply_result(res, result)

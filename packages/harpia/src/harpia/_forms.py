"""Form limits, and reading an urlencoded body within them.

``req.form()`` reads at most ``max_size`` bytes of an urlencoded body (413 as soon as more
arrive, before anything is parsed; a declared ``Content-Length`` over it is refused before
reading) and refuses more than ``max_fields`` fields (413, counted before the one parse).
The defaults are the app's ``max_form_fields`` and ``max_form_size``; multipart bodies
apply the same two limits to their parts (see ``_upload``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._errors import HTTPError

if TYPE_CHECKING:
    from ._request import Request

DEFAULT_MAX_FORM_FIELDS = 1000
"""Fields (or multipart parts that are not saved files) per form: Starlette's figure."""
DEFAULT_MAX_FORM_SIZE = 1024 * 1024
"""Bytes of an urlencoded form, or of a multipart form's plain fields together."""


def check_limit(name: str, value: object) -> int:
    """``value`` when it is a positive int; else a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def form_limits(req: Request, max_fields: int | None, max_size: int | None) -> tuple[int, int]:
    """The limits for one ``form()`` call: the arguments, else the app's, else defaults."""
    app = req.app
    if max_fields is None:
        max_fields = app.max_form_fields if app is not None else DEFAULT_MAX_FORM_FIELDS
    else:
        check_limit("max_fields", max_fields)
    if max_size is None:
        max_size = app.max_form_size if app is not None else DEFAULT_MAX_FORM_SIZE
    else:
        check_limit("max_size", max_size)
    return max_fields, max_size


def too_many_fields(max_fields: int) -> HTTPError:
    return HTTPError(413, f"form has more than {max_fields} fields (max_form_fields)")


def too_large(max_size: int) -> HTTPError:
    return HTTPError(413, f"form larger than {max_size} bytes (max_form_size)")


async def read_urlencoded(req: Request, max_fields: int, max_size: int) -> str:
    """The urlencoded body as text, checked against both limits before it is parsed.

    The body is cached (``req.body()`` returns it afterwards).

    Raises:
        HTTPError: 413 beyond ``max_size`` bytes or ``max_fields`` fields (or past
            ``req.body_limit``).
    """
    data = req._body  # cached by body(), or by an earlier form()
    if data is None:
        declared = req.content_length()
        if declared is not None and declared > max_size:
            raise too_large(max_size)
        chunks: list[bytes] = []
        size = 0
        async for chunk in req.stream():
            size += len(chunk)
            if size > max_size:
                raise too_large(max_size)
            chunks.append(chunk)
        data = b"".join(chunks)
        req._body = data
    elif len(data) > max_size:
        raise too_large(max_size)
    if data.count(b"&") >= max_fields:  # at least max_fields + 1 fields (blank ones too)
        raise too_many_fields(max_fields)
    return data.decode("utf-8", errors="replace")

"""Content negotiation: ``Accept``, ``Accept-Language`` and ``Accept-Encoding`` (RFC 9110 §12).

Sans-IO: header values in, the best of the offered values out. Each header is a list of
ranges with a quality (``q``, 0 to 1, default 1; a malformed one counts as 0 = refused).
For every offered value the most specific range that matches it gives its quality; the
offer with the highest quality wins, a tie going to the more specific match, then to the
offer named first. An absent header accepts everything (the first offer wins); a header
that is present but empty or malformed accepts only what its valid ranges name.

``Accept`` ranges are ``type/subtype``, ``type/*`` or ``*/*`` (parameters other than ``q``
are ignored); offers may be a full media type or a short name (``"json"``, ``"html"``).
Language ranges follow RFC 4647 basic filtering: ``en`` matches ``en-GB``, ``*`` anything.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ._headers import TOKEN

if TYPE_CHECKING:
    from collections.abc import Callable

_QVALUE = re.compile(r"(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)")

# Short names an offer may use, as Express's req.accepts does (``"json"``, ``"html"``).
SHORT_TYPES = {
    "html": "text/html",
    "text": "text/plain",
    "txt": "text/plain",
    "json": "application/json",
    "xml": "application/xml",
    "css": "text/css",
    "js": "text/javascript",
    "csv": "text/csv",
    "md": "text/markdown",
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "form": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data",
    "bin": "application/octet-stream",
    "event-stream": "text/event-stream",
}

Range = tuple[str, float]  # (lower-cased range, quality)


def parse_header(value: str | None) -> list[Range] | None:
    """The ranges of a negotiation header, in order; ``None`` when the header is absent.

    A range whose ``q`` is malformed gets quality 0 (refused) rather than 1: a client
    that wrote ``q=abc`` did not mean "most preferred".
    """
    if value is None:
        return None
    ranges: list[Range] = []
    for part in value.split(",")[:64]:  # a bound: a header of 10,000 ranges is not real
        item, *params = part.split(";")
        item = item.strip().lower()
        if not item:
            continue
        quality = 1.0
        for param in params:
            name, _, arg = param.partition("=")
            if name.strip().lower() == "q":
                arg = arg.strip()
                quality = float(arg) if _QVALUE.fullmatch(arg) else 0.0
                break  # accept-ext after q is ignored
        ranges.append((item, quality))
    return ranges


def media_type(offer: str) -> str:
    """The media type an offer stands for (``"json"`` → ``application/json``), lower-cased.

    Raises:
        TypeError: ``offer`` is not a str.
        ValueError: ``offer`` is neither ``type/subtype`` nor a known short name.
    """
    if not isinstance(offer, str):
        raise TypeError(f"a media type must be a str, got {type(offer).__name__}")
    kind = offer.split(";", 1)[0].strip().lower()
    if "/" not in kind:
        full = SHORT_TYPES.get(kind.lstrip("."))
        if full is None:
            raise ValueError(f"unknown media type {offer!r}: use 'type/subtype' or a short name")
        return full
    main, _, sub = kind.partition("/")
    if not TOKEN.fullmatch(main) or not TOKEN.fullmatch(sub):
        raise ValueError(f"malformed media type {offer!r}")
    return kind


def _type_specificity(accept: str, offer: str) -> int:
    """How specifically range ``accept`` matches media type ``offer`` (-1: not at all)."""
    if accept == offer:
        return 2
    main, _, sub = accept.partition("/")
    if sub == "*" and (main == "*" or offer.startswith(main + "/")):
        return 0 if main == "*" else 1
    return -1


def _language_specificity(accept: str, offer: str) -> int:
    if accept == offer:
        return 3
    if offer.startswith(accept + "-"):  # en ⊃ en-GB
        return 2
    if accept.startswith(offer + "-"):  # the client wants en-GB, we have en
        return 1
    return 0 if accept == "*" else -1


def _encoding_specificity(accept: str, offer: str) -> int:
    if accept == offer or (accept == "x-gzip" and offer == "gzip"):
        return 1
    return 0 if accept == "*" else -1


def _best(
    ranges: list[Range] | None,
    offers: tuple[str, ...],
    keys: list[str],
    match: Callable[[str, str], int],
) -> str | None:
    if not offers:
        return None
    if ranges is None:
        return offers[0]
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for index, (offer, key) in enumerate(zip(offers, keys, strict=True)):
        found: tuple[float, int] | None = None  # (quality, specificity) of the best range
        for accept, quality in ranges:
            level = match(accept, key)
            if level >= 0 and (found is None or level > found[1]):
                found = (quality, level)
        if found is None or found[0] <= 0:
            continue
        rank = (found[0], found[1], -index)
        if best is None or rank > best:
            best, chosen = rank, offer
    return chosen


def best_type(header: str | None, offers: tuple[str, ...]) -> str | None:
    """The offer (as given) that an ``Accept`` header prefers; ``None`` if none is acceptable.

    Raises:
        ValueError: an offer that is not a media type or short name.
    """
    keys = [media_type(offer) for offer in offers]
    return _best(parse_header(header), offers, keys, _type_specificity)


def best_language(header: str | None, offers: tuple[str, ...]) -> str | None:
    """The offered language tag that an ``Accept-Language`` header prefers, or ``None``."""
    keys = [_lower(offer, "language") for offer in offers]
    return _best(parse_header(header), offers, keys, _language_specificity)


def best_encoding(header: str | None, offers: tuple[str, ...]) -> str | None:
    """The offered content coding that an ``Accept-Encoding`` header prefers, or ``None``.

    ``identity`` is acceptable unless refused (``identity;q=0``, or ``*;q=0`` without an
    ``identity`` range): it is offered last when not offered at all.
    """
    keys = [_lower(offer, "encoding") for offer in offers]
    ranges = parse_header(header)
    if ranges is None:
        return offers[0] if offers else None
    chosen = _best(ranges, offers, keys, _encoding_specificity)
    if chosen is None and "identity" in keys and identity_acceptable(ranges):
        return offers[keys.index("identity")]
    return chosen


def identity_acceptable(ranges: list[Range]) -> bool:
    """False when ``identity;q=0`` (or ``*;q=0`` with no ``identity`` range) refuses it."""
    star: float | None = None
    for accept, quality in ranges:
        if accept == "identity":
            return quality > 0
        if accept == "*":
            star = quality
    return star is None or star > 0


def _lower(offer: str, what: str) -> str:
    if not isinstance(offer, str):
        raise TypeError(f"an {what} must be a str, got {type(offer).__name__}")
    return offer.strip().lower()

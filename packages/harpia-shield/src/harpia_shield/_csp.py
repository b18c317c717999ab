"""Content-Security-Policy: the default directives, merging, validation, serialisation."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

DEFAULT_DIRECTIVES: Mapping[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "base-uri": ("'self'",),
    "font-src": ("'self'", "https:", "data:"),
    "form-action": ("'self'",),
    "frame-ancestors": ("'self'",),
    "img-src": ("'self'", "data:"),
    "object-src": ("'none'",),
    "script-src": ("'self'",),
    "script-src-attr": ("'none'",),
    "style-src": ("'self'",),
    "upgrade-insecure-requests": (),
}
"""The defaults, in the order they are sent (those of the Bun original; helmet's
``style-src`` also allows ``https:`` and ``'unsafe-inline'``)."""

KNOWN_DIRECTIVES = frozenset(
    {
        # fetch directives
        "child-src", "connect-src", "default-src", "fenced-frame-src", "font-src",
        "frame-src", "img-src", "manifest-src", "media-src", "object-src", "prefetch-src",
        "script-src", "script-src-attr", "script-src-elem", "style-src", "style-src-attr",
        "style-src-elem", "worker-src",
        # document, navigation, reporting and the rest
        "base-uri", "sandbox", "form-action", "frame-ancestors", "navigate-to",
        "report-uri", "report-to", "require-trusted-types-for", "trusted-types",
        "upgrade-insecure-requests", "block-all-mixed-content", "plugin-types",
        "require-sri-for", "webrtc",
    }
)  # fmt: skip

NONCE_DIRECTIVES = frozenset({"script-src", "style-src"})
"""The directives that receive ``'nonce-…'`` (when present in the policy)."""

_SOURCE = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*\Z")
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def directive_name(name: object, field: str) -> str:
    """``scriptSrc`` / ``script_src`` / ``script-src`` → ``script-src`` (a known name).

    Raises:
        ValueError: not a CSP directive.
    """
    if not isinstance(name, str):
        raise TypeError(f"{field}: directive names must be str, got {name!r}")
    kebab = _CAMEL.sub(r"-\1", name).replace("_", "-").lower()
    if kebab not in KNOWN_DIRECTIVES:
        raise ValueError(f"{field}: unknown directive {name!r}")
    return kebab


def sources(value: object, field: str) -> tuple[str, ...]:
    """A directive's sources, validated: no ``;`` or ``,``, no CR/LF or other controls.

    Raises:
        ValueError: a source that would break the header or the policy.
        TypeError: not a str or a sequence of str.
    """
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Sequence):
        raise TypeError(f"{field} must be a str or a list of str, got {value!r}")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{field}: sources must be str, got {item!r}")
        if "\r" in item or "\n" in item:
            raise ValueError(f"{field}: a source must not contain CR or LF: {item!r}")
        if ";" in item or "," in item:
            raise ValueError(f"{field}: a source must not contain ';' or ',': {item!r}")
        text = item.strip()
        if not _SOURCE.match(text):
            raise ValueError(f"{field}: {item!r} is not a source (printable ASCII, not empty)")
        out.append(text)
    return tuple(out)


def compile_csp(options: Mapping[str, Any] | bool, field: str) -> tuple[str, tuple[str, ...]]:
    """Merge and serialise the policy: ``(header name, value segments)``.

    Raises:
        ValueError: an unknown directive or option, an invalid source, an empty policy.
        TypeError: a value of the wrong type.
    """
    if options is True:
        options = {}
    if not isinstance(options, Mapping):
        raise TypeError(f"{field} must be True, False or a dict, got {options!r}")
    unknown = set(options) - {"directives", "use_defaults", "report_only", "report_uri",
                              "report_to"}  # fmt: skip
    if unknown:
        raise ValueError(f"{field}: unknown option(s) {sorted(map(str, unknown))}")
    use_defaults = options.get("use_defaults", True)
    report_only = options.get("report_only", False)
    for key, flag in (("use_defaults", use_defaults), ("report_only", report_only)):
        if not isinstance(flag, bool):
            raise TypeError(f"{field}.{key} must be True or False, got {flag!r}")

    merged: dict[str, tuple[str, ...]] = dict(DEFAULT_DIRECTIVES) if use_defaults else {}
    given = options.get("directives") or {}
    if not isinstance(given, Mapping):
        raise TypeError(f"{field}.directives must be a dict, got {given!r}")
    seen: set[str] = set()
    for raw_name, value in given.items():
        name = directive_name(raw_name, f"{field}.directives")
        if name in seen:
            raise ValueError(f"{field}.directives: {name!r} is given twice")
        seen.add(name)
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = sources(value, f"{field}.directives[{name!r}]")

    report_uri = options.get("report_uri")
    if report_uri is not None:
        merged["report-uri"] = sources(report_uri, f"{field}.report_uri")
    report_to = options.get("report_to")
    if report_to is not None:
        group = sources(report_to, f"{field}.report_to")
        if len(group) != 1 or " " in group[0]:
            raise ValueError(f"{field}.report_to must be one group name, got {report_to!r}")
        merged["report-to"] = group
    if not merged:
        raise ValueError(f"{field}: the policy has no directives")

    name = "Content-Security-Policy-Report-Only" if report_only else "Content-Security-Policy"
    return name, _segments(merged)


def _segments(directives: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The policy text, cut after the sources of each directive that takes the nonce."""
    segments: list[str] = []
    buffer: list[str] = []
    for index, (name, values) in enumerate(directives.items()):
        if index:
            buffer.append("; ")
        buffer.append(f"{name} {' '.join(values)}" if values else name)
        if name in NONCE_DIRECTIVES:
            segments.append("".join(buffer))
            buffer = []
    segments.append("".join(buffer))
    return tuple(segments)

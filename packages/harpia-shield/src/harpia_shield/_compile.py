"""Options → the header list, once: validation and serialisation of every header.

``compile_headers`` is the only place that turns options into header text. It runs when a
``SecurityHeaders`` is built (to validate) and when a ``Shield`` is built (to keep the
result); a request then pays for a list copy and, with a nonce, one string join.

The Content-Security-Policy value is kept as *segments*: the text cut right after the
sources of each directive that receives the nonce (``script-src``, ``style-src``). Joining
the segments with ``" 'nonce-<n>'"`` gives the header for nonce ``n``; joining them with
``""`` gives it without one.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._csp import compile_csp

if TYPE_CHECKING:
    from ._options import SecurityHeaders

Header = tuple[str, str]

_COEP = frozenset({"require-corp", "credentialless", "unsafe-none"})
_COOP = frozenset(
    {"same-origin", "same-origin-allow-popups", "unsafe-none", "noopener-allow-popups"}
)
_CORP = frozenset({"same-origin", "same-site", "cross-origin"})
_REFERRER = frozenset(
    {
        "no-referrer",
        "no-referrer-when-downgrade",
        "origin",
        "origin-when-cross-origin",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    }
)
_FRAME = frozenset({"DENY", "SAMEORIGIN"})
_CROSS_DOMAIN = frozenset({"none", "master-only", "by-content-type", "by-ftp-filename", "all"})
_FEATURE = re.compile(r"[a-z][a-z0-9-]*\Z")
_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[^\s\"'(),;\\]+\Z", re.IGNORECASE)
_GROUP = re.compile(r"[a-z*][a-z0-9_.*-]*\Z")
_URL_BAD = re.compile(r"[\x00-\x20\x7f\"\\]")

HSTS_MAX_AGE = 15552000  # 180 days, as in the Bun original (helmet ≥ 7 uses 365 days)


@dataclasses.dataclass(frozen=True, slots=True)
class Compiled:
    """The compiled options.

    Attributes:
        headers: Every header to send, in order; the CSP one (if any) without a nonce.
        csp_index: Position of the CSP header in ``headers``, or None.
        csp_segments: The CSP value cut at the nonce insertion points (see module doc).
        remove: Lower-case names of headers to remove from responses (``x-powered-by``).
    """

    headers: tuple[Header, ...]
    csp_index: int | None
    csp_segments: tuple[str, ...]
    remove: frozenset[str]


def compile_headers(options: SecurityHeaders) -> Compiled:
    """Validate ``options`` and build the headers.

    Raises:
        ValueError: an invalid value; the message starts with the field name.
        TypeError: a value of the wrong type.
    """
    headers: list[Header] = []
    csp_index: int | None = None
    segments: tuple[str, ...] = ()

    _flag(options.use_nonce, "use_nonce")
    csp = options.content_security_policy
    if csp is not False:
        name, segments = compile_csp(True if csp is True else csp, "content_security_policy")
        csp_index = len(headers)
        headers.append((name, "".join(segments)))

    _policy(headers, options.cross_origin_embedder_policy, "cross_origin_embedder_policy",
            "Cross-Origin-Embedder-Policy", "require-corp", _COEP)  # fmt: skip
    _policy(headers, options.cross_origin_opener_policy, "cross_origin_opener_policy",
            "Cross-Origin-Opener-Policy", "same-origin", _COOP)  # fmt: skip
    _policy(headers, options.cross_origin_resource_policy, "cross_origin_resource_policy",
            "Cross-Origin-Resource-Policy", "same-origin", _CORP)  # fmt: skip
    if _flag(options.origin_agent_cluster, "origin_agent_cluster"):
        headers.append(("Origin-Agent-Cluster", "?1"))
    _referrer(headers, options.referrer_policy)
    _hsts(headers, options.strict_transport_security)
    if _flag(options.x_content_type_options, "x_content_type_options"):
        headers.append(("X-Content-Type-Options", "nosniff"))
    _dns_prefetch(headers, options.x_dns_prefetch_control)
    if _flag(options.x_download_options, "x_download_options"):
        headers.append(("X-Download-Options", "noopen"))
    _frame(headers, options.x_frame_options)
    _cross_domain(headers, options.x_permitted_cross_domain_policies)
    if _flag(options.x_xss_protection, "x_xss_protection"):
        headers.append(("X-XSS-Protection", "0"))
    _permissions(headers, options.permissions_policy)
    _reporting(headers, options.reporting_endpoints)
    keep_powered_by = _flag(options.x_powered_by, "x_powered_by")
    return Compiled(
        headers=tuple(headers),
        csp_index=csp_index,
        csp_segments=segments,
        remove=frozenset() if keep_powered_by else frozenset({"x-powered-by"}),
    )


# -- helpers, one per header --------------------------------------------------------------


def _flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{field} must be True or False, got {value!r}")
    return value


def _options(value: object, field: str, keys: Sequence[str], required: bool) -> Mapping[str, Any]:
    """``value`` as a mapping with only ``keys`` (all of them when ``required``)."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{field} must be True, False or a dict, got {value!r}")
    unknown = set(value) - set(keys)
    if unknown:
        raise ValueError(f"{field}: unknown option(s) {sorted(map(str, unknown))}")
    if required and not set(keys) <= set(value):
        raise ValueError(f"{field}: needs {', '.join(repr(k) for k in keys)}")
    return value


def _text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a str, got {value!r}")
    if "\r" in value or "\n" in value:
        raise ValueError(f"{field} must not contain CR or LF: {value!r}")
    return value.strip()


def _choice(value: object, field: str, allowed: frozenset[str]) -> str:
    text = _text(value, field)
    if text not in allowed:
        raise ValueError(f"{field}: {text!r} is not one of {', '.join(sorted(allowed))}")
    return text


def _policy(
    headers: list[Header],
    value: object,
    field: str,
    name: str,
    default: str,
    allowed: frozenset[str],
) -> None:
    if value is True:
        headers.append((name, default))
    elif value is not False:
        policy = _options(value, field, ("policy",), required=True)["policy"]
        headers.append((name, _choice(policy, f"{field}.policy", allowed)))


def _referrer(headers: list[Header], value: object) -> None:
    field = "referrer_policy"
    if value is True:
        headers.append(("Referrer-Policy", "no-referrer"))
        return
    if value is False:
        return
    policy = _options(value, field, ("policy",), required=True)["policy"]
    tokens = [policy] if isinstance(policy, str) else policy
    if not isinstance(tokens, Sequence):
        raise TypeError(f"{field}.policy must be a str or a list of str, got {policy!r}")
    if not tokens:
        raise ValueError(f"{field}.policy must not be an empty list")
    values = [_choice(token, f"{field}.policy", _REFERRER) for token in tokens]
    headers.append(("Referrer-Policy", ", ".join(values)))


def _hsts(headers: list[Header], value: object) -> None:
    field = "strict_transport_security"
    if value is False:
        return
    options: Mapping[str, Any] = {}
    if value is not True:
        options = _options(value, field, ("max_age", "include_sub_domains", "preload"), False)
    max_age = options.get("max_age", HSTS_MAX_AGE)
    if isinstance(max_age, bool) or not isinstance(max_age, int):
        raise TypeError(f"{field}.max_age must be an int, got {max_age!r}")
    if max_age < 0:
        raise ValueError(f"{field}.max_age must not be negative, got {max_age}")
    parts = [f"max-age={max_age}"]
    if _flag(options.get("include_sub_domains", True), f"{field}.include_sub_domains"):
        parts.append("includeSubDomains")
    if _flag(options.get("preload", False), f"{field}.preload"):
        parts.append("preload")
    headers.append(("Strict-Transport-Security", "; ".join(parts)))


def _dns_prefetch(headers: list[Header], value: object) -> None:
    field = "x_dns_prefetch_control"
    if value is False:
        return
    allow = False
    if value is not True:
        allow = _flag(_options(value, field, ("allow",), True)["allow"], f"{field}.allow")
    headers.append(("X-DNS-Prefetch-Control", "on" if allow else "off"))


def _frame(headers: list[Header], value: object) -> None:
    field = "x_frame_options"
    if value is True:
        headers.append(("X-Frame-Options", "SAMEORIGIN"))
    elif value is not False:
        action = _options(value, field, ("action",), required=True)["action"]
        action = _text(action, f"{field}.action").upper()
        headers.append(("X-Frame-Options", _choice(action, f"{field}.action", _FRAME)))


def _cross_domain(headers: list[Header], value: object) -> None:
    field = "x_permitted_cross_domain_policies"
    if value is True:
        headers.append(("X-Permitted-Cross-Domain-Policies", "none"))
    elif value is not False:
        policy = _options(value, field, ("permitted_policies",), True)["permitted_policies"]
        policy = _choice(policy, f"{field}.permitted_policies", _CROSS_DOMAIN)
        headers.append(("X-Permitted-Cross-Domain-Policies", policy))


def _permissions(headers: list[Header], value: object) -> None:
    field = "permissions_policy"
    if value is False:
        return
    if value is True or not isinstance(value, Mapping) or not value:
        raise ValueError(f"{field} must be False or a non-empty dict of feature → allowlist")
    items: list[str] = []
    for feature, allowlist in value.items():
        where = f"{field}[{feature!r}]"
        if not isinstance(feature, str) or not _FEATURE.match(feature):
            raise ValueError(f"{field}: {feature!r} is not a feature name (like 'camera')")
        entries = [allowlist] if isinstance(allowlist, str) else allowlist
        if not isinstance(entries, Sequence):
            raise TypeError(f"{where} must be a str or a list of str, got {allowlist!r}")
        members: list[str] = []
        for entry in entries:
            text = _text(entry, where).strip("'")
            if text in ("self", "src", "*"):
                members.append(text)
            elif _ORIGIN.match(text.strip('"')):
                members.append(f'"{text.strip(chr(34))}"')
            else:
                raise ValueError(f"{where}: {text!r} is not self, src, * or an origin")
        if members == ["*"]:
            items.append(f"{feature}=*")
        else:
            items.append(f"{feature}=({' '.join(members)})")
    headers.append(("Permissions-Policy", ", ".join(items)))


def _reporting(headers: list[Header], value: object) -> None:
    field = "reporting_endpoints"
    if value is False:
        return
    if value is True or not isinstance(value, Mapping) or not value:
        raise ValueError(f"{field} must be False or a non-empty dict of group → URL")
    items: list[str] = []
    for group, url in value.items():
        if not isinstance(group, str) or not _GROUP.match(group):
            raise ValueError(f"{field}: {group!r} is not a group name (lower-case token)")
        text = _text(url, f"{field}[{group!r}]")
        if not text or _URL_BAD.search(text):
            raise ValueError(f"{field}[{group!r}]: {text!r} is not a URL")
        items.append(f'{group}="{text}"')
    headers.append(("Reporting-Endpoints", ", ".join(items)))

"""The options: ``SecurityHeaders`` and the small typed dicts its fields take.

Every header field takes ``True`` (send it with its default value), ``False`` (do not send
it) or a typed dict that overrides the default value. Keys are snake_case; the camelCase
keys of the Bun original (``useNonce``, ``maxAge``, ``includeSubDomains``…) are accepted
by ``SecurityHeaders.from_mapping`` so a configuration can be ported as it is.

A ``SecurityHeaders`` is validated when it is built: a bad value raises ``ValueError``
naming the field, so a broken header can never reach the wire.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Self, TypedDict

Sources = Sequence[str] | str
"""A CSP directive value: a list of sources (``["'self'", "https:"]``) or one string."""


class CSPOptions(TypedDict, total=False):
    """``content_security_policy`` options.

    Attributes:
        directives: Directive name → sources. Merged into the defaults: a directive given
            here replaces the default one, ``None`` removes it, an empty list sends the
            bare name (``upgrade-insecure-requests``). Names are kebab-case
            (``"script-src"``); ``script_src`` and ``scriptSrc`` are accepted too.
        use_defaults: ``False`` starts from no directives at all (default ``True``).
        report_only: Send ``Content-Security-Policy-Report-Only`` instead (default ``False``).
        report_uri: Added as the ``report-uri`` directive (one URI or several).
        report_to: A reporting group name, added as the ``report-to`` directive (declare
            the group with ``SecurityHeaders.reporting_endpoints``).
    """

    directives: Mapping[str, Sources | None]
    use_defaults: bool
    report_only: bool
    report_uri: str | Sequence[str] | None
    report_to: str | None


class PolicyOptions(TypedDict):
    """``{"policy": value}`` for the Cross-Origin-* headers."""

    policy: str


class ReferrerPolicyOptions(TypedDict):
    """``{"policy": value}``; a list is sent comma-separated (a fallback chain)."""

    policy: str | Sequence[str]


class HSTSOptions(TypedDict, total=False):
    """``strict_transport_security`` options.

    Attributes:
        max_age: Seconds (default 15552000, 180 days); must be an int ≥ 0.
        include_sub_domains: Add ``includeSubDomains`` (default ``True``).
        preload: Add ``preload`` (default ``False``).
    """

    max_age: int
    include_sub_domains: bool
    preload: bool


class DNSPrefetchOptions(TypedDict):
    """``{"allow": bool}``: ``on`` or ``off``."""

    allow: bool


class FrameOptions(TypedDict):
    """``{"action": "DENY" | "SAMEORIGIN"}``."""

    action: str


class CrossDomainOptions(TypedDict):
    """``{"permitted_policies": "none" | "master-only" | "by-content-type" | "all"}``."""

    permitted_policies: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class SecurityHeaders:
    """What ``Shield`` sends. Defaults follow helmet and the Bun original (see README).

    Attributes:
        use_nonce: Make one nonce per request, add ``'nonce-…'`` to ``script-src`` and
            ``style-src``, and expose it (``req.nonce``, ``generateNonce()``).
        content_security_policy: ``Content-Security-Policy`` (or ``…-Report-Only``).
        cross_origin_embedder_policy: ``Cross-Origin-Embedder-Policy``; off by default,
            ``True`` sends ``require-corp``.
        cross_origin_opener_policy: ``Cross-Origin-Opener-Policy: same-origin``.
        cross_origin_resource_policy: ``Cross-Origin-Resource-Policy: same-origin``.
        origin_agent_cluster: ``Origin-Agent-Cluster: ?1``.
        referrer_policy: ``Referrer-Policy: no-referrer``.
        strict_transport_security: ``Strict-Transport-Security: max-age=15552000;
            includeSubDomains``.
        x_content_type_options: ``X-Content-Type-Options: nosniff``.
        x_dns_prefetch_control: ``X-DNS-Prefetch-Control: off``.
        x_download_options: ``X-Download-Options: noopen``.
        x_frame_options: ``X-Frame-Options: SAMEORIGIN``.
        x_permitted_cross_domain_policies: ``X-Permitted-Cross-Domain-Policies: none``.
        x_xss_protection: ``X-XSS-Protection: 0`` (turns the legacy XSS auditor off).
        x_powered_by: ``False`` (default) removes any ``X-Powered-By`` header from
            responses; ``True`` leaves it alone.
        permissions_policy: ``Permissions-Policy``, off by default: feature → allowlist,
            e.g. ``{"camera": [], "geolocation": ["self", "https://maps.example"]}``
            → ``camera=(), geolocation=(self "https://maps.example")``.
        reporting_endpoints: ``Reporting-Endpoints``, off by default: group → URL, e.g.
            ``{"csp": "https://example.com/csp"}`` → ``csp="https://example.com/csp"``.

    Raises:
        ValueError: An invalid value (unknown CSP directive, ``;``/``,`` where not allowed,
            CR/LF, negative ``max_age``, unknown policy…); the message names the field.
        TypeError: A value of the wrong type.
    """

    use_nonce: bool = False
    content_security_policy: CSPOptions | bool = True
    cross_origin_embedder_policy: PolicyOptions | bool = False
    cross_origin_opener_policy: PolicyOptions | bool = True
    cross_origin_resource_policy: PolicyOptions | bool = True
    origin_agent_cluster: bool = True
    referrer_policy: ReferrerPolicyOptions | bool = True
    strict_transport_security: HSTSOptions | bool = True
    x_content_type_options: bool = True
    x_dns_prefetch_control: DNSPrefetchOptions | bool = True
    x_download_options: bool = True
    x_frame_options: FrameOptions | bool = True
    x_permitted_cross_domain_policies: CrossDomainOptions | bool = True
    x_xss_protection: bool = True
    x_powered_by: bool = False
    permissions_policy: Mapping[str, Sources] | bool = False
    reporting_endpoints: Mapping[str, str] | bool = False

    def __post_init__(self) -> None:
        from ._compile import compile_headers

        compile_headers(self)  # validate now; Shield compiles again (cheap, once)

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> Self:
        """Build from a dict; camelCase keys (``useNonce``, ``maxAge``…) are accepted.

        Raises:
            TypeError: an unknown option name.
            ValueError: an invalid value (see the class).
        """
        if not isinstance(options, Mapping):
            raise TypeError(f"security header options must be a mapping, got {options!r}")
        known = {field.name for field in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in options.items():
            name = snake_case(key)
            if name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise TypeError(f"unknown security header option {key!r}{hint}")
            if isinstance(value, Mapping) and name not in _FREE_KEYED:
                value = {snake_case(k): v for k, v in value.items()}
            kwargs[name] = value
        return cls(**kwargs)


# Fields whose mapping keys are user data (directive/feature/group names), not options.
_FREE_KEYED = frozenset({"permissions_policy", "reporting_endpoints"})

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake_case(name: str) -> str:
    """``includeSubDomains`` → ``include_sub_domains`` (snake_case passes unchanged)."""
    if not isinstance(name, str):
        raise TypeError(f"option names must be str, got {name!r}")
    return _CAMEL.sub(r"_\1", name).lower()

"""Overrides, disables and the directive merge (the Bun original's tests, plus helmet's)."""

from __future__ import annotations

from typing import Any

import pytest

from harpia_shield import SecurityHeaders, Shield


def header(shield: Shield, name: str) -> str | None:
    return dict(shield.headers()).get(name)


def csp_directives(value: str | None) -> dict[str, str]:
    assert value is not None
    return {part.split(" ", 1)[0]: part for part in value.split("; ")}


DISABLES = [
    ("content_security_policy", "Content-Security-Policy"),
    ("cross_origin_opener_policy", "Cross-Origin-Opener-Policy"),
    ("cross_origin_resource_policy", "Cross-Origin-Resource-Policy"),
    ("origin_agent_cluster", "Origin-Agent-Cluster"),
    ("referrer_policy", "Referrer-Policy"),
    ("strict_transport_security", "Strict-Transport-Security"),
    ("x_content_type_options", "X-Content-Type-Options"),
    ("x_dns_prefetch_control", "X-DNS-Prefetch-Control"),
    ("x_download_options", "X-Download-Options"),
    ("x_frame_options", "X-Frame-Options"),
    ("x_permitted_cross_domain_policies", "X-Permitted-Cross-Domain-Policies"),
    ("x_xss_protection", "X-XSS-Protection"),
]


@pytest.mark.parametrize(("field", "name"), DISABLES)
def test_false_disables_exactly_that_header(field: str, name: str) -> None:
    shield = Shield(**{field: False})
    names = [n for n, _ in shield.headers()]
    assert name not in names
    assert len(names) == 11


OVERRIDES: list[tuple[dict[str, Any], str, str]] = [
    ({"cross_origin_opener_policy": {"policy": "unsafe-none"}},
     "Cross-Origin-Opener-Policy", "unsafe-none"),
    ({"cross_origin_opener_policy": {"policy": "same-origin-allow-popups"}},
     "Cross-Origin-Opener-Policy", "same-origin-allow-popups"),
    ({"cross_origin_resource_policy": {"policy": "cross-origin"}},
     "Cross-Origin-Resource-Policy", "cross-origin"),
    ({"cross_origin_embedder_policy": True}, "Cross-Origin-Embedder-Policy", "require-corp"),
    ({"cross_origin_embedder_policy": {"policy": "credentialless"}},
     "Cross-Origin-Embedder-Policy", "credentialless"),
    ({"referrer_policy": {"policy": "same-origin"}}, "Referrer-Policy", "same-origin"),
    ({"referrer_policy": {"policy": ["origin", "unsafe-url"]}},
     "Referrer-Policy", "origin, unsafe-url"),
    ({"strict_transport_security": {"max_age": 31536000, "include_sub_domains": False,
                                    "preload": True}},
     "Strict-Transport-Security", "max-age=31536000; preload"),
    ({"strict_transport_security": {"max_age": 31536000, "preload": True}},
     "Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload"),
    ({"strict_transport_security": {"max_age": 0}}, "Strict-Transport-Security",
     "max-age=0; includeSubDomains"),
    ({"x_dns_prefetch_control": {"allow": True}}, "X-DNS-Prefetch-Control", "on"),
    ({"x_dns_prefetch_control": {"allow": False}}, "X-DNS-Prefetch-Control", "off"),
    ({"x_frame_options": {"action": "DENY"}}, "X-Frame-Options", "DENY"),
    ({"x_frame_options": {"action": "sameorigin"}}, "X-Frame-Options", "SAMEORIGIN"),
    ({"x_permitted_cross_domain_policies": {"permitted_policies": "master-only"}},
     "X-Permitted-Cross-Domain-Policies", "master-only"),
    ({"permissions_policy": {"camera": [], "geolocation": ["self", "https://maps.example"],
                             "fullscreen": "*"}},
     "Permissions-Policy", 'camera=(), geolocation=(self "https://maps.example"), fullscreen=*'),
    ({"reporting_endpoints": {"csp": "https://example.com/csp", "main": "/reports"}},
     "Reporting-Endpoints", 'csp="https://example.com/csp", main="/reports"'),
]  # fmt: skip


@pytest.mark.parametrize(("options", "name", "value"), OVERRIDES)
def test_each_override_sends_its_value(options: dict[str, Any], name: str, value: str) -> None:
    assert header(Shield(**options), name) == value


def test_x_powered_by_true_keeps_the_header() -> None:
    assert Shield(x_powered_by=True).remove == frozenset()
    assert Shield(x_powered_by=False).remove == {"x-powered-by"}


def test_user_directive_replaces_the_default_in_place() -> None:
    shield = Shield(content_security_policy={"directives": {"default-src": ["'none'"]}})
    value = header(shield, "Content-Security-Policy")
    assert value is not None
    assert value.startswith("default-src 'none'; base-uri 'self'; ")
    assert value.count("default-src") == 1
    assert len(csp_directives(value)) == 11


def test_directives_merge_replace_remove_and_add() -> None:
    shield = Shield(
        content_security_policy={
            "directives": {
                "script-src": ["'self'", "https://cdn.example"],
                "upgrade-insecure-requests": None,
                "connect-src": ["'self'", "wss:"],
                "img-src": "*",
            }
        }
    )
    directives = csp_directives(header(shield, "Content-Security-Policy"))
    assert directives["script-src"] == "script-src 'self' https://cdn.example"
    assert "upgrade-insecure-requests" not in directives
    assert directives["img-src"] == "img-src *"
    assert directives["style-src"] == "style-src 'self'"  # untouched default
    assert list(directives)[-1] == "connect-src"  # new directives go last


def test_directive_names_in_snake_and_camel_case_are_normalised() -> None:
    shield = Shield(
        content_security_policy={"directives": {"script_src": ["'none'"], "styleSrc": []}}
    )
    directives = csp_directives(header(shield, "Content-Security-Policy"))
    assert directives["script-src"] == "script-src 'none'"
    assert directives["style-src"] == "style-src"


def test_use_defaults_false_sends_only_the_given_directives() -> None:
    shield = Shield(
        content_security_policy={"use_defaults": False, "directives": {"default-src": "'self'"}}
    )
    assert header(shield, "Content-Security-Policy") == "default-src 'self'"


def test_report_only_report_uri_and_report_to() -> None:
    shield = Shield(
        content_security_policy={
            "report_only": True,
            "report_uri": "/csp-reports",
            "report_to": "csp",
        },
        reporting_endpoints={"csp": "https://example.com/csp"},
    )
    headers = dict(shield.headers())
    assert "Content-Security-Policy" not in headers
    directives = csp_directives(headers["Content-Security-Policy-Report-Only"])
    assert directives["report-uri"] == "report-uri /csp-reports"
    assert directives["report-to"] == "report-to csp"
    assert headers["Reporting-Endpoints"] == 'csp="https://example.com/csp"'


def test_report_only_policy_takes_the_nonce_too() -> None:
    shield = Shield(use_nonce=True, content_security_policy={"report_only": True})
    value = dict(shield.headers("abc"))["Content-Security-Policy-Report-Only"]
    assert "script-src 'self' 'nonce-abc'" in value


def test_from_mapping_accepts_the_bun_originals_camel_case() -> None:
    options = SecurityHeaders.from_mapping(
        {
            "useNonce": True,
            "contentSecurityPolicy": {"directives": {"default-src": ["'none'"]}},
            "crossOriginOpenerPolicy": {"policy": "unsafe-none"},
            "strictTransportSecurity": {"maxAge": 31536000, "includeSubDomains": False},
            "xPermittedCrossDomainPolicies": {"permittedPolicies": "master-only"},
            "xPoweredBy": True,
            "permissionsPolicy": {"camera": []},
        }
    )
    assert options.use_nonce is True
    headers = dict(Shield(options).headers())
    assert headers["Content-Security-Policy"].startswith("default-src 'none'; ")
    assert headers["Cross-Origin-Opener-Policy"] == "unsafe-none"
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    assert headers["X-Permitted-Cross-Domain-Policies"] == "master-only"
    assert headers["Permissions-Policy"] == "camera=()"
    assert Shield(options).remove == frozenset()


def test_shield_takes_an_object_a_dict_or_keywords_alike() -> None:
    expected = Shield(SecurityHeaders(x_frame_options={"action": "DENY"})).headers()
    assert Shield({"x_frame_options": {"action": "DENY"}}).headers() == expected
    assert Shield(x_frame_options={"action": "DENY"}).headers() == expected
    assert Shield({"xFrameOptions": {"action": "DENY"}}).headers() == expected


def test_shield_refuses_mixed_or_strange_arguments() -> None:
    with pytest.raises(TypeError):
        Shield(SecurityHeaders(), use_nonce=True)
    with pytest.raises(TypeError):
        Shield({"use_nonce": True}, use_nonce=True)
    with pytest.raises(TypeError):
        Shield(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unknown security header option 'use_nonces'"):
        Shield(use_nonces=True)
    with pytest.raises(TypeError):
        SecurityHeaders.from_mapping([("use_nonce", True)])  # type: ignore[arg-type]

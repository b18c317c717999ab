"""Invalid options fail at construction with a ValueError (or TypeError) naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from harpia_shield import SecurityHeaders, Shield

INVALID: list[tuple[dict[str, Any], str]] = [
    # unknown directive names
    ({"content_security_policy": {"directives": {"scrpt-src": ["'self'"]}}},
     r"content_security_policy\.directives: unknown directive 'scrpt-src'"),
    ({"content_security_policy": {"directives": {"script-src": "'self'", "script_src": []}}},
     r"content_security_policy\.directives: 'script-src' is given twice"),
    # separators inside a source would start a new directive or a new policy
    ({"content_security_policy": {"directives": {"script-src": ["'self'; object-src *"]}}},
     r"content_security_policy\.directives\['script-src'\]: .*';' or ','"),
    ({"content_security_policy": {"directives": {"img-src": ["https://a.example,*"]}}},
     r"content_security_policy\.directives\['img-src'\]: .*';' or ','"),
    # header injection
    ({"content_security_policy": {"directives": {"img-src": ["x\r\nSet-Cookie: a=b"]}}},
     r"content_security_policy\.directives\['img-src'\]: .*CR or LF"),
    ({"content_security_policy": {"directives": {"img-src": ["caf\u00e9"]}}},
     r"content_security_policy\.directives\['img-src'\]: .*not a source"),
    ({"content_security_policy": {"directives": {"img-src": [""]}}},
     r"content_security_policy\.directives\['img-src'\]"),
    ({"content_security_policy": {"report_uri": "/r\n"}}, r"content_security_policy\.report_uri"),
    ({"content_security_policy": {"report_to": "a b"}}, r"content_security_policy\.report_to"),
    ({"content_security_policy": {"reportonly": True}}, r"content_security_policy: unknown"),
    ({"content_security_policy": {"use_defaults": False}},
     r"content_security_policy: the policy has no directives"),
    ({"referrer_policy": {"policy": "no-referrer\r\nX-Evil: 1"}},
     r"referrer_policy\.policy must not contain CR or LF"),
    ({"referrer_policy": {"policy": "origin, unsafe-url"}}, r"referrer_policy\.policy"),
    ({"referrer_policy": {"policy": []}}, r"referrer_policy\.policy"),
    ({"x_frame_options": {"action": "ALLOW-FROM https://a.example"}},
     r"x_frame_options\.action"),
    ({"x_frame_options": {"action": "DENY\n"}}, r"x_frame_options\.action must not contain CR"),
    ({"x_frame_options": {}}, r"x_frame_options: needs 'action'"),
    ({"cross_origin_opener_policy": {"policy": "same-site"}},
     r"cross_origin_opener_policy\.policy"),
    ({"cross_origin_resource_policy": {"policy": "nobody"}},
     r"cross_origin_resource_policy\.policy"),
    ({"cross_origin_embedder_policy": {"policy": "require-corp", "extra": 1}},
     r"cross_origin_embedder_policy: unknown option"),
    ({"x_permitted_cross_domain_policies": {"permitted_policies": "some"}},
     r"x_permitted_cross_domain_policies\.permitted_policies"),
    ({"strict_transport_security": {"max_age": -1}},
     r"strict_transport_security\.max_age must not be negative"),
    ({"strict_transport_security": {"maxage": 10}}, r"strict_transport_security: unknown"),
    ({"permissions_policy": {"Camera": []}}, r"permissions_policy: 'Camera' is not a feature"),
    ({"permissions_policy": {"camera": ["self, *"]}}, r"permissions_policy\['camera'\]"),
    ({"permissions_policy": {"camera": ["https://a.example\r\n"]}},
     r"permissions_policy\['camera'\] must not contain CR or LF"),
    ({"permissions_policy": True}, r"permissions_policy must be False or a non-empty dict"),
    ({"reporting_endpoints": {"csp": 'https://a.example/"x'}}, r"reporting_endpoints\['csp'\]"),
    ({"reporting_endpoints": {"CSP group": "/r"}}, r"reporting_endpoints: 'CSP group'"),
]  # fmt: skip


@pytest.mark.parametrize(("options", "message"), INVALID)
def test_invalid_options_raise_value_error_naming_the_field(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SecurityHeaders(**options)
    with pytest.raises(ValueError, match=message):
        Shield(options)


WRONG_TYPES: list[dict[str, Any]] = [
    {"use_nonce": "yes"},
    {"x_xss_protection": 1},
    {"content_security_policy": "default-src 'self'"},
    {"content_security_policy": {"directives": [("default-src", "'self'")]}},
    {"content_security_policy": {"directives": {"default-src": 5}}},
    {"content_security_policy": {"directives": {"default-src": [5]}}},
    {"content_security_policy": {"directives": {5: ["'self'"]}}},
    {"content_security_policy": {"report_only": "yes"}},
    {"strict_transport_security": {"max_age": "1"}},
    {"strict_transport_security": {"max_age": True}},
    {"strict_transport_security": {"preload": 1}},
    {"strict_transport_security": 31536000},
    {"x_dns_prefetch_control": {"allow": "no"}},
    {"referrer_policy": {"policy": 3}},
    {"permissions_policy": {"camera": 3}},
]


@pytest.mark.parametrize("options", WRONG_TYPES)
def test_values_of_the_wrong_type_raise_type_error(options: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        Shield(options)


def test_the_message_names_the_field_and_the_bad_value() -> None:
    with pytest.raises(ValueError) as caught:
        Shield(strict_transport_security={"max_age": -5})
    assert "strict_transport_security.max_age" in str(caught.value)
    assert "-5" in str(caught.value)


def test_valid_edge_values_are_accepted() -> None:
    shield = Shield(
        content_security_policy={
            "directives": {
                "script-src": ["'self'", "'sha256-abc+/='", "'nonce-static'", "'strict-dynamic'"],
                "sandbox": [],
                "trusted-types": ["default", "'allow-duplicates'"],
            }
        },
        permissions_policy={"geolocation": ["'self'", '"https://a.example"'], "usb": "*"},
    )
    headers = dict(shield.headers())
    assert "'sha256-abc+/='" in headers["Content-Security-Policy"]
    assert headers["Permissions-Policy"] == 'geolocation=(self "https://a.example"), usb=*'

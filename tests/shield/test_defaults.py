"""The default headers: each one present with its documented value (helmet / the Bun original)."""

from __future__ import annotations

import types

import pytest

import harpia_shield
from harpia_shield import DEFAULT_DIRECTIVES, SecurityHeaders, Shield

DEFAULT_CSP = (
    "default-src 'self'; base-uri 'self'; font-src 'self' https: data:; "
    "form-action 'self'; frame-ancestors 'self'; img-src 'self' data:; "
    "object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self'; "
    "upgrade-insecure-requests"
)

DEFAULTS = [
    ("Content-Security-Policy", DEFAULT_CSP),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Origin-Agent-Cluster", "?1"),
    ("Referrer-Policy", "no-referrer"),
    ("Strict-Transport-Security", "max-age=15552000; includeSubDomains"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-DNS-Prefetch-Control", "off"),
    ("X-Download-Options", "noopen"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("X-Permitted-Cross-Domain-Policies", "none"),
    ("X-XSS-Protection", "0"),
]


def test_all_matches_the_public_names() -> None:
    public = {
        name
        for name, value in vars(harpia_shield).items()
        if not name.startswith("_")
        and type(value).__module__ != "__future__"
        and not isinstance(value, types.ModuleType)
    }
    assert isinstance(harpia_shield.__all__, tuple)
    assert set(harpia_shield.__all__) == public | {"__version__"}
    assert len(set(harpia_shield.__all__)) == len(harpia_shield.__all__)


def test_version_matches_the_distribution() -> None:
    from importlib.metadata import version

    assert harpia_shield.__version__ == version("harpia-shield")


def test_the_defaults_are_exactly_these_headers_in_this_order() -> None:
    assert Shield().headers() == DEFAULTS


@pytest.mark.parametrize(("name", "value"), DEFAULTS)
def test_each_default_header_has_its_documented_value(name: str, value: str) -> None:
    assert dict(Shield().headers())[name] == value


def test_off_by_default_and_x_powered_by_is_removed() -> None:
    shield = Shield()
    names = {name.lower() for name, _ in shield.headers()}
    for absent in ("cross-origin-embedder-policy", "permissions-policy", "reporting-endpoints",
                   "x-powered-by", "content-security-policy-report-only"):  # fmt: skip
        assert absent not in names
    assert shield.remove == frozenset({"x-powered-by"})
    assert not shield.use_nonce


def test_default_options_object_mirrors_the_documented_defaults() -> None:
    options = SecurityHeaders()
    assert options.use_nonce is False
    assert options.cross_origin_embedder_policy is False
    assert options.x_powered_by is False
    assert list(DEFAULT_DIRECTIVES) == [part.split(" ")[0] for part in DEFAULT_CSP.split("; ")]


def test_headers_is_a_pure_function_returning_a_fresh_list() -> None:
    shield = Shield()
    first = shield.headers()
    first.clear()
    assert shield.headers() == DEFAULTS
    assert shield.headers("abc") == shield.headers("abc")
    assert Shield().headers("abc") == shield.headers("abc")


def test_raw_headers_are_the_same_headers_encoded_for_asgi() -> None:
    shield = Shield()
    assert shield.raw_headers() == [
        (name.lower().encode(), value.encode()) for name, value in DEFAULTS
    ]
    assert shield.header_names == {name.lower() for name, _ in DEFAULTS}


def test_repr() -> None:
    assert repr(Shield(use_nonce=True)) == "<Shield headers=12 use_nonce=True>"

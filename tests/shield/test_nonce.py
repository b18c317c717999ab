"""Nonces: strong, unique, in script-src and style-src, one per request."""

from __future__ import annotations

import base64
import os
import warnings

import pytest

from harpia_shield import Shield


def test_new_nonce_is_at_least_128_bits_of_base64() -> None:
    nonce = Shield.new_nonce()
    assert len(nonce) == 24
    assert len(base64.b64decode(nonce, validate=True)) * 8 >= 128


def test_nonces_do_not_repeat() -> None:
    shield = Shield(use_nonce=True)
    nonces = {shield.new_nonce() for _ in range(2000)}  # crosses several pool refills
    assert len(nonces) == 2000
    assert len({shield.for_request()[0] for _ in range(600)} | nonces) == 2600


def test_the_nonce_goes_into_script_src_and_style_src() -> None:
    shield = Shield(use_nonce=True)
    value = dict(shield.headers(nonce="test-nonce-123"))["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-test-nonce-123';" in value
    assert "style-src 'self' 'nonce-test-nonce-123';" in value
    assert value.count("'nonce-") == 2
    assert "script-src-attr 'none';" in value  # not the attribute directive


def test_nonce_is_appended_after_the_users_sources() -> None:
    shield = Shield(
        use_nonce=True,
        content_security_policy={
            "directives": {
                "script-src": ["'self'", "'unsafe-inline'"],
                "style-src": ["'self'", "'unsafe-inline'"],
            }
        },
    )
    value = dict(shield.headers("test-nonce-789"))["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline' 'nonce-test-nonce-789'" in value
    assert "style-src 'self' 'unsafe-inline' 'nonce-test-nonce-789'" in value


def test_nonce_is_not_added_where_the_directive_was_removed() -> None:
    shield = Shield(use_nonce=True, content_security_policy={"directives": {"style-src": None}})
    value = dict(shield.headers("abc"))["Content-Security-Policy"]
    assert value.count("'nonce-abc'") == 1
    assert "script-src 'self' 'nonce-abc'" in value


def test_nonce_with_an_empty_directive_and_as_last_directive() -> None:
    shield = Shield(
        content_security_policy={
            "use_defaults": False,
            "directives": {"default-src": "'none'", "script-src": []},
        }
    )
    assert shield.csp_value("n1") == "default-src 'none'; script-src 'nonce-n1'"
    assert shield.csp_value() == "default-src 'none'; script-src"


def test_without_a_nonce_the_policy_has_none() -> None:
    value = dict(Shield(use_nonce=True).headers())["Content-Security-Policy"]
    assert "nonce" not in value


@pytest.mark.parametrize("bad", ["a'b", "a;b", "a b", "x\r\nSet-Cookie: a", ""])
def test_a_nonce_that_would_break_the_header_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="nonce"):
        Shield().headers(bad)


def test_csp_value_is_none_when_csp_is_off() -> None:
    shield = Shield(content_security_policy=False, use_nonce=True)
    assert shield.csp_value("abc") is None
    assert shield.headers("abc") == Shield(content_security_policy=False).headers()
    nonce, raw = shield.for_request()
    assert nonce is not None  # templates still get one
    assert raw == shield.raw_headers()


def test_for_request_gives_each_request_its_own_nonce_and_header() -> None:
    shield = Shield(use_nonce=True)
    first_nonce, first = shield.for_request()
    second_nonce, second = shield.for_request()
    assert first_nonce is not None
    assert second_nonce is not None
    assert first_nonce != second_nonce
    assert first == shield.raw_headers(first_nonce)
    assert second == shield.raw_headers(second_nonce)
    csp = dict(first)[b"content-security-policy"].decode()
    assert f"script-src 'self' 'nonce-{first_nonce}'" in csp
    first.clear()  # the caller's own list
    assert shield.for_request()[1]


def test_for_request_without_use_nonce() -> None:
    shield = Shield()
    nonce, raw = shield.for_request()
    assert nonce is None
    assert raw == shield.raw_headers()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_never_reuses_the_parents_pooled_nonces() -> None:
    Shield.new_nonce()  # fill the pool in the parent
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.write(write, Shield.new_nonce().encode())
        finally:
            os._exit(0)
    os.close(write)
    try:
        child = os.read(read, 100).decode()
    finally:
        os.close(read)
        os.waitpid(pid, 0)
    parents = {Shield.new_nonce() for _ in range(300)}
    assert len(child) == 24
    assert child not in parents

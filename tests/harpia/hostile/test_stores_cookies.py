"""Issue 16, item 11: the session and CSRF cookies are ``Secure`` when the browser came
over HTTPS (the listener's TLS, an ASGI/TestClient ``https`` scheme, or
``X-Forwarded-Proto: https`` behind a trusted proxy), with ``secure=True/False`` to force
it; always ``HttpOnly`` and ``SameSite=Lax`` by default."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from harpia import CSRF, MemoryStore, Session, TestClient
from tests.harpia.server.conftest import certificate, client, running
from tests.harpia.session_app import make_app

if TYPE_CHECKING:
    from harpia import Harpia
    from tests.harpia.server.conftest import Certificate

__all__ = ["certificate"]  # the fixture: a self-signed certificate for 127.0.0.1


def app_with(*, trust_proxy: bool = False, **options: Any) -> Harpia:
    """The session app with ``options`` given to both ``Session`` and the CSRF middleware."""
    store = MemoryStore()
    csrf = CSRF(store)
    app = make_app(Session(store, **options), None)
    app.trust_proxy = trust_proxy
    app.use(csrf.middleware(**options))  # added last: still runs before the routes
    return app


def attributes(header: str) -> set[str]:
    """The attribute names of one ``Set-Cookie`` value, lower-cased (``secure``, …)."""
    return {part.split("=", 1)[0].strip().lower() for part in header.split(";")[1:]}


async def cookies(app: Harpia, base_url: str, *headers: tuple[str, str]) -> dict[str, str]:
    """``{name: Set-Cookie}`` of a new session (``GET /count``) and an anonymous form
    token (``GET /form``), each from a new visitor."""
    found: dict[str, str] = {}
    for path in ("/count", "/form"):
        request = TestClient(app, base_url=base_url).get(path)
        for name, value in headers:
            request.set(name, value)
        answer = await request
        for header in answer.headers.getall("set-cookie"):
            found[header.split("=", 1)[0]] = header
    assert set(found) == {"session_id", "csrf_id"}
    return found


@pytest.mark.parametrize(
    ("base_url", "trust_proxy", "headers", "secure"),
    [
        ("http://t", False, (), False),
        ("https://t", False, (), True),
        ("http://t", True, (("X-Forwarded-Proto", "https"),), True),
        ("http://t", True, (("X-Forwarded-Proto", "HTTPS, http"),), True),
        ("http://t", False, (("X-Forwarded-Proto", "https"),), False),  # not trusted
        ("https://t", True, (("X-Forwarded-Proto", "http"),), False),  # the proxy's word
    ],
)
async def test_secure_follows_the_request(
    base_url: str, trust_proxy: bool, headers: tuple[tuple[str, str], ...], secure: bool
) -> None:
    found = await cookies(app_with(trust_proxy=trust_proxy), base_url, *headers)
    for name, header in found.items():
        flags = attributes(header)
        assert ("secure" in flags) is secure, (name, header)
        assert {"httponly", "samesite", "path"} <= flags, header
        assert "SameSite=Lax" in header


@pytest.mark.parametrize("forced", [True, False])
async def test_secure_forced_on_or_off(forced: bool) -> None:
    for base_url in ("http://t", "https://t"):
        found = await cookies(app_with(secure=forced), base_url)
        for header in found.values():
            assert ("secure" in attributes(header)) is forced, header


async def test_same_site_option_and_bad_secure() -> None:
    found = await cookies(app_with(same_site="Strict"), "http://t")
    assert all("SameSite=Strict" in header for header in found.values())
    with pytest.raises(TypeError, match="secure"):
        Session(secure="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="secure"):
        CSRF(MemoryStore()).middleware(secure=1)  # type: ignore[arg-type]


async def test_prefixed_names_are_secure_even_over_http() -> None:
    store = MemoryStore()
    app = make_app(Session(store, cookie_name="__Host-sid"), None)
    app.use(CSRF(store).middleware(cookie_name="__Host-csrf"))
    first = await TestClient(app, base_url="http://t").get("/count")
    second = await TestClient(app, base_url="http://t").get("/form")
    for answer in (first, second):
        (header,) = answer.headers.getall("set-cookie")
        assert header.startswith("__Host-")
        assert "secure" in attributes(header)


async def test_secure_over_a_real_tls_listener(certificate: Certificate) -> None:
    """``https`` comes from the listener itself (asyncio driver): plain HTTP on another
    server of the same app gets no ``Secure``."""
    app = app_with()
    tls = {"cert": certificate.cert, "key": certificate.key}
    for options, ssl, secure in (
        ({"tls": tls}, certificate.client_context(), True),
        ({}, None, False),
    ):
        async with running(app, "asyncio", **options) as server:
            for path in (b"/count", b"/form"):
                async with client(server.port or 0, ssl=ssl) as c:
                    await c.send(b"GET " + path + b" HTTP/1.1\r\nhost: t\r\n\r\n")
                    reply = await c.response()
                header = reply.headers[b"set-cookie"].decode()
                assert ("secure" in attributes(header)) is secure, header
                assert "httponly" in attributes(header)

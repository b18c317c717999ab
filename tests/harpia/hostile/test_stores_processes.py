"""CSRF across processes: two server processes sharing only a Redis for sessions agree on
every token. A login-form token (no session) needs no shared state at all: the signed
``csrf_id`` cookie carries what a check needs, and no server secret is involved."""

from __future__ import annotations

import http.client
import json
import sys
import urllib.parse
import uuid
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.processes import serving
from tests.support.redis_server import free_port

if TYPE_CHECKING:
    from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.redis


def call(
    port: int,
    method: str,
    path: str,
    cookies: dict[str, str],
    form: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """One request; ``Set-Cookie`` values are merged into ``cookies``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        for name, value in answer.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key] = rest.split(";", 1)[0]
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


def test_tokens_made_by_one_process_pass_on_another(redis_server: RedisServer) -> None:
    prefix = f"csrf-procs-{uuid.uuid4().hex}:"
    one, two = free_port(), free_port()
    with ExitStack() as stack:
        for port in (one, two):
            command = [sys.executable, "-m", "tests.harpia.session_app", str(port)]
            stack.enter_context(serving([*command, redis_server.url, prefix, "csrf"], port))
        cookies: dict[str, str] = {}
        status, page = call(one, "GET", "/form", cookies)
        assert status == 200
        assert set(cookies) == {"csrf_id"}  # anonymous: a signed cookie, nothing stored
        forged = call(two, "POST", "/login", dict(cookies), {"_csrf": "x" * 64, "user": "m"})
        assert forged[0] == 403
        status, body = call(two, "POST", "/login", cookies, {"_csrf": page["token"], "user": "ann"})
        assert (status, body) == (200, {"ok": True})
        assert "session_id" in cookies
        status, page = call(two, "GET", "/form", cookies)  # the session's stored token
        assert call(one, "POST", "/transfer", cookies, {"_csrf": page["token"]}) == (
            200,
            {"done": True},
        )
        assert call(one, "POST", "/transfer", cookies)[0] == 403

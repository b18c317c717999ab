"""A session created by one server process is read by another sharing the Redis."""

from __future__ import annotations

import http.client
import json
import sys
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
    port: int, method: str, path: str, cookie: str | None = None
) -> tuple[int, dict[str, str], Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        connection.request(method, path, headers=headers)
        answer = connection.getresponse()
        body = json.loads(answer.read())
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, body
    finally:
        connection.close()


def test_session_shared_by_two_processes(redis_server: RedisServer) -> None:
    prefix = f"procs-{uuid.uuid4().hex}:"
    ports = [free_port(), free_port()]
    with ExitStack() as stack:
        for port in ports:
            command = [sys.executable, "-m", "tests.harpia.session_app", str(port)]
            stack.enter_context(serving([*command, redis_server.url, prefix], port))
        status, headers, body = call(ports[0], "POST", "/count")
        assert (status, body) == (200, {"n": 1})
        cookie = headers["set-cookie"].split(";", 1)[0]
        assert "Max-Age=600" in headers["set-cookie"]
        status, headers, body = call(ports[1], "GET", "/me", cookie)
        assert (status, body) == (200, {"session": {"n": 1}})
        assert "set-cookie" not in headers
        status, _, body = call(ports[1], "POST", "/count", cookie)
        assert body == {"n": 2}
        assert call(ports[0], "GET", "/me", cookie)[2] == {"session": {"n": 2}}
        call(ports[0], "POST", "/logout", cookie)
        assert call(ports[1], "GET", "/me", cookie)[2] == {"session": {}}

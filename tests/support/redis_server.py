"""A real redis-server on a free loopback port, started and stopped by the test suite."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tests.support.processes import stop

if TYPE_CHECKING:
    from collections.abc import Sequence


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def redis_binary() -> str | None:
    """Path of ``redis-server``, or ``None`` when it is not installed."""
    return shutil.which("redis-server")


class RedisServer:
    """One ``redis-server`` process bound to 127.0.0.1, without persistence.

    ``stop()`` and ``start()`` can be called again to simulate an outage; the server comes
    back on the same port, empty.
    """

    def __init__(self, binary: str, port: int | None = None, extra: Sequence[str] = ()) -> None:
        self.binary = binary
        self.port = port or free_port()
        self.extra = tuple(extra)  # more command-line options (cluster, replication…)
        self.dir = Path(tempfile.mkdtemp(prefix="harpia-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait (bounded) until it answers PING."""
        if self.process is not None:
            return
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.dir),
                "--daemonize", "no",
                "--loglevel", "warning",
                *self.extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                self.process = None
                raise RuntimeError(f"redis-server exited at start on port {self.port}: {err}")
            if self._pong():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server on port {self.port} did not answer in {timeout}s")

    def stop(self) -> None:
        """Stop the server (terminate, then kill after 5 s)."""
        process, self.process = self.process, None
        if process is None:
            return
        stop(process, 5)
        if process.stderr:
            process.stderr.close()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _pong(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def in_ci() -> bool:
    """True under CI, where a missing dependency must fail instead of skipping."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}

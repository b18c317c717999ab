"""A server in a child process, for tests: started, waited for, always stopped."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
import time
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator, Mapping, Sequence

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0  # seconds a server script may take to say its port


def wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """Return once ``process`` accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port} within {timeout}s")


def stop(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """SIGTERM ``process`` (so graceful shutdown runs); SIGKILL it after ``timeout`` s."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@contextmanager
def serving(
    command: Sequence[str],
    port: int,
    *,
    stop_timeout: float = 10,
    env: Mapping[str, str] | None = None,
) -> Iterator[int]:
    """Run ``command`` (from the repository root) until the block ends; yields ``port``.

    ``env`` is added to this process's environment. Stopped with SIGTERM (so graceful
    shutdown runs), killed after ``stop_timeout`` s.
    """
    process = subprocess.Popen(
        list(command),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **env} if env else None,
    )
    try:
        wait_for(port, process)
        yield port
    finally:
        stop(process, stop_timeout)


@contextmanager
def uvicorn(app: str, *options: str, log_level: str = "warning") -> Iterator[int]:
    """Serve the ASGI app ``module:attribute`` under uvicorn on a free loopback port, in
    its own process, until the block ends; yields the port. ``options`` are more
    uvicorn flags (``"--http", "h11"``)."""
    from tests.support.redis_server import free_port  # that module imports this one

    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", app,
        "--host", "127.0.0.1", "--port", str(port), "--log-level", log_level, *options,
    ]  # fmt: skip
    with serving(command, port):
        yield port


@asynccontextmanager
async def script_server(script: str, *args: str) -> AsyncIterator[tuple[int, int]]:
    """Run ``python -c script *args`` until the block ends; yields ``(pid, port)``.

    The script prints the port it listens on as its first line of output, within
    ``START_TIMEOUT`` seconds. The server
    runs in its own process so that ``proc_field`` measures it alone; it is killed at
    the end.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", textwrap.dedent(script), *args, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        port = int(await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT))
        yield process.pid, port
    finally:
        process.kill()
        await process.wait()


def proc_field(pid: int, name: str, field: str) -> int:
    """A number of ``/proc/PID/<name>`` (``status``: ``VmHWM`` in kB; ``io``: ``rchar``)."""
    with open(f"/proc/{pid}/{name}") as lines:
        for line in lines:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/{name}")

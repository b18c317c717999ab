"""A server in a child process, for tests: started, waited for, always stopped."""

from __future__ import annotations

import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

ROOT = Path(__file__).resolve().parents[2]


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
def serving(command: Sequence[str], port: int, *, stop_timeout: float = 10) -> Iterator[int]:
    """Run ``command`` (from the repository root) until the block ends; yields ``port``.

    Stopped with SIGTERM (so graceful shutdown runs), killed after ``stop_timeout`` s.
    """
    process = subprocess.Popen(
        list(command), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(port, process)
        yield port
    finally:
        stop(process, stop_timeout)

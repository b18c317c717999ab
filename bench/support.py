"""What the wrk-based benchmarks share: pinning, waiting for a server, one wrk run.

Scripts put the repository root on ``sys.path`` and ``from bench.support import ...``.
"""

from __future__ import annotations

import re
import socket
import subprocess
import time

from tests.support.redis_server import free_port as free_port


def pinned(argv: list[str], cpu: int | None) -> list[str]:
    """``argv`` run on CPU ``cpu`` with ``taskset`` (unchanged when ``cpu`` is None)."""
    return ["taskset", "-c", str(cpu), *argv] if cpu is not None else argv


def wait_port(
    port: int, timeout: float = 10.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Return once something accepts connections on 127.0.0.1:``port``.

    With ``process``, fail at once if it exits first.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listened on {port} within {timeout}s")


def wrk_rps(
    port: int, path: str, seconds: int, *, connections: int = 64, cpu: int | None = 1
) -> float:
    """Requests/s of one ``wrk -t1`` run on ``path``; raises if wrk saw errors."""
    url = f"http://127.0.0.1:{port}{path}"
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url]
    out = subprocess.run(
        pinned(argv, cpu), capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"no Requests/sec in wrk output:\n{out}")
    return float(match.group(1))

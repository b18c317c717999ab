"""What the access log costs the server: CPU time per request, with and without it.

Starts ``harpia run`` on a hello-world app twice per round (access log on, written to a
file, and ``--no-access-log``), sends the same keep-alive requests one after the other
from this process, and reads the server's CPU time (user + system, ``/proc/<pid>/stat``)
around them. CPU time rather than wall time: on a shared machine it moves far less.
Linux only. Usage::

    .venv/bin/python bench/http/access_log_cpu.py [--requests 20000] [--rounds 4]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

APP = """
from harpia import harpia

app = harpia()
app.get("/", lambda req, res: res.text("hello"))
"""
REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def connect(port: int, process: subprocess.Popen[bytes]) -> socket.socket:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not listen")


def per_request(folder: Path, flags: list[str], requests: int) -> float:
    """Server CPU µs per request with ``flags``."""
    port = free_port()
    with open(folder / "server.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "harpia", "run", "app:app", "--port", str(port), *flags],
            cwd=folder,
            stderr=log,
        )
        try:
            sock = connect(port, process)
            with sock:

                def one() -> None:
                    sock.sendall(REQUEST)
                    data = b""
                    while not data.endswith(b"hello"):
                        chunk = sock.recv(4096)
                        if not chunk:
                            raise RuntimeError("connection closed")
                        data += chunk

                for _ in range(500):  # warm up
                    one()
                before = cpu_seconds(process.pid)
                for _ in range(requests):
                    one()
                used = cpu_seconds(process.pid) - before
        finally:
            process.terminate()
            process.wait(timeout=20)
    return used / requests * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "app.py").write_text(textwrap.dedent(APP))
        diffs = []
        for _ in range(args.rounds):
            on = per_request(folder, [], args.requests)
            off = per_request(folder, ["--no-access-log"], args.requests)
            diffs.append(on - off)
            print(f"server CPU per request: log on {on:.1f} µs, off {off:.1f} µs, +{on - off:.1f}")
        diffs.sort()
        print(f"median cost of the access log: {diffs[len(diffs) // 2]:.1f} µs per request")


if __name__ == "__main__":
    main()

"""Requests/s on the hello route with and without ``app.shield()``, under ``wrk``.

The same app twice on harpia's native server — plain, and with ``app.shield()`` (or
``use_nonce=True`` with ``--nonce``) — each started alone, pinned to CPU 0 with
``taskset``, ``wrk -t1 -c64`` pinned to CPU 1, the two alternating for ``--rounds``
rounds. Prints each round's figures and the median loss.

    apt-get install -y wrk
    .venv/bin/python bench/shield/wrk.py [--rounds 4] [--duration 8] [--nonce]
    .venv/bin/python bench/shield/wrk.py --serve shield --port 8000   # one server, by hand
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time


def serve(mode: str, port: int) -> None:
    from harpia import harpia

    app = harpia()
    app.get("/", lambda req, res: res.text("Hello, World!"))
    if mode != "plain":
        app.shield(use_nonce=mode == "nonce")
    app.listen(port=port, hostname="127.0.0.1", development=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"no server on port {port} after {timeout} s")


def wrk(port: int, seconds: int) -> float:
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", "-c64", f"-d{seconds}s", f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, check=True, timeout=seconds + 30,
    ).stdout  # fmt: skip
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match is not None, out
    return float(match.group(1))


def measure(mode: str, seconds: int) -> float:
    port = free_port()
    server = subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, __file__, "--serve", mode, "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_ready(port)
        wrk(port, 2)  # warm-up
        return wrk(port, seconds)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--nonce", action="store_true", help="shield with use_nonce=True")
    parser.add_argument("--serve", choices=("plain", "shield", "nonce"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed (apt-get install -y wrk util-linux)")
    shielded = "nonce" if args.nonce else "shield"
    ratios = []
    for number in range(1, args.rounds + 1):
        plain = measure("plain", args.duration)
        other = measure(shielded, args.duration)
        ratios.append(other / plain)
        print(f"round {number}: plain {plain:8,.0f} req/s   {shielded} {other:8,.0f} req/s"
              f"   {other / plain - 1:+.1%}")  # fmt: skip
    print(f"median loss with app.shield({'use_nonce=True' if args.nonce else ''}): "
          f"{1 - statistics.median(ratios):.1%}")  # fmt: skip


if __name__ == "__main__":
    main()

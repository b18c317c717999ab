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
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # for bench.support

from bench.support import free_port, wait_port, wrk_rps  # noqa: E402


def serve(mode: str, port: int) -> None:
    from harpia import harpia

    app = harpia()
    app.get("/", lambda req, res: res.text("Hello, World!"))
    if mode != "plain":
        app.shield(use_nonce=mode == "nonce")
    app.listen(port=port, hostname="127.0.0.1", development=False)


def measure(mode: str, seconds: int) -> float:
    port = free_port()
    server = subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, __file__, "--serve", mode, "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_port(port)
        wrk_rps(port, "/", 2)  # warm-up
        return wrk_rps(port, "/", seconds)
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

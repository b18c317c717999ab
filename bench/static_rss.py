"""Peak RSS of a harpia server sending a large static file (Linux: reads /proc).

Run from the repository root::

    .venv/bin/python bench/static_rss.py                 # 1 GiB, both drivers
    .venv/bin/python bench/static_rss.py --size-mib 4096 --driver anyio --check

For each driver, a server process serves a folder holding a sparse file (``truncate``);
after a warm-up request, its ``VmHWM`` is the baseline. The client then downloads the
whole file over one connection, stalling for ``--stall`` seconds after the first bytes
(a server without backpressure buffers the file then), and the server's ``VmHWM``
afterwards gives the peak growth. ``--check`` exits 1 when the growth reaches 50 MiB.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_KB = 50 * 1024

SERVER = """
import sys
from harpia import harpia
app = harpia()
app.static(sys.argv[1])
app.listen(port=0, hostname="127.0.0.1", driver=sys.argv[2],
           on_listen=lambda info: print(info.port, flush=True))
"""


def memory_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def fetch(port: int, path: str, stall: float = 0.0) -> tuple[int, float]:
    """GET ``path``; return the body size and the seconds it took."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        started = time.perf_counter()
        sock.sendall(f"GET {path} HTTP/1.1\r\nhost: bench\r\nconnection: close\r\n\r\n".encode())
        buffer = bytearray(1 << 20)
        view = memoryview(buffer)
        head = b""
        while b"\r\n\r\n" not in head:
            count = sock.recv_into(view)
            if not count:
                raise RuntimeError("closed before the response head")
            head += bytes(view[:count])
        _, _, rest = head.partition(b"\r\n\r\n")
        received = len(rest)
        if stall:
            time.sleep(stall)
        while count := sock.recv_into(view):
            received += count
        return received, time.perf_counter() - started


def run(folder: Path, driver: str, size: int, stall: float) -> int:
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(folder), driver], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        fetch(port, "/small.txt")
        baseline = memory_kb(process.pid, "VmHWM")
        received, seconds = fetch(port, "/big.bin", stall)
        peak = memory_kb(process.pid, "VmHWM")
    finally:
        process.kill()
        process.wait()
    if received != size:
        raise RuntimeError(f"received {received} of {size} bytes")
    growth = peak - baseline
    rate = size / seconds / (1 << 20)
    print(
        f"{driver:8} {size >> 20} MiB in {seconds:5.2f} s ({rate:6.0f} MiB/s)  "
        f"VmHWM baseline {baseline} kB, peak {peak} kB, growth {growth} kB"
    )
    return growth


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--driver", choices=["asyncio", "anyio", "both"], default="both")
    parser.add_argument("--stall", type=float, default=1.0)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    size = args.size_mib << 20
    drivers = ["asyncio", "anyio"] if args.driver == "both" else [args.driver]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        with open(folder / "big.bin", "wb") as file:
            file.truncate(size)
        (folder / "small.txt").write_text("warm-up")
        growths = [run(folder, driver, size, args.stall) for driver in drivers]
    worst = max(growths)
    verdict = "met" if worst < LIMIT_KB else "NOT met"
    print(f"peak RSS growth < {LIMIT_KB} kB: {verdict} (worst {worst} kB)")
    return 1 if args.check and worst >= LIMIT_KB else 0


if __name__ == "__main__":
    if not os.path.exists("/proc/self/status"):
        sys.exit("needs Linux (/proc/PID/status)")
    sys.exit(main())

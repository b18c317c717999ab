"""Telemetry overhead: requests/s on the hello route with telemetry off, on MemoryStore, on Redis.

wrk-based: each contender is ``bench/telemetry/app.py`` (harpia's native server, one
process) pinned to one CPU with ``taskset``, ``wrk`` pinned to the other; a real
redis-server is started on a free loopback port for the Redis contender. Rounds rotate
the order of the contenders and the table holds medians, so drift on a shared machine
hits every contender alike. Every request comes from one client IP for one path, so
each one is a tracked visit: four store operations (see harpia_telemetry._layout).

Run from the repository root:  .venv/bin/python bench/telemetry/run.py
Needs ``wrk`` (Debian: ``apt-get install -y wrk``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # for tests.support

from tests.support.redis_server import RedisServer, free_port, redis_binary  # noqa: E402

CONTENDERS = ("off", "memory", "redis")
TARGET_LOSS = 0.15
"""With MemoryStore, telemetry may cost at most this share of the requests/s."""


def pinned(argv: list[str], cpu: int | None) -> list[str]:
    return ["taskset", "-c", str(cpu), *argv] if cpu is not None else argv


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the app did not listen on {port} within {timeout}s")


def wrk_rps(port: int, seconds: int, connections: int, cpu: int | None) -> float:
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", f"http://127.0.0.1:{port}/hello"]
    out = subprocess.run(
        pinned(argv, cpu), capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"no Requests/sec in wrk output:\n{out}")
    return float(match.group(1))


def measure(contender: str, args: argparse.Namespace, redis_url: str | None) -> float:
    port = free_port()
    argv = [sys.executable, str(ROOT / "bench/telemetry/app.py"), "--port", str(port)]
    argv += ["--telemetry", contender]
    if contender == "redis":
        argv += ["--redis-url", str(redis_url), "--prefix", f"bench-{uuid.uuid4().hex[:6]}:"]
    server = subprocess.Popen(
        pinned(argv, args.server_cpu), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_port(port)
        if args.warmup:
            wrk_rps(port, args.warmup, args.connections, args.wrk_cpu)
        return wrk_rps(port, args.duration, args.connections, args.wrk_cpu)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up seconds (0: none)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install -y wrk)", file=sys.stderr)
        return 2
    cpus = sorted(os.sched_getaffinity(0))
    use_taskset = len(cpus) >= 2 and shutil.which("taskset") is not None
    args.server_cpu, args.wrk_cpu = (cpus[0], cpus[1]) if use_taskset else (None, None)
    binary = redis_binary()
    redis = RedisServer(binary) if binary else None
    contenders = [c for c in CONTENDERS if c != "redis" or redis is not None]
    results: dict[str, list[float]] = {c: [] for c in contenders}
    try:
        if redis is not None:
            redis.start()
        for round_no in range(args.rounds):
            order = (
                contenders[round_no % len(contenders) :] + contenders[: round_no % len(contenders)]
            )
            for contender in order:
                rps = measure(contender, args, redis.url if redis else None)
                results[contender].append(rps)
                print(f"round {round_no + 1}: {contender:<7} {rps:>9,.0f} req/s", file=sys.stderr)
    finally:
        if redis is not None:
            redis.close()
    base = statistics.median(results["off"])
    pin = (
        f"server on CPU {args.server_cpu}, wrk on CPU {args.wrk_cpu}" if use_taskset else "unpinned"
    )
    print(
        f"\nhello route, wrk -t1 -c{args.connections} -d{args.duration}s, "
        f"median of {args.rounds} rounds ({pin})\n"
    )
    print("| telemetry | req/s | vs off | loss |")
    print("|---|---:|---:|---:|")
    for contender in contenders:
        rps = statistics.median(results[contender])
        print(f"| {contender} | {rps:,.0f} | {rps / base:.2f}x | {1 - rps / base:.1%} |")
    loss = 1 - statistics.median(results["memory"]) / base
    verdict = "met" if loss < TARGET_LOSS else "NOT met"
    print(f"\nMemoryStore loss {loss:.1%} (target < {TARGET_LOSS:.0%}): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

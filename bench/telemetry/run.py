"""Telemetry overhead: requests/s on the hello route with telemetry off, on MemoryStore, on Redis.

wrk-based: each contender is ``bench/telemetry/app.py`` (harpia's native server, one
process) pinned to one CPU with ``taskset``, ``wrk`` pinned to the other; a real
redis-server is started on a free loopback port for the Redis contender. The three apps
run side by side (idle but for the one being measured). Each round measures ``off``, the
others, then ``off`` again: a round whose two ``off`` runs differ by more than
``--max-drift`` (someone else took the CPU) is left out, the others give one ratio each
against the mean ``off``, and the table holds the medians. Every request comes from one
client IP for one path, so each is a tracked visit: four store operations (see
``harpia_telemetry._layout``).

A second, in-process table times ``app.handle`` alone (no socket, no HTTP parsing):
telemetry off, a do-nothing middleware (harpia's chain cost), telemetry on a MemoryStore.

Run from the repository root:  .venv/bin/python bench/telemetry/run.py
Needs ``wrk`` (Debian: ``apt-get install -y wrk``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # for tests.support and bench.support

from bench.support import free_port, pinned, wait_port, wrk_rps  # noqa: E402
from tests.support.redis_server import RedisServer, redis_binary  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Iterator

CONTENDERS = ("off", "memory", "redis")
TARGET_LOSS = 0.15
"""With MemoryStore, telemetry may cost at most this share of the requests/s."""


@contextmanager
def servers(
    contenders: list[str], cpu: int | None, redis_url: str | None
) -> Iterator[dict[str, int]]:
    """Start one app per contender (all pinned to ``cpu``); yield their ports."""
    procs: list[subprocess.Popen[bytes]] = []
    ports: dict[str, int] = {}
    try:
        for contender in contenders:
            port = free_port()
            argv = [sys.executable, str(ROOT / "bench/telemetry/app.py"), "--port", str(port)]
            argv += ["--telemetry", contender]
            if contender == "redis":
                argv += ["--redis-url", str(redis_url), "--prefix", f"b-{uuid.uuid4().hex[:6]}:"]
            procs.append(
                subprocess.Popen(
                    pinned(argv, cpu), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
            wait_port(port)
            ports[contender] = port
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


async def per_request_us(app: Any, n: int) -> float:
    """Mean µs of ``app.handle`` for ``GET /hello`` over ``n`` requests."""
    from harpia import Request

    handle = app.handle
    started = time.perf_counter()
    for _ in range(n):
        await handle(Request("GET", "/hello", "", [(b"host", b"x")], client=("127.0.0.1", 1)))
    return (time.perf_counter() - started) / n * 1e6


def in_process(rounds: int, n: int = 20_000) -> None:
    """Print the in-process table: µs per request, medians over ``rounds``."""
    from harpia import harpia
    from harpia_telemetry import Telemetry

    async def passthrough(req: Any, res: Any, next: Any) -> None:
        await next()

    apps: dict[str, Any] = {}
    for name, middleware in (("off", None), ("no-op middleware", passthrough),
                             ("memory", Telemetry().middleware())):  # fmt: skip
        app = harpia()
        if middleware is not None:
            app.use(middleware)
        app.get("/hello", lambda req, res: res.text("Hello, World!"))
        apps[name] = app

    async def run() -> dict[str, list[float]]:
        times: dict[str, list[float]] = {name: [] for name in apps}
        for app in apps.values():
            await per_request_us(app, 2_000)  # warm-up
        for _ in range(rounds):
            for name, app in apps.items():
                times[name].append(await per_request_us(app, n))
        return times

    times = asyncio.run(run())
    base = statistics.median(times["off"])
    print(f"\nin process, app.handle only, {n:,} requests x {rounds} rounds (median)\n")
    print("| pipeline | µs/request | added |")
    print("|---|---:|---:|")
    for name, values in times.items():
        us = statistics.median(values)
        print(f"| {name} | {us:.1f} | {us - base:+.1f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=2, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up seconds (0: none)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--max-drift",
        type=float,
        default=0.1,
        help="leave out a round whose two 'off' runs differ by more than this share",
    )
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
    ratios: dict[str, list[float]] = {c: [] for c in contenders}
    try:
        if redis is not None:
            redis.start()
        with servers(contenders, args.server_cpu, redis.url if redis else None) as ports:

            def load(port: int, seconds: int) -> float:
                return wrk_rps(
                    port, "/hello", seconds, connections=args.connections, cpu=args.wrk_cpu
                )

            for contender in contenders:
                if args.warmup:
                    load(ports[contender], args.warmup)
            for round_no in range(args.rounds):
                measured = {"off": load(ports["off"], args.duration)}
                for contender in contenders[1:]:
                    measured[contender] = load(ports[contender], args.duration)
                again = load(ports["off"], args.duration)
                drift = abs(again - measured["off"]) / max(again, measured["off"])
                base = (again + measured["off"]) / 2
                stable = drift <= args.max_drift
                line = ", ".join(f"{c} {rps:,.0f}" for c, rps in measured.items())
                print(
                    f"round {round_no + 1}: {line}, off again {again:,.0f} req/s"
                    f"{'' if stable else f' (off drifted {drift:.0%}: round left out)'}",
                    file=sys.stderr,
                )
                if not stable:
                    continue
                measured["off"] = base
                for contender, rps in measured.items():
                    results[contender].append(rps)
                    ratios[contender].append(rps / base)
    finally:
        if redis is not None:
            redis.close()
    kept = len(ratios["off"])
    if not kept:
        print("every round drifted: the machine is too busy to compare", file=sys.stderr)
        return 1
    pin = (
        f"server on CPU {args.server_cpu}, wrk on CPU {args.wrk_cpu}" if use_taskset else "unpinned"
    )
    print(
        f"\nhello route, wrk -t1 -c{args.connections} -d{args.duration}s, {kept} of "
        f"{args.rounds} rounds kept ({pin}); req/s: median; ratio: median of the "
        f"per-round ratios\n"
    )
    print("| telemetry | req/s | vs off | loss |")
    print("|---|---:|---:|---:|")
    for contender in contenders:
        rps = statistics.median(results[contender])
        ratio = statistics.median(ratios[contender])
        print(f"| {contender} | {rps:,.0f} | {ratio:.2f}x | {1 - ratio:.1%} |")
    loss = 1 - statistics.median(ratios["memory"])
    verdict = "met" if loss < TARGET_LOSS else "NOT met"
    print(f"\nMemoryStore loss {loss:.1%} (target < {TARGET_LOSS:.0%}): {verdict}")
    in_process(args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())

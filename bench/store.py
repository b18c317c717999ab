"""Benchmark harpia-store against its baselines, side by side in one run.

* MemoryStore vs a plain dict behind the same ``async get/set`` (the floor for any
  in-process async store).
* RedisStore vs raw ``redis.asyncio`` doing the same SET/GET of the same JSON text,
  sequentially and from 64 concurrent tasks, against a real redis-server (started here on
  a free loopback port unless ``--url`` names one).
* The same on a 3-master Redis Cluster: RedisStore (``redis+cluster://``) vs a raw
  ``redis.asyncio.RedisCluster`` (started here unless ``--cluster-url`` names one).

Run from the repository root:  .venv/bin/python bench/store.py
Rounds alternate between the contenders and the median is reported, so drift on a busy
machine hits both sides alike.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.support

from harpia_store import MemoryStore, RedisStore, redis_client
from tests.support.redis_server import RedisServer, redis_binary
from tests.support.redis_topologies import RedisClusterGroup, redis_cli

SMALL_VALUE = "a short string value"
DICT_VALUE: dict[str, Any] = {"user": 42, "name": "Ana", "roles": ["admin", "editor"]}


class DictStore:
    """The baseline: a dict behind the same async interface."""

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}

    async def get(self, key: str) -> Any:
        return self._data.get(key)

    async def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        self._data[key] = value


Pair = Callable[[str], Awaitable[None]]


async def run_sequential(pair: Pair, keys: list[str], n: int) -> float:
    """Seconds for ``n`` set+get pairs, one after the other."""
    count = len(keys)
    started = time.perf_counter()
    for i in range(n):
        await pair(keys[i % count])
    return time.perf_counter() - started


async def run_concurrent(pair: Pair, keys: list[str], n: int, tasks: int) -> float:
    """Seconds for ``n`` set+get pairs spread over ``tasks`` concurrent tasks."""
    per_task = n // tasks
    count = len(keys)

    async def worker(offset: int) -> None:
        for i in range(per_task):
            await pair(keys[(offset + i) % count])

    started = time.perf_counter()
    await asyncio.gather(*(worker(t * per_task) for t in range(tasks)))
    return time.perf_counter() - started


async def alternate(
    contenders: dict[str, Callable[[], Awaitable[float]]], rounds: int
) -> dict[str, float]:
    """Run each contender ``rounds`` times, interleaved; median seconds of each."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            times[name].append(await run())
    return {name: statistics.median(values) for name, values in times.items()}


def row(label: str, n: int, ours: float, base: float, *, higher_is_better: bool) -> str:
    ours_rate, base_rate = n / ours, n / base
    if higher_is_better:  # throughput: ours / base
        ratio = ours_rate / base_rate
        return f"| {label} | {base_rate:,.0f} | {ours_rate:,.0f} | {ratio:.2f}x |"
    ratio = ours / base  # cost: ours / base
    return f"| {label} | {base / n * 1e9:,.0f} | {ours / n * 1e9:,.0f} | {ratio:.2f}x |"


async def bench_memory(rounds: int) -> list[str]:
    n = 200_000
    keys = [f"key:{i}" for i in range(1000)]
    lines = [
        "| MemoryStore, set+get pair | dict wrapper ns | MemoryStore ns | cost ratio |",
        "|---|---:|---:|---:|",
    ]
    for label, value in (("str value", SMALL_VALUE), ("dict value", DICT_VALUE)):
        memory, plain = MemoryStore(limit=5000), DictStore()

        async def ours(key: str, value: Any = value, memory: MemoryStore = memory) -> None:
            await memory.set(key, value)
            await memory.get(key)

        async def base(key: str, value: Any = value, plain: DictStore = plain) -> None:
            await plain.set(key, value)
            await plain.get(key)

        medians = await alternate(
            {
                "ours": lambda: run_sequential(ours, keys, n),
                "base": lambda: run_sequential(base, keys, n),
            },
            rounds,
        )
        lines.append(row(label, n, medians["ours"], medians["base"], higher_is_better=False))
    return lines


async def bench_redis(url: str, rounds: int) -> list[str]:
    keys = [f"bench:{i}" for i in range(1000)]
    store = RedisStore(url, prefix="")
    raw: Any = redis_client(url)
    if store.topology == "cluster":
        await raw.initialize()  # learn the slot map before 64 tasks start at once
    title = "Redis Cluster (3 masters)" if store.topology == "cluster" else "Redis"
    what = "raw RedisCluster" if store.topology == "cluster" else "raw redis.asyncio"

    async def ours(key: str) -> None:
        await store.set(key, DICT_VALUE)
        await store.get(key)

    async def base(key: str) -> None:  # what a user of raw redis.asyncio writes for the same
        await raw.set(key, json.dumps(DICT_VALUE, separators=(",", ":")))
        json.loads(await raw.get(key))

    lines = [
        f"| {title}, set+get pairs/s | {what} | RedisStore | throughput ratio |",
        "|---|---:|---:|---:|",
    ]
    try:
        await store.ping()
        seq_n, conc_n = 4_000, 8_000
        medians = await alternate(
            {
                "ours": lambda: run_sequential(ours, keys, seq_n),
                "base": lambda: run_sequential(base, keys, seq_n),
            },
            rounds,
        )
        lines.append(
            row("sequential", seq_n, medians["ours"], medians["base"], higher_is_better=True)
        )
        medians = await alternate(
            {
                "ours": lambda: run_concurrent(ours, keys, conc_n, 64),
                "base": lambda: run_concurrent(base, keys, conc_n, 64),
            },
            rounds,
        )
        lines.append(
            row("64 tasks", conc_n, medians["ours"], medians["base"], higher_is_better=True)
        )
    finally:
        await store.close()
        await raw.aclose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="use this Redis instead of starting one")
    parser.add_argument("--cluster-url", help="use this redis+cluster:// URL instead")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    print(f"Python {sys.version.split()[0]}, median of {args.rounds} interleaved rounds\n")
    print("\n".join(asyncio.run(bench_memory(args.rounds))))
    print()
    server = None
    url = args.url
    if url is None:
        binary = redis_binary()
        if binary is None:
            sys.exit("redis-server not found: install it or pass --url")
        server = RedisServer(binary)
        server.start()
        url = server.url
    try:
        print("\n".join(asyncio.run(bench_redis(url, args.rounds))))
    finally:
        if server is not None:
            server.close()
    print()
    cluster = None
    cluster_url = args.cluster_url
    if cluster_url is None:
        binary = redis_binary()
        if binary is None or redis_cli() is None:
            sys.exit("redis-server or redis-cli not found: install them or pass --cluster-url")
        cluster = RedisClusterGroup(binary)
        cluster.start()
        cluster_url = cluster.url
    try:
        print("\n".join(asyncio.run(bench_redis(cluster_url, args.rounds))))
    finally:
        if cluster is not None:
            cluster.close()


if __name__ == "__main__":
    main()

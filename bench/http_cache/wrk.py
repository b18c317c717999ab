"""Requests/s of one handler doing 5 ms of CPU work, cached by ``http_cache`` and not.

One app on harpia's native server, pinned to CPU 0 with ``taskset``, with the same
handler on two routes: ``/uncached`` and ``/cached`` (``app.get("/cached", cache,
handler)``, a MemoryStore, or a RedisStore with ``--redis URL``). The handler busy-waits
5 ms on the CPU (``time.perf_counter`` loop — CPU work, not ``asyncio.sleep``, which would
let 64 connections overlap and hide the cost) and answers a 2 KB JSON body with
``Cache-Control: max-age=60``. ``wrk -t1 -c64`` pinned to CPU 1 loads each route in turn
for ``--rounds`` rounds; prints each round and the median ratio.

    apt-get install -y wrk
    .venv/bin/python bench/http_cache/wrk.py [--rounds 3] [--duration 6] [--redis URL]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # for bench.support

from bench.support import free_port, wait_port, wrk_rps  # noqa: E402

WORK = 0.005


def serve(port: int, redis: str | None) -> None:
    from harpia import MemoryStore, RedisStore, Request, Response, harpia, http_cache

    app = harpia()
    store = RedisStore(redis, prefix="bench-http-cache:") if redis else MemoryStore()
    cache = http_cache(store)
    payload = {"items": [{"id": i, "name": f"item {i}", "price": i * 1.5} for i in range(40)]}

    def handler(req: Request, res: Response) -> Any:
        start = time.perf_counter()
        while time.perf_counter() - start < WORK:  # 5 ms of CPU work
            pass
        res.header("cache-control", "max-age=60")
        return payload

    app.get("/uncached", handler)
    app.get("/cached", cache, handler)
    app.listen(port=port, hostname="127.0.0.1", development=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=6)
    parser.add_argument("--redis", help="cache in this Redis (redis://host:port)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    if args.serve:
        serve(args.port, args.redis)
        return
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed (apt-get install -y wrk util-linux)")
    port = free_port()
    command = ["taskset", "-c", "0", sys.executable, __file__, "--serve", "--port", str(port)]
    if args.redis:
        command += ["--redis", args.redis]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ratios = []
    try:
        wait_port(port)
        wrk_rps(port, "/cached", 1)  # warm-up (and fill the cache)
        wrk_rps(port, "/uncached", 1)
        for number in range(1, args.rounds + 1):
            plain = wrk_rps(port, "/uncached", args.duration)
            cached = wrk_rps(port, "/cached", args.duration)
            ratios.append(cached / plain)
            print(f"round {number}: uncached {plain:8,.0f} req/s   cached {cached:8,.0f} req/s"
                  f"   x{cached / plain:.1f}")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"median: cached serves x{statistics.median(ratios):.1f} the requests/s of uncached")


if __name__ == "__main__":
    main()

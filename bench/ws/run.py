"""WebSocket echo benchmark: harpia against Starlette/uvicorn (wsproto) and websockets.

Each contender serves ``/echo`` (text messages echoed) alone, as a subprocess pinned to
one core (``taskset -c 0`` when available), while ``client.py`` runs pinned to another:
32 connections, each sending a 64-byte text message and waiting for its echo, 2,000
times. Both clients are measured (``websockets`` and a minimal raw one: the
``websockets`` client can be what limits the figure). Rounds interleave the contenders;
the table holds median messages/s, and the server's CPU time per message (from
``/proc``: a figure that depends less on how busy the shared machine is).

The peers are installed into the dev venv for the benchmark only (``websockets`` is a
dev requirement already)::

    .venv/bin/pip install starlette uvicorn
    .venv/bin/python bench/ws/run.py                 # 3 rounds
    .venv/bin/python bench/ws/run.py --rounds 1 --messages 500 --check
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))  # for bench.support

from bench.support import free_port, wait_port  # noqa: E402
from bench.support import pinned as support_pinned  # noqa: E402

CONTENDERS = {
    "harpia": [sys.executable, str(HERE / "harpia_app.py")],
    "starlette-uvicorn-wsproto": [
        sys.executable, "-m", "uvicorn", "starlette_app:app", "--app-dir", str(HERE),
        "--host", "127.0.0.1", "--ws", "wsproto", "--loop", "asyncio", "--http", "h11",
        "--log-level", "warning", "--no-access-log", "--ws-per-message-deflate", "false",
    ],
    "websockets-server": [sys.executable, str(HERE / "websockets_server.py")],
}  # fmt: skip
BASELINE = "starlette-uvicorn-wsproto"
TARGET = 1.2
CLIENTS = ("websockets", "raw")
COLUMNS = (*CLIENTS, *(f"{kind}-cpu" for kind in CLIENTS))


def pinned(cpu: int, command: list[str]) -> list[str]:
    can_pin = shutil.which("taskset") and len(os.sched_getaffinity(0)) > 1
    return support_pinned(command, cpu if can_pin else None)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(name: str, args: argparse.Namespace) -> dict[str, float]:
    port = free_port()
    command = CONTENDERS[name] + ["--port", str(port)]
    server = subprocess.Popen(pinned(0, command), cwd=ROOT, start_new_session=True)
    results: dict[str, float] = {}
    try:
        wait_port(port, 15, server)
        for kind in CLIENTS:
            client = [
                sys.executable, str(HERE / "client.py"), "--port", str(port), "--kind", kind,
                "--connections", str(args.connections),
            ]  # fmt: skip
            subprocess.run(  # warm-up
                pinned(1, [*client, "--messages", "100"]),
                check=True,
                timeout=120,
                capture_output=True,
            )
            before = cpu_seconds(server.pid)
            out = subprocess.run(
                pinned(1, [*client, "--messages", str(args.messages)]),
                check=True,
                timeout=600,
                capture_output=True,
                text=True,
            ).stdout
            data = json.loads(out.strip().splitlines()[-1])
            results[kind] = data["messages"] / data["seconds"]
            results[f"{kind}-cpu"] = 1e6 * (cpu_seconds(server.pid) - before) / data["messages"]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", default="", help="comma-separated contender names")
    parser.add_argument("--check", action="store_true", help=f"harpia >= {TARGET}x baseline")
    args = parser.parse_args()
    names = [n for n in CONTENDERS if not args.only or n in args.only.split(",")]
    runs: dict[str, dict[str, list[float]]] = {n: {k: [] for k in COLUMNS} for n in names}
    for round_ in range(args.rounds):
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in order:
            try:
                for kind, value in measure(name, args).items():
                    runs[name][kind].append(value)
            except (RuntimeError, subprocess.SubprocessError) as exc:
                print(f"skipped {name}: {exc}", file=sys.stderr)
    medians = {
        n: {k: statistics.median(v) if v else 0.0 for k, v in kinds.items()}
        for n, kinds in runs.items()
    }
    base = medians.get(BASELINE)
    print(
        f"\n{args.connections} connections x {args.messages} echoes, "
        f"median of {args.rounds} round(s)\n"
    )
    print(
        "| server | msg/s (websockets client) | msg/s (raw client) | vs Starlette/uvicorn "
        "| server CPU µs/msg (websockets / raw client) |"
    )
    print("|---|---:|---:|---:|---:|")
    for name, kinds in medians.items():
        if not runs[name]["websockets"]:
            print(f"| {name} | skipped (see above) | | | |")
            continue
        ratio = "-"
        if base and base["websockets"] and base["raw"]:
            ratio = (
                f"{kinds['websockets'] / base['websockets']:.2f}x / "
                f"{kinds['raw'] / base['raw']:.2f}x"
            )
        cpu = f"{kinds['websockets-cpu']:.0f} / {kinds['raw-cpu']:.0f}"
        print(f"| {name} | {kinds['websockets']:,.0f} | {kinds['raw']:,.0f} | {ratio} | {cpu} |")
    if args.check and base and "harpia" in medians:
        ok = all(medians["harpia"][k] >= TARGET * base[k] for k in CLIENTS)
        print(f"\ntarget {TARGET}x Starlette/uvicorn on both clients: {'met' if ok else 'NOT met'}")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

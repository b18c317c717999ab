"""HTTP hello-world benchmark: harpia against Starlette on uvicorn and two bare h11 floors.

Every contender answers ``GET /plaintext`` (``text/plain; charset=utf-8``,
``Hello, World!``) and ``GET /json`` (``application/json``,
``{"message":"Hello, World!"}``) over keep-alive HTTP/1.1. Each one runs alone as a
subprocess pinned to one core (``taskset``) while ``wrk`` runs pinned to another, on
loopback only. Rounds interleave the contenders (each round starts one further along the
list) so that drift of the machine hits all of them; the table holds the median requests/s
and the median p99 latency over the rounds.

Needs ``wrk`` (Debian: ``apt-get install -y wrk``) and ``taskset`` (util-linux). The peers
are installed into the dev venv for the benchmark only; they are not dependencies of any
package nor of the dev requirements::

    .venv/bin/pip install starlette uvicorn uvloop httptools
    .venv/bin/python bench/http/run.py                       # full run, 10 s x 3 rounds
    .venv/bin/python bench/http/run.py --duration 5 --rounds 1 --only harpia,bare-asyncio
    .venv/bin/python bench/http/run.py --check               # add --strict to exit 1 on a miss

A contender whose packages are missing, whose server does not answer within 10 s, or whose
replies are wrong is skipped with a note; harpia is skipped until ``harpia_app.py --probe``
passes and its server answers.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from types import FrameType

HOST = "127.0.0.1"
HERE = Path(__file__).resolve().parent
PEERS = HERE / "peers"
READY_TIMEOUT = 10.0  # seconds for a server to answer its first request
STOP_TIMEOUT = 5.0  # seconds between SIGTERM and SIGKILL
MAX_ROUNDS = 50
VERSIONS = ("harpia-framework", "starlette", "uvicorn", "h11", "anyio", "uvloop", "httptools")

BASELINE = "starlette-h11"  # the targets are ratios against these two
FLOOR = "bare-asyncio"
SUBJECT = "harpia"


@dataclass(frozen=True, slots=True)
class Route:
    """One benchmarked route and the reply every contender must give."""

    name: str
    path: str
    content_type: str
    body: bytes


ROUTES = (
    Route("plaintext", "/plaintext", "text/plain; charset=utf-8", b"Hello, World!"),
    Route("json", "/json", "application/json", b'{"message":"Hello, World!"}'),
)


@dataclass(frozen=True, slots=True)
class Contender:
    """A server to benchmark: ``python script *args --host H --port P``."""

    name: str
    label: str
    script: Path
    args: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()  # modules that must be importable
    probe: bool = False  # ask ``script --probe *args`` first
    source: Path | None = None  # another checkout whose packages/*/src come first on the path


CONTENDERS = (
    Contender(
        "starlette-h11",
        "Starlette / uvicorn h11",
        PEERS / "starlette_app.py",
        ("--http", "h11", "--loop", "asyncio"),
        ("starlette", "uvicorn", "h11"),
    ),
    Contender(
        "starlette-httptools",
        "Starlette / uvicorn httptools+uvloop",
        PEERS / "starlette_app.py",
        ("--http", "httptools", "--loop", "uvloop"),
        ("starlette", "uvicorn", "httptools", "uvloop"),
    ),
    Contender(
        "bare-anyio", "bare anyio stream + h11", PEERS / "bare_anyio_h11.py", (), ("anyio", "h11")
    ),
    Contender(
        "bare-asyncio", "bare asyncio Protocol + h11", PEERS / "bare_asyncio_h11.py", (), ("h11",)
    ),
    Contender(
        "harpia",
        "harpia (own server)",
        HERE / "harpia_app.py",
        ("--server", "native"),
        ("harpia",),
        probe=True,
    ),
    Contender(
        "harpia-uvicorn",
        "harpia app under uvicorn h11",
        HERE / "harpia_app.py",
        ("--server", "uvicorn-h11"),
        ("harpia", "uvicorn", "h11"),
        probe=True,
    ),
)


def contender_env(contender: Contender) -> dict[str, str] | None:
    """The environment for ``contender``: with ``source``, its packages shadow the installed
    (editable) ones through ``PYTHONPATH``; otherwise the runner's own."""
    if contender.source is None:
        return None
    srcs = sorted((contender.source / "packages").glob("*/src"))
    return {**os.environ, "PYTHONPATH": os.pathsep.join(str(src) for src in srcs)}


def before_contender(tree: Path) -> Contender:
    """harpia's own server from another checkout (``--before``): before/after in one run."""
    return Contender(
        "harpia-before",
        f"harpia (own server) from {tree.name}",
        HERE / "harpia_app.py",
        ("--server", "native"),
        ("harpia",),
        probe=True,
        source=tree,
    )


class ContenderFailed(Exception):
    """The contender cannot be measured (it is dropped from the remaining rounds)."""


@dataclass(frozen=True, slots=True)
class WrkResult:
    """What one ``wrk`` run reports."""

    rps: float
    p99_ms: float
    requests: int
    socket_errors: int
    timeouts: int
    non_2xx: int


@dataclass(slots=True)
class Outcome:
    """Everything measured or noticed for one contender."""

    runs: dict[str, list[WrkResult]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def median_rps(self, route: str) -> float | None:
        runs = self.runs.get(route)
        return statistics.median(r.rps for r in runs) if runs else None

    def median_p99(self, route: str) -> float | None:
        runs = self.runs.get(route)
        return statistics.median(r.p99_ms for r in runs) if runs else None


# -- wrk ------------------------------------------------------------------------------

_TIME_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_P99 = re.compile(r"^\s*99(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_REQUESTS = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_SOCKET_ERRORS = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.MULTILINE
)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def parse_wrk(output: str) -> WrkResult:
    """Read requests/s, p99 (from ``--latency``) and error counts from wrk's report.

    Raises:
        ValueError: when the report lacks requests/s or the latency distribution.
    """
    rps, p99, requests = _RPS.search(output), _P99.search(output), _REQUESTS.search(output)
    if rps is None or p99 is None or requests is None:
        raise ValueError(f"unexpected wrk output:\n{output}")
    errors = _SOCKET_ERRORS.search(output)
    connect, read, write, timeouts = (int(g) for g in errors.groups()) if errors else (0,) * 4
    non_2xx = _NON_2XX.search(output)
    return WrkResult(
        rps=float(rps.group(1)),
        p99_ms=float(p99.group(1)) * _TIME_UNITS_MS[p99.group(2)],
        requests=int(requests.group(1)),
        socket_errors=connect + read + write,
        timeouts=timeouts,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


def run_wrk(options: Options, port: int, path: str, duration: int) -> WrkResult:
    """One ``wrk -t1`` run of ``duration`` seconds against ``path``, pinned to wrk's CPU."""
    argv = [options.wrk, "-t1", f"-c{options.connections}", f"-d{duration}s", "--latency"]
    argv.append(f"http://{HOST}:{port}{path}")
    if options.wrk_cpu is not None:
        argv = ["taskset", "-c", str(options.wrk_cpu), *argv]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=duration + 30, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ContenderFailed(f"wrk did not finish within {duration + 30} s") from exc
    if done.returncode != 0:
        raise ContenderFailed(f"wrk exited with {done.returncode}: {done.stderr.strip()}")
    try:
        return parse_wrk(done.stdout)
    except ValueError as exc:
        raise ContenderFailed(str(exc)) from exc


# -- a tiny HTTP/1.1 client, to check readiness and the replies -------------------------


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


_MAX_BUFFER = 1 << 20


def _fill_until(sock: socket.socket, buf: bytearray, marker: bytes) -> int:
    """Index of ``marker`` in ``buf``, reading more from ``sock`` as needed."""
    for _ in range(1000):
        index = buf.find(marker)
        if index >= 0:
            return index
        _read_more(sock, buf)
    raise ValueError("reply too fragmented")


def _fill_to(sock: socket.socket, buf: bytearray, size: int) -> None:
    for _ in range(1000):
        if len(buf) >= size:
            return
        _read_more(sock, buf)
    raise ValueError("reply too fragmented")


def _read_more(sock: socket.socket, buf: bytearray) -> None:
    if len(buf) > _MAX_BUFFER:
        raise ValueError("reply too large")
    chunk = sock.recv(65536)
    if not chunk:
        raise ValueError("the server closed the connection before the reply ended")
    buf += chunk


def _read_chunked(sock: socket.socket, buf: bytearray) -> bytes:
    body = bytearray()
    for _ in range(1000):
        end = _fill_until(sock, buf, b"\r\n")
        size = int(bytes(buf[:end]).split(b";")[0], 16)
        del buf[: end + 2]
        if size == 0:
            for _ in range(100):  # trailer fields, then the empty line
                end = _fill_until(sock, buf, b"\r\n")
                del buf[: end + 2]
                if end == 0:
                    return bytes(body)
            break
        _fill_to(sock, buf, size + 2)
        body += buf[:size]
        del buf[: size + 2]
    raise ValueError("chunked body too long")


def read_reply(sock: socket.socket, buf: bytearray) -> Reply:
    """Parse one response from ``sock`` (``buf`` holds bytes already read past it).

    Raises:
        ValueError: on a malformed reply or one whose end cannot be known without closing.
    """
    head_end = _fill_until(sock, buf, b"\r\n\r\n")
    status_line, *lines = bytes(buf[:head_end]).decode("latin-1").split("\r\n")
    del buf[: head_end + 4]
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ValueError(f"bad status line {status_line!r}")
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"bad header line {line!r}")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _read_chunked(sock, buf)
    elif "content-length" in headers:
        size = int(headers["content-length"])
        _fill_to(sock, buf, size)
        body = bytes(buf[:size])
        del buf[:size]
    else:
        raise ValueError("reply has neither Content-Length nor chunked framing")
    return Reply(int(parts[1]), headers, body)


def fetch(port: int, paths: Sequence[str], timeout: float = 2.0) -> list[Reply]:
    """GET every path, pipelined on one keep-alive connection, and read the replies."""
    requests = b"".join(
        f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUser-Agent: bench\r\n\r\n".encode()
        for path in paths
    )
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(requests)
        buf = bytearray()
        return [read_reply(sock, buf) for _ in paths]


def check_replies(port: int, outcome: Outcome) -> None:
    """Both routes, pipelined (plaintext, json, plaintext) on one connection.

    Raises:
        ContenderFailed: on a wrong status or body, or a reply that closes the connection.
    """
    paths = [ROUTES[0].path, ROUTES[1].path, ROUTES[0].path]
    try:
        replies = fetch(port, paths)
    except (OSError, ValueError) as exc:
        raise ContenderFailed(f"pipelined GETs failed: {exc}") from exc
    wanted = {route.path: route for route in ROUTES}
    for path, reply in zip(paths, replies, strict=True):
        route = wanted[path]
        if reply.status != 200:
            raise ContenderFailed(f"GET {path} answered {reply.status}")
        if reply.body != route.body:
            with contextlib.suppress(ValueError):
                if route.name == "json" and json.loads(reply.body) == json.loads(route.body):
                    outcome.note(f"GET {path} body is {reply.body!r} (same JSON, other bytes)")
                    continue
            raise ContenderFailed(f"GET {path} body is {reply.body!r}, not {route.body!r}")
        if reply.headers.get("connection", "").lower() == "close":
            raise ContenderFailed(f"GET {path} closes the connection (no keep-alive)")
        content_type = reply.headers.get("content-type", "")
        if content_type.replace(" ", "").lower() != route.content_type.replace(" ", ""):
            outcome.note(f"GET {path} content-type is {content_type!r}")


# -- servers --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Return once the server answers ``GET /plaintext``; bounded by READY_TIMEOUT."""
    deadline = time.monotonic() + READY_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ContenderFailed(f"exited with {proc.returncode} at start{log_tail(log)}")
        try:
            fetch(port, [ROUTES[0].path], timeout=1.0)
            return
        except (OSError, ValueError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.05)
    raise ContenderFailed(f"no answer within {READY_TIMEOUT:.0f} s ({last}){log_tail(log)}")


def log_tail(log: Path, lines: int = 8) -> str:
    try:
        text = log.read_text(errors="replace").strip()
    except OSError:
        return ""
    return "\n    " + "\n    ".join(text.splitlines()[-lines:]) if text else ""


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, SIGKILL after STOP_TIMEOUT."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)  # its own session: the group id is its pid
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(STOP_TIMEOUT)


@contextlib.contextmanager
def running(contender: Contender, cpu: int | None, log: Path) -> Iterator[int]:
    """Start ``contender`` on a free loopback port, yield the port, always stop it."""
    port = free_port()
    argv = [sys.executable, str(contender.script), *contender.args]
    argv += ["--host", HOST, "--port", str(port)]
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu), *argv]
    env = contender_env(contender)
    proc: subprocess.Popen[bytes] | None = None
    try:
        with log.open("ab") as out:
            proc = subprocess.Popen(
                argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the runner only; it stops the group
            )
        wait_ready(proc, port, log)
        yield port
    finally:
        if proc is not None:
            stop(proc)


def measure(
    contender: Contender, options: Options, outcome: Outcome, log: Path
) -> dict[str, WrkResult]:
    """Start the server, check its replies, warm it up, then one wrk run per route."""
    with running(contender, options.server_cpu, log) as port:
        check_replies(port, outcome)
        if options.warmup > 0:
            for route in ROUTES:
                run_wrk(options, port, route.path, options.warmup)
        results = {}
        for route in ROUTES:
            results[route.name] = result = run_wrk(options, port, route.path, options.duration)
            if result.non_2xx:
                outcome.note(f"{result.non_2xx} non-2xx replies on {route.path}")
            if result.socket_errors or result.timeouts:
                outcome.note(
                    f"wrk socket errors on {route.path}: {result.socket_errors} "
                    f"(+{result.timeouts} timeouts, left out of the latency figures)"
                )
        try:
            fetch(port, [ROUTES[0].path], timeout=2.0)
        except (OSError, ValueError) as exc:
            raise ContenderFailed(f"stopped answering during the runs ({exc})") from exc
        return results


# -- the run --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    wrk: str
    server_cpu: int | None
    wrk_cpu: int | None
    duration: int
    warmup: int
    rounds: int
    connections: int


def availability(contender: Contender) -> str | None:
    """Why ``contender`` cannot run here, or None."""
    missing = [name for name in contender.needs if importlib.util.find_spec(name) is None]
    if missing:
        extra = [name for name in missing if name != "harpia"]
        hint = f" (.venv/bin/pip install {' '.join(extra)})" if extra else ""
        return f"not installed: {', '.join(missing)}{hint}"
    if not contender.probe:
        return None
    argv = [sys.executable, str(contender.script), "--probe", *contender.args]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=contender_env(contender),
        )
    except subprocess.TimeoutExpired:
        return "probe did not finish within 60 s"
    if done.returncode != 0:
        why = (done.stdout + done.stderr).strip().splitlines() or ["(no output)"]
        return f"probe failed: {why[-1]}"
    return None


def pick_cpus(args: argparse.Namespace) -> tuple[int | None, int | None, str]:
    """Server CPU, wrk CPU and a sentence saying so."""
    allowed = sorted(os.sched_getaffinity(0))
    if args.server_cpu is not None and args.wrk_cpu is not None:
        return args.server_cpu, args.wrk_cpu, "chosen by --server-cpu/--wrk-cpu"
    if len(allowed) >= 2:
        return allowed[0], allowed[1], f"allowed CPUs {allowed}"
    return None, None, f"only CPU {allowed} allowed: NOT pinned, server and wrk share it"


def versions() -> str:
    found = []
    for name in VERSIONS:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found.append(f"{name} {importlib.metadata.version(name)}")
    return ", ".join(found)


def wrk_version(wrk: str) -> str:
    done = subprocess.run([wrk, "--version"], capture_output=True, text=True, timeout=10)
    first = (done.stdout + done.stderr).strip().splitlines()
    return first[0].split(" Copyright")[0] if first else "unknown"


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def run_rounds(
    chosen: list[Contender], options: Options, outcomes: dict[str, Outcome], logs: Path
) -> bool:
    """All rounds, contenders interleaved; False when interrupted (results so far kept)."""
    active = [c for c in chosen if outcomes[c.name].skipped is None]
    try:
        for round_no in range(options.rounds):
            shift = round_no % len(active) if active else 0
            for contender in active[shift:] + active[:shift]:
                outcome = outcomes[contender.name]
                if outcome.skipped is not None:
                    continue
                try:
                    results = measure(contender, options, outcome, logs / f"{contender.name}.log")
                except ContenderFailed as exc:
                    outcome.skipped = str(exc)
                    progress(f"round {round_no + 1}: {contender.name} dropped: {exc}")
                    continue
                for route, result in results.items():
                    outcome.runs.setdefault(route, []).append(result)
                    progress(
                        f"round {round_no + 1}/{options.rounds}  {contender.name:<20} "
                        f"{route:<9} {result.rps:>9,.0f} req/s  p99 {fmt_ms(result.p99_ms)}"
                    )
    except KeyboardInterrupt:
        progress("interrupted: servers stopped, printing what was measured")
        return False
    return True


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- report ---------------------------------------------------------------------------


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value * 1000:.0f} µs" if value < 1 else f"{value:.2f} ms"


def fmt_rps(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def ratio(outcome: Outcome, other: Outcome | None) -> str:
    if other is None:
        return "n/a"
    parts = []
    for route in ROUTES:
        mine, theirs = outcome.median_rps(route.name), other.median_rps(route.name)
        parts.append("n/a" if mine is None or not theirs else f"{mine / theirs:.2f}x")
    return " / ".join(parts)


def table(chosen: list[Contender], outcomes: dict[str, Outcome]) -> str:
    baseline, floor = outcomes.get(BASELINE), outcomes.get(FLOOR)
    rows = [
        "| contender | plaintext req/s | plaintext p99 | json req/s | json p99 "
        "| vs Starlette/uvicorn-h11 | vs bare asyncio+h11 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for contender in chosen:
        outcome = outcomes[contender.name]
        if not outcome.runs:
            continue
        cells = [contender.label]
        for route in ROUTES:
            cells += [
                fmt_rps(outcome.median_rps(route.name)),
                fmt_ms(outcome.median_p99(route.name)),
            ]
        cells += [ratio(outcome, baseline), ratio(outcome, floor)]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def check_targets(outcomes: dict[str, Outcome]) -> bool:
    """Print the issue's three targets for harpia; True when all are met."""
    print("\n## Targets (harpia, own server)\n")
    subject, baseline, floor = (outcomes.get(n) for n in (SUBJECT, BASELINE, FLOOR))
    missing = [
        name
        for name, o in ((SUBJECT, subject), (BASELINE, baseline), (FLOOR, floor))
        if o is None or any(o.median_rps(r.name) is None for r in ROUTES)
    ]
    if missing or subject is None or baseline is None or floor is None:
        print(f"- cannot evaluate: no complete results for {', '.join(missing)}")
        return False
    all_met = True

    def report(title: str, met: bool, detail: list[str]) -> None:
        nonlocal all_met
        all_met &= met
        print(f"- {title}: {'met' if met else 'NOT met'} ({'; '.join(detail)})")

    for title, other, minimum in (
        ("req/s >= 1.5x Starlette/uvicorn-h11", baseline, 1.5),
        ("req/s >= 0.85x bare asyncio-Protocol + h11", floor, 0.85),
    ):
        met, detail = True, []
        for route in ROUTES:
            mine, theirs = subject.median_rps(route.name), other.median_rps(route.name)
            assert mine is not None
            assert theirs is not None
            met &= mine >= minimum * theirs
            detail.append(f"{route.name} {mine / theirs:.2f}x")
        report(title, met, detail)
    met, detail = True, []
    for route in ROUTES:
        mine_p99, their_p99 = subject.median_p99(route.name), baseline.median_p99(route.name)
        assert mine_p99 is not None
        assert their_p99 is not None
        met &= mine_p99 <= their_p99
        detail.append(f"{route.name} {fmt_ms(mine_p99)} vs {fmt_ms(their_p99)}")
    report("p99 <= Starlette/uvicorn-h11's p99", met, detail)
    return all_met


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    names = ", ".join(c.name for c in CONTENDERS)
    parser = argparse.ArgumentParser(
        description="HTTP hello-world benchmark (wrk on loopback, one core each side).",
        epilog=f"contenders: {names}",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; medians are reported")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per route")
    parser.add_argument("--only", default="", help="comma-separated contender names")
    parser.add_argument("--server-cpu", type=int, help="CPU for the server (default: first)")
    parser.add_argument("--wrk-cpu", type=int, help="CPU for wrk (default: second)")
    parser.add_argument("--check", action="store_true", help="evaluate harpia's targets")
    parser.add_argument("--strict", action="store_true", help="with --check: exit 1 on a miss")
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout (e.g. a git worktree of an older commit): adds harpia-before",
    )
    args = parser.parse_args(argv)
    if args.before is not None and not (args.before / "packages").is_dir():
        parser.error(f"--before {args.before}: no packages/ folder there")
    if not 1 <= args.rounds <= MAX_ROUNDS:
        parser.error(f"--rounds must be between 1 and {MAX_ROUNDS}")
    if args.duration < 1 or args.connections < 1 or args.warmup < 0:
        parser.error("--duration and --connections must be >= 1, --warmup >= 0")
    if (args.server_cpu is None) != (args.wrk_cpu is None):
        parser.error("give both --server-cpu and --wrk-cpu, or neither")
    known = {c.name for c in CONTENDERS} | {"harpia-before"}
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    if unknown := [name for name in only if name not in known]:
        parser.error(f"unknown contender(s) {', '.join(unknown)}; known: {names}")
    args.only = only
    return args


def _terminate(signum: int, frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt  # runs every finally: the servers get stopped


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk not found. On Debian/Ubuntu: sudo apt-get install -y wrk", file=sys.stderr)
        return 2
    server_cpu, wrk_cpu, cpu_note = pick_cpus(args)
    if server_cpu is not None and shutil.which("taskset") is None:
        print("taskset not found (Debian: apt-get install -y util-linux)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    options = Options(
        wrk, server_cpu, wrk_cpu, args.duration, args.warmup, args.rounds, args.connections
    )
    contenders: tuple[Contender, ...] = CONTENDERS
    if args.before is not None:
        contenders = (*CONTENDERS, before_contender(args.before.resolve()))
    chosen = [c for c in contenders if not args.only or c.name in args.only]

    print("## Machine\n")
    print(f"- {cpu_model()}; nproc {os.cpu_count()}; {cpu_note}")
    print(f"- server on CPU {server_cpu}, wrk on CPU {wrk_cpu}; loopback {HOST} only")
    print(f"- Python {platform.python_version()} ({platform.python_implementation()}), ", end="")
    print(f"{platform.system()} {platform.release()}")
    print(f"- {wrk_version(wrk)}; {versions()}")
    print(
        f"- wrk -t1 -c{args.connections} -d{args.duration}s --latency per route, "
        f"{args.warmup} s warm-up per route, median of {args.rounds} round(s), "
        "contenders interleaved, a fresh server per round\n",
        flush=True,
    )

    outcomes = {c.name: Outcome() for c in chosen}
    for contender in chosen:
        if (why := availability(contender)) is not None:
            outcomes[contender.name].skipped = why
            progress(f"skipping {contender.name}: {why}")

    with tempfile.TemporaryDirectory(prefix="bench-http-") as logs:
        finished = run_rounds(chosen, options, outcomes, Path(logs))

    print(table(chosen, outcomes))
    notes = [
        f"- {c.label}: {text}"
        for c in chosen
        for text in outcomes[c.name].notes
        + ([f"skipped: {outcomes[c.name].skipped}"] if outcomes[c.name].skipped else [])
    ]
    if notes:
        print("\nNotes:\n" + "\n".join(notes))
    if not finished:
        print("\n(interrupted: partial results)")
        return 130
    if args.check:
        met = check_targets(outcomes)
        if args.strict and not met:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

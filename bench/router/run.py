"""Lookup time of harpia-router against Starlette's routing, for 10, 100 and 1,000 routes.

Run from the repository root (Starlette is installed for the benchmark only, never as a
dependency of any package)::

    .venv/bin/pip install starlette
    .venv/bin/python bench/router/run.py            # add --check to enforce the targets

Each table holds N routes alternating static (``/s{i}/items``) and one-parameter
(``/p{i}/:id/items``) patterns, plus one three-parameter route registered last. Starlette
is measured the way its ``Router`` looks a route up: ``route.matches(scope)`` over the
route list until a full match, and, before a 404, the second scan for the other
trailing-slash spelling (``redirect_slashes``). Endpoints are never called: only the
lookup is timed. Each figure is the best of several ``timeit`` runs, in µs per lookup.
Without Starlette installed, only harpia-router's figures are printed.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import timeit
from dataclasses import dataclass
from typing import Any

from harpia_router import Router

SIZES = (10, 100, 1000)
THREE_PARAMS = "/users/:uid/posts/:pid/comments/:cid"


def endpoint() -> None: ...


@dataclass(frozen=True, slots=True)
class Case:
    """What to time: a label and the request paths (the mean over them is reported)."""

    label: str
    paths: tuple[str, ...]


def patterns(size: int) -> list[str]:
    """The benchmark's route table for ``size`` routes (plus the 3-parameter route)."""
    table = [f"/s{i}/items" if i % 2 == 0 else f"/p{i}/:id/items" for i in range(size)]
    return [*table, THREE_PARAMS]


def cases(size: int) -> list[Case]:
    """First, middle and last static and parametrised routes, 3 params, a 404, and the
    mean over one request for every route of the table."""
    middle = size // 2 - (size // 2) % 2
    every = tuple(p.replace(":id", "42") for p in patterns(size)[:-1])
    return [
        Case("static, first", ("/s0/items",)),
        Case("static, middle", (f"/s{middle}/items",)),
        Case("static, last", (f"/s{size - 2}/items",)),
        Case("1 param, first", ("/p1/42/items",)),
        Case("1 param, middle", (f"/p{middle + 1}/42/items",)),
        Case("1 param, last", (f"/p{size - 1}/42/items",)),
        Case("3 params (last route)", ("/users/7/posts/42/comments/3",)),
        Case("404", ("/nope/x/y",)),
        Case("every route, mean", every),
    ]


def harpia_lookup(size: int) -> Any:
    router = Router()
    for pattern in patterns(size):
        router.get(pattern, endpoint)
    return router.match


def starlette_lookup(size: int) -> Any:
    """Return ``lookup(path)`` doing what ``starlette.routing.Router`` does to find a route."""
    routing: Any = importlib.import_module("starlette.routing")
    full, none = routing.Match.FULL, routing.Match.NONE
    partial_match = routing.Match.PARTIAL
    routes = [
        routing.Route(_starlette_path(pattern), endpoint, methods=["GET"])
        for pattern in patterns(size)
    ]

    def lookup(path: str) -> Any:
        scope = {"type": "http", "method": "GET", "path": path, "root_path": ""}
        partial = None
        for route in routes:
            match, child_scope = route.matches(scope)
            if match is full:
                return route, child_scope
            if match is partial_match and partial is None:
                partial = route, child_scope
        if partial is not None:
            return partial
        if path != "/":  # redirect_slashes: scan again with the other slash spelling
            other = dict(scope, path=path.rstrip("/") if path.endswith("/") else path + "/")
            for route in routes:
                if route.matches(other)[0] is not none:
                    return None
        return None

    return lookup


def _starlette_path(pattern: str) -> str:
    return "/".join("{" + s[1:] + "}" if s.startswith(":") else s for s in pattern.split("/"))


def best_us(stmt: str, namespace: dict[str, Any], budget: float, repeat: int) -> float:
    """Best time of ``repeat`` runs of ``stmt``, in µs per execution."""
    timer = timeit.Timer(stmt, globals=namespace)
    number, elapsed = 1, timer.timeit(1)
    while elapsed * number < budget and number < 10_000_000:
        number *= 10 if elapsed * number * 10 < budget else 2
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def measure(args: argparse.Namespace) -> dict[tuple[str, int, str], float]:
    have_starlette = not args.no_starlette
    if have_starlette:
        try:
            importlib.import_module("starlette.routing")
        except ImportError:
            print("starlette is not installed: .venv/bin/pip install starlette", file=sys.stderr)
            have_starlette = False
    budget, repeat = (0.02, 3) if args.quick else (0.2, 7)
    results: dict[tuple[str, int, str], float] = {}
    for size in SIZES:
        lookups = {"harpia": harpia_lookup(size)}
        if have_starlette:
            lookups["starlette"] = starlette_lookup(size)
        for case in cases(size):
            for name, lookup in lookups.items():
                call = "lookup('GET', path)" if name == "harpia" else "lookup(path)"
                for path in case.paths:
                    found = lookup("GET", path) if name == "harpia" else lookup(path)
                    assert (found is None) == (case.label == "404"), (name, path)
                if len(case.paths) == 1:
                    stmt, namespace = call, {"lookup": lookup, "path": case.paths[0]}
                else:
                    stmt, namespace = f"for path in paths: {call}", {"lookup": lookup}
                    namespace["paths"] = case.paths
                per_run = best_us(stmt, namespace, budget, repeat)
                results[name, size, case.label] = per_run / len(case.paths)
    return results


def report(results: dict[tuple[str, int, str], float]) -> list[str]:
    """Print the tables; return the targets that were missed."""
    labels = [case.label for case in cases(SIZES[-1])]
    have_starlette = any(name == "starlette" for name, _, _ in results)
    python = f"Python {platform.python_version()} on {platform.machine()}"
    print(f"{python}, µs per lookup, best of runs")
    print()
    print("| lookup | " + " | ".join(f"{size:,} routes" for size in SIZES) + " | 1,000 / 10 |")
    print("|---|" + "---:|" * (len(SIZES) + 1))
    for label in labels:
        times = [results["harpia", size, label] for size in SIZES]
        cells = " | ".join(f"{t:.2f}" for t in times)
        print(f"| {label} | {cells} | {times[-1] / times[0]:.2f}x |")
    if have_starlette:
        print()
        print("| lookup, 1,000 routes | harpia-router | Starlette | Starlette / harpia |")
        print("|---|---:|---:|---:|")
        for label in labels:
            ours, theirs = results["harpia", 1000, label], results["starlette", 1000, label]
            print(f"| {label} | {ours:.2f} | {theirs:,.2f} | {theirs / ours:,.0f}x |")
        for size in SIZES[:-1]:
            print()
            print(f"| lookup, {size} routes | harpia-router | Starlette | Starlette / harpia |")
            print("|---|---:|---:|---:|")
            for label in labels:
                ours, theirs = results["harpia", size, label], results["starlette", size, label]
                print(f"| {label} | {ours:.2f} | {theirs:,.2f} | {theirs / ours:,.1f}x |")
    return check(results, labels, have_starlette)


def check(results: dict[tuple[str, int, str], float], labels: list[str], full: bool) -> list[str]:
    """The issue's targets, each as a message when missed."""
    missed = []
    for label in labels:
        ratio = results["harpia", 1000, label] / results["harpia", 10, label]
        if ratio > 1.5:
            missed.append(f"{label}: 1,000 routes is {ratio:.2f}x the time at 10 (target 1.5x)")
        if full and not label.endswith("first"):
            speedup = results["starlette", 1000, label] / results["harpia", 1000, label]
            if speedup < 50:
                missed.append(f"{label}: {speedup:.0f}x faster than Starlette (target 50x)")
    for label in labels:
        t = results["harpia", 1000, label]
        if label.startswith("static") and t >= 1:
            missed.append(f"{label}: {t:.2f} µs (target under 1 µs)")
    three = results["harpia", 1000, "3 params (last route)"]
    if three >= 3:
        missed.append(f"3 params: {three:.2f} µs (target under 3 µs)")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test)")
    parser.add_argument("--no-starlette", action="store_true", help="time harpia-router only")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    missed = report(measure(args))
    print()
    print("targets:", "all met" if not missed else "MISSED")
    for message in missed:
        print("-", message)
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())

"""Render time of harpia-templates against Jinja2 on the same reference page.

Run from the repository root (Jinja2 is installed for the benchmark only, never as a
dependency of any package)::

    .venv/bin/pip install jinja2
    .venv/bin/python bench/templates/run.py            # add --check to enforce ratio >= 1

The reference page, written in each syntax (``harpia/`` and ``jinja/`` here): a layout
with a title, a header and a footer; a view whose block loops over 100 items; a component
per item (harpia ``@component``, Jinja ``{% include %}``, and Jinja again with a macro,
its faster idiom); conditionals, ternaries, an inner loop over tags; every value escaped
(names and descriptions hold ``& < > " '``); and plugin calls (``uppercase`` for the title,
``price`` per item; Jinja filters of the same functions). Both engines autoescape, cache
their compiled templates and never check files for changes. Both outputs are checked to
be the same HTML (whitespace aside) before anything is timed.

Each figure is the median of several runs of N renders, in µs per render; "compile" is a
fresh engine's first render (parse, compile, render), the median of a few. The ratio is
Jinja's time divided by harpia's: above 1.0, harpia-templates is faster.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from harpia_templates import TemplateEngine

HERE = Path(__file__).resolve().parent


def uppercase(text: str) -> str:
    return text.upper()


def price(value: float) -> str:
    return f"${value:,.2f}"


def page_data(count: int = 100) -> dict[str, Any]:
    """The render data: ``count`` items, some with characters that must be escaped."""
    items = [
        {
            "id": number,
            "name": f"Book #{number} <Vol. {number % 7}> & more"
            if number % 3
            else f"Book {number}",
            "description": f'The "best" book n°{number}, it\'s <great>',
            "price": 9.5 + number * 1.25,
            "in_stock": number % 4 != 0,
            "tags": ["fiction", f"tag-{number % 5}"] if number % 2 else [],
            "discount": number % 10,
        }
        for number in range(count)
    ]
    return {
        "title": "Books & Comics",
        "user": {"name": "Ana <admin>"},
        "footer": "© Harpia — 'all' rights reserved",
        "items": items,
    }


def harpia_engine() -> TemplateEngine:
    root = HERE / "harpia"
    engine = TemplateEngine(
        path={
            "views": root / "views",
            "layouts": root / "layouts",
            "components": root / "components",
        },
        view_name=None,
    )
    engine.register_plugin("uppercase", uppercase)
    engine.register_plugin("price", price)
    return engine


def jinja_environment() -> Any:
    jinja2: Any = importlib.import_module("jinja2")
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "jinja"),
        autoescape=True,
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["uppercase"] = uppercase
    environment.filters["price"] = price
    return environment


def normalise(html: str) -> str:
    return re.sub(r"\s+", " ", html).replace("> <", "><").strip()


def per_render(render: Any, runs: int, number: int) -> float:
    """Median µs per call of ``render()`` over ``runs`` runs of ``number`` calls."""
    render()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(number):
            render()
        timings.append((time.perf_counter() - start) / number * 1e6)
    return statistics.median(timings)


def first_render(make: Any, runs: int) -> float:
    """Median µs of a fresh engine's first render (loading and compiling included)."""
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        make()
        timings.append((time.perf_counter() - start) * 1e6)
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description="harpia-templates against Jinja2")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--number", type=int, default=100)
    parser.add_argument("--check", action="store_true", help="exit 1 if harpia is slower")
    args = parser.parse_args()

    data = page_data()
    engine = harpia_engine()
    html = engine.render("page", data)
    rows: list[tuple[str, float, float | None]] = []
    harpia_time = per_render(lambda: engine.render("page", data), args.runs, args.number)
    harpia_first = first_render(lambda: harpia_engine().render("page", data), 5)

    try:
        environment = jinja_environment()
    except ImportError:
        print("Jinja2 is not installed (.venv/bin/pip install jinja2): harpia only.")
        print(f"harpia-templates: {harpia_time:,.0f} µs per render")
        return 0
    page = environment.get_template("page.html")
    macro_page = environment.get_template("page_macro.html")
    for template in (page, macro_page):
        if normalise(template.render(data)) != normalise(html):
            print(f"the outputs differ ({template.name}): not timing", file=sys.stderr)
            return 2
    jinja_time = per_render(lambda: page.render(data), args.runs, args.number)
    macro_time = per_render(lambda: macro_page.render(data), args.runs, args.number)
    jinja_first = first_render(
        lambda: jinja_environment().get_template("page.html").render(data), 5
    )

    rows = [
        ("render, component per item (Jinja include)", harpia_time, jinja_time),
        ("render, Jinja with a macro per item", harpia_time, macro_time),
        ("compile + first render", harpia_first, jinja_first),
    ]
    jinja2: Any = importlib.import_module("jinja2")
    print(
        f"Python {platform.python_version()}, Jinja2 {jinja2.__version__}, "
        f"{len(data['items'])} items, {len(html):,} bytes of HTML; µs per render "
        f"(median of {args.runs} runs of {args.number})\n"
    )
    print(f"| {'case':<44} | {'harpia':>8} | {'Jinja2':>8} | {'ratio':>5} |")
    print(f"|{'-' * 46}|{'-' * 9}:|{'-' * 9}:|{'-' * 6}:|")
    for label, ours, theirs in rows:
        assert theirs is not None
        print(f"| {label:<44} | {ours:>8,.0f} | {theirs:>8,.0f} | {theirs / ours:>5.2f} |")
    slowest = min(jinja_time, macro_time) / harpia_time
    if args.check and slowest < 1.0:
        print(f"harpia-templates is slower than Jinja2 (ratio {slowest:.2f})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

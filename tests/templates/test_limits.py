"""Resource limits of one render: output size, work, memory held by locals (issue 16, D9).

Each limit stops a render with a ``TemplateLimitError`` naming the option, the template
and the line; a render under the limit is unchanged. The hostile reproductions run with
the default limits in a fresh interpreter, whose peak RSS (``VmHWM``) is read from /proc.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest

from harpia_templates import TemplateEngine, TemplateError, TemplateLimitError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tests.templates.conftest import Site

ONES10 = "[" + ",".join("1" * 10) + "]"


def doubling(times: int) -> str:
    """``s``: 16 characters doubled ``times`` times."""
    ones = ",".join("1" * times)
    return (
        f"@set s = 'xxxxxxxxxxxxxxxx' @endset\n@for i in [{ones}]\n"
        "@set s = s + s @endset\n@endfor\n"
    )


# The reproductions: a 1 MiB string written 1,000 times; 200 @set locals of
# 8 MiB; a million loop iterations of arithmetic (within the old iteration budget).
OUTPUT_BOMB = (
    doubling(16)
    + f"@for a in {ONES10}\n@for b in {ONES10}\n@for c in {ONES10}\n{{{{ s }}}}\n"
    + "@endfor\n@endfor\n@endfor\n"
)
LOCALS_BOMB = doubling(19) + "".join(f"@set a{i} = s + '{i}' @endset\n" for i in range(200))
WORK_BOMB = (
    "@set n = 0 @endset\n@for a in items\n@for b in items\n"
    "@set n = (n + a * b - a) % 7 + (a > b ? 1 : 2) + (n + a * b) % 7 @endset\n"
    "@endfor\n@endfor\n{{ n }}"
)


def limit_error(
    engine: TemplateEngine, source: str, data: Mapping[str, Any] | None = None
) -> TemplateLimitError:
    with pytest.raises(TemplateLimitError) as caught:
        engine.render_string(source, data)
    return caught.value


def test_output_limit_names_the_option_the_template_and_the_line() -> None:
    engine = TemplateEngine(max_output=1000)
    error = limit_error(
        engine,
        "<ul>\n@for i in items\n<li>{{ i }}</li>\n@endfor\n</ul>",
        {"items": list(range(500))},
    )
    assert isinstance(error, TemplateError)
    assert error.limit == "max_output"
    assert (error.name, error.line) == ("<string>", 3)
    message = str(error)
    assert "1,000 characters of output (max_output)" in message
    assert "TemplateEngine(max_output=...)" in message


def test_output_exactly_at_the_limit_renders() -> None:
    source = "@for i in items\n{{ i }}\n@endfor\n"
    data = {"items": ["abcd"] * 25}  # 25 x "abcd\n" = 125 characters
    assert TemplateEngine(max_output=125).render_string(source, data) == "abcd\n" * 25
    assert limit_error(TemplateEngine(max_output=124), source, data).limit == "max_output"


def test_output_limit_counts_components_and_layouts_once(site: Site) -> None:
    site.write("layouts/base.html", "<main>@yield('content')</main>")
    site.write("components/row.html", "<li>{{ text }}</li>")
    site.write(
        "views/list/page.html",
        "@layout('base')\n@block('content')\n@for t in items\n"
        "@component('row', { text: t })\n@endfor\n@endblock",
    )
    data = {"items": ["x" * 91] * 10}  # 10 x 100-character rows + 13 of layout
    html = site.engine(max_output=1013).render("list", data)
    assert len(html) == 1013
    with pytest.raises(TemplateLimitError) as caught:
        site.engine(max_output=1012).render("list", data)
    assert caught.value.limit == "max_output"


def test_output_limit_error_points_into_the_component_file(site: Site) -> None:
    site.write("components/row.html", "<li>\n{{ text }}\n</li>")
    site.write("views/list/page.html", "@for t in items\n@component('row', { text: t })\n@endfor")
    with pytest.raises(TemplateLimitError) as caught:
        site.engine(max_output=10_000).render("list", {"items": ["y" * 1000] * 100})
    error = caught.value
    assert error.name is not None
    assert error.name.endswith("row.html")
    assert error.line == 1  # the write that went past starts on line 1
    assert any("page.html:2" in site for site in error.included_from)


def test_work_limit() -> None:
    engine = TemplateEngine(max_work=100_000)
    error = limit_error(engine, WORK_BOMB, {"items": list(range(1000))})
    assert error.limit == "max_work"
    assert error.line == 3  # the inner loop, charged when it starts
    assert "100,000 work units (max_work)" in str(error)
    assert "TemplateEngine(max_work=...)" in str(error)
    assert engine.render_string(WORK_BOMB, {"items": list(range(20))}) != ""


def test_work_limit_charges_included_templates(site: Site) -> None:
    # Fan-out without loops: each level includes the next one twice (2**20 renders).
    for level in range(20):
        site.write(f"views/l{level}.html", f"@import('l{level + 1}')@import('l{level + 1}')")
    site.write("views/l20.html", "x")
    engine = site.engine(view_name=None)
    start = time.perf_counter()
    with pytest.raises(TemplateLimitError) as caught:
        engine.render("l0")
    assert caught.value.limit == "max_work"
    assert time.perf_counter() - start < 5


def test_work_limit_charges_building_large_strings() -> None:
    # 1,000 copies of an 8 MiB string: each one costs a unit per 8 characters.
    source = doubling(19) + "@for a in items\n@set t = s + 'x' @endset\n@endfor\n"
    start = time.perf_counter()
    error = limit_error(TemplateEngine(), source, {"items": list(range(1000))})
    assert error.limit == "max_work"
    assert error.line == 6  # the + in the loop
    assert time.perf_counter() - start < 5


def test_work_limit_charges_comparing_large_values() -> None:
    source = (
        doubling(19) + "@set t = s + 'y' @endset\n@set u = s + 'z' @endset\n"
        "@for a in items\n@if t == u\n@endif\n@endfor\n"
    )
    start = time.perf_counter()
    error = limit_error(TemplateEngine(), source, {"items": list(range(10_000))})
    assert error.limit == "max_work"
    assert time.perf_counter() - start < 5


def test_iteration_limit_is_a_limit_error() -> None:
    error = limit_error(
        TemplateEngine(max_iterations=10), "@for i in items\n@endfor", {"items": list(range(11))}
    )
    assert error.limit == "max_iterations"
    assert "TemplateEngine(max_iterations=...)" in str(error)


def test_unsized_iterables_are_charged_as_they_go() -> None:
    class Endless:
        def __iter__(self) -> Endless:
            return self

        def __next__(self) -> int:
            return 1

    error = limit_error(
        TemplateEngine(max_iterations=1000),
        "@for i in forever\n{{ i }}\n@endfor",
        {"forever": Endless()},
    )
    assert error.limit == "max_iterations"


def test_locals_limit() -> None:
    engine = TemplateEngine(max_locals=100)
    source = "@set a = s + '1' @endset\n@set b = s + '2' @endset\n@set c = s + '3' @endset\n{{ c }}"
    error = limit_error(engine, source, {"s": "x" * 40})
    assert error.limit == "max_locals"
    assert error.line == 3
    assert "123 characters or items together, more than 100 (max_locals)" in str(error)
    assert "TemplateEngine(max_locals=...)" in str(error)
    assert TemplateEngine(max_locals=123).render_string(source, {"s": "x" * 40}) == "x" * 40 + "3"


def test_rebinding_a_local_gives_back_what_it_held() -> None:
    engine = TemplateEngine(max_locals=1000)
    source = "@for i in items\n@set t = s + i @endset\n@endfor\n{{ t.length }}"
    assert engine.render_string(source, {"s": "x" * 900, "items": list(range(100))}) == "902"


def test_locals_of_a_component_are_given_back_when_it_returns(site: Site) -> None:
    site.write("components/c.html", "@set big = s + '!' @endset{{ big.length }}")
    site.write("views/v/page.html", "@for i in items\n@component('c', { s })\n@endfor")
    html = site.engine(max_locals=1000).render("v", {"s": "x" * 900, "items": [1, 2, 3]})
    assert html == "901901901"


def test_limits_are_engine_options() -> None:
    engine = TemplateEngine()
    assert (engine.max_output, engine.max_work, engine.max_locals) == (
        64 * 1024 * 1024,
        5_000_000,
        64 * 1024 * 1024,
    )
    for option in ("max_output", "max_work", "max_locals"):
        with pytest.raises(ValueError, match=f"{option} must be a positive int"):
            TemplateEngine(**{option: 0})  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=f"{option} must be a positive int"):
            TemplateEngine(**{option: True})  # type: ignore[arg-type]


def test_limit_errors_pickle() -> None:
    error = limit_error(TemplateEngine(max_output=3), "{{ s }}", {"s": "abcd"})
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, TemplateLimitError)
    assert (copy.limit, str(copy)) == ("max_output", str(error))


# -- the reproductions, with the default limits, in a fresh interpreter -------------------

SCRIPT = """
import json, sys, time
from harpia_templates import TemplateEngine, TemplateLimitError
source, data = json.loads(sys.stdin.read())
start = time.perf_counter()
try:
    TemplateEngine().render_string(source, data)
    limit = None
except TemplateLimitError as error:
    limit = error.limit
elapsed = time.perf_counter() - start
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
print(json.dumps({"limit": limit, "seconds": elapsed, "peak_mib": peak / 1024}))
"""


def run_fresh(source: str, data: dict[str, object]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        input=json.dumps([source, data]),
        capture_output=True,
        text=True,
        timeout=15,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize(
    ("case", "source", "limit", "max_peak_mib"),
    [
        # Before: 1,000 MiB of output, peak RSS ~1 GiB (3.9 GiB through res.render).
        ("output", OUTPUT_BOMB, "max_output", 200),
        # Before: peak RSS 1.6 GiB.
        ("locals", LOCALS_BOMB, "max_locals", 250),
        # Before: the million iterations ran to the old budget (~2 s here).
        ("work", WORK_BOMB, "max_work", 100),
    ],
)
def test_defaults_stop_the_reproductions(
    case: str, source: str, limit: str, max_peak_mib: int
) -> None:
    result = run_fresh(source, {"items": list(range(1000))})
    print(
        f"\n{case}: {len(source):,}-byte template stopped by {result['limit']} after "
        f"{result['seconds']:.2f} s, peak RSS {result['peak_mib']:.0f} MiB"
    )
    # Building the 8 MiB strings also spends work: the locals case may stop on either.
    assert result["limit"] == limit or (case == "locals" and result["limit"] == "max_work")
    assert isinstance(result["seconds"], float)
    assert result["seconds"] < 3.0
    assert isinstance(result["peak_mib"], float)
    assert result["peak_mib"] < max_peak_mib


# -- single values that expand when written -------------------------------------------------


def test_writing_a_list_of_long_strings_is_refused() -> None:
    # 1,024 references to a 1 MiB string: 1 GiB of text if joined.
    source = doubling(16) + "@set l = [s] @endset\n" + "@set l = l + l @endset\n" * 10 + "{{ l }}"
    start = time.perf_counter()
    with pytest.raises(TemplateError, match="text of a list too long"):
        TemplateEngine().render_string(source)
    assert time.perf_counter() - start < 5


def test_json_of_a_shared_structure_is_refused() -> None:
    # Each level holds the one below twice: 2**40 leaves if written out.
    source = "@set l = ['xxxxxxxx'] @endset\n" + "@set l = [l, l] @endset\n" * 40 + "{{ json(l) }}"
    start = time.perf_counter()
    with pytest.raises(TemplateError, match="json\\(\\) value too large"):
        TemplateEngine().render_string(source)
    assert time.perf_counter() - start < 5


def test_small_lists_and_json_still_render() -> None:
    engine = TemplateEngine()
    assert engine.render_string("{{ [1, [2, 'a'], null] }}") == "1,2,a,"
    assert engine.render_string("{{ json({a: [1, 'x']}) }}") == '{"a": [1, "x"]}'

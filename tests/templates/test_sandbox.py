"""The sandbox: hostile expressions are refused at compile time or render harmlessly.

Each case says which: ``"compile"`` (a ``TemplateSyntaxError`` before anything runs),
``"render"`` (renders, and the output shows no Python internals), or ``"refuse"`` (a
``TemplateError`` at render time, before any harm: an unknown plugin, a value past a size
limit). None may reach Python internals, and every one finishes within a time bound.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

import pytest

from harpia_templates import TemplateEngine, TemplateError, TemplateSyntaxError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.templates.conftest import Site

TIME_BOUND = 2.0  # seconds, per hostile template


class Account:
    """A data object with a public attribute, a method, a class attribute and a secret."""

    kind = "account"

    def __init__(self) -> None:
        self.name = "ana"
        self._secret = "s3cret"

    def delete(self) -> str:  # pragma: no cover - templates cannot call it
        raise AssertionError("a template called a method")


def _function() -> None:  # pragma: no cover - templates cannot call it
    raise AssertionError("a template called a function")


def _generator() -> Iterator[int]:
    yield 1


def _data() -> dict[str, Any]:
    circular: list[Any] = []
    circular.append(circular)
    return {
        "x": Account(),
        "fn": _function,
        "gen": _generator(),
        "mod": os,
        "cls": Account,
        "d": {"a": 1},
        "s": "text",
        "xs": [1, 2],
        "circular": circular,
    }


DEEP = 5000
HOSTILE: list[tuple[str, str]] = [
    # Python internals through attributes: refused by the parser.
    ("{{ x.__class__ }}", "compile"),
    ("{{ x.__init__.__globals__ }}", "compile"),
    ("{{ [].__class__ }}", "compile"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "compile"),
    ("{{ __builtins__ }}", "compile"),
    ("{{ __import__('os').system('echo pwned') }}", "compile"),
    ("{{ x._secret }}", "compile"),
    ("{{ fn.__code__.co_consts }}", "compile"),
    ("{{ _c.loader }}", "compile"),
    ("{{ _d }}", "compile"),
    # Calling anything but a plugin: refused by the parser.
    ("{{ x.delete() }}", "compile"),
    ("{{ '{0.__class__}'.format(x) }}", "compile"),
    ("{{ s.join(xs) }}", "compile"),
    ("{{ xs[0](1) }}", "compile"),
    ("{{ lambda: 1 }}", "compile"),
    ("{{ [c for c in xs] }}", "compile"),
    ("{{ 2 ** 100000 }}", "compile"),
    # Python's own names are not plugins: refused when called.
    ("{{ eval('1 + 1') }}", "refuse"),
    ("{{ open('/etc/passwd') }}", "refuse"),
    ("{{ getattr(x, '__class__') }}", "refuse"),
    ("{{ fn() }}", "refuse"),
    # Internals reached through data: harmless (empty).
    ("{{ x['__class__'] }}{{ x['_secret'] }}{{ x['__dict__'] }}", "render"),
    ("{{ x.delete }}{{ x.delete.im_func }}", "render"),
    ("{{ fn.func_globals }}{{ fn['__globals__'] }}", "render"),
    ("{{ gen.gi_frame.f_globals }}{{ gen.gi_code }}", "render"),
    ("{{ mod.environ }}{{ mod.system }}{{ mod.path.sep }}", "render"),
    ("{{ cls.kind }}{{ cls.mro }}{{ x.kind.maketrans }}", "render"),
    ("{{ s.format }}{{ s.format_map }}{{ d.items }}{{ d.keys }}", "render"),
    ("@for k in mod\n{{ k }}\n@endfor", "refuse"),
    ("@for [k, v] in x\n{{ v }}\n@endfor", "refuse"),
    # Format-string tricks: strings are data, never format strings.
    ("{{ '%s%s' % xs }}", "refuse"),
    ("{{ '{0.__class__}' + x }}", "render"),
    ("{{ \"')\\nimport os\\n('\" }}{{ d['a\\'); import os; (\\'b'] }}", "render"),
    # Huge values: no repetition, no range, bounded sizes and loops.
    ("{{ 'a' * 1000000000 }}", "refuse"),
    (
        "@set s = 'xxxxxxxxxx' @endset\n@for i in [" + ",".join("1" * 30) + "]\n"
        "@set s = s + s @endset\n@endfor\n{{ s.length }}",
        "refuse",
    ),
    (
        "@set l = [1, 2, 3, 4] @endset\n@for i in [" + ",".join("1" * 30) + "]\n"
        "@set l = l + l @endset\n@endfor",
        "refuse",
    ),
    (
        "@set n = 99999999999 @endset\n@for i in [" + ",".join("1" * 20) + "]\n"
        "@set n = n * n @endset\n@endfor",
        "refuse",
    ),
    ("{{ 1" + "0" * 5000 + " }}", "compile"),
    ("{{ 1e308 * 1e308 }}", "render"),
    ("@for a in [1,2,3,4,5,6,7,8,9,10]\n" * 8 + "x\n" + "@endfor\n" * 8, "refuse"),
    ("{{ json(circular) }}", "refuse"),
    # Deep nesting: refused before Python's parser or recursion limit is reached.
    ("{{ " + "(" * DEEP + "1" + ")" * DEEP + " }}", "compile"),
    ("{{ " + "[" * DEEP + "]" * DEEP + " }}", "compile"),
    ("{{ " + "{a: " * DEEP + "1" + "}" * DEEP + " }}", "compile"),
    ("{{ " + "!" * DEEP + "x }}", "compile"),
    ("{{ " + "not " * DEEP + "x }}", "compile"),
    ("{{ " + "-" * DEEP + "1 }}", "compile"),
    ("{{ " + "x ? " * DEEP + "1" + " : 2" * DEEP + " }}", "compile"),
    ("{{ " + " + ".join(["1"] * DEEP) + " }}", "compile"),
    ("{{ x" + ".a" * DEEP + " }}", "compile"),
    ("{{ " + "f(" * DEEP + ")" * DEEP + " }}", "compile"),
    ("@if x\n" * DEEP + "@endif\n" * DEEP, "compile"),
    ("@for i in xs\n" * 40 + "@endfor\n" * 40, "compile"),
    # Reading files outside the template folders.
    ("@import('../../../../../etc/passwd')", "compile"),
    ("@component('/etc/passwd')", "compile"),
    ("@layout('../../../../../etc/hosts')", "compile"),
]

INTERNALS = ("class", "function", "module", "method", "built-in", "0x", "object at", "s3cret")


def test_there_are_at_least_25_hostile_cases() -> None:
    assert len(HOSTILE) >= 25


@pytest.mark.parametrize(("source", "outcome"), HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_hostile_template(site: Site, source: str, outcome: str, strict: bool) -> None:
    engine = site.engine(strict=strict, max_iterations=100_000)
    start = time.perf_counter()
    html: str | None = None
    error: TemplateError | None = None
    try:
        html = engine.render_string(source, _data())
    except TemplateError as exc:
        error = exc
    if isinstance(error, TemplateSyntaxError):
        assert outcome == "compile", f"refused at compile time, unexpectedly: {error}"
    elif error is not None:
        # Strict mode refuses what lenient mode renders empty: that is harmless too.
        assert outcome == "refuse" or (strict and outcome == "render"), error
        assert not isinstance(error.__cause__, AssertionError)
    else:
        assert outcome == "render", f"rendered {html!r:.80}"
    elapsed = time.perf_counter() - start
    assert elapsed < TIME_BOUND, f"took {elapsed:.2f} s"
    if html is not None:
        shown = html.replace("{0.__class__}", "").lower()  # the case's own literal
        for word in INTERNALS:
            assert word not in shown, html[:200]


def test_generated_code_has_no_builtins() -> None:
    engine = TemplateEngine()
    template = engine._loader.from_string("{{ a }}")
    assert template.function.__globals__["__builtins__"] == {}
    names = set(template.function.__code__.co_names)
    assert not names & {"eval", "exec", "open", "getattr", "__import__", "type", "dict"}


def test_template_names_cannot_shadow_generated_names() -> None:
    engine = TemplateEngine()
    source = "@set w = 'x' @endset@set o = 1 @endset{{ w }}{{ o }}{{ c }}{{ root }}"
    assert engine.render_string(source, {"c": "C"}) == "x1C"


def test_views_cannot_climb_out_of_the_views_folder(site: Site) -> None:
    site.write("secret.html", "secret")
    engine = site.engine(view_name=None)
    for view in ["../secret", "a/../../secret", "/etc/passwd", "", "a\0b"]:
        with pytest.raises(ValueError, match="view name"):
            engine.render(view)
    with pytest.raises(TypeError, match="view name must be a str"):
        engine.render(42)  # type: ignore[arg-type]

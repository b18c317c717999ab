"""The expression language: literals, operators, precedence, lookups, undefined values."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest

from harpia_templates import Markup, TemplateEngine, TemplateError

if TYPE_CHECKING:
    from collections.abc import Callable


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('"double"', "double"),
        ("'single'", "single"),
        (r"'it\'s \"q\" \\ \x41\u00e9'", "it&#39;s &#34;q&#34; \\ Aé"),
        ("42", "42"),
        ("3.5", "3.5"),
        ("1e3", "1000"),
        ("-7", "-7"),
        ("true", "true"),
        ("false", "false"),
        ("null", ""),
        ("undefined", ""),
        ("[1, 'a', true]", "1,a,true"),
        ("[]", ""),
        ("{ a: 1 }['a']", "1"),
        ("{ 'b-c': 2, d: 3, }['b-c']", "2"),
        ("[1, 2,][1]", "2"),
    ],
)
def test_literals(render: Callable[..., str], expr: str, expected: str) -> None:
    assert render("{{ " + expr + " }}") == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("10 / 4", "2.5"),
        ("10 / 2", "5"),
        ("10 % 3", "1"),
        ("2 - 3 - 4", "-5"),
        ("-n + 1", "-4"),
        ("+n", "5"),
        ("'a' + 1 + 2", "a12"),
        ("1 + 2 + 'a'", "3a"),
        ("'n=' + n", "n=5"),
        ("'x' + null", "x"),
        ("[1] + [2]", "1,2"),
        ("0.1 + 0.2", "0.30000000000000004"),
        ("n > 3 && n < 10", "true"),
        ("n > 3 and n > 10", "false"),
        ("missing || 'default'", "default"),
        ("n or 0", "5"),
        ("0 && x", "0"),
        ("!n", "false"),
        ("!!n", "true"),
        ("not n", "false"),
        ("not n == 5", "false"),
        ("!n == false", "true"),
        ("n == 5 ? 'five' : 'other'", "five"),
        ("n > 9 ? 'big' : n > 4 ? 'mid' : 'small'", "mid"),
        ("1 == 1.0", "true"),
        ("1 === 1.0", "true"),
        ("1 == true", "true"),
        ("1 === true", "false"),
        ("'1' === 1", "false"),
        ("'a' !== 'a'", "false"),
        ("n != 4", "true"),
        ("'a' < 'b'", "true"),
        ("n >= 5 && n <= 5", "true"),
        ("(n > 1) == true", "true"),
    ],
)
def test_operators(render: Callable[..., str], expr: str, expected: str) -> None:
    assert render("{{ " + expr + " }}", {"n": 5}) == expected


def test_javascript_number_rendering(render: Callable[..., str]) -> None:
    data = {"f": 2.0, "big": 1e21, "inf": float("inf"), "nan": float("nan"), "i": 10**20}
    assert render("{{ f }} {{ big }} {{ inf }} {{ -inf }} {{ nan }} {{ i }}", data) == (
        "2 1e+21 Infinity -Infinity NaN 100000000000000000000"
    )


# -- lookups -----------------------------------------------------------------------------


@dataclasses.dataclass
class Book:
    title: str
    author: dict[str, str]
    tags: list[str]

    @property
    def shout(self) -> str:
        return self.title.upper()

    def method(self) -> str:  # pragma: no cover - templates cannot call it
        return "called"


BOOK = Book("Dune", {"name": "Frank"}, ["sf", "classic"])


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("book.title", "Dune"),
        ("book.shout", "DUNE"),
        ("book.author.name", "Frank"),
        ("book['author']['name']", "Frank"),
        ("book.tags[0]", "sf"),
        ("book.tags[-1]", "classic"),
        ("book.tags[1.0]", "classic"),
        ("book.tags[9]", ""),
        ("book.tags.length", "2"),
        ("book.title.length", "4"),
        ("book[key]", "Dune"),
        ("d.items", "key, not method"),
        ("d['items']", "key, not method"),
        ("d.missing", ""),
        ("d[1]", "one"),
        ("d[[1]]", ""),
        ("book.method", ""),
        ("book.nope.deeper", ""),
        ("nothing.at.all", ""),
        ("book.tags.first", ""),
        ("7 .length", ""),
    ],
)
def test_lookups(render: Callable[..., str], expr: str, expected: str) -> None:
    data = {"book": BOOK, "key": "title", "d": {"items": "key, not method", 1: "one"}}
    assert render("{{ " + expr + " }}", data) == expected


def test_missing_values_render_empty(render: Callable[..., str]) -> None:
    assert render("[{{ nope }}][{{ nope.a.b }}][{{ nope[0] }}]") == "[][][]"


def test_mapping_that_is_not_a_dict() -> None:
    from types import MappingProxyType

    engine = TemplateEngine()
    data: dict[str, Any] = {"m": MappingProxyType({"a": 1})}
    assert engine.render_string("{{ m.a }}{{ m['a'] }}{{ m.b }}", data) == "11"
    assert engine.render_string("{{ x }}", MappingProxyType({"x": 2})) == "2"


# -- strict mode -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ nope }}", "'nope' is undefined"),
        ("{{ user.nope }}", "undefined attribute 'nope' of a dict"),
        ("{{ user['nope'] }}", "undefined item 'nope' of a dict"),
        ("{{ user.name.nope }}", "undefined attribute 'nope' of a str"),
        ("{{ none.x }}", "undefined attribute 'x' of null"),
        ("{{ list[5] }}", "undefined item '5' of a list"),
        ("@for x in nope\n@endfor", "'nope' is undefined"),
    ],
)
def test_strict_mode_raises_on_undefined(source: str, message: str) -> None:
    engine = TemplateEngine(strict=True)
    data = {"user": {"name": "Ana"}, "none": None, "list": [1]}
    with pytest.raises(TemplateError, match=message) as info:
        engine.render_string(source, data)
    assert info.value.line == 1


def test_strict_mode_renders_what_exists(render: Callable[..., str]) -> None:
    source = "{{ user.name }} {{ none }} @set x = 1 @endset{{ x }}@if false\n{{ nope }}\n@endif"
    assert render(source, {"user": {"name": "Ana"}, "none": None}, strict=True) == "Ana  1"


def test_strict_loop_variables_and_sets_are_defined(render: Callable[..., str]) -> None:
    source = "@for [k, v] in obj\n@set last = k @endset\n{{ v }}\n@endfor\n{{ last }}"
    assert render(source, {"obj": {"a": 1}}, strict=True) == "1\na"


# -- plugins -----------------------------------------------------------------------------


def test_plugins_receive_values_and_their_output_is_escaped() -> None:
    engine = TemplateEngine()
    seen: list[Any] = []

    def spy(*args: Any) -> str:
        seen.append(args)
        return "<x>"

    engine.register_plugin("spy", spy)
    assert engine.render_string("{{ spy(1, 'a', [1], {k: true}, u.name) }}", {"u": {"name": "n"}})
    assert seen == [(1, "a", [1], {"k": True}, "n")]
    assert engine.render_string("{{ spy() }}") == "&lt;x&gt;"


def test_plugins_return_markup_to_skip_escaping() -> None:
    engine = TemplateEngine()
    engine.register_plugin("bold", lambda s: Markup(f"<b>{s}</b>"))
    assert engine.render_string("{{ bold('x') }}") == "<b>x</b>"


def test_objects_with_dunder_html_are_not_escaped(render: Callable[..., str]) -> None:
    class Html:
        def __html__(self) -> str:
            return "<i>ok</i>"

    assert render("{{ h }}", {"h": Html()}) == "<i>ok</i>"


def test_plugins_as_values_in_other_positions() -> None:
    engine = TemplateEngine()
    engine.register_plugin("double", lambda n: n * 2)
    source = (
        "@set x = double(2) @endset"
        "@if double(x) > 5\nbig\n@endif\n"
        "@for n in [double(1)]\n{{ n }}\n@endfor"
    )
    assert engine.render_string(source) == "big\n2\n"


def test_json_plugin(render: Callable[..., str]) -> None:
    assert render("{{ json(v) }}", {"v": {"a": [1, None, True], "s": "é"}}) == (
        '{"a": [1, null, true], "s": "\\u00e9"}'
    )

"""Autoescaping of ``& < > " '`` in every position a value can reach the output."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from harpia_templates import TemplateEngine

if TYPE_CHECKING:
    from tests.templates.conftest import Site

PAYLOAD = 'Tom & "Jerry" <b>\'s</b>'
ESCAPED = "Tom &amp; &#34;Jerry&#34; &lt;b&gt;&#39;s&lt;/b&gt;"


class Shown:
    def __str__(self) -> str:
        return PAYLOAD


# name → (files, data); the view is views/v.html. Each renders PAYLOAD once.
POSITIONS: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "text": ({"views/v.html": "<p>{{ v }}</p>"}, {"v": PAYLOAD}),
    "double-quoted attribute": ({"views/v.html": '<a title="{{ v }}">'}, {"v": PAYLOAD}),
    "single-quoted attribute": ({"views/v.html": "<a title='{{ v }}'>"}, {"v": PAYLOAD}),
    "unquoted attribute": ({"views/v.html": "<a title={{ v }}>"}, {"v": PAYLOAD}),
    "attribute of an object": ({"views/v.html": "{{ o.a.b }}"}, {"o": {"a": {"b": PAYLOAD}}}),
    "list item": ({"views/v.html": "{{ xs[0] }}"}, {"xs": [PAYLOAD]}),
    "dynamic key": ({"views/v.html": "{{ d[k] }}"}, {"d": {"x": PAYLOAD}, "k": "x"}),
    "array loop": ({"views/v.html": "@for x in xs\n{{ x }}\n@endfor"}, {"xs": [PAYLOAD]}),
    "object loop key": (
        {"views/v.html": "@for [k, v] in o\n{{ k }}\n@endfor"},
        {"o": {PAYLOAD: 1}},
    ),
    "object loop value": (
        {"views/v.html": "@for [k, v] in o\n{{ v }}\n@endfor"},
        {"o": {"k": PAYLOAD}},
    ),
    "@set local": ({"views/v.html": "@set s = v @endset{{ s }}"}, {"v": PAYLOAD}),
    "@set literal": ({"views/v.html": "@set s = " + json.dumps(PAYLOAD) + " @endset{{ s }}"}, {}),
    "string literal": ({"views/v.html": "{{ " + json.dumps(PAYLOAD) + " }}"}, {}),
    "@if branch": ({"views/v.html": "@if v\n{{ v }}\n@endif"}, {"v": PAYLOAD}),
    "ternary": ({"views/v.html": "{{ v ? v : 'no' }}"}, {"v": PAYLOAD}),
    "logical or": ({"views/v.html": "{{ no || v }}"}, {"v": PAYLOAD, "no": ""}),
    "concatenation": ({"views/v.html": "{{ 'Tom & ' + v }}"}, {"v": PAYLOAD[6:]}),
    "raw concatenated with text": ({"views/v.html": "{{ raw('') + v }}"}, {"v": PAYLOAD}),
    "plugin result": ({"views/v.html": "{{ echo(v) }}"}, {"v": PAYLOAD}),
    "object's str()": ({"views/v.html": "{{ v }}"}, {"v": Shown()}),
    "list rendering": ({"views/v.html": "{{ xs }}"}, {"xs": [PAYLOAD]}),
    "layout param": (
        {
            "layouts/l.html": "<title>{{ title }}</title>",
            "views/v.html": "@layout('l', { title: v })",
        },
        {"v": PAYLOAD},
    ),
    "render data in a layout": (
        {"layouts/l.html": "<title>{{ v }}</title>", "views/v.html": "@layout('l')"},
        {"v": PAYLOAD},
    ),
    "block content": (
        {
            "layouts/l.html": "<main>@yield('c')</main>",
            "views/v.html": "@layout('l')\n@block('c'){{ v }}@endblock",
        },
        {"v": PAYLOAD},
    ),
    "component prop": (
        {"components/c.html": "<i>{{ p }}</i>", "views/v.html": "@component('c', { p: v })"},
        {"v": PAYLOAD},
    ),
    "import prop": (
        {"views/i.html": '<i title="{{ p }}"></i>', "views/v.html": "@import('i', { p: v })"},
        {"v": PAYLOAD},
    ),
    "component prop passed on to another": (
        {
            "components/outer.html": "@component('inner', { q: p })",
            "components/inner.html": "{{ q }}",
            "views/v.html": "@component('outer', { p: v })",
        },
        {"v": PAYLOAD},
    ),
}


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("position", list(POSITIONS))
def test_every_output_position_escapes_the_five_characters(
    site: Site, position: str, strict: bool
) -> None:
    files, data = POSITIONS[position]
    for path, text in files.items():
        site.write(path, text)
    engine = site.engine(view_name=None, strict=strict)
    engine.register_plugin("echo", lambda value: value)
    html = engine.render("v", data)
    assert ESCAPED in html
    for fragment in ("Tom & ", '"Jerry"', "<b>", "'s", "</b>"):
        assert fragment not in html


def test_each_character_alone() -> None:
    engine = TemplateEngine()
    expected = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"}
    for char, entity in expected.items():
        assert engine.render_string("{{ c }}", {"c": char}) == entity
        assert engine.render_string("{{ c }}", {"c": f"a{char}b{char}"}) == f"a{entity}b{entity}"
    assert engine.render_string("{{ c }}", {"c": "&amp;"}) == "&amp;amp;"


def test_raw_opts_out_everywhere(site: Site) -> None:
    site.write("components/c.html", "{{ p }}|{{ raw(q) }}")
    site.write("views/v.html", "{{ raw(v) }}|@component('c', { p: raw(v), q: v })")
    html = site.engine(view_name=None).render("v", {"v": PAYLOAD})
    assert html == f"{PAYLOAD}|{PAYLOAD}|{PAYLOAD}"


@pytest.mark.parametrize(
    "value",
    [
        "</script><script>alert(1)</script>",
        "<!-- x --> & 'quote'",
        {"k</script>": ["\u2028", "\u2029", "&", "<>"]},
    ],
)
def test_json_is_safe_inside_script_and_single_quoted_attributes(value: Any) -> None:
    engine = TemplateEngine()
    html = engine.render_string("<script>var x = {{ json(v) }};</script>", {"v": value})
    body = html[len("<script>var x = ") : -len(";</script>")]
    for char in "<>&'\u2028\u2029":
        assert char not in body
    assert json.loads(body) == value
    attribute = engine.render_string("<div data-x='{{ json(v) }}'>", {"v": value})
    assert attribute.count("'") == 2

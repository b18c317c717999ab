"""Every construct of the syntax table, alone and nested, and the whitespace rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from harpia_templates import TemplateEngine

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.templates.conftest import Site

# -- output and plugins -----------------------------------------------------------------


def test_output_of_a_name(render: Callable[..., str]) -> None:
    assert render("<h1>{{ title }}</h1>", {"title": "Books"}) == "<h1>Books</h1>"


def test_output_without_spaces_and_across_lines(render: Callable[..., str]) -> None:
    assert render("{{title}}|{{\n  title\n}}", {"title": "x"}) == "x|x"


def test_plugin_call_with_arguments() -> None:
    engine = TemplateEngine()
    engine.register_plugin("uppercase", lambda s: s.upper())
    engine.register_plugin("sum", lambda a, b: a + b)
    html = engine.render_string(
        "<p>{{ uppercase(user.name) }}</p><p>{{ sum(10, 20) }}</p>", {"user": {"name": "ana"}}
    )
    assert html == "<p>ANA</p><p>30</p>"


def test_plugins_nest_and_take_any_expression() -> None:
    engine = TemplateEngine()
    engine.register_plugin("wrap", lambda s, left="[", right="]": f"{left}{s}{right}")
    engine.register_plugin("count", len)
    html = engine.render_string("{{ wrap(wrap(x), '<', '>') }} {{ count([1, 2, 3]) }}", {"x": 1})
    assert html == "&lt;[1]&gt; 3"


def test_a_plugin_registered_later_is_seen_by_a_compiled_template() -> None:
    engine = TemplateEngine()
    engine.register_plugin("f", lambda: "one")
    assert engine.render_string("{{ f() }}") == "one"
    engine.register_plugin("f", lambda: "two")
    assert engine.render_string("{{ f() }}") == "two"


# -- @set ------------------------------------------------------------------------------


def test_set_declares_a_local(render: Callable[..., str]) -> None:
    assert render('@set name = "Lucas" @endset\n<p>{{ name }}</p>') == "<p>Lucas</p>"


def test_set_spans_lines_and_overrides_data_from_there_on(render: Callable[..., str]) -> None:
    source = "{{ x }}\n@set x = {\n  a: 1,\n  b: [2, 3]\n} @endset\n{{ x.b[1] }}"
    assert render(source, {"x": "data"}) == "data\n3"


def test_set_inline_in_text(render: Callable[..., str]) -> None:
    assert render("a @set n = 2 @endset b {{ n }}") == "a  b 2"


def test_set_inside_a_loop_accumulates(render: Callable[..., str]) -> None:
    source = (
        "@set total = 0 @endset\n"
        "@for item in items\n"
        "@set total = total + item @endset\n"
        "@endfor\n"
        "{{ total }}"
    )
    assert render(source, {"items": [1, 2, 3]}) == "6"


# -- @if ------------------------------------------------------------------------------------

IF_SOURCE = """\
@if role == "admin"
  <p>Admin</p>
@elseif role == "editor"
  <p>Editor</p>
@elseif role
  <p>{{ role }}</p>
@else
  <p>Guest</p>
@endif
"""


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", "  <p>Admin</p>\n"),
        ("editor", "  <p>Editor</p>\n"),
        ("viewer", "  <p>viewer</p>\n"),
        ("", "  <p>Guest</p>\n"),
        (None, "  <p>Guest</p>\n"),
    ],
)
def test_if_elseif_else(render: Callable[..., str], role: str | None, expected: str) -> None:
    assert render(IF_SOURCE, {"role": role}) == expected


def test_if_without_else_renders_nothing_when_false(render: Callable[..., str]) -> None:
    assert render("a\n@if no\nb\n@endif\nc", {}) == "a\nc"


def test_truthiness_is_pythons(render: Callable[..., str]) -> None:
    source = "@if v\nyes\n@else\nno\n@endif\n"
    for value, expected in [([], "no"), ({}, "no"), (0, "no"), ("0", "yes"), ([0], "yes")]:
        assert render(source, {"v": value}) == expected + "\n"


def test_if_inline_in_a_line(render: Callable[..., str]) -> None:
    # The condition runs to the end of the line; the rest of the construct may be inline.
    assert render('<b class="\n@if on\nactive @else idle @endif">', {"on": True}) == (
        '<b class="\nactive ">'
    )


# -- @for ------------------------------------------------------------------------------------


def test_array_loop(render: Callable[..., str]) -> None:
    source = "<ul>\n  @for item in items\n  <li>{{ item }}</li>\n  @endfor\n</ul>"
    assert render(source, {"items": ["a", "b"]}) == "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>"


def test_object_loop(render: Callable[..., str]) -> None:
    source = "@for [k, v] in obj\n{{ k }}: {{ v }};\n@endfor"
    assert render(source, {"obj": {"a": 1, "b": 2}}) == "a: 1;\nb: 2;\n"


def test_key_value_loop_over_an_array_gives_indexes(render: Callable[..., str]) -> None:
    assert render("@for [i, x] in xs\n{{ i }}={{ x }} \n@endfor", {"xs": ["a", "b"]}) == (
        "0=a \n1=b \n"
    )


def test_loop_over_a_mapping_gives_its_keys_and_over_nothing_nothing(
    render: Callable[..., str],
) -> None:
    assert render("@for k in obj\n{{ k }}\n@endfor", {"obj": {"x": 1, "y": 2}}) == "x\ny\n"
    assert render("@for k in missing\n{{ k }}\n@endfor", {}) == ""
    assert render("@for k in 'ab'\n{{ k }}\n@endfor", {}) == "a\nb\n"


def test_loop_variables_are_scoped_to_their_loop(render: Callable[..., str]) -> None:
    source = "@for item in items\n{{ item }}\n@endfor\n{{ item }}"
    assert render(source, {"items": [1, 2], "item": "outer"}) == "1\n2\nouter"


def test_nested_loops_see_outer_variables(render: Callable[..., str]) -> None:
    source = "@for row in rows\n@for cell in row.cells\n{{ row.name }}{{ cell }} \n@endfor\n@endfor"
    data = {"rows": [{"name": "a", "cells": [1, 2]}, {"name": "b", "cells": [3]}]}
    assert render(source, data) == "a1 \na2 \nb3 \n"


def test_loop_over_a_literal_array(render: Callable[..., str]) -> None:
    assert render("@for n in [1, 2, 3]\n{{ n * 2 }}\n@endfor") == "2\n4\n6\n"


# -- comments and escapes of the syntax itself ---------------------------------------------


def test_comment_lines_disappear(render: Callable[..., str]) -> None:
    source = "## a comment\n<p>\n   ## indented comment {{ not.parsed( }}\n</p>\n## last"
    assert render(source) == "<p>\n</p>\n"


def test_hashes_inside_a_line_are_text(render: Callable[..., str]) -> None:
    assert render('<a href="##">x ## y</a>') == '<a href="##">x ## y</a>'


def test_at_signs_that_are_not_directives_are_text(render: Callable[..., str]) -> None:
    source = (
        "me@if.com @media @iffy @importance\n"
        "<style>@import url(x.css); @import 'y.css';</style>\n"
        "@@if @@endfor @{{ raw }}"
    )
    assert render(source) == (
        "me@if.com @media @iffy @importance\n"
        "<style>@import url(x.css); @import 'y.css';</style>\n"
        "@if @endfor {{ raw }}"
    )


def test_directive_lines_leave_no_blank_lines(render: Callable[..., str]) -> None:
    source = (
        "<ul>\n    @for x in xs\n    @if x\n    <li>{{ x }}</li>\n    @endif\n    @endfor\n</ul>\n"
    )
    assert render(source, {"xs": [1, 0, 2]}) == "<ul>\n    <li>1</li>\n    <li>2</li>\n</ul>\n"


def test_crlf_line_endings() -> None:
    engine = TemplateEngine()
    source = "a\r\n@if x\r\nb\r\n@endif\r\nc"
    assert engine.render_string(source, {"x": 1}) == "a\r\nb\r\nc"


# -- raw ------------------------------------------------------------------------------------


def test_raw_skips_escaping(render: Callable[..., str]) -> None:
    html = render("<p>{{ raw(\"<script>alert('xss')</script>\") }}</p>")
    assert html == "<p><script>alert('xss')</script></p>"
    assert render("{{ raw(html) }}", {"html": "<b>&</b>"}) == "<b>&</b>"


def test_raw_value_stays_safe_through_a_variable_and_props(site: Site) -> None:
    site.write("components/box.html", "<div>{{ body }}</div>")
    engine = site.engine()
    html = engine.render_string(
        '@set b = raw("<i>x</i>") @endset{{ b }}@component("box", { body: b })'
    )
    assert html == "<i>x</i><div><i>x</i></div>"


# -- layouts, blocks, yields --------------------------------------------------------------------


def test_layout_with_params_and_blocks(site: Site) -> None:
    site.write(
        "layouts/default.html",
        "<html>\n<head><title>{{ title }}</title></head>\n<body>\n"
        '@yield("content")\n</body>\n</html>\n',
    )
    site.write(
        "views/home/page.html",
        '@layout("default", { title: "Homepage" })\n'
        '@block("content")\n<h1>Welcome, {{ user.name }}!</h1>\n@endblock\n',
    )
    html = site.engine().render("home", {"user": {"name": "Ana"}})
    assert html == (
        "<html>\n<head><title>Homepage</title></head>\n<body>\n"
        "<h1>Welcome, Ana!</h1>\n</body>\n</html>\n"
    )


def test_layout_sees_render_data_and_params_override_it(site: Site) -> None:
    site.write("layouts/base.html", "{{ title }}/{{ site }}|@yield('main')")
    site.write("views/a.html", "@layout('base', {title: 'From view'})@block('main')m@endblock")
    html = site.engine(view_name=None).render("a", {"title": "data", "site": "S"})
    assert html == "From view/S|m"


def test_unfilled_block_renders_empty(site: Site) -> None:
    site.write("layouts/base.html", '[@yield("sidebar")][@yield("content")]')
    site.write("views/a.html", '@layout("base")\n@block("content")c@endblock\n')
    assert site.engine(view_name=None).render("a") == "[][c]"


def test_text_outside_blocks_is_ignored_but_top_level_set_runs(site: Site) -> None:
    site.write("layouts/base.html", '@yield("content")')
    site.write(
        "views/a.html",
        "ignored\n@set who = 'Ana' @endset\n"
        '@layout("base")\n@block("content")hi {{ who }}@endblock\nalso ignored {{ x }}\n',
    )
    assert site.engine(view_name=None).render("a") == "hi Ana"


def test_layout_params_are_evaluated_after_the_blocks(site: Site) -> None:
    site.write("layouts/base.html", '<title>{{ title }}</title>@yield("content")')
    site.write(
        "views/a.html",
        '@layout("base", { title: heading + " | Site" })\n'
        '@block("content")@set heading = "Books" @endset<h1>{{ heading }}</h1>@endblock\n',
    )
    assert site.engine(view_name=None).render("a") == ("<title>Books | Site</title><h1>Books</h1>")


def test_nested_layouts_pass_blocks_through(site: Site) -> None:
    site.write("layouts/base.html", '<title>@yield("title")</title><body>@yield("content")</body>')
    site.write(
        "layouts/admin.html",
        '@layout("base")\n@block("content")<nav>admin</nav>@yield("content")@endblock\n',
    )
    site.write(
        "views/a.html",
        '@layout("admin")\n@block("title")Users@endblock\n@block("content")<table>@endblock\n',
    )
    assert site.engine(view_name=None).render("a") == (
        "<title>Users</title><body><nav>admin</nav><table></body>"
    )


def test_layout_uses_components(site: Site) -> None:
    site.write("components/nav.html", "<nav>{{ user }}</nav>")
    site.write("layouts/base.html", '@component("nav", { user: who })\n@yield("content")')
    site.write("views/a.html", '@layout("base", { who: "Ana" })\n@block("content")c@endblock')
    assert site.engine(view_name=None).render("a") == "<nav>Ana</nav>c"


def test_blocks_see_loop_and_data(site: Site) -> None:
    site.write("layouts/base.html", '<ul>@yield("items")</ul>')
    site.write(
        "views/a.html",
        '@layout("base")\n@block("items")\n@for i in items\n<li>{{ i }}</li>\n@endfor\n@endblock',
    )
    assert site.engine(view_name=None).render("a", {"items": [1, 2]}) == (
        "<ul><li>1</li>\n<li>2</li>\n</ul>"
    )


# -- @import and @component ---------------------------------------------------------------------


def test_import_is_relative_to_the_current_view(site: Site) -> None:
    site.write("views/books/page.html", '<form>@import("button", { text: "Save" })</form>')
    site.write("views/books/button.html", "<button>{{ text }}</button>")
    site.write("views/books/parts/row.html", "<tr>{{ n }}</tr>")
    site.write("views/common.html", "common:{{ n }}")
    site.write(
        "views/books/list/page.html",
        '@import("../parts/row", {n: 1})@import("../../common", {n: 2})',
    )
    engine = site.engine()
    assert engine.render("books") == "<form><button>Save</button></form>"
    assert engine.render("books/list") == "<tr>1</tr>common:2"


def test_component_comes_from_the_components_folder(site: Site) -> None:
    site.write("components/header.html", "<header>Hi {{ user.name }}</header>")
    site.write("components/forms/input.html", '<input name="{{ name }}">')
    site.write(
        "views/home/page.html",
        '@component("header", { user: currentUser })\n@component("forms/input", { name: "q" })\n',
    )
    html = site.engine().render("home", {"currentUser": {"name": "Ana"}})
    assert html == '<header>Hi Ana</header><input name="q">'


def test_component_sees_only_its_props(site: Site) -> None:
    site.write("components/c.html", "[{{ secret }}|{{ shown }}]")
    site.write("views/a.html", '@component("c", { shown: "yes" })@component("c")')
    html = site.engine(view_name=None).render("a", {"secret": "no"})
    assert html == "[|yes][|]"


def test_props_may_be_any_object_expression(site: Site) -> None:
    site.write("components/c.html", "{{ a }}{{ b }}")
    site.write("views/a.html", "@for p in list\n@component('c', p)\n@endfor\n@component('c', {a})")
    engine = site.engine(view_name=None)
    assert engine.render("a", {"list": [{"a": 1, "b": 2}, {"b": 3}], "a": "z"}) == "123z"


def test_component_per_item_with_conditionals(site: Site) -> None:
    site.write(
        "components/book.html",
        "<li>{{ book.title }}@if book.sold_out\n <em>sold out</em>\n@endif\n</li>\n",
    )
    site.write(
        "views/a.html",
        "<ul>\n@for book in books\n@component('book', { book })\n@endfor\n</ul>",
    )
    books = [{"title": "A", "sold_out": False}, {"title": "B", "sold_out": True}]
    html = site.engine(view_name=None).render("a", {"books": books})
    assert html == "<ul>\n<li>A</li>\n<li>B <em>sold out</em>\n</li>\n</ul>"


def test_components_nest_and_import_relative_to_themselves(site: Site) -> None:
    site.write("components/card.html", '<div>@import("card-title", { t: title })</div>')
    site.write("components/card-title.html", "<h2>{{ t }}</h2>")
    site.write("views/a.html", '@component("card", { title: "T" })')
    assert site.engine(view_name=None).render("a") == "<div><h2>T</h2></div>"


def test_without_components_or_layouts_paths_names_are_relative(site: Site) -> None:
    site.write("views/a.html", '@layout("base")\n@block("b")@component("c")@endblock')
    site.write("views/base.html", '<main>@yield("b")</main>')
    site.write("views/c.html", "comp")
    engine = TemplateEngine(path={"views": site.root / "views"}, view_name=None)
    assert engine.render("a") == "<main>comp</main>"


def test_names_with_the_extension_are_not_doubled(site: Site) -> None:
    site.write("components/x.html", "x")
    site.write("views/a.html", '@component("x.html")')
    assert site.engine(view_name=None).render("a") == "x"


def test_everything_nests(site: Site) -> None:
    site.write("components/cell.html", "<td>{{ v }}</td>")
    site.write("layouts/l.html", "<table>@yield('rows')</table>")
    site.write(
        "views/a.html",
        "@layout('l')\n"
        "@block('rows')\n"
        "@for [name, row] in rows\n"
        "@if row.visible\n"
        "<tr><th>{{ name }}</th>\n"
        "@for v in row.values\n"
        "@set shown = v > 1 ? v : 'small' @endset\n"
        "@component('cell', { v: shown })\n"
        "@endfor\n"
        "</tr>\n"
        "@endif\n"
        "@endfor\n"
        "@endblock\n",
    )
    rows = {"a": {"visible": True, "values": [1, 2]}, "b": {"visible": False, "values": [3]}}
    assert site.engine(view_name=None).render("a", {"rows": rows}) == (
        "<table><tr><th>a</th>\n<td>small</td><td>2</td></tr>\n</table>"
    )

"""Errors that help: each names the template, line and column and shows the line."""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING

import pytest

from harpia_templates import TemplateEngine, TemplateError, TemplateNotFound, TemplateSyntaxError

if TYPE_CHECKING:
    from tests.templates.conftest import Site


def test_syntax_error_message_names_file_line_column_with_a_caret(site: Site) -> None:
    site.write("views/home/page.html", "<h1>Books</h1>\n<p>{{ user.name) }}</p>\n")
    with pytest.raises(TemplateSyntaxError) as info:
        site.engine().render("home")
    error = info.value
    assert (error.name, error.line, error.column) == ("views/home/page.html", 2, 16)
    assert error.source_line == "<p>{{ user.name) }}</p>"
    assert str(error) == (
        "views/home/page.html:2:16: unexpected ')'\n"
        "    2 | <p>{{ user.name) }}</p>\n"
        "      |                ^"
    )


def test_caret_follows_tabs() -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        TemplateEngine().render_string("\t\t{{ a b }}")
    assert str(info.value).splitlines()[-1] == "      | \t\t     ^"


def test_errors_survive_pickling() -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        TemplateEngine().render_string("{{ a b }}")
    copy = pickle.loads(pickle.dumps(info.value))
    assert str(copy) == str(info.value)
    assert type(copy) is TemplateSyntaxError
    missing = pickle.loads(pickle.dumps(TemplateNotFound("gone", path="/x")))
    assert missing.path == "/x"


@pytest.mark.parametrize(
    ("source", "message", "line", "column"),
    [
        # structure
        ("a\n@endif", "@endif without @if", 2, 1),
        ("@endfor", "@endfor without @for", 1, 1),
        ("@endblock", "@endblock without @block", 1, 1),
        ("@else", "@else without @if", 1, 1),
        ("@elseif x", "@elseif without @if", 1, 1),
        ("x @endset", "@endset without @set", 1, 3),
        ("@if a\n@else\n@else\n@endif", "@else after @else", 3, 1),
        ("@if a\n@else\n@elseif b\n@endif", "@elseif after @else", 3, 1),
        ("@if a\nx\n", "@if is never closed: expected @endif", 1, 1),
        ("@for x in y\n@if a\n@endif\n", "@for is never closed: expected @endfor", 1, 1),
        ("@for x in y\n@endif", "@endif does not close @for (line 1): expected @endfor", 2, 1),
        ("@for x in y\n@else\n@endfor", "@else inside @for: expected @if", 2, 1),
        ("@layout('l')\n@block('b')\nx", "@block is never closed: expected @endblock", 2, 1),
        ("@set x = 1", "@set is never closed: expected @endset", 1, 1),
        ("a {{ b ", "'{{' is never closed: expected '}}'", 1, 3),
        ("{{ f(a, b }}", "'}' does not close '('", 1, 11),
        ("{{ [1, 2 }}", "'}' does not close '['", 1, 10),
        ("@if (a\n@endif", "'(' is never closed", 1, 5),
        ("@component('x', {a: 1)", "')' does not close '{'", 1, 22),
        # @layout / @block rules
        ("@if a\n@layout('l')\n@endif", "@layout must be at the top level", 2, 1),
        ("@layout('a')\n@layout('b')", "at most one @layout", 2, 1),
        ("@block('b')x@endblock", "@block needs a @layout", 1, 1),
        ("@layout('l')\n@block('b')@endblock\n@block('b')@endblock", "defined twice", 3, 1),
        ("@layout('l')\n@if a\n@block('b')@endblock\n@endif", "at the top level", 3, 1),
        # directive arguments
        ("@component(name)", "takes a quoted name", 1, 12),
        ("@component()", "takes a quoted name", 1, 1),
        ("@import('')", "name is empty", 1, 9),
        ("@yield('a', b)", "@yield takes only a name", 1, 11),
        ("@component('a' b)", "expected ',' after the @component name", 1, 16),
        ("@layout 'x'", "expected '(' after @layout", 1, 8),
        ("@component('/etc/passwd')", "must be a relative path", 1, 1),
        ("@if\nx\n@endif", "@if needs a condition", 1, 1),
        ("@for x of y\n@endfor", "expected 'in'", 1, 8),
        ("@for [k] in y\n@endfor", "expected ',' between the key and value", 1, 8),
        ("@for [k, k] in y\n@endfor", "both the key and the value", 1, 1),
        ("@for 1 in y\n@endfor", "expected a loop variable name", 1, 6),
        ("@set 1 = 2 @endset", "expected a variable name after @set", 1, 6),
        ("@set x 2 @endset", "expected '=' after the variable name", 1, 8),
        ("@if a b\n@endif", "unexpected token after the expression", 1, 7),
        ("@if a @endif", "a condition runs to the end of its line", 1, 7),
        # expressions
        ("{{ }}", "expected an expression", 1, 4),
        ("{{ a + }}", "expected a value, found the end", 1, 8),
        ("{{ a ? b }}", "expected ':' of the '? :' expression", 1, 10),
        ("{{ 'abc }}", "unterminated string", 1, 4),
        ("{{ '\\x4' }}", "bad \\x escape", 1, 5),
        ("{{ a $ b }}", "unexpected character '$'", 1, 6),
        ("{{ a & b }}", "unexpected character '&'", 1, 6),
        ("{{ a } }}", "unexpected '}'", 1, 6),
        ("{{ a. }}", "expected an attribute name after '.'", 1, 7),
        ("{{ {1 2} }}", "expected ':' after the key", 1, 7),
        ("{{ {[a]: 1} }}", "expected a key", 1, 5),
        ("{{ f(a b) }}", "expected ',' or ')'", 1, 8),
        ("{{ a.b(1) }}", "only plugins can be called", 1, 7),
        ("{{ a[0](1) }}", "only plugins can be called", 1, 8),
        ("{{ true(1) }}", "only plugins can be called", 1, 8),
        ("{{ in }}", "expected a value", 1, 4),
        ("{{ raw() }}", "raw() takes 1 argument, got 0", 1, 4),
        ("{{ json(a, b) }}", "json() takes 1 argument, got 2", 1, 4),
        ("{{ generateNonce(1) }}", "generateNonce() takes 0 arguments, got 1", 1, 4),
        ("{{ 1e999 }}", "number literal too large", 1, 4),
        ("{{ a @if }}", "unexpected '@' inside '{{ }}'", 1, 6),
        ("@set x = 1 @if @endset", "unexpected '@' in @set", 1, 12),
    ],
)
def test_syntax_errors(source: str, message: str, line: int, column: int) -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        TemplateEngine().render_string(source)
    assert message in info.value.message
    assert (info.value.name, info.value.line, info.value.column) == ("<string>", line, column)
    assert str(info.value).startswith(f"<string>:{line}:{column}: ")


def test_a_template_with_an_error_never_half_renders() -> None:
    engine = TemplateEngine()
    engine.register_plugin("spy", lambda: pytest.fail("ran"))
    with pytest.raises(TemplateSyntaxError):
        engine.render_string("{{ spy() }}\n@endif")


# -- run-time errors ------------------------------------------------------------------------


def test_unknown_plugin_names_itself_and_the_known_ones() -> None:
    engine = TemplateEngine()
    engine.register_plugin("upper", str.upper)
    with pytest.raises(TemplateError) as info:
        engine.render_string("a\n  {{ uppercase(x) }}")
    assert info.value.message == (
        "unknown plugin 'uppercase', did you mean 'upper'? "
        "(registered plugins: upper; built in: raw, json, generateNonce)"
    )
    assert (info.value.line, info.value.column) == (2, 6)


def test_an_unknown_plugin_in_a_branch_not_taken_is_no_error() -> None:
    assert TemplateEngine().render_string("@if false\n{{ nope() }}\n@endif\nok") == "ok"


def test_plugin_that_raises_is_reported_with_the_template_location(site: Site) -> None:
    def boom(value: object) -> str:
        raise ValueError(f"cannot format {value!r}")

    site.write("views/v.html", "<ul>\n  <li>{{ item.name }} {{ fmt(item.price) }}</li>\n</ul>")
    engine = site.engine(view_name=None)
    engine.register_plugin("fmt", boom)
    with pytest.raises(TemplateError) as info:
        engine.render("v", {"item": {"name": "x", "price": 3}})
    error = info.value
    assert error.message == "plugin 'fmt' raised ValueError: cannot format 3"
    assert (error.name, error.line, error.column) == ("views/v.html", 2, 26)
    assert isinstance(error.__cause__, ValueError)
    assert "    2 |   <li>{{ item.name }} {{ fmt(item.price) }}</li>" in str(error)


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("{{ 'a' - 1 }}", "'-' needs numbers, got a str and an int", 8),
        ("{{ 1 / zero }}", "division by zero", 6),
        ("{{ 1 % zero }}", "modulo by zero", 6),
        ("{{ {} + 1 }}", "cannot add a dict and an int", 7),
        ("{{ -'a' }}", "'-' needs a number", 4),
        ("{{ +'a' }}", "'+' needs a number", 4),
        ("{{ 1 < 'a' }}", "TypeError: '<' not supported", 6),
        ("x {{ json(s) }}", "plugin 'json' raised TypeError", 6),
        ("@for x in 5\n@endfor", "cannot loop over an int", 1),
        ("@for [k, v] in 5\n@endfor", "@for [key, value] needs an object or an array", 1),
        ("@component('c', 5)", "props must be an object, got an int", 1),
        ("{{ generateNonce() }}", "generateNonce() has no nonce", 4),
    ],
)
def test_runtime_errors_are_located(source: str, message: str, column: int, site: Site) -> None:
    site.write("components/c.html", "c")
    with pytest.raises(TemplateError) as info:
        site.engine().render_string(source, {"zero": 0, "s": {1, 2}})
    assert message in info.value.message
    assert (info.value.line, info.value.column) == (1, column)


def test_missing_view_layout_component_and_import(site: Site) -> None:
    engine = site.engine()
    with pytest.raises(TemplateNotFound) as info:
        engine.render("nope")
    path = str(site.root / "views" / "nope" / "page.html")
    assert info.value.path == path
    assert str(info.value) == f"view 'nope' not found: {path} does not exist"

    for kind, folder in [("layout", "layouts"), ("component", "components"), ("import", "views")]:
        body = "@block('b')@endblock" if kind == "layout" else ""
        site.write("views/v/page.html", f"line one\n@{kind}('gone')\n{body}")
        engine = site.engine()
        with pytest.raises(TemplateNotFound) as info:
            engine.render("v")
        where = site.root / folder / ("v/gone.html" if kind == "import" else "gone.html")
        assert info.value.path == str(where)
        assert info.value.message == f"{kind} 'gone' not found: {where} does not exist"
        assert (info.value.name, info.value.line) == ("views/v/page.html", 2)


def test_errors_inside_a_component_name_the_component_and_where_it_was_used(site: Site) -> None:
    site.write("components/card.html", "<div>\n{{ 1 / n }}\n</div>")
    site.write("components/list.html", "@for n in ns\n  @component('card', { n })\n@endfor")
    site.write("views/v.html", "<main>\n@component('list', { ns: [1, 0] })\n</main>")
    with pytest.raises(TemplateError) as info:
        site.engine(view_name=None).render("v")
    error = info.value
    assert (error.name, error.line, error.message) == (
        "components/card.html",
        2,
        "division by zero",
    )
    assert error.included_from == ["components/list.html:2:3", "views/v.html:2:1"]
    assert str(error).endswith(
        "  included from components/list.html:2:3\n  included from views/v.html:2:1"
    )


def test_syntax_error_in_a_component_is_reported_in_the_component(site: Site) -> None:
    site.write("components/bad.html", "ok\n@if\n")
    site.write("views/v.html", "@component('bad')")
    with pytest.raises(TemplateSyntaxError) as info:
        site.engine(view_name=None).render("v")
    assert (info.value.name, info.value.line) == ("components/bad.html", 2)
    assert info.value.included_from == ["views/v.html:1:1"]


def test_recursion_is_stopped_at_the_depth_limit(site: Site) -> None:
    site.write("components/self.html", "<i>@component('self', { n: n + 1 })</i>")
    site.write("views/v.html", "@component('self', { n: 0 })")
    with pytest.raises(TemplateError) as info:
        site.engine(view_name=None, max_depth=20).render("v")
    error = info.value
    assert error.message == (
        "templates nested more than 20 deep at component 'self' (does it include itself?)"
    )
    assert error.name == "components/self.html"
    assert any("more" in site for site in error.included_from)
    assert len(error.included_from) <= 9


def test_layout_cycle_is_stopped(site: Site) -> None:
    site.write("layouts/a.html", "@layout('b')\n@block('x')a@endblock")
    site.write("layouts/b.html", "@layout('a')\n@block('x')b@endblock")
    site.write("views/v.html", "@layout('a')")
    with pytest.raises(TemplateError, match="nested more than 64 deep at layout"):
        site.engine(view_name=None).render("v")


def test_default_depth_allows_the_python_stack(site: Site) -> None:
    # The default limit is reached long before Python's own recursion limit.
    site.write("components/self.html", "@if n > 0\n@component('self', { n: n - 1 })\n@endif\n.")
    site.write("views/v.html", "@component('self', { n: depth })")
    engine = site.engine(view_name=None)
    assert engine.render("v", {"depth": 63}) == "." * 64
    with pytest.raises(TemplateError, match="nested more than 64 deep"):
        engine.render("v", {"depth": 64})


# -- messages that say how to fix the mistake -----------------------------------------------


@pytest.mark.parametrize(
    ("source", "written", "column"),
    [
        ("{{ user.name | upper }}", "{{ upper(user.name) }}", 14),
        ("{{ x|raw }}", "{{ raw(x) }}", 5),
        ("<p>{{ a + 1 | double }}</p>", "{{ double(a + 1) }}", 13),
        ("{{ x | }}", "{{ upper(x) }}", 6),
    ],
)
def test_a_filter_pipe_says_how_plugins_are_called(source: str, written: str, column: int) -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        TemplateEngine().render_string(source)
    assert info.value.message == (
        f"unexpected character '|': filters are plugin calls, write {written} "
        "(plugins come from engine.register_plugin(name, fn); "
        "raw, json and generateNonce are built in)"
    )
    assert (info.value.line, info.value.column) == (1, column)


def test_or_is_still_two_pipes() -> None:
    assert TemplateEngine().render_string("{{ a || 'none' }}", {"a": ""}) == "none"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("jsn(x)", "unknown plugin 'jsn', did you mean 'json'? "),
        ("generatenonce()", "unknown plugin 'generatenonce', did you mean 'generateNonce'? "),
        ("slugfy(x)", "unknown plugin 'slugfy', did you mean 'slugify'? "),
        ("nothing_like_it(x)", "unknown plugin 'nothing_like_it' "),
    ],
)
def test_an_unknown_plugin_gets_a_suggestion_and_the_built_ins(call: str, message: str) -> None:
    engine = TemplateEngine()
    engine.register_plugin("slugify", str.lower)
    with pytest.raises(TemplateError) as info:
        engine.render_string(f"{{{{ {call} }}}}", {"x": "a"})
    assert info.value.message == (
        message + "(registered plugins: slugify; built in: raw, json, generateNonce)"
    )


def test_no_plugin_registered_still_lists_the_built_ins() -> None:
    with pytest.raises(TemplateError) as info:
        TemplateEngine().render_string("{{ upper(x) }}", {"x": "a"})
    assert info.value.message == (
        "unknown plugin 'upper' (registered plugins: none; built in: raw, json, generateNonce)"
    )

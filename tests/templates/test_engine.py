"""TemplateEngine: options, paths, modules, caching and reloading, plugins, nonces."""

from __future__ import annotations

import os
import threading
import types
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import harpia_templates
from harpia_templates import ModuleViews, TemplateEngine, TemplateError, TemplateNotFound

if TYPE_CHECKING:
    from tests.templates.conftest import Site


def test_all_matches_the_public_names() -> None:
    public = {
        name
        for name, value in vars(harpia_templates).items()
        if not name.startswith("_")
        and type(value).__module__ != "__future__"
        and not isinstance(value, types.ModuleType)
    }
    assert isinstance(harpia_templates.__all__, tuple)
    assert set(harpia_templates.__all__) == public | {"__version__"}
    for name in public:
        assert getattr(harpia_templates, name).__module__.startswith("harpia_templates.")


def test_version_matches_the_distribution() -> None:
    assert harpia_templates.__version__ == version("harpia-templates") == "0.1.0"


# -- views and paths ---------------------------------------------------------------------


def test_view_name_picks_the_file_inside_the_view_folder(site: Site) -> None:
    site.write("views/home/page.html", "page")
    site.write("views/home/index.html", "index")
    site.write("views/home.html", "flat")
    site.write("views/books/show/page.html", "nested")
    assert site.engine().render("home") == "page"
    assert site.engine().render("books/show") == "nested"
    assert site.engine(view_name="index").render("home") == "index"
    assert site.engine(view_name=None).render("home") == "flat"


def test_file_extension(site: Site) -> None:
    site.write("views/mail.txt", "Hi {{ name }} <x>")
    site.write("views/mail.html", "html")
    engine = site.engine(view_name=None, file_extension=".txt")
    assert engine.render("mail", {"name": "Ana"}) == "Hi Ana <x>"


def test_relative_paths_are_taken_from_the_working_directory_at_construction(
    site: Site, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    site.write("src/pages/home.html", "home")
    engine = TemplateEngine(path={"views": "src/pages"}, view_name=None)
    monkeypatch.chdir(tmp_path.parent)
    assert engine.render("home") == "home"
    assert engine.paths["views"] == str(site.root / "src" / "pages")


def test_use_modules(site: Site) -> None:
    site.write("modules/books/pages/home/page.html", "books home @import('part')")
    site.write("modules/books/pages/home/part.html", "part")
    site.write("modules/users/pages/home/page.html", "users home")
    engine = TemplateEngine(path={"views": "modules/**/pages"}, use_modules=True)
    books = engine.module("books")
    assert isinstance(books, ModuleViews)
    assert books.render("home") == "books home part"
    assert engine.module("users").render("home") == "users home"
    with pytest.raises(TemplateNotFound, match="view 'home' of module 'nope' not found"):
        engine.module("nope").render("home")
    with pytest.raises(ValueError, match=r"engine.module\(name\).render"):
        engine.render("home")
    for bad in ["", "a/b", "..", "/abs"]:
        with pytest.raises(ValueError, match="module name"):
            engine.module(bad)


def test_module_needs_use_modules(site: Site) -> None:
    with pytest.raises(ValueError, match="use_modules=True"):
        site.engine().module("books")


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"path": {"views": "a/**/b"}}, ValueError, "use_modules is False"),
        ({"path": {"views": "a"}, "use_modules": True}, ValueError, "needs '\\*\\*'"),
        ({"use_modules": True}, ValueError, "use_modules=True needs path"),
        ({"path": {"templates": "a"}}, ValueError, "unknown path key 'templates'"),
        ({"path": "views"}, TypeError, "path must be a dict"),
        ({"path": {"views": 42}}, TypeError, "path\\['views'\\] must be a str"),
        ({"view_name": ""}, TypeError, "view_name"),
        ({"view_name": "a/b"}, ValueError, "view_name must be a file name"),
        ({"file_extension": "html"}, ValueError, "must start with a dot"),
        ({"file_extension": 5}, TypeError, "file_extension must be a str"),
        ({"max_iterations": 0}, ValueError, "max_iterations must be a positive int"),
        ({"max_depth": True}, ValueError, "max_depth must be a positive int"),
        ({"auto_reload": "yes"}, TypeError, "auto_reload must be a bool"),
        ({"strict": 1}, TypeError, "strict must be a bool"),
        ({"nonce_provider": "abc"}, TypeError, "nonce provider must be callable"),
    ],
)
def test_bad_options(options: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        TemplateEngine(**options)


def test_render_needs_a_views_path() -> None:
    with pytest.raises(ValueError, match="no views path configured"):
        TemplateEngine().render("home")


def test_bad_render_arguments(site: Site) -> None:
    site.write("views/a.html", "a")
    engine = site.engine(view_name=None)
    with pytest.raises(TypeError, match="data must be a mapping"):
        engine.render("a", ["x"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="nonce must be a str"):
        engine.render("a", nonce=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="source must be a str"):
        engine.render_string(b"x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="path must be a str"):
        engine.generate(1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="path '' is empty"):
        engine.generate("")


# -- generate and render_string ----------------------------------------------------------


def test_generate_renders_any_file_relative_to_the_working_directory(site: Site) -> None:
    site.write("app/mailer/templates/account-created.html", "Welcome {{ user }} @import('sig')")
    site.write("app/mailer/templates/sig.html", "-- team")
    engine = site.engine()
    path = "app/mailer/templates/account-created"
    assert engine.generate(path, {"user": "Ana"}) == "Welcome Ana -- team"
    assert engine.generate(path + ".html", {"user": "B"}) == "Welcome B -- team"
    assert engine.generate(Path(path), {"user": "C"}) == "Welcome C -- team"
    with pytest.raises(TemplateNotFound, match="template 'app/nope' not found") as info:
        engine.generate("app/nope")
    assert info.value.path == str(site.root / "app" / "nope.html")


def test_render_string_imports_from_the_views_folder(site: Site) -> None:
    site.write("views/part.html", "part {{ x }}")
    assert site.engine().render_string("@import('part', {x: 1})") == "part 1"
    assert TemplateEngine().render_string("plain {{ 1 + 1 }}") == "plain 2"


def test_render_string_is_compiled_once() -> None:
    engine = TemplateEngine()
    source = "{{ a }}"
    engine.render_string(source, {"a": 1})
    compiled = engine._loader.strings[source]
    assert engine.render_string(source, {"a": 2}) == "2"
    assert engine._loader.strings[source] is compiled


def test_render_string_cache_is_bounded() -> None:
    engine = TemplateEngine()
    for number in range(300):
        engine.render_string(f"{number}")
    assert len(engine._loader.strings) == 256


# -- compile once, reload when asked ------------------------------------------------------


def test_templates_compile_once_and_are_cached(site: Site) -> None:
    file = site.write("views/a.html", "one")
    engine = site.engine(view_name=None)
    assert engine.render("a") == "one"
    compiled = engine._loader.cache[str(file)]
    file.write_text("two, and longer")
    os.utime(file, ns=(1, 10**18))
    assert engine.render("a") == "one"  # no auto_reload: never looked at again
    assert engine._loader.cache[str(file)] is compiled
    engine.clear_cache()
    assert engine.render("a") == "two, and longer"


def test_auto_reload_recompiles_changed_files(site: Site) -> None:
    view = site.write("views/a.html", "view @component('c')")
    component = site.write("components/c.html", "c1")
    engine = site.engine(view_name=None, auto_reload=True)
    assert engine.render("a") == "view c1"
    compiled = engine._loader.cache[str(view)]
    assert engine.render("a") == "view c1"
    assert engine._loader.cache[str(view)] is compiled  # unchanged: not recompiled

    component.write_text("c2")
    os.utime(component, ns=(1, 2 * 10**18))
    assert engine.render("a") == "view c2"
    view.write_text("VIEW @component('c')")
    os.utime(view, ns=(1, 3 * 10**18))
    assert engine.render("a") == "VIEW c2"
    component.unlink()
    with pytest.raises(TemplateNotFound, match="component 'c' not found"):
        engine.render("a")


def test_a_directory_is_not_a_template(site: Site) -> None:
    (site.root / "views" / "d.html").mkdir(parents=True)
    with pytest.raises(TemplateNotFound):
        site.engine(view_name=None).render("d")


# -- plugins -------------------------------------------------------------------------------


def test_register_plugin_checks_its_arguments() -> None:
    engine = TemplateEngine()
    for name in ["1x", "_x", "a-b", "", "true", "and", "in"]:
        with pytest.raises(ValueError, match="must be an identifier"):
            engine.register_plugin(name, str)
    for name in ["raw", "json"]:
        with pytest.raises(ValueError, match="built in"):
            engine.register_plugin(name, str)
    with pytest.raises(ValueError, match="set_nonce_provider"):
        engine.register_plugin("generateNonce", str)
    with pytest.raises(TypeError, match="must be callable"):
        engine.register_plugin("x", "not callable")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="plugin name must be a str"):
        engine.register_plugin(1, str)  # type: ignore[arg-type]
    engine.register_plugin("up", str.upper)
    assert dict(engine.plugins) == {"up": str.upper}


# -- nonces -------------------------------------------------------------------------------


def test_nonce_given_to_render_reaches_views_layouts_and_components(site: Site) -> None:
    site.write("layouts/l.html", "<script nonce=\"{{ generateNonce() }}\"></script>@yield('b')")
    site.write("components/c.html", '<style nonce="{{ generateNonce() }}"></style>')
    site.write(
        "views/v.html",
        "@set nonce = generateNonce() @endset\n@layout('l')\n"
        "@block('b')<i nonce=\"{{ nonce }}\"></i>@component('c')@endblock",
    )
    html = site.engine(view_name=None).render("v", nonce="r4nd0m")
    assert html == (
        '<script nonce="r4nd0m"></script><i nonce="r4nd0m"></i><style nonce="r4nd0m"></style>'
    )


def test_nonce_provider_is_used_when_no_nonce_is_given() -> None:
    calls: list[int] = []

    def provider() -> str:
        calls.append(1)
        return f"n{len(calls)}"

    engine = TemplateEngine(nonce_provider=provider)
    assert engine.render_string("{{ generateNonce() }}") == "n1"
    assert engine.render_string("{{ generateNonce() }} {{ generateNonce() }}") == "n2 n2"
    assert engine.render_string("{{ generateNonce() }}", nonce="given") == "given"
    assert len(calls) == 2
    engine.set_nonce_provider(None)
    with pytest.raises(TemplateError, match="generateNonce\\(\\) has no nonce"):
        engine.render_string("{{ generateNonce() }}")
    with pytest.raises(TypeError):
        engine.set_nonce_provider(5)  # type: ignore[arg-type]


def test_concurrent_renders_see_their_own_nonce() -> None:
    engine = TemplateEngine()
    engine.register_plugin("pause", lambda: (barrier.wait(), "")[1])
    barrier = threading.Barrier(2, timeout=5)
    results: dict[str, str] = {}

    def work(nonce: str) -> None:
        results[nonce] = engine.render_string(
            "{{ generateNonce() }}{{ pause() }}{{ generateNonce() }}", nonce=nonce
        )

    threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert results == {"a": "aa", "b": "bb"}


# -- configure -------------------------------------------------------------------------------


def test_configure_is_duck_typed() -> None:
    engine = TemplateEngine()
    received: list[Any] = []
    app = types.SimpleNamespace(engine=types.SimpleNamespace(set=received.append))
    engine.configure(app)
    assert received == [engine]
    with pytest.raises(TypeError, match=r"engine\.set"):
        engine.configure(object())


def test_repr() -> None:
    assert repr(TemplateEngine(path={"views": "/v"})) == "<TemplateEngine views='/v'>"
    assert repr(TemplateEngine(path={"views": "/m/**/p"}, use_modules=True).module("x")) == (
        "<ModuleViews 'x'>"
    )

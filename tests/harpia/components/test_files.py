"""The ``files`` option (parse_files, glob semantics) and the ``url_path`` rules (url_base)."""

from __future__ import annotations

import pytest

from harpia.components import FilesOptions, parse_files, url_base


def test_the_three_forms() -> None:
    assert parse_files("web/**") == FilesOptions(("web/**",), (), "all")
    assert parse_files(["a/*", "b/*"]) == FilesOptions(("a/*", "b/*"))
    parsed = parse_files({"source": "web/**", "ignore": "web/images/**", "only": "files"})
    assert parsed == FilesOptions(("web/**",), ("web/images/**",), "files")
    assert parse_files({"source": ["a/**"], "ignore": ["x", "y"]}).ignore == ("x", "y")
    assert parse_files(parsed) is parsed


def test_negated_sources_become_ignores() -> None:
    assert parse_files(["web/**", "!web/*.map"]) == FilesOptions(("web/**",), ("web/*.map",))


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (3, TypeError, "static.files must be a glob string or a list of glob strings, got int"),
        (["a", 3], TypeError, r"static.files\[1\] must be a glob string, got int"),
        ([], ValueError, "static.files: at least one glob pattern is required"),
        ("", ValueError, "static.files: '' is not a valid glob: an empty pattern"),
        ("../x/**", ValueError, r"static.files: '../x/\*\*' .*'\.\.'"),
        ("web/../../x", ValueError, r"'\.\.' \(patterns cannot leave the component folder\)"),
        ("{..,web}/*", ValueError, r"'\.\.'"),
        ("/etc/*", ValueError, "an absolute path"),
        ("C:/x/*", ValueError, "an absolute path"),
        ("web/[ab", ValueError, "not a valid glob: unclosed '\\['"),
        ("web/{a,b", ValueError, "not a valid glob: unclosed '{'"),
        ("web/a}", ValueError, "not a valid glob: '}' without '{'"),
        ("web\\", ValueError, "escapes nothing"),
        (["ok/*", "[x"], ValueError, r"static.files\[1\]: '\[x' is not a valid glob"),
        ({"ignore": "x"}, ValueError, "static.files: 'source' is required"),
        ({"source": "a", "depth": 1}, ValueError, "static.files: unknown key 'depth'"),
        ({"source": "a", "only": "links"}, ValueError, "static.files.only must be 'all', "),
        ({"source": "a", "ignore": 5}, TypeError, "static.files.ignore must be"),
        ({"source": "a", "ignore": ["../b"]}, ValueError, "static.files.ignore"),
        (["!a"], ValueError, "only '!' patterns"),
        (".", ValueError, "the component folder itself"),
    ],
)
def test_invalid_options_name_the_key(value: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        parse_files(value, key="static.files")


def test_the_default_key_is_files() -> None:
    with pytest.raises(TypeError, match=r"^files must be"):
        parse_files(None)


@pytest.mark.parametrize(
    ("url_path", "expected"),
    [
        (None, "/"),
        ("", "/"),
        ("/", "/"),
        ("static", "/static"),
        ("/static", "/static"),
        ("static/", "/static"),
        ("/static/", "/static"),
        ("a//b/", "/a/b"),
        ("./static/", "/blog/static"),
        ("./x", "/blog/x"),
        (".", "/blog"),
        ("./", "/blog"),
        ("x/./y", "/x/y"),
    ],
)
def test_url_base_rules(url_path: str | None, expected: str) -> None:
    assert url_base(url_path, "blog") == expected


@pytest.mark.parametrize("url_path", ["..", "../x", "./..", "a/../b", "a/.."])
def test_dot_dot_in_url_path_is_an_error(url_path: str) -> None:
    with pytest.raises(ValueError, match=r"'\.\.' is not allowed"):
        url_base(url_path, "blog")


def test_url_path_type_and_characters() -> None:
    with pytest.raises(TypeError, match="url_path must be a string, got int"):
        url_base(3, "blog")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot hold"):
        url_base("/a?b", "blog")


def matches(files: object, *paths: str, is_dir: bool = False) -> list[str]:
    matcher = parse_files(files).matcher()
    return [p for p in paths if matcher.match(p, is_dir) is not None]


PATHS = ("a.css", "web/a.css", "web/x/a.css", "web/x/y/b.css", "web/a.js", "webby/a.css")


def test_star_does_not_cross_folders_and_globstar_does() -> None:
    assert matches("*.css", *PATHS) == ["a.css"]
    assert matches("web/*.css", *PATHS) == ["web/a.css"]
    assert matches("web/*/*.css", *PATHS) == ["web/x/a.css"]
    assert matches("web/**/*.css", *PATHS) == ["web/a.css", "web/x/a.css", "web/x/y/b.css"]
    assert matches("**/*.css", *PATHS) == [p for p in PATHS if p.endswith(".css")]
    assert matches("web/**", *PATHS) == [p for p in PATHS if p.startswith("web/")]
    assert matches("web/**", "web") == []  # the folder itself is the prefix, not a match


def test_classes_question_marks_braces_and_escapes() -> None:
    assert matches("web/?.css", *PATHS) == ["web/a.css"]
    assert matches("web/[ab].*", *PATHS) == ["web/a.css", "web/a.js"]
    assert matches("web/[!a].*", "web/a.css", "web/b.css") == ["web/b.css"]
    assert matches("web/*.{css,js}", *PATHS) == ["web/a.css", "web/a.js"]
    assert matches("{web,webby}/a.css", *PATHS) == ["web/a.css", "webby/a.css"]
    assert matches("web/\\*.css", "web/*.css", "web/a.css") == ["web/*.css"]
    assert matches("web/{x}.css", "web/{x}.css") == ["web/{x}.css"]  # no comma: literal


def test_wildcards_skip_dot_names_unless_named() -> None:
    paths = ("web/.hidden.css", "web/.git/x.css", "web/ok.css")
    assert matches("web/**/*.css", *paths) == ["web/ok.css"]
    assert matches("web/.*.css", *paths) == ["web/.hidden.css"]
    assert matches("web/.git/*", *paths) == ["web/.git/x.css"]


def test_ignore_excludes_the_folder_and_all_it_holds() -> None:
    files = {"source": "web/**", "ignore": ["web/images", "**/*.map"]}
    paths = ("web/a.css", "web/images", "web/images/x.png", "web/a.css.map", "web/imagesque")
    assert matches(files, *paths) == ["web/a.css", "web/imagesque"]


def test_only_files_or_directories() -> None:
    assert matches({"source": "web/**", "only": "files"}, "web/x", is_dir=True) == []
    assert matches({"source": "web/**", "only": "files"}, "web/x") == ["web/x"]
    assert matches({"source": "web/**", "only": "directories"}, "web/x", is_dir=True) == ["web/x"]
    assert matches({"source": "web/**", "only": "directories"}, "web/x") == []


def test_the_static_prefix_and_pruning() -> None:
    matcher = parse_files(["web/css/**/*.css", "docs/*.md", "*.txt"]).matcher()
    assert [p.prefix for p in matcher.sources] == [("web", "css"), ("docs",), ()]
    assert matcher.descend("web")
    assert matcher.descend("web/css/deep/er")
    assert not matcher.descend("web/js")
    assert not matcher.descend("docs/sub")  # docs/*.md cannot match deeper
    assert not matcher.descend(".venv")
    assert not matcher.descend("node_modules")

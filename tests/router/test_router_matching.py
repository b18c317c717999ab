"""Lookup rules: priority, backtracking, methods, slashes, wildcards, percent-encoding."""

from __future__ import annotations

import itertools

import pytest

from harpia_router import Router


def h1() -> None: ...


def h2() -> None: ...


def h3() -> None: ...


def found(router: Router, path: str, method: str = "GET") -> tuple[str, dict[str, str]] | None:
    match = router.match(method, path)
    return None if match is None else (match.route, match.params)


# -- segments -----------------------------------------------------------------------------


def test_static_param_and_wildcard_segments() -> None:
    router = Router()
    router.get("/books", h1)
    router.get("/books/:id", h2)
    router.get("/books/:id/reviews/:rid", h3)
    router.get("/files/*path", h1)
    router.get("/raw/*", h2)
    assert found(router, "/books") == ("/books", {})
    assert found(router, "/books/42") == ("/books/:id", {"id": "42"})
    assert found(router, "/books/42/reviews/7") == (
        "/books/:id/reviews/:rid",
        {"id": "42", "rid": "7"},
    )
    assert found(router, "/files/a/b/c.txt") == ("/files/*path", {"path": "a/b/c.txt"})
    assert found(router, "/raw/x/y") == ("/raw/*", {"*": "x/y"})
    assert found(router, "/books/42/reviews") is None
    assert found(router, "/nothing") is None


def test_params_keep_pattern_order() -> None:
    router = Router()
    router.get("/:a/:b/x/:c/*d", h1)
    match = router.match("GET", "/1/2/x/3/4/5")
    assert match is not None
    assert list(match.params.items()) == [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4/5")]


def test_a_parameter_never_matches_an_empty_segment() -> None:
    router = Router(strict_slashes=True)
    router.get("/a/:id", h1)
    router.get("/a/:id/b", h2)
    assert found(router, "/a/") is None
    assert found(router, "/a//b") is None


def test_a_wildcard_may_be_empty() -> None:
    router = Router()
    router.get("/files/*path", h1)
    router.get("/*", h2)
    assert found(router, "/files/") == ("/files/*path", {"path": ""})
    assert found(router, "/files") == ("/files/*path", {"path": ""})
    assert found(router, "/") == ("/*", {"*": ""})
    assert found(router, "/files//x/") == ("/files/*path", {"path": "/x"})


def test_root_and_empty_path() -> None:
    router = Router()
    router.get("/", h1)
    assert found(router, "/") == ("/", {})
    assert found(router, "") == ("/", {})
    assert found(router, "//") == ("/", {})  # "/" plus a trailing slash
    assert found(router, "///") is None


def test_paths_without_a_leading_slash_do_not_match() -> None:
    router = Router()
    router.get("/", h1)
    router.get("/a", h1)
    router.get("/*", h2)
    for path in ("a", "*", "http://x/a", " /a"):
        assert router.match("GET", path) is None
        assert router.allowed_methods(path) == frozenset()


def test_paths_are_case_sensitive() -> None:
    router = Router()
    router.get("/books", h1)
    router.get("/p/:id", h2)
    assert found(router, "/Books") is None
    assert found(router, "/BOOKS") is None
    assert found(router, "/P/1") is None
    assert found(router, "/p/AbC") == ("/p/:id", {"id": "AbC"})


def test_static_segments_may_contain_colons_and_stars_after_the_first_character() -> None:
    router = Router()
    router.get("/a:b/c*", h1)
    assert found(router, "/a:b/c*") == ("/a:b/c*", {})


# -- priority and backtracking ------------------------------------------------------------

PRIORITY_ROUTES = ["/a/b", "/a/:x", "/a/*", "/a/b/c", "/a/:x/c", "/a/b/:y", "/:p/b/c"]


@pytest.mark.parametrize(
    "order", list(itertools.islice(itertools.permutations(PRIORITY_ROUTES), 0, None, 97))
)
def test_priority_does_not_depend_on_registration_order(order: tuple[str, ...]) -> None:
    router = Router()
    for pattern in order:
        router.get(pattern, h1)
    assert found(router, "/a/b") == ("/a/b", {})
    assert found(router, "/a/z") == ("/a/:x", {"x": "z"})
    assert found(router, "/a/b/c") == ("/a/b/c", {})
    assert found(router, "/a/b/z") == ("/a/b/:y", {"y": "z"})
    assert found(router, "/a/z/c") == ("/a/:x/c", {"x": "z"})
    assert found(router, "/a/z/z") == ("/a/*", {"*": "z/z"})
    assert found(router, "/q/b/c") == ("/:p/b/c", {"p": "q"})
    assert found(router, "/a") == ("/a/*", {"*": ""})


def test_backtracking_reaches_every_route() -> None:
    router = Router()
    router.get("/a/:x/c", h1)
    router.get("/a/b/d", h2)
    assert found(router, "/a/b/d") == ("/a/b/d", {})
    assert found(router, "/a/b/c") == ("/a/:x/c", {"x": "b"})
    assert found(router, "/a/q/c") == ("/a/:x/c", {"x": "q"})
    assert found(router, "/a/b/e") is None


def test_deep_backtracking_undoes_params_of_failed_branches() -> None:
    router = Router()
    router.get("/:a/:b/:c/x", h1)
    router.get("/k/:d/:e/y", h2)
    router.get("/k/m/n/z", h3)
    router.get("/k/m/o/*rest", h3)
    assert found(router, "/k/m/n/x") == ("/:a/:b/:c/x", {"a": "k", "b": "m", "c": "n"})
    assert found(router, "/k/m/n/y") == ("/k/:d/:e/y", {"d": "m", "e": "n"})
    assert found(router, "/k/m/n/z") == ("/k/m/n/z", {})
    assert found(router, "/k/m/o/x") == ("/k/m/o/*rest", {"rest": "x"})
    assert found(router, "/k/m/n/w") is None


def test_static_beats_param_beats_wildcard_at_the_first_difference() -> None:
    router = Router()
    router.get("/a/:x/c/d", h1)
    router.get("/a/b/*", h2)
    assert found(router, "/a/b/c/d") == ("/a/b/*", {"*": "c/d"})


# -- methods ------------------------------------------------------------------------------


def test_a_route_without_the_method_lets_a_lower_priority_route_answer() -> None:
    router = Router()
    router.post("/users/new", h1)
    router.get("/users/:id", h2)
    router.put("/users/*", h3)
    assert found(router, "/users/new", "POST") == ("/users/new", {})
    assert found(router, "/users/new", "GET") == ("/users/:id", {"id": "new"})
    assert found(router, "/users/new", "PUT") == ("/users/*", {"*": "new"})
    assert found(router, "/users/new", "DELETE") is None
    assert router.allowed_methods("/users/new") == {"POST", "GET", "PUT"}
    assert router.allowed_methods("/users/7") == {"GET", "PUT"}
    assert router.allowed_methods("/users/7/x") == {"PUT"}
    assert router.allowed_methods("/nope") == frozenset()


def test_a_specific_method_wins_over_all_on_the_same_pattern() -> None:
    router = Router()
    router.all("/x/:id", h1)
    router.get("/x/:id", h2)
    router.get("/s", h2)
    router.all("/s", h1)
    router.get("/w/*", h2)
    router.all("/w/*", h1)
    for path in ("/x/1", "/s", "/w/1"):
        get, post = router.match("GET", path), router.match("POST", path)
        assert get is not None
        assert post is not None
        assert (get.handlers, post.handlers) == ((h2,), (h1,))


def test_path_priority_comes_before_the_all_fallback() -> None:
    router = Router()
    router.all("/a/b", h1)
    router.get("/a/:x", h2)
    assert found(router, "/a/b", "GET") == ("/a/b", {})


def test_head_is_not_implied_by_get() -> None:
    router = Router()
    router.get("/x", h1)
    assert router.match("HEAD", "/x") is None
    assert router.allowed_methods("/x") == {"GET"}


def test_allowed_methods_returns_a_frozenset_and_follows_slash_rules() -> None:
    router = Router()
    router.get("/a", h1)
    router.post("/a/:id", h1)
    router.delete("/f/*", h1)
    assert isinstance(router.allowed_methods("/a"), frozenset)
    assert router.allowed_methods("/a/") == {"GET"}
    assert router.allowed_methods("/a/1/") == {"POST"}
    assert router.allowed_methods("/f") == {"DELETE"}
    assert router.allowed_methods("/a/%31") == {"POST"}
    assert router.allowed_methods("") == frozenset()


# -- trailing slashes ---------------------------------------------------------------------


def test_loose_slashes_fold_one_trailing_slash() -> None:
    router = Router()
    router.get("/a/", h1)
    router.get("/b", h2)
    router.get("/p/:id/", h3)
    assert router.strict_slashes is False
    assert [route.pattern for route in router] == ["/a", "/b", "/p/:id"]
    assert found(router, "/a") == ("/a", {})
    assert found(router, "/a/") == ("/a", {})
    assert found(router, "/b/") == ("/b", {})
    assert found(router, "/p/1/") == ("/p/:id", {"id": "1"})
    assert found(router, "/b//") is None


def test_strict_slashes_keep_paths_apart() -> None:
    router = Router(strict_slashes=True)
    router.get("/a", h1)
    router.get("/a/", h2)
    router.get("/p/:id/", h3)
    router.get("/f/*", h1)
    assert router.strict_slashes is True
    assert found(router, "/a") == ("/a", {})
    assert found(router, "/a/") == ("/a/", {})
    assert found(router, "/p/1/") == ("/p/:id/", {"id": "1"})
    assert found(router, "/p/1") is None
    assert found(router, "/f/") == ("/f/*", {"*": ""})
    assert found(router, "/f/x/") == ("/f/*", {"*": "x/"})
    assert found(router, "/f") is None
    assert router.allowed_methods("/f") == frozenset()
    assert router.allowed_methods("/f/") == {"GET"}


def test_strict_prefix_with_root_path() -> None:
    router = Router("books", strict_slashes=True)
    router.get("/", h1)
    router.get("", h2)
    assert found(router, "/books/") == ("/books/", {})
    assert found(router, "/books") == ("/books", {})


def test_wildcard_value_loses_the_trailing_slash_with_loose_slashes() -> None:
    router = Router()
    router.get("/f/*", h1)
    assert found(router, "/f/x/") == ("/f/*", {"*": "x"})


# -- percent-encoding ---------------------------------------------------------------------


def test_params_are_decoded_after_matching() -> None:
    router = Router()
    router.get("/books/:title", h1)
    router.get("/books/:title/pages", h2)
    router.get("/files/*path", h3)
    assert found(router, "/books/a%2Fb") == ("/books/:title", {"title": "a/b"})
    assert found(router, "/books/a%2Fb/pages") == ("/books/:title/pages", {"title": "a/b"})
    assert found(router, "/books/caf%C3%A9%20au%20lait") == (
        "/books/:title",
        {"title": "café au lait"},
    )
    assert found(router, "/books/100%25") == ("/books/:title", {"title": "100%"})
    assert found(router, "/files/a%2Fb/c") == ("/files/*path", {"path": "a/b/c"})


def test_odd_escapes_decode_without_raising() -> None:
    router = Router()
    router.get("/p/:v", h1)
    assert found(router, "/p/%") == ("/p/:v", {"v": "%"})
    assert found(router, "/p/%zz") == ("/p/:v", {"v": "%zz"})
    assert found(router, "/p/%4") == ("/p/:v", {"v": "%4"})
    assert found(router, "/p/%FF") == ("/p/:v", {"v": "\ufffd"})
    assert found(router, "/p/%e2%82%ac") == ("/p/:v", {"v": "€"})
    assert found(router, "/p/é") == ("/p/:v", {"v": "é"})


def test_encoded_slash_is_not_a_separator_anywhere() -> None:
    router = Router()
    router.get("/a/b", h1)
    assert found(router, "/a%2Fb") is None
    assert found(router, "/a%2fb") is None


def test_static_segments_compare_in_canonical_form() -> None:
    router = Router()
    router.get("/café", h1)
    router.get("/a b/:x", h2)
    router.get("/books", h3)
    router.get("/100%", h1)
    router.get("/sub/:x", h2)
    assert found(router, "/caf%C3%A9") == ("/café", {})
    assert found(router, "/caf%c3%a9") == ("/café", {})
    assert found(router, "/café") == ("/café", {})
    assert found(router, "/a%20b/1") == ("/a b/:x", {"x": "1"})
    assert found(router, "/%62ook%73") == ("/books", {})
    assert found(router, "/100%25") == ("/100%", {})
    assert found(router, "/sub/%41") == ("/sub/:x", {"x": "A"})


def test_encoded_static_segment_beats_a_parameter() -> None:
    router = Router()
    router.get("/a/:x", h1)
    router.get("/a/b", h2)
    assert found(router, "/a/%62") == ("/a/b", {})


def test_patterns_may_be_written_encoded() -> None:
    router = Router()
    router.get("/caf%C3%A9/a%2Fb", h1)
    assert found(router, "/café/a%2Fb") == ("/caf%C3%A9/a%2Fb", {})
    assert found(router, "/café/a/b") is None


# -- never raise --------------------------------------------------------------------------

ODD_PATHS = [
    "",
    "/",
    "//",
    "///a//b//",
    "/" * 10_000,
    "/a" * 50_000,
    "/" + "x" * 200_000,
    "/%",
    "/%%",
    "/%2",
    "/%zz/%",
    "/%FF%FE",
    "/\ud800",
    "/\udcff/%ED%A0%80",
    "/é/日本/🙂",
    "/\x00/\r\n",
    "?",
    "#",
    "/a?b=c",
    "*",
    " ",
]


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("path", ODD_PATHS, ids=range(len(ODD_PATHS)))
def test_matching_never_raises_on_odd_paths(strict: bool, path: str) -> None:
    router = Router(strict_slashes=strict)
    router.get("/", h1)
    router.get("/a/:x", h1)
    router.get("/a/b/*rest", h1)
    router.get("/:p/:q/c", h1)
    router.all("/x/*", h1)
    router.match("GET", path)
    router.match("", path)
    router.match("\ud800", path)
    router.allowed_methods(path)


def test_long_paths_do_not_recurse_deeply() -> None:
    router = Router()
    router.get("/*", h1)
    router.get("/:a/:b", h2)
    assert found(router, "/a" * 100_000) == ("/*", {"*": "/".join(["a"] * 100_000)})

"""Registration API: prefixes, methods, handlers, errors, mounting, iteration, public surface."""

from __future__ import annotations

import dataclasses
import re
import types
from typing import Any

import pytest

import harpia_router
from harpia_router import Match, Route, Router


def home() -> None: ...


def show() -> None: ...


def auth() -> None: ...


def test_all_matches_the_public_names() -> None:
    # Public = not underscored, not a `from __future__` feature, not a submodule.
    public = {
        name
        for name, value in vars(harpia_router).items()
        if not name.startswith("_")
        and type(value).__module__ != "__future__"
        and not isinstance(value, types.ModuleType)
    }
    assert isinstance(harpia_router.__all__, tuple)
    assert set(harpia_router.__all__) == public | {"__version__"}
    assert len(set(harpia_router.__all__)) == len(harpia_router.__all__)
    for name in public:
        assert getattr(harpia_router, name).__module__.startswith("harpia_router.")


def test_version_matches_the_distribution() -> None:
    from importlib.metadata import version

    assert harpia_router.__version__ == version("harpia-router") == "0.1.0"


# -- prefix -------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["books", "/books", "books/", "/books/", "/books//"])
def test_prefix_spellings_are_equivalent(prefix: str) -> None:
    router = Router(prefix=prefix)
    router.get("/:id", show)
    router.get("/", home)
    assert router.prefix == "/books"
    assert router.match("GET", "/books/42") == Match((show,), {"id": "42"}, "/books/:id")
    assert router.match("GET", "/books") == Match((home,), {}, "/books")
    assert router.match("GET", "/books/") == Match((home,), {}, "/books")


@pytest.mark.parametrize("prefix", [None, "", "/"])
def test_no_prefix(prefix: str | None) -> None:
    router = Router(prefix)
    router.get("/", home)
    assert router.prefix == ""
    assert router.match("GET", "/") == Match((home,), {}, "/")


def test_empty_path_is_the_prefix_itself_and_a_missing_slash_is_added() -> None:
    router = Router("api", strict_slashes=True)
    router.get("", home)
    router.get("items", show)
    assert [route.pattern for route in router] == ["/api", "/api/items"]
    assert Router().add("GET", "", home).pattern == "/"


def test_prefix_may_hold_parameters() -> None:
    router = Router("/users/:uid")
    router.get("/posts/:pid", show)
    match = router.match("GET", "/users/7/posts/9")
    assert match is not None
    assert match.params == {"uid": "7", "pid": "9"}
    assert match.route == "/users/:uid/posts/:pid"


@pytest.mark.parametrize("prefix", ["/files/*", "/a/*rest", "/a//b", "/:"])
def test_invalid_prefix_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(prefix.rstrip("/")))):
        Router(prefix)


def test_prefix_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="prefix must be a str"):
        Router(42)  # type: ignore[arg-type]


# -- methods and handlers ---------------------------------------------------------------


@pytest.mark.parametrize("verb", ["get", "post", "put", "patch", "delete", "options", "head"])
def test_verb_helpers_register_their_method(verb: str) -> None:
    router = Router()
    route = getattr(router, verb)("/x", show)
    assert route == Route(verb.upper(), "/x", (show,))
    assert router.match(verb.upper(), "/x") == Match((show,), {}, "/x")
    assert router.allowed_methods("/x") == {verb.upper()}


def test_all_registers_under_star_and_answers_every_method() -> None:
    router = Router()
    assert router.all("/any", show) == Route("*", "/any", (show,))
    for method in ("GET", "POST", "PROPFIND", "BREW"):
        assert router.match(method, "/any") == Match((show,), {}, "/any")
    assert router.allowed_methods("/any") == {"*"}


def test_star_method_is_all() -> None:
    router = Router()
    router.add("*", "/x", show)
    assert router.match("DELETE", "/x") is not None


def test_methods_are_upper_cased_at_registration_and_compared_exactly_at_lookup() -> None:
    router = Router()
    assert router.add("get", "/x", show).method == "GET"
    assert router.add("m-search", "/y", show).method == "M-SEARCH"
    router.get("/users/:id", show)
    router.all("/any", show)
    assert router.match("GET", "/x") is not None
    assert router.match("M-SEARCH", "/y") is not None
    # RFC 9110 §9.1: methods are case-sensitive; "get" is not GET (static and trie paths)
    for method in ("get", "Get", "gET"):
        assert router.match(method, "/x") is None
        assert router.match(method, "/x/") is None
        assert router.match(method, "/users/7") is None
    assert router.match("m-search", "/y") is None
    assert router.allowed_methods("/x") == {"GET"}
    assert router.match("post", "/any") is not None  # an all route answers any method


@pytest.mark.parametrize("method", ["", "GE T", "GET\r\n", "GET/1", "(GET)", "ÉTÉ", "\x00"])
def test_invalid_method_is_refused(method: str) -> None:
    with pytest.raises(ValueError, match="invalid HTTP method"):
        Router().add(method, "/x", show)


def test_no_handler_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"GET '/x': at least one handler is required"):
        Router().get("/x")


def test_any_object_is_stored_as_a_handler() -> None:
    """The router is for any framework: a name, a tuple, an endpoint object all round-trip."""

    class Endpoint:  # not callable
        pass

    endpoint = Endpoint()
    router = Router()
    router.post("/x", auth, "oops", ("view", 1), endpoint, None)
    match = router.match("POST", "/x")
    assert match is not None
    assert match.handlers == (auth, "oops", ("view", 1), endpoint, None)
    assert next(iter(router)).handlers[3] is endpoint


def test_harpia_still_refuses_a_handler_that_is_not_callable() -> None:
    from harpia import Router as HarpiaRouter
    from harpia import harpia

    not_callable: Any = "oops"
    with pytest.raises(TypeError, match=r"must be callable .*, got 'oops'"):
        harpia().get("/x", not_callable)

    def middleware(req: Any, res: Any, next: Any) -> None: ...

    with pytest.raises(TypeError, match=r"must be callable .*, got 'oops'"):
        HarpiaRouter().post("/x", middleware, not_callable)


def test_the_readme_examples_print_what_it_shows() -> None:
    import contextlib
    import io
    from pathlib import Path

    from tests.support.readme import PACKAGES, examples

    readme = PACKAGES / "harpia-router" / "README.md"
    ran = 0
    for example in examples(Path(readme)):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(example.code, f"{readme}:{example.line}", "exec"), {"__name__": "ex"})
        if example.output is not None:
            assert printed.getvalue().rstrip("\n") == example.output.rstrip("\n"), example.line
        ran += 1
    assert ran >= 2


def test_handlers_are_kept_in_order_as_a_tuple() -> None:
    router = Router()
    router.get("/x", auth, show, home)
    match = router.match("GET", "/x")
    assert match is not None
    assert match.handlers == (auth, show, home)


# -- Match and Route values ---------------------------------------------------------------


def test_match_is_a_frozen_slotted_dataclass() -> None:
    router = Router()
    router.get("/:id", show)
    match = router.match("GET", "/1")
    assert match is not None
    assert dataclasses.is_dataclass(match)
    assert not hasattr(match, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.route = "/other"  # type: ignore[misc]
    assert match == Match(handlers=(show,), params={"id": "1"}, route="/:id")
    assert repr(match).startswith("Match(handlers=(<function show")


def test_each_match_gets_its_own_params_dict() -> None:
    router = Router()
    router.get("/static", show)
    router.get("/p/:id", show)
    for path in ("/static", "/p/1"):
        first = router.match("GET", path)
        assert first is not None
        first.params["tampered"] = "yes"
        second = router.match("GET", path)
        assert second is not None
        assert "tampered" not in second.params


def test_route_is_a_frozen_slotted_dataclass() -> None:
    route = Router().get("/x", show)
    assert not hasattr(route, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        route.method = "POST"  # type: ignore[misc]


# -- iteration ----------------------------------------------------------------------------


def test_iteration_lists_routes_in_registration_order() -> None:
    router = Router("api")
    router.get("/b", show)
    router.post("/a/:id", auth, show)
    router.all("/files/*path", home)
    assert list(router) == [
        Route("GET", "/api/b", (show,)),
        Route("POST", "/api/a/:id", (auth, show)),
        Route("*", "/api/files/*path", (home,)),
    ]
    assert len(router) == 3
    assert repr(router) == "Router(prefix='/api', strict_slashes=False, routes=3)"


def test_iteration_is_a_snapshot() -> None:
    router = Router()
    router.get("/a", show)
    seen = []
    for route in router:
        seen.append(route)
        router.get("/b", show)
    assert len(seen) == 1
    assert len(router) == 2


# -- registration errors ------------------------------------------------------------------


def test_duplicate_method_and_pattern_quotes_both_patterns() -> None:
    router = Router()
    router.get("/books/:id", show)
    with pytest.raises(
        ValueError,
        match=re.escape("GET '/books/:id' is already registered (as GET '/books/:id')"),
    ):
        router.get("/books/:id", home)


def test_duplicate_after_slash_normalisation_quotes_both_spellings() -> None:
    router = Router()
    router.get("/books", show)
    with pytest.raises(ValueError, match=re.escape("'/books' is already registered")):
        router.add("GET", "/books/", home)
    router.get("/caf%C3%A9", show)
    with pytest.raises(ValueError, match=re.escape("GET '/café'") + ".*" + "'/caf%C3%A9'"):
        router.get("/café", home)


def test_duplicate_all_route_and_wildcard() -> None:
    router = Router()
    router.all("/x", show)
    with pytest.raises(ValueError, match=re.escape("ALL '/x' is already registered")):
        router.all("/x", show)
    router.get("/f/*", show)
    with pytest.raises(ValueError, match=re.escape("GET '/f/*' is already registered")):
        router.get("/f/*", show)


def test_same_pattern_different_methods_is_fine() -> None:
    router = Router()
    router.get("/x/:id", show)
    router.post("/x/:id", auth)
    router.all("/x/:id", home)
    assert router.allowed_methods("/x/1") == {"GET", "POST", "*"}


def test_two_parameter_names_at_one_position_quote_both_patterns() -> None:
    router = Router()
    router.get("/users/:id", show)
    message = (
        "conflicting parameter names: ':name' in '/users/:name/posts' and ':id' in"
        " '/users/:id' are at the same position"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        router.post("/users/:name/posts", show)


def test_two_wildcard_names_at_one_position_quote_both_patterns() -> None:
    router = Router()
    router.get("/files/*path", show)
    with pytest.raises(
        ValueError, match=re.escape("'*' in '/files/*' and '*path' in '/files/*path'")
    ):
        router.post("/files/*", show)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/a/:", "empty parameter name (':') in route pattern '/a/:'"),
        ("/a/:/b", "empty parameter name (':') in route pattern '/a/:/b'"),
        ("/*/a", "wildcard '*' must be the last segment of route pattern '/*/a'"),
        ("/a/*rest/b", "wildcard '*rest' must be the last segment of route pattern '/a/*rest/b'"),
        ("/a//b", "empty segment ('//') in route pattern '/a//b'"),
        ("//", "empty segment ('//') in route pattern '//'"),
        ("/:id/:id", "parameter name 'id' used twice in route pattern '/:id/:id'"),
        ("/:id/*id", "parameter name 'id' used twice in route pattern '/:id/*id'"),
        ("/:1st", "invalid parameter name '1st' in route pattern '/:1st'"),
        ("/:a-b", "invalid parameter name 'a-b' in route pattern '/:a-b'"),
        ("/*a.b", "invalid parameter name 'a.b' in route pattern '/*a.b'"),
        ("/:*", "invalid parameter name '*' in route pattern '/:*'"),
    ],
)
def test_invalid_patterns_are_refused(path: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Router().get(path, show)


def test_wildcard_followed_by_a_slash_is_refused_only_with_strict_slashes() -> None:
    assert Router().get("/a/*/", show).pattern == "/a/*"
    with pytest.raises(ValueError, match="must be the last segment of route pattern '/a/\\*/'"):
        Router(strict_slashes=True).get("/a/*/", show)


def test_path_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="route path must be a str"):
        Router().get(None, show)  # type: ignore[arg-type]


def test_a_refused_route_leaves_the_router_unchanged() -> None:
    router = Router()
    router.get("/a/:x/b", show)
    with pytest.raises(ValueError, match="conflicting parameter names"):
        router.get("/a/:y/c", show)
    # The refused pattern created nothing: the old name still rules and works.
    router.get("/a/:x/c", home)
    assert router.match("GET", "/a/1/c") == Match((home,), {"x": "1"}, "/a/:x/c")
    assert len(router) == 2


# -- mounting -----------------------------------------------------------------------------


def test_routes_mounts_under_both_prefixes() -> None:
    books = Router("books")
    books.get("/", home)
    books.get("/:id", show)
    books.all("/:id/files/*", auth)
    api = Router("/api/")
    api.routes(books)
    assert [(r.method, r.pattern) for r in api] == [
        ("GET", "/api/books"),
        ("GET", "/api/books/:id"),
        ("*", "/api/books/:id/files/*"),
    ]
    assert api.match("GET", "/api/books/") == Match((home,), {}, "/api/books")
    assert api.match("PUT", "/api/books/1/files/a/b") == Match(
        (auth,), {"id": "1", "*": "a/b"}, "/api/books/:id/files/*"
    )
    assert books.match("GET", "/api/books") is None


def test_routes_is_a_snapshot() -> None:
    child = Router()
    child.get("/a", show)
    parent = Router()
    parent.routes(child)
    child.get("/b", show)
    assert parent.match("GET", "/b") is None
    assert len(parent) == 1


def test_routes_keeps_existing_routes_and_indexes_them_again() -> None:
    parent = Router()
    parent.get("/:id", show)
    parent.get("/static", home)
    child = Router("/c")
    child.get("/:id", auth)
    parent.routes(child)
    assert parent.match("GET", "/static") == Match((home,), {}, "/static")
    assert parent.match("GET", "/x") == Match((show,), {"id": "x"}, "/:id")
    assert parent.match("GET", "/c/x") == Match((auth,), {"id": "x"}, "/c/:id")
    parent.get("/c/:id/more", show)  # the rebuilt index still accepts new routes
    assert len(parent) == 4


def test_conflicting_mount_raises_and_changes_nothing() -> None:
    parent = Router()
    parent.get("/users/:id", show)
    child = Router("users")
    child.get("/new", home)  # fine on its own
    child.get("/:name/posts", auth)  # conflicts with :id
    with pytest.raises(ValueError, match=re.escape("':name' in '/users/:name/posts'")):
        parent.routes(child)
    assert list(parent) == [Route("GET", "/users/:id", (show,))]
    assert parent.match("GET", "/users/new") == Match((show,), {"id": "new"}, "/users/:id")


def test_duplicate_mount_raises() -> None:
    parent = Router()
    child = Router()
    child.get("/x", show)
    parent.routes(child)
    with pytest.raises(ValueError, match=re.escape("GET '/x' is already registered")):
        parent.routes(child)


def test_mounted_patterns_follow_the_parent_slash_mode() -> None:
    child = Router(strict_slashes=True)
    child.get("/a", show)
    child.get("/a/", home)
    with pytest.raises(ValueError, match="already registered"):
        Router().routes(child)
    strict_parent = Router(strict_slashes=True)
    strict_parent.routes(child)
    assert strict_parent.match("GET", "/a/") == Match((home,), {}, "/a/")


def test_routes_needs_a_router() -> None:
    not_a_router: Any = [Route("GET", "/x", (show,))]
    with pytest.raises(TypeError, match="routes\\(\\) expects a Router, not list"):
        Router().routes(not_a_router)

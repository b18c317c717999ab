"""Property tests: the router agrees with a naive reference matcher, and never raises."""

from __future__ import annotations

from urllib.parse import unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from harpia_router import Router
from harpia_router._pattern import _ESCAPE_OR_UNSAFE, _canonical_piece, canonical


def handler() -> None: ...


# -- the reference --------------------------------------------------------------------------
# Deliberately naive: try every route, keep those that match the path and accept the method,
# and pick the best by a priority key (segment kinds compared from the left, static 0 <
# param 1 < wildcard 2, a shorter tuple first; then a specific method before "*").


def ref_normalise(path: str, strict: bool) -> str | None:
    if path == "":
        path = "/"
    if not path.startswith("/"):
        return None
    if not strict and len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


def ref_kind(segment: str) -> int:
    return 2 if segment.startswith("*") else 1 if segment.startswith(":") else 0


def ref_params(pattern: str, path: str, strict: bool) -> dict[str, str] | None:
    wanted = pattern[1:].split("/")
    given_ = path[1:].split("/")
    params: dict[str, str] = {}
    for index, segment in enumerate(wanted):
        if segment.startswith("*"):
            rest = given_[index:]
            if strict and not rest:
                return None
            params[segment[1:] or "*"] = unquote("/".join(rest))
            return params
        if index >= len(given_):
            return None
        value = given_[index]
        if segment.startswith(":"):
            if not value:
                return None
            params[segment[1:]] = unquote(value)
        elif unquote(segment) != unquote(value):
            return None
    return params if len(wanted) == len(given_) else None


def ref_match(
    routes: list[tuple[str, str]], strict: bool, method: str, path: str
) -> tuple[str, dict[str, str]] | None:
    normal = ref_normalise(path, strict)
    if normal is None:
        return None
    best: tuple[tuple[tuple[int, ...], bool], str, dict[str, str]] | None = None
    for route_method, pattern in routes:
        if route_method not in (method, "*"):
            continue
        params = ref_params(pattern, normal, strict)
        if params is None:
            continue
        key = (tuple(ref_kind(s) for s in pattern[1:].split("/")), route_method == "*")
        if best is None or key < best[0]:
            best = (key, pattern, params)
    return None if best is None else (best[1], best[2])


def ref_allowed(routes: list[tuple[str, str]], strict: bool, path: str) -> set[str]:
    normal = ref_normalise(path, strict)
    if normal is None:
        return set()
    return {m for m, pattern in routes if ref_params(pattern, normal, strict) is not None}


# -- strategies -----------------------------------------------------------------------------
# Small alphabets so that routes overlap a lot. Parameter and wildcard names depend only on
# the depth, so random route sets never hold two names at one position.

STATIC_WORDS = ["a", "b", "c", "é"]
PATH_WORDS = [*STATIC_WORDS, "", "A", "%61", "%C3%A9", "x%2Fy", "z", "%20"]
METHODS = ["GET", "POST", "*"]


@st.composite
def patterns(draw: st.DrawFn, strict: bool) -> str:
    depth = draw(st.integers(0, 4))
    segments = []
    for index in range(depth):
        kind = draw(st.sampled_from(["static", "static", "param", "wildcard"]))
        if kind == "wildcard":
            segments.append("*" if index % 2 else f"*w{index}")
            break
        segments.append(f":p{index}" if kind == "param" else draw(st.sampled_from(STATIC_WORDS)))
    pattern = "/" + "/".join(segments)
    if strict and segments and not segments[-1].startswith("*") and draw(st.booleans()):
        pattern += "/"
    return pattern


@st.composite
def route_sets(draw: st.DrawFn) -> tuple[bool, list[tuple[str, str]]]:
    strict = draw(st.booleans())
    pairs = draw(st.lists(st.tuples(st.sampled_from(METHODS), patterns(strict)), max_size=25))
    unique: dict[tuple[str, str], None] = {}
    for method, pattern in pairs:
        unique[method, ref_normalise(pattern, strict) or pattern] = None
    return strict, draw(st.permutations(list(unique)))


@st.composite
def paths(draw: st.DrawFn) -> str:
    segments = draw(st.lists(st.sampled_from(PATH_WORDS), max_size=5))
    path = "/" + "/".join(segments)
    if draw(st.booleans()):
        path += "/"
    return draw(st.sampled_from([path, path, path, "", "a/b"]))


# -- properties -----------------------------------------------------------------------------


@settings(max_examples=400)
@given(route_sets(), st.lists(st.tuples(st.sampled_from(["GET", "POST", "PUT"]), paths())))
def test_match_agrees_with_the_reference(
    routes: tuple[bool, list[tuple[str, str]]], requests: list[tuple[str, str]]
) -> None:
    strict, pairs = routes
    router = Router(strict_slashes=strict)
    for method, pattern in pairs:
        router.add(method, pattern, handler)
    for method, path in requests:
        match = router.match(method, path)
        got = None if match is None else (match.route, match.params)
        assert got == ref_match(pairs, strict, method, path), (method, path)
        assert router.allowed_methods(path) == ref_allowed(pairs, strict, path), path


@given(route_sets(), st.data(), st.lists(paths(), max_size=8))
def test_registration_order_does_not_matter(
    routes: tuple[bool, list[tuple[str, str]]], data: st.DataObject, probes: list[str]
) -> None:
    strict, pairs = routes
    first, second = Router(strict_slashes=strict), Router(strict_slashes=strict)
    for method, pattern in pairs:
        first.add(method, pattern, handler)
    for method, pattern in data.draw(st.permutations(pairs)):
        second.add(method, pattern, handler)
    for path in probes:
        for method in ("GET", "POST"):
            assert first.match(method, path) == second.match(method, path)


def odd_router(strict: bool) -> Router:
    router = Router(strict_slashes=strict)
    for pattern in ["/", "/a", "/a/:x", "/a/:x/c", "/a/b/*rest", "/:p/:q", "/é/*", "/%2F/:v"]:
        router.get(pattern, handler)
    router.all("/x/*", handler)
    return router


LOOSE, STRICT = odd_router(False), odd_router(True)


@settings(max_examples=500)
@given(st.text(), st.text(max_size=8))
def test_matching_never_raises_on_any_string(path: str, method: str) -> None:
    for router in (LOOSE, STRICT):
        router.match(method, path)
        router.match("GET", "/" + path)
        router.allowed_methods(path)
        router.allowed_methods("/" + path)


@settings(max_examples=300)
@given(
    st.lists(
        st.text(st.characters(codec="utf-8"), max_size=3)
        | st.sampled_from(["%", "%2f", "%41", "%7e", "%C3%A9", "%e9", "%FF", "%5c", "/"])
    ).map("".join)
)
def test_canonical_is_idempotent_and_keeps_the_decoded_value(text: str) -> None:
    once = canonical(text)
    assert canonical(once) == once
    assert unquote(once) == unquote(text)
    assert once.isascii()
    # The fast "already canonical" check never skips a needed change.
    assert once == _ESCAPE_OR_UNSAFE.sub(_canonical_piece, text)

"""Registration-time checks: other frameworks' path syntax and handler signatures (issue 18).

Each mistake used to register fine and fail later (a 404 with nothing logged, or a 500 per
request); now it raises when the route is added, naming the route and the fix.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

import harpia as hp
from harpia import Next, Request, Response, Router, TestClient


def handler(req: Request, res: Response) -> None:
    res.text("ok")


async def middleware(req: Request, res: Response, next: Next) -> None:
    await next()


@pytest.mark.parametrize(
    ("path", "suggestion"),
    [
        ("/books/{id}", "'/books/:id'"),  # FastAPI / Starlette
        ("/books/<id>", "'/books/:id'"),  # Flask
        ("/x/<int:id>", "'/x/:id'"),  # Flask with a converter
        ("/x/{id:int}", "'/x/:id'"),  # Starlette with a convertor
        ("/files/<path:rest>", "'/files/*rest'"),  # the rest of the path
        ("/files/{rest:path}", "'/files/*rest'"),
        ("/a/{a}/b/<b>", "'/a/:a/b/:b'"),
    ],
)
def test_foreign_parameter_syntax_raises_with_the_harpia_spelling(
    path: str, suggestion: str
) -> None:
    app = hp.harpia()
    with pytest.raises(ValueError, match="did you mean") as caught:
        app.get(path, handler)
    message = str(caught.value)
    assert suggestion in message
    assert f"route GET {path!r}" in message
    assert len(app.router) == 0  # nothing registered


def test_braces_inside_a_segment_are_refused_too() -> None:
    with pytest.raises(ValueError, match=r"segment 'book\{id\}\.json'"):
        hp.harpia().post("/book{id}.json", handler)


def test_every_registration_checks_paths() -> None:
    app = hp.harpia()
    with pytest.raises(ValueError, match="did you mean '/books/:id'"):
        Router("/api").get("/books/{id}", handler)
    with pytest.raises(ValueError, match=r"Router prefix '/users/\{id\}'"):
        Router("/users/{id}")
    with pytest.raises(ValueError, match="did you mean"):
        app.ws("/chat/{room}", {"message": lambda ws, data: None})
    with pytest.raises(ValueError, match=r"app.use\('/panel/<id>'\)"):
        app.use("/panel/<id>", middleware)
    with pytest.raises(ValueError, match="did you mean"):

        @app.get("/decorated/{id}")
        def decorated(req: Request, res: Response) -> None: ...


async def test_the_suggested_path_works() -> None:
    app = hp.harpia()
    app.get("/books/:id", lambda req, res: {"id": req.params["id"]})
    res = await TestClient(app).get("/books/7")
    assert (res.status, res.json()) == (200, {"id": "7"})


def test_a_handler_that_cannot_take_req_res_raises_naming_the_route() -> None:
    app = hp.harpia()

    def one(req: Request) -> str:
        return "x"

    with pytest.raises(TypeError) as caught:
        app.get("/one", one)  # type: ignore[call-overload]
    message = str(caught.value)
    assert "route GET '/one'" in message
    assert "one(req: 'Request')" in message or "one(req: Request)" in message
    assert "a handler takes (req, res)" in message
    with pytest.raises(TypeError, match=r"route POST '/zero'.*a handler takes \(req, res\)"):
        app.post("/zero", lambda: None)  # type: ignore[call-overload]
    assert len(app.router) == 0


def test_a_middleware_as_the_handler_is_named_as_such() -> None:
    with pytest.raises(TypeError, match="is it a middleware"):
        hp.harpia().get("/x", middleware)  # type: ignore[call-overload]


def test_a_handler_in_middleware_position_is_named_as_such() -> None:
    with pytest.raises(
        TypeError, match=r"middleware\(req, res, next\).*a handler, not a middleware"
    ):
        hp.harpia().get("/x", handler, handler)  # type: ignore[call-overload]


def test_use_and_set_not_found_check_signatures() -> None:
    app = hp.harpia()
    with pytest.raises(TypeError, match=r"app.use\(\): the middleware .* takes \(req, res, next\)"):
        app.use(handler)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"app.use\('/panel'\)"):
        app.use("/panel", handler)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"app.set_not_found\(\).*takes \(req, res\)"):
        app.set_not_found(lambda req: None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be callable"):
        app.use("/x", "not callable")  # type: ignore[call-overload]
    assert app._middlewares == []


def test_flexible_signatures_are_accepted() -> None:
    """Defaults, *args, partials, bound methods and callable objects all fit."""
    app = hp.harpia()

    def with_default(req: Request, res: Response, extra: int = 1) -> None: ...

    def star(*args: Any) -> None: ...

    def three(prefix: str, req: Request, res: Response) -> None: ...

    class View:
        def show(self, req: Request, res: Response) -> None: ...

        def __call__(self, req: Request, res: Response) -> None: ...

    class Guard:
        async def __call__(self, req: Request, res: Response, next: Next) -> None: ...

    app.get("/a", with_default)
    app.get("/b", star)
    app.get("/c", functools.partial(three, "p"))
    app.get("/d", View().show)
    app.get("/e", View())
    app.get("/f", Guard(), star, handler)
    app.use(Guard())
    app.use(star)
    assert len(app.router) == 6
    with pytest.raises(TypeError, match=r"route GET '/g': the handler len\(obj, /\)"):
        app.get("/g", len)  # type: ignore[call-overload]  # builtins are checked too


def test_thread_true_is_refused_for_async_handlers() -> None:
    async def handler_async(req: Request, res: Response) -> None: ...

    with pytest.raises(TypeError, match=r"route GET '/x': thread=True is for plain def handlers"):
        hp.harpia().get("/x", handler_async, thread=True)
    with pytest.raises(TypeError, match="thread must be a bool"):
        hp.harpia().get("/x", handler, thread="yes")  # type: ignore[call-overload]


async def test_a_decorator_that_injects_an_argument_is_not_refused() -> None:
    """What is checked is what gets called: a decorator's wrapper (``functools.wraps``
    would otherwise make ``inspect.signature`` report the function it wraps)."""

    def with_user(fn: Any) -> Any:
        @functools.wraps(fn)
        def wrapper(req: Request, res: Response) -> Any:
            return fn(req, res, "ada")

        return wrapper

    @with_user
    def profile(req: Request, res: Response, user: str) -> dict[str, str]:
        return {"user": user}

    app = hp.harpia()
    app.get("/me", profile)
    assert (await TestClient(app).get("/me")).json() == {"user": "ada"}

    def broken(fn: Any) -> Any:
        @functools.wraps(fn)
        def wrapper(req: Request) -> Any:
            return fn(req, None)

        return wrapper

    with pytest.raises(TypeError, match="route GET '/broken'"):
        app.get("/broken", broken(handler))

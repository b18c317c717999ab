"""Every documented handler and middleware form: mypy --strict must accept all of it."""

from __future__ import annotations

from typing import Any

from harpia import Handler, Middleware, Next, Request, Response, Router, harpia

app = harpia()
books = Router("/books", thread=True)


def returns_none(req: Request, res: Response) -> None:
    res.json({"ok": True})


async def returns_none_async(req: Request, res: Response) -> None:
    await res.render("home", {"title": "x"})


def returns_dict(req: Request, res: Response) -> dict[str, Any]:
    return {"id": req.params["id"]}


async def returns_list(req: Request, res: Response) -> list[int]:
    return [1, 2]


def returns_str(req: Request, res: Response) -> str:
    return "<p>hi</p>"


def returns_bytes(req: Request, res: Response) -> bytes:
    return b"\x00"


def returns_response(req: Request, res: Response) -> Response:
    return Response("made", status=201)


def returns_res(req: Request, res: Response) -> Response:
    return res.status(202).json({"a": 1})


def returns_tuple(req: Request, res: Response) -> tuple[dict[str, Any], int]:
    return {"created": True}, 201


async def returns_triple(req: Request, res: Response) -> tuple[str, int, dict[str, str]]:
    return "moved", 200, {"X-Id": "1"}


def returns_pair_headers(req: Request, res: Response) -> tuple[str, list[tuple[str, str]]]:
    return "x", [("X-A", "1")]


async def auth(req: Request, res: Response, next: Next) -> None:
    await next()


def sync_middleware(req: Request, res: Response, next: Next) -> None:
    next()


def returns_next(req: Request, res: Response, next: Next) -> Next:
    return next()


app.get("/none", returns_none)
app.get("/none-async", returns_none_async)
app.get("/dict/:id", returns_dict, max_body_size=10)
app.post("/list", auth, returns_list)
app.put("/str", auth, sync_middleware, returns_str)
app.patch("/bytes", auth, sync_middleware, returns_next, returns_bytes)
app.delete("/response", auth, auth, auth, auth, returns_response)
app.options("/res", returns_res)
app.head("/tuple", returns_tuple, thread=True)
app.all("/triple", returns_triple)
app.get("/pair", returns_pair_headers)
app.get("/lambda/:id", lambda req, res: {"id": req.params["id"]})
app.get("/lambda-none", lambda req, res: res.text("x"))
app.get("/many", auth, auth, auth, auth, auth, auth, returns_none)
app.add("get", "/add", auth, returns_list)


@app.get("/decorated")
def decorated(req: Request, res: Response) -> dict[str, int]:
    return {"a": 1}


@app.post("/decorated-async", max_body_size=1024)
async def decorated_async(req: Request, res: Response) -> dict[str, Any]:
    data: dict[str, Any] = await req.json()
    return data


@books.get("/:id")
def show_book(req: Request, res: Response) -> dict[str, str]:
    return {"id": req.params["id"]}


books.post("/", auth, returns_tuple)
app.routes(books)
app.use(auth)
app.use(auth, sync_middleware)
app.use("/panel", auth)
app.set_not_found(returns_str)
app.set_not_found(lambda req, res: ("not here", 404), methods=["GET"])

handler: Handler = returns_dict
middleware: Middleware = auth
app.get("/typed", middleware, handler)
assert decorated(Any, Any) == {"a": 1}  # type: ignore[arg-type]  # the function is kept

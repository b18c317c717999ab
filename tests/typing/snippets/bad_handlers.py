"""Mistakes mypy --strict must reject at the registration call (lines marked ``# E``)."""

from __future__ import annotations

from harpia import Next, Request, Response, Router, harpia

app = harpia()
books = Router("/books")


def wrong(req: int) -> int:
    return req


def returns_int(req: Request, res: Response) -> int:
    return 1


def handler(req: Request, res: Response) -> None:
    res.text("x")


async def middleware(req: Request, res: Response, next: Next) -> None:
    await next()


def one_argument(req: Request) -> str:
    return "x"


app.get("/wrong", wrong)  # E: call-overload
app.get("/int", returns_int)  # E: call-overload
app.get("/one", one_argument)  # E: call-overload
app.post("/order", handler, middleware)  # E: call-overload
app.put("/x", middleware, wrong)  # E: call-overload
books.get("/:id", wrong)  # E: call-overload
app.use(handler)  # E: call-overload
app.use("/panel", handler)  # E: call-overload
app.set_not_found(wrong)  # E: arg-type
app.get("/lambda", lambda req, res: 42)  # E: call-overload
app.get("/kw", handler, max_body_size="big")  # E: call-overload
app.get("/thread", handler, thread="yes")  # E: call-overload
app.add("GET", "/add", wrong)  # E: arg-type


@app.get("/decorated")  # E: type-var
def decorated(req: str, res: Response) -> None:
    return None

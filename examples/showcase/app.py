"""A small but real Harpia app: a books JSON API, a middleware, errors and an HTML form.

Run it with ``scripts/showcase`` (native server on port 3000), or under any ASGI server:
``uvicorn examples.showcase.app:app``. Data lives in a ``MemoryStore``: no Redis needed.
"""

from __future__ import annotations

import time
from html import escape
from itertools import count
from typing import Any

from harpia import HTTPError, MemoryStore, Request, Response, Router, harpia

app = harpia()
store = MemoryStore(limit=1000)
_ids = count(1)


# -- a middleware: timing and a request id on every response ------------------------------


async def timing(req: Request, res: Response, next: Any) -> None:
    started = time.perf_counter()
    req.state["request_id"] = f"req-{next_id()}"
    await next()
    res.header("x-request-id", req.state["request_id"])
    res.header("server-timing", f"app;dur={(time.perf_counter() - started) * 1000:.2f}")


def next_id() -> int:
    return next(_ids)


app.use(timing)


# -- the books API on its own router ------------------------------------------------------

books = Router("/api/books")


async def all_books() -> list[dict[str, Any]]:
    found = [await store.get(key) for key in await store.keys("book:")]
    return [book for book in found if book is not None]


@books.get("/")
async def list_books(req: Request, res: Response) -> list[dict[str, Any]]:
    items = await all_books()
    author = req.query.get("author")
    return [b for b in items if author is None or b["author"] == author]


@books.get("/:id")
async def show_book(req: Request, res: Response) -> dict[str, Any]:
    book: dict[str, Any] | None = await store.get(f"book:{req.params['id']}")
    if book is None:
        raise HTTPError(404, f"no book {req.params['id']!r}")
    return book


def require_json(req: Request, res: Response, next: Any) -> None:
    """A route middleware (sync): JSON bodies only."""
    if req.content_type != "application/json":
        raise HTTPError(415, "send the book as application/json")
    next()


async def validated(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("title"), str):
        raise HTTPError(422, "a book needs a string 'title'")
    return {"title": data["title"], "author": str(data.get("author", "unknown"))}


async def create_book(req: Request, res: Response) -> None:
    book = await validated(await req.json())
    book["id"] = str(next_id())
    await store.set(f"book:{book['id']}", book)
    res.status(201).header("location", f"/api/books/{book['id']}").json(book)


async def delete_book(req: Request, res: Response) -> None:
    key = f"book:{req.params['id']}"
    if await store.get(key) is None:
        raise HTTPError(404, f"no book {req.params['id']!r}")
    await store.delete(key)
    if "text/html" in req.headers.get("accept", ""):
        res.redirect("/", status=303)
    else:
        res.status(204)


books.post("/", require_json, create_book)  # Express form: route middleware, then handler
books.delete("/:id", delete_book)
app.routes(books)
app.delete("/books/:id", delete_book)  # reached by the HTML form through method override


# -- pages ---------------------------------------------------------------------------


@app.get("/")
async def home(req: Request, res: Response) -> str:
    rows = "".join(
        f"<li>{escape(b['title'])} by {escape(b['author'])}"
        f'<form method="post" action="/books/{escape(b["id"])}">'
        f'<input type="hidden" name="_method" value="DELETE"><button>delete</button></form></li>'
        for b in await all_books()
    )
    return (
        "<!doctype html><title>Harpia showcase</title><h1>Books</h1>"
        f"<ul>{rows}</ul>"
        '<form method="post" action="/books"><input name="title" placeholder="title">'
        '<input name="author" placeholder="author"><button>add</button></form>'
    )


@app.post("/books")
async def add_from_form(req: Request, res: Response) -> None:
    form = await req.form()
    book = await validated({"title": form.get("title"), "author": form.get("author")})
    book["id"] = str(next_id())
    await store.set(f"book:{book['id']}", book)
    res.redirect("/", status=303)


@app.get("/health")
def health(req: Request, res: Response) -> dict[str, str]:
    return {"status": "ok"}


@app.get("/boom")
def boom(req: Request, res: Response) -> None:
    raise RuntimeError("this route fails on purpose: see the 500 and the log")


@app.on_startup
async def seed() -> None:
    seeds = (("Dom Casmurro", "Machado de Assis"), ("Grande Sertão: Veredas", "Guimarães Rosa"))
    for title, author in seeds:
        book_id = str(next_id())
        await store.set(f"book:{book_id}", {"id": book_id, "title": title, "author": author})

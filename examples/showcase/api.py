"""The JSON API: ``/api/books``. Reading is public and cached; writing needs a signed-in
session and the CSRF token in the ``X-CSRF-Token`` header (``GET /api/me`` hands it out).

A page on the one configured origin (``SHOWCASE_API_ORIGIN``) may call it with
``fetch(url, {credentials: "include"})``: CORS is set up in ``app.py``. Its writes carry
the session cookie only from the same site (the cookie is ``SameSite=Lax``): serve the
showcase on ``localhost:3000`` for a front end on ``localhost:5173``.
"""

from __future__ import annotations

from typing import Any

from harpia import HTTPError, Request, Response, Router

from .auth import current_user, signed_in
from .shelf import api_cache, changed, shelf, validated

router = Router("/api")


async def list_books(req: Request, res: Response) -> list[dict[str, Any]]:
    res.header("cache-control", "public, max-age=5")  # browsers may keep it 5 s
    return await shelf.all()


router.get("/books", api_cache, list_books)  # the cache answers first, 304 included


@router.get("/books/:id")
async def show_book(req: Request, res: Response) -> dict[str, Any]:
    book = await shelf.get(req.params["id"])
    if book is None:
        raise HTTPError(404, f"no book {req.params['id']!r}")
    return book


async def create_book(req: Request, res: Response) -> None:
    title, author = validated(await req.json())
    book = await shelf.add(title, author, None, by=current_user(req) or "?")
    await changed(req, "added", book)
    res.status(201).header("location", f"/api/books/{book['id']}").json(book)


async def delete_book(req: Request, res: Response) -> None:
    book = await shelf.remove(req.params["id"])
    await changed(req, "removed", book)
    res.status(204)


router.post("/books", signed_in, create_book)
router.delete("/books/:id", signed_in, delete_book)


@router.get("/me")
def me(req: Request, res: Response) -> dict[str, Any]:
    """Who is signed in, and the token to send as X-CSRF-Token with writes."""
    res.header("cache-control", "no-store")
    return {"user": current_user(req), "csrf_token": req.csrf_token}

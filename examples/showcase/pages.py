"""The HTML pages: the shelf, adding a book with its cover, deleting one.

Forms post back here, and each action ends with a flash message and a redirect
(POST/redirect/GET), so reloading a page never sends a form twice.
"""

from __future__ import annotations

import secrets

import anyio

from harpia import HTTPError, Request, Response, Router, Upload

from .auth import current_user, errors_as_flash, flash, page_data, signed_in
from .settings import MAX_COVER, UPLOADS
from .shelf import changed, shelf, validated

router = Router()

# Covers are streamed to disk while they arrive: type, extension, size and the file's
# first bytes (its signature) are checked on the way; a refused file leaves nothing behind.
# A random name: a cover URL never changes content, so it can be cached for a year.
covers = Upload(
    field_name="cover",
    file_name=lambda req, original: secrets.token_hex(8),
    path=UPLOADS,
    options={
        "allowed_extensions": [".png", ".jpg", ".jpeg", ".gif", ".webp"],
        "allowed_types": ["image/png", "image/jpeg", "image/gif", "image/webp"],
        "max_size": MAX_COVER,
        "max_files": 1,
    },
)


@router.get("/")
async def home(req: Request, res: Response) -> None:
    books = await shelf.all()
    await res.render("home", page_data(req, books=books))


async def add_book(req: Request, res: Response) -> None:
    form = await req.form()  # the other fields of the multipart form
    try:
        title, author = validated({"title": form.get("title"), "author": form.get("author")})
    except HTTPError:
        if req.file:  # the cover was saved before the title was checked
            await anyio.Path(req.file.path).unlink(missing_ok=True)
        raise
    cover = f"/covers/{req.file.filename}" if req.file else None
    book = await shelf.add(title, author, cover, by=current_user(req) or "?")
    await changed(req, "added", book)  # open pages show it at once
    flash(req, f"Added “{title}”.")
    res.redirect("/", status=303)


async def delete_book(req: Request, res: Response) -> None:
    book = await shelf.remove(req.params["id"])
    cover = book.get("cover") or ""
    if cover.startswith("/covers/"):
        await anyio.Path(UPLOADS / cover.removeprefix("/covers/")).unlink(missing_ok=True)
    await changed(req, "removed", book)
    flash(req, f"Deleted “{book['title']}”.")
    res.redirect("/", status=303)


# Express form: route middlewares in order, then the handler. A 4xx becomes a flash
# message, the user must be signed in, then the cover is received. (The CSRF check, an
# app middleware, ran before all of them: it found _csrf at the start of the form.)
router.post(
    "/books", errors_as_flash, signed_in, covers.single, add_book, max_body_size=MAX_COVER + 65_536
)
# An HTML form can only GET or POST: the form sends _method=DELETE as its first field,
# and the app's method override routes that POST here.
router.delete("/books/:id", errors_as_flash, signed_in, delete_book)

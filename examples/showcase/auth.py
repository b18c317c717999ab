"""Sign-in and sign-out with a server-side session, CSRF on every form, flash messages.

The session data lives in the store (Redis with ``REDIS_URL``); the browser only holds an
opaque, HttpOnly id. A flash message is a one-shot note kept in the session: set by the
action, shown and removed by the next page.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from harpia import CSRF, HTTPError, Request, Response, Router, Session

from .settings import store

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

session = Session(store, ttl=8 * 3600)  # cookie "session_id": HttpOnly, SameSite=Lax
csrf = CSRF(store, ttl=2 * 3600)  # a form stays valid for two hours
MAX_NAME = 32

router = Router()


# -- flash messages ---------------------------------------------------------------------


def flash(req: Request, text: str, kind: str = "ok") -> None:
    """Keep a message for the next page (``kind``: ``ok`` or ``error``)."""
    req.session["flash"] = {"text": text, "kind": kind}


def take_flash(req: Request) -> dict[str, str] | None:
    """The pending message, once. It is replaced by ``None`` rather than deleted: a
    session left empty is deleted, and the CSRF token of this page's forms with it."""
    message: dict[str, str] | None = req.session.get("flash")
    if message is not None:
        req.session["flash"] = None
    return message


def page_data(req: Request, **extra: Any) -> dict[str, Any]:
    """What every page's layout needs (the flash is read first: see take_flash)."""
    message = take_flash(req)
    user, token = current_user(req), req.csrf_token
    # worker: which process rendered the page (the footer shows it: try --workers 2)
    return {"user": user, "csrf": token, "flash": message, "worker": os.getpid(), **extra}


async def errors_as_flash(req: Request, res: Response, next: Callable[[], Awaitable[None]]) -> None:
    """Route middleware for HTML forms: a 4xx further down (a refused upload, a missing
    title) becomes a flash message and a redirect back, instead of an error page."""
    await next()
    error = res.error
    if isinstance(error, HTTPError) and 400 <= error.status < 500:
        flash(req, error.message, "error")
        res.error = None
        res.redirect("/", status=303)


# -- who is signed in -------------------------------------------------------------------


def current_user(req: Request) -> str | None:
    user = req.session.get("user")
    return user if isinstance(user, str) else None


async def signed_in(req: Request, res: Response, next: Callable[[], Awaitable[None]]) -> None:
    """Route middleware: only for signed-in users (401 otherwise)."""
    if current_user(req) is None:
        raise HTTPError(401, "sign in first")
    await next()


# -- the routes -------------------------------------------------------------------------


@router.get("/signin")
async def signin_page(req: Request, res: Response) -> None:
    await res.render("signin", page_data(req))


@router.post("/signin")
async def signin(req: Request, res: Response) -> None:
    # The CSRF middleware has checked the form's _csrf field before we get here.
    name = str((await req.form()).get("name") or "").strip()[:MAX_NAME]
    if not name:
        flash(req, "Type a name to sign in.", "error")
        res.redirect("/signin", status=303)
        return
    # A demo: anyone may sign in with any name. A real app checks a password here.
    req.session["user"] = name
    await session.regenerate(req, res)  # a new session id: session-fixation defence
    flash(req, f"Welcome, {name}!")
    res.redirect("/", status=303)


@router.post("/signout")
async def signout(req: Request, res: Response) -> None:
    name = current_user(req)
    req.session.pop("user", None)
    flash(req, f"Goodbye, {name}." if name else "You were not signed in.")
    await session.regenerate(req, res)  # the old id is dead; only the flash remains
    res.redirect("/", status=303)

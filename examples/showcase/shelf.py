"""The bookshelf: books kept in a store, and every open page told about each change.

Books are JSON dicts under ``book:<id>``; ids come from an atomic counter (``incr``), so
two workers sharing one Redis never hand out the same id.
"""

from __future__ import annotations

import json
from typing import Any

from harpia import HTTPError, MemoryStore, RedisStore, Request, http_cache

from .settings import store

FEED = "books"  # the pub/sub topic every open page's WebSocket is subscribed to
MAX_TITLE = 120

SEEDS = (
    ("Dom Casmurro", "Machado de Assis", "/static/img/dom-casmurro.svg"),
    ("Grande Sertão: Veredas", "Guimarães Rosa", "/static/img/grande-sertao.svg"),
    ("A Hora da Estrela", "Clarice Lispector", "/static/img/hora-da-estrela.svg"),
)


def validated(data: Any) -> tuple[str, str]:
    """``(title, author)`` from a form or JSON body; 422 when the title is missing."""
    if not isinstance(data, dict):
        raise HTTPError(422, "send the book as a JSON object")
    title, author = data.get("title"), data.get("author")
    if not isinstance(title, str) or not title.strip():
        raise HTTPError(422, "a book needs a title")
    if author is not None and not isinstance(author, str):
        raise HTTPError(422, "the author must be text")
    return title.strip()[:MAX_TITLE], (author or "").strip()[:MAX_TITLE] or "unknown"


class Shelf:
    def __init__(self, store: MemoryStore | RedisStore) -> None:
        self.store = store

    async def all(self) -> list[dict[str, Any]]:
        """Every book, the newest first."""
        found = [await self.store.get(key) for key in await self.store.keys("book:")]
        books = [book for book in found if isinstance(book, dict)]
        return sorted(books, key=lambda book: int(book["id"]), reverse=True)

    async def get(self, book_id: str) -> dict[str, Any] | None:
        book = await self.store.get(f"book:{book_id}")
        return book if isinstance(book, dict) else None

    async def add(self, title: str, author: str, cover: str | None, by: str) -> dict[str, Any]:
        book_id = str(await self.store.incr("book-ids"))
        book = {"id": book_id, "title": title, "author": author, "cover": cover, "by": by}
        await self.store.set(f"book:{book_id}", book)
        return book

    async def remove(self, book_id: str) -> dict[str, Any]:
        """Delete a book; 404 when there is no such book."""
        book = await self.get(book_id)
        if book is None:
            raise HTTPError(404, f"no book {book_id!r}")
        await self.store.delete(f"book:{book_id}")
        return book

    async def seed(self) -> None:
        """A few books on the first start (``incr`` is atomic: one worker seeds)."""
        if await self.store.incr("seeded") == 1:
            for title, author, cover in SEEDS:
                await self.add(title, author, cover, "harpia")


async def changed(req: Request, event: str, book: dict[str, Any]) -> None:
    """After a change: drop the cached API list and tell every open page, on every
    worker (through Redis when configured)."""
    await api_cache.purge("/api/books")
    if req.app is not None:
        await req.app.publish(FEED, json.dumps({"type": event, "book": book}))


shelf = Shelf(store)
# GET /api/books goes through this cache (see api.py). Entries live in the store, so
# workers share them with Redis; each gets an ETag, and a matching If-None-Match a 304.
api_cache = http_cache(store, ttl=60, prefix="http-cache:")

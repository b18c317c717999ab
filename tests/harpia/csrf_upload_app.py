"""The CSRF-on-multipart test app (session + CSRF + Upload) and multipart bodies for it."""

from __future__ import annotations

import hashlib
import random
from typing import TYPE_CHECKING, Any

from harpia import CSRF, Harpia, MemoryStore, Request, Response, Session, TestClient, Upload, harpia

if TYPE_CHECKING:
    from pathlib import Path

BOUNDARY = b"csrfboundary5678"
CONTENT_TYPE = "multipart/form-data; boundary=csrfboundary5678"
DATA = random.Random(8).randbytes(1 << 20)  # a 1 MiB file: far beyond the 64 KiB peek
DATA_SHA = hashlib.sha256(DATA).hexdigest()
ADVICE = "put the _csrf field before the file fields, or send the token in the X-CSRF-Token"


def part(name: str, data: bytes | str, filename: str | None = None) -> bytes:
    """One form-data part (a file part when ``filename`` is given)."""
    head = b'--%s\r\nContent-Disposition: form-data; name="%s"' % (BOUNDARY, name.encode())
    if filename is not None:
        head += b'; filename="%s"\r\nContent-Type: application/octet-stream' % filename.encode()
    raw = data.encode() if isinstance(data, str) else data
    return head + b"\r\n\r\n" + raw + b"\r\n"


def multipart(*parts: bytes) -> bytes:
    """The whole body: ``parts`` and the closing boundary."""
    return b"".join(parts) + b"--%s--\r\n" % BOUNDARY


def make_app(folder: Path, **csrf_options: Any) -> Harpia:
    """``GET /start`` starts a session, ``GET /token`` returns its CSRF token, ``POST
    /up`` saves one file (``Upload.single``) and returns its SHA-256 and the other
    fields, ``POST /fields`` returns ``await req.form()`` (no Upload)."""
    store = MemoryStore()
    app = harpia()
    app.use(Session(store).middleware())
    app.use(CSRF(store).middleware(**csrf_options))

    @app.get("/start")
    def start(req: Request, res: Response) -> str:
        req.session["user"] = "ann"
        return "ok"

    @app.get("/token")
    def token(req: Request, res: Response) -> dict[str, Any]:
        return {"token": req.csrf_token}  # bound to the session started before

    upload = Upload(path=folder, options={"max_size": None})

    async def saved(req: Request, res: Response) -> dict[str, Any]:
        form = await req.form()
        file = req.file
        return {
            "form": {key: form.getall(key) for key in form},
            "sha256": hashlib.sha256(file.path.read_bytes()).hexdigest() if file else None,
            "size": file.size if file else None,
        }

    app.post("/up", upload.single, saved, max_body_size=16 << 20)

    @app.post("/fields")
    async def fields(req: Request, res: Response) -> dict[str, Any]:
        form = await req.form()
        return {key: form.getall(key) for key in form}

    return app


async def start(client: TestClient) -> tuple[str, str]:
    """Start a session through ``client``: ``(session cookie value, CSRF token)``."""
    cookie = (await client.get("/start")).cookies["session_id"]
    token = (await client.get("/token")).json()["token"]
    assert isinstance(token, str)
    return cookie, token

"""res.download, res.attachment and res.format over real sockets on both drivers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harpia import Request, Response, harpia

from .conftest import Client, get, running

if TYPE_CHECKING:
    from pathlib import Path


async def test_download_and_format_live(driver: str, tmp_path: Path) -> None:
    data = b"0123456789" * 50_000  # 500 kB: streamed, not read at once
    (tmp_path / "big.bin").write_bytes(data)
    app = harpia()

    @app.get("/file")
    async def file(req: Request, res: Response) -> None:
        await res.download(tmp_path / "big.bin", "résumé 2026.bin")

    @app.get("/hello")
    async def hello(req: Request, res: Response) -> None:
        await res.format({"html": lambda req, res: "<b>hi</b>", "json": lambda req, res: {"hi": 1}})

    async with running(app, driver) as server:
        assert server.port is not None
        c = await Client.connect(server.port)
        await c.send(get("/file"))
        whole = await c.response()
        await c.send(get("/file", "range: bytes=-5"))
        tail = await c.response()
        await c.send(get("/hello", "accept: application/json;q=0.9, text/html;q=0.1"))
        as_json = await c.response()
        await c.send(get("/hello", "accept: text/csv"))
        refused = await c.response()
        await c.close()
    assert whole.status == 200
    assert whole.body == data
    assert whole.headers[b"content-disposition"] == (
        b"attachment; filename=\"resume 2026.bin\"; filename*=UTF-8''r%C3%A9sum%C3%A9%202026.bin"
    )
    assert tail.status == 206
    assert tail.body == b"56789"
    assert as_json.body == b'{"hi":1}'
    assert as_json.headers[b"vary"] == b"Accept"
    assert refused.status == 406

"""The session/CSRF test app, used in process and as a child server process."""

from __future__ import annotations

import sys
from typing import Any

from harpia import CSRF, Harpia, Request, Response, Session, harpia


def make_app(session: Session, csrf: CSRF | None = None, *, preload: bool = True) -> Harpia:
    """The routes that use the session ``await req.session.load()`` (a no-op when
    preloaded), so every test runs the same app in both modes."""
    app = harpia()
    app.use(session.middleware(preload=preload))
    if csrf is not None:
        app.use(csrf.middleware())

    @app.get("/health")
    def health(req: Request, res: Response) -> str:
        return "ok"

    @app.get("/me")
    async def me(req: Request, res: Response) -> dict[str, Any]:
        return {"session": dict(await req.session.load())}

    @app.post("/login")
    async def login(req: Request, res: Response) -> dict[str, Any]:
        form = await req.form()
        await req.session.load()
        req.session["user"] = form.get("user") or "ann"
        await session.regenerate(req, res)
        return {"ok": True}

    @app.post("/count")
    @app.get("/count")
    async def count(req: Request, res: Response) -> dict[str, Any]:
        data = await req.session.load()
        data["n"] = data.get("n", 0) + 1
        return {"n": data["n"]}

    @app.post("/logout")
    async def logout(req: Request, res: Response) -> dict[str, Any]:
        (await req.session.load()).clear()
        return {"ok": True}

    @app.get("/form")
    def form(req: Request, res: Response) -> dict[str, Any]:
        return {"token": req.csrf_token}

    @app.post("/transfer")
    def transfer(req: Request, res: Response) -> dict[str, Any]:
        return {"done": True}

    return app


if __name__ == "__main__":  # python -m tests.harpia.session_app PORT REDIS_URL PREFIX [csrf]
    from harpia_store import RedisStore

    port, url, prefix = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    store = RedisStore(url, prefix=prefix, connect_timeout=1, timeout=1)
    csrf = CSRF(store) if sys.argv[4:] == ["csrf"] else None
    make_app(Session(store, ttl=600), csrf).listen(port=port, hostname="127.0.0.1")

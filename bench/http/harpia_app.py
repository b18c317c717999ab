"""Contender: the harpia app with the benchmark's two routes.

Served by harpia's own server (``app.listen``), or, as an extra row, by uvicorn with
``--http h11`` (every harpia app is also an ASGI 3 app)::

    .venv/bin/python bench/http/harpia_app.py --port 8000
    .venv/bin/python bench/http/harpia_app.py --port 8000 --server uvicorn-h11

``--probe`` exits 0 when the chosen server can run, else prints why and exits 3; the
runner uses it to skip this contender while the framework is incomplete. harpia and
uvicorn are imported with ``importlib`` so that mypy passes whatever state they are in.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import sys
from typing import Any

PROBE_FAILED = 3


def plaintext(req: Any, res: Any) -> None:
    res.text("Hello, World!")


def js(req: Any, res: Any) -> None:
    res.json({"message": "Hello, World!"})


def build_app() -> Any:
    """``GET /plaintext`` and ``GET /json`` on a fresh harpia app."""
    harpia: Any = importlib.import_module("harpia")
    app = harpia.harpia()
    app.get("/plaintext", plaintext)
    app.get("/json", js)
    return app


def listen(app: Any, host: str, port: int) -> None:
    """Serve with harpia's own server, in production mode when ``listen`` has the option."""
    options: dict[str, Any] = {"port": port, "hostname": host}
    if "development" in inspect.signature(app.listen).parameters:
        options["development"] = False
    app.listen(**options)


def run_uvicorn(app: Any, host: str, port: int) -> None:
    """Serve the app as ASGI 3 under uvicorn's h11 protocol on the asyncio loop."""
    uvicorn: Any = importlib.import_module("uvicorn")
    uvicorn.run(
        app,
        host=host,
        port=port,
        http="h11",
        loop="asyncio",
        interface="asgi3",
        access_log=False,
        log_level="warning",
    )


def probe(server: str) -> str | None:
    """Why ``server`` cannot run the app, or None when it can."""
    try:
        app = build_app()
    except Exception as exc:
        return f"cannot build the harpia app: {type(exc).__name__}: {exc}"
    if server == "native" and not callable(getattr(app, "listen", None)):
        return "the harpia app has no listen() yet"
    if server == "uvicorn-h11":
        if importlib.util.find_spec("uvicorn") is None:
            return "uvicorn is not installed (.venv/bin/pip install uvicorn)"
        if not callable(app):
            return "the harpia app is not callable as ASGI yet"
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--server", choices=("native", "uvicorn-h11"), default="native")
    parser.add_argument("--probe", action="store_true", help="check, do not serve")
    args = parser.parse_args(argv)
    if args.probe:
        reason = probe(args.server)
        if reason is not None:
            print(reason)
            sys.exit(PROBE_FAILED)
        return
    app = build_app()
    if args.server == "native":
        listen(app, args.host, args.port)
    else:
        run_uvicorn(app, args.host, args.port)


if __name__ == "__main__":
    main()

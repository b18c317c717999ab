"""Peer: a Starlette app with the benchmark's two routes, served by uvicorn (1 worker).

Starlette, uvicorn, uvloop and httptools are installed for the benchmark only (never a
dependency of any package; mypy runs without them, hence ``importlib``)::

    .venv/bin/pip install starlette uvicorn uvloop httptools
    .venv/bin/python bench/http/peers/starlette_app.py --port 8000 --http h11 --loop asyncio
    .venv/bin/python bench/http/peers/starlette_app.py --port 8000 --http httptools --loop uvloop

Responses are built per request, as any Starlette app does.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any


def build_app() -> Any:
    """``GET /plaintext`` and ``GET /json``, answered by Starlette's response classes."""
    applications: Any = importlib.import_module("starlette.applications")
    responses: Any = importlib.import_module("starlette.responses")
    routing: Any = importlib.import_module("starlette.routing")

    async def plaintext(request: Any) -> Any:
        return responses.PlainTextResponse("Hello, World!")

    async def js(request: Any) -> Any:
        return responses.JSONResponse({"message": "Hello, World!"})

    return applications.Starlette(
        routes=[routing.Route("/plaintext", plaintext), routing.Route("/json", js)]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--http", choices=("h11", "httptools"), default="h11")
    parser.add_argument("--loop", choices=("asyncio", "uvloop", "auto"), default="asyncio")
    args = parser.parse_args(argv)
    uvicorn: Any = importlib.import_module("uvicorn")
    uvicorn.run(
        build_app(),
        host=args.host,
        port=args.port,
        http=args.http,
        loop=args.loop,
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()

"""The command line: ``harpia run [module:app] [options]`` (also ``python -m harpia``).

Without ``module:app``, the app is composed from the config file of the current folder
(``harpia.load``); ``--dev`` then also applies file and config changes live.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from ._errors import ConfigError
from ._version import __version__

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._app import Harpia


def load_app(target: str) -> Harpia:
    """Import ``module:attribute`` (the current folder is importable) and return the app.

    Raises:
        SystemExit: with a clear message when the target is malformed, the module cannot
            be imported, or the attribute is not a Harpia app.
    """
    from ._app import Harpia

    module_name, sep, attribute = target.partition(":")
    if not sep or not module_name or not attribute:
        raise SystemExit(f"harpia: expected module:app (like myproject.main:app), got {target!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SystemExit(f"harpia: cannot import {module_name!r}: {exc}") from exc
    app: Any = module
    for part in attribute.split("."):
        app = getattr(app, part, None)
        if app is None:
            raise SystemExit(f"harpia: {module_name!r} has no attribute {attribute!r}")
    if not isinstance(app, Harpia):
        raise SystemExit(f"harpia: {target} is a {type(app).__name__}, not a Harpia app")
    return app


def parser() -> argparse.ArgumentParser:
    """The argument parser (``harpia --help``)."""
    top = argparse.ArgumentParser(prog="harpia", description="Harpia for Python")
    top.add_argument(
        "--version",
        action="version",
        version=f"harpia-framework {__version__} (Python {sys.version.split()[0]})",
    )
    commands = top.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve an app on the native HTTP/1.1 server")
    run.add_argument(
        "target",
        nargs="?",
        help="module:app, e.g. myproject.main:app (default: load harpia.toml, "
        "[tool.harpia] of pyproject.toml or config.yaml from the current folder)",
    )
    run.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=3000, help="TCP port (default 3000)")
    run.add_argument("--unix", help="serve on this unix socket path instead of TCP")
    run.add_argument("--workers", type=int, default=1, help="worker processes (reuse_port)")
    run.add_argument("--tls-cert", help="certificate file (PEM) for HTTPS")
    run.add_argument("--tls-key", help="private key file (PEM) for HTTPS")
    run.add_argument("--reload", action="store_true", help="restart on .py changes (dev)")
    run.add_argument(
        "--dev",
        "--development",
        dest="development",
        action="store_true",
        help="development: tracebacks in 500s; with a config file, live updates of files "
        "and config",
    )
    return top


def server_options(args: argparse.Namespace) -> dict[str, Any]:
    """Turn parsed arguments into ``app.listen`` options."""
    if bool(args.tls_cert) != bool(args.tls_key):
        raise SystemExit("harpia: --tls-cert and --tls-key go together")
    if args.workers < 1:
        raise SystemExit("harpia: --workers must be >= 1")
    options: dict[str, Any] = {"hostname": args.host, "port": args.port}
    if args.unix:
        options["unix"] = args.unix
    if args.tls_cert:
        options["tls"] = {"cert": args.tls_cert, "key": args.tls_key}
    if args.workers > 1:
        options["workers"] = args.workers
        options["reuse_port"] = True
    if args.development or args.reload:
        options["development"] = True
    return options


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``harpia`` command."""
    args = parser().parse_args(argv)
    if not logging.getLogger().handlers:  # show "listening on ..." and errors by default
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.command == "run":
        options = server_options(args)
        if args.reload and os.environ.get("HARPIA_RELOADER_CHILD") != "1":
            from ._reload import run_with_reloader

            argv_list = list(sys.argv[1:] if argv is None else argv)
            raise SystemExit(run_with_reloader(argv_list))
        app = load_app(args.target) if args.target else load_config_app()
        try:
            app.listen(**options)
        except ConfigError as exc:  # a component failed to start
            raise SystemExit(f"harpia: {exc}") from exc


def load_config_app() -> Harpia:
    """Compose the app from the config file of the current folder (``harpia.load``).

    Raises:
        SystemExit: with the ``ConfigError`` message when the config is wrong.
    """
    from .components import load

    try:
        return load(os.getcwd())
    except ConfigError as exc:
        raise SystemExit(f"harpia: {exc}") from exc

"""The command line: ``harpia run [module:app] [options]``, ``harpia routes [module:app]``
(also ``python -m harpia``).

Without ``module:app``, the app is composed from the config file of the current folder
(``harpia.load``); ``--dev`` then also applies file and config changes live.
"""

from __future__ import annotations

import argparse
import difflib
import errno
import importlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ._errors import ConfigError
from ._logs import LEVELS, install, while_importing
from ._version import __version__

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._app import Harpia


def load_app(target: str, app_dir: str | None = None) -> Harpia:
    """Import ``module:attribute`` and return the app.

    The current folder is importable, and ``app_dir`` (``--app-dir``) comes first on
    ``sys.path`` when given.

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
    if app_dir is not None:
        folder = os.path.abspath(app_dir)
        if not os.path.isdir(folder):
            raise SystemExit(f"harpia: --app-dir {app_dir!r} is not a folder")
        if folder in sys.path:
            sys.path.remove(folder)
        sys.path.insert(0, folder)
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


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose "unrecognized arguments" error suggests the closest."""

    def error(self, message: str) -> NoReturn:
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):
            first = message[len(prefix) :].split()[0]
            known = sorted(_option_strings(self))
            close = difflib.get_close_matches(first.split("=")[0], known, n=1)
            if close:
                message += f" (did you mean {close[0]}?)"
        super().error(message)


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    names: set[str] = set()
    for action in parser._actions:
        names.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                names |= _option_strings(sub)
    return names


TARGET_HELP = (
    "module:app, e.g. myproject.main:app (default: load harpia.toml, "
    "[tool.harpia] of pyproject.toml or config.yaml from the current folder)"
)


def parser() -> argparse.ArgumentParser:
    """The argument parser (``harpia --help``)."""
    top = _Parser(prog="harpia", description="Harpia for Python")
    top.add_argument(
        "--version",
        action="version",
        version=f"harpia-framework {__version__} (Python {sys.version.split()[0]})",
    )
    commands = top.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve an app on the native HTTP/1.1 server")
    run.add_argument("target", nargs="?", help=TARGET_HELP)
    run.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=3000, help="TCP port (default 3000)")
    run.add_argument("--unix", help="serve on this unix socket path instead of TCP")
    run.add_argument("--workers", type=int, default=1, help="worker processes (reuse_port)")
    run.add_argument("--tls-cert", help="certificate file (PEM) for HTTPS")
    run.add_argument("--tls-key", help="private key file (PEM) for HTTPS")
    run.add_argument(
        "--reload",
        action="store_true",
        help="restart when a .py, template, static or config file changes (implies --dev)",
    )
    run.add_argument(
        "--reload-include",
        action="append",
        default=[],
        metavar="GLOB",
        help="also watch files matching GLOB (repeatable; default *.py *.html *.css *.js "
        "harpia.toml pyproject.toml config.yaml)",
    )
    run.add_argument(
        "--reload-exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="never watch files or folders matching GLOB (repeatable; hidden folders, "
        "__pycache__, node_modules and venv never are)",
    )
    run.add_argument(
        "--access-log",
        dest="access_log",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="log one line per request (client, method, path, status, bytes, ms); on by default",
    )
    run.add_argument(
        "--log-level",
        choices=LEVELS,
        type=str.lower,
        help="level of harpia's loggers (default info)",
    )
    run.add_argument("--app-dir", help="folder put first on sys.path before importing the app")
    run.add_argument(
        "--dev",
        "--development",
        dest="development",
        action="store_true",
        help="development: tracebacks in 500s, templates reload; with a config file, "
        "live updates of files and config",
    )
    routes = commands.add_parser(
        "routes", help="print the app's routes: method, path, handler, middleware"
    )
    routes.add_argument("target", nargs="?", help=TARGET_HELP)
    routes.add_argument("--app-dir", help="folder put first on sys.path before importing the app")
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
    options["access_log"] = args.access_log
    return options


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``harpia`` command."""
    args = parser().parse_args(argv)
    if args.command == "routes":
        from ._routes_table import format_table, route_rows

        app = load_app(args.target, args.app_dir) if args.target else load_config_app()
        print(format_table(route_rows(app)))
        return
    options = server_options(args)
    if args.reload and os.environ.get("HARPIA_RELOADER_CHILD") != "1":
        from ._reload import run_with_reloader

        install(args.log_level)
        _check_port_free(options)
        argv_list = list(sys.argv[1:] if argv is None else argv)
        roots = [Path(args.app_dir).resolve()] if args.app_dir else []
        raise SystemExit(
            run_with_reloader(
                argv_list,
                include=args.reload_include,
                exclude=args.reload_exclude,
                roots=roots,
            )
        )
    with while_importing():
        app = load_app(args.target, args.app_dir) if args.target else load_config_app()
    install(args.log_level)  # level and PID on every line, unless the app set up logging
    try:
        app.listen(**options)
    except ConfigError as exc:  # a component failed to start
        raise SystemExit(f"harpia: {exc}") from exc
    except OSError as exc:
        raise SystemExit(_bind_error(exc, options)) from exc


def _bind_error(exc: OSError, options: dict[str, Any]) -> str:
    """One line for a socket that cannot be bound (re-raises anything else)."""
    from ._server._sockets import AddressInUse

    if isinstance(exc, AddressInUse):
        return f"harpia: {exc} — pick another with --port"
    if "unix" in options and exc.errno in (errno.EADDRINUSE, errno.EEXIST, errno.EACCES):
        return f"harpia: cannot listen on unix:{options['unix']}: {exc.strerror or exc}"
    raise exc


def _check_port_free(options: dict[str, Any]) -> None:
    """``--reload``: fail at once (one line, exit 1) when the port is taken."""
    if "unix" in options or not options.get("port"):
        return
    from ._server._sockets import tcp_socket

    try:
        tcp_socket(options["hostname"], options["port"]).close()
    except OSError as exc:
        raise SystemExit(_bind_error(exc, options)) from exc


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

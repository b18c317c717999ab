"""``workers=N``: a supervisor process and N forked workers sharing the port.

Why fork (``multiprocessing`` with the ``fork`` start method): the app is usually built at
import time with lambdas and closures as handlers, which ``spawn`` would have to pickle
or re-import; a forked worker simply inherits it, and it inherits the listening sockets
too. ``listen`` is blocking and runs before any event loop exists in the parent, which is
when forking is safe. (Platforms without ``fork`` — Windows — cannot use ``workers>1``.)

Sockets are bound in the parent, before forking, so the port is known (``port=0`` works)
and connections queue in the backlog from the start:

- with ``reuse_port=True`` each worker gets its own ``SO_REUSEPORT`` socket on the same
  port, and the kernel spreads new connections evenly between them;
- otherwise all workers accept on one shared socket.

The parent supervises: a worker that dies is restarted (unless it died within a second of
starting, which stops everything rather than fork in a loop). SIGINT/SIGTERM to the
parent send SIGTERM to every worker, which shuts down gracefully; workers still alive
``shutdown_timeout`` (+5) seconds later are killed. Workers ignore SIGINT (a Ctrl+C
reaches the whole process group; the parent forwards it once, as SIGTERM).
"""

from __future__ import annotations

import inspect
import multiprocessing
import os
import signal
import time
from dataclasses import replace
from functools import partial
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any

import anyio

from .._process_state import forked_first_worker, start_workers
from ._common import logger
from ._sockets import bound_address, remove_unix_socket, tcp_socket, unix_socket

if TYPE_CHECKING:
    import socket
    from multiprocessing.process import BaseProcess
    from types import FrameType

    from .._app import Harpia
    from ._config import Config

_CRASH_WINDOW = 1.0


def run_workers(app: Harpia, config: Config) -> None:
    """Run ``config.workers`` worker processes until SIGINT/SIGTERM (blocking)."""
    context = multiprocessing.get_context("fork")
    sockets = _bind(config)
    stopping: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    workers: list[tuple[BaseProcess, float]] = []
    try:
        start_workers(app, config.workers)  # warn about per-process state, once
        for index in range(config.workers):
            workers.append(_spawn(context, app, config, sockets, index))
            forked_first_worker()
        info = config.info(*bound_address(sockets[0]))
        logger.info(
            "harpia listening on %s (%s driver, %d workers%s)",
            info.url,
            "asyncio" if config.driver == "auto" else config.driver,
            config.workers,
            ", development mode" if config.development or app.development else "",
        )
        if config.on_listen is not None:
            result = config.on_listen(info)
            if inspect.isawaitable(result):
                anyio.run(_await, result)
        while not stopping:
            wait([process.sentinel for process, _ in workers], timeout=0.5)
            for index, (process, started) in enumerate(workers):
                if process.is_alive() or stopping:
                    continue
                logger.error("worker %s exited with code %s", process.pid, process.exitcode)
                if time.monotonic() - started < _CRASH_WINDOW:
                    logger.error("a worker died right after starting: stopping")
                    stopping.append(0)
                    break
                workers[index] = _spawn(context, app, config, sockets, index)
    finally:
        _stop(workers, config.shutdown_timeout + 5)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if config.unix is not None:
            remove_unix_socket(config.unix)
        for sock in sockets:
            sock.close()


async def _await(result: Any) -> None:
    await result


def _bind(config: Config) -> list[socket.socket]:
    if config.unix is not None:
        return [unix_socket(config.unix, backlog=config.backlog)]
    assert config.port is not None
    first = tcp_socket(
        config.hostname, config.port, reuse_port=config.reuse_port, backlog=config.backlog
    )
    if not config.reuse_port:
        return [first]
    port = bound_address(first)[1]
    assert port is not None
    others = [
        tcp_socket(config.hostname, port, reuse_port=True, backlog=config.backlog)
        for _ in range(config.workers - 1)
    ]
    return [first, *others]


def _spawn(
    context: Any, app: Harpia, config: Config, sockets: list[socket.socket], index: int
) -> tuple[BaseProcess, float]:
    process: BaseProcess = context.Process(
        target=_worker, args=(app, config, sockets, index % len(sockets)), daemon=False
    )
    process.start()
    return process, time.monotonic()


def _worker(app: Harpia, config: Config, sockets: list[socket.socket], index: int) -> None:
    """A worker process: serve on ``sockets[index]`` until SIGTERM."""
    from ._server import Server

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sock = sockets[index]
    for other in sockets:
        if other is not sock:
            other.close()
    server = Server(app, sock=sock, config=replace(config, workers=1, on_listen=None))
    server._signals = (signal.SIGTERM,)
    server.worker = True
    anyio.run(partial(server.serve, handle_signals=True))


def _stop(workers: list[tuple[BaseProcess, float]], timeout: float) -> None:
    for process, _ in workers:
        if process.is_alive() and process.pid is not None:
            os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process, _ in workers:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            logger.warning("worker %s did not stop in time: killing it", process.pid)
            process.kill()
            process.join(5)

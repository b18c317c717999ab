"""``Server``: binds, runs the app's hooks, a driver, signals and the shutdown sequence.

Lifecycle of ``Server.serve``::

    bind the socket → app.startup() → driver starts accepting → on_listen(info)
    … until stop() (or SIGINT/SIGTERM with handle_signals) …
    stop accepting → idle connections closed, busy ones finish their response
    (at most shutdown_timeout seconds) → the rest aborted → after-response tasks
    (res.after) finish (at most shutdown_timeout seconds) → app.shutdown()
"""

from __future__ import annotations

import inspect
import signal
import threading
from functools import partial
from typing import TYPE_CHECKING

import anyio

from .._ws_options import WSOptions
from ._common import _on_asyncio, logger, make_driver
from ._config import Config, ListenInfo
from ._sockets import bound_address, remove_unix_socket, tcp_socket, unix_socket

if TYPE_CHECKING:
    import socket
    from typing import Unpack

    from anyio.abc import TaskGroup, TaskStatus

    from .._app import Harpia
    from ._common import Driver
    from ._config import ListenOptions


class Server:
    """The native HTTP/1.1 server for one app, in the running event loop.

    Args:
        app: The application.
        sock: An already listening socket to serve on (workers get theirs from the
            supervisor); by default one is bound from the options.
        config: Validated options, instead of ``**options``.
        **options: The options of ``harpia._server.serve`` (``port``, ``hostname``,
            ``unix``, ``tls``, timeouts, limits, ``driver`` …; ``ListenOptions``).

    Raises:
        TypeError: An unknown option (named, with the valid ones and the closest one).
        ValueError: Invalid options (e.g. neither ``port`` nor ``unix``).

    Example::

        server = Server(app, port=0, hostname="127.0.0.1")
        async with anyio.create_task_group() as tg:
            port = await tg.start(server.serve)
            ...
            await server.shutdown()
    """

    def __init__(
        self,
        app: Harpia,
        *,
        sock: socket.socket | None = None,
        config: Config | None = None,
        **options: Unpack[ListenOptions],
    ) -> None:
        self.app = app
        self.config = config if config is not None else Config.from_options(options, "Server()")
        self.worker = False  # a worker of run_workers: the supervisor announces the port
        self.info: ListenInfo | None = None
        self._sock = sock
        self._stop_requested = False
        self._stop_event: anyio.Event | None = None
        self._done: anyio.Event | None = None
        self._drain_scope: anyio.CancelScope | None = None
        self._signals: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)

    @property
    def port(self) -> int | None:
        """The bound TCP port once listening (the real one when ``port=0``)."""
        return self.info.port if self.info is not None else None

    def stop(self) -> None:
        """Begin a graceful shutdown (call it from the server's event loop thread).

        A second call skips the wait for in-flight requests.
        """
        if self._stop_requested and self._drain_scope is not None:
            self._drain_scope.cancel()
        self._stop_requested = True
        if self._stop_event is not None:
            self._stop_event.set()

    async def shutdown(self) -> None:
        """Stop the server and wait until ``serve`` has finished."""
        self.stop()
        if self._done is not None:
            await self._done.wait()

    async def serve(
        self,
        *,
        handle_signals: bool = False,
        task_status: TaskStatus[int | None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        """Serve until ``stop()``; ``task_status.started(port)`` once listening.

        Args:
            handle_signals: Stop gracefully on SIGINT/SIGTERM (main thread only); a
                second signal stops without waiting for in-flight requests.
            task_status: For ``await task_group.start(server.serve)``.
        """
        config, app = self.config, self.app
        if config.development is not None:
            app.development = config.development
        if config.max_request_body_size is not None:
            app.max_request_body_size = config.max_request_body_size
        if config.ws is not None:
            app.ws_options = WSOptions.from_mapping(config.ws)
        self._stop_event = anyio.Event()
        self._done = anyio.Event()
        if self._stop_requested:
            self._stop_event.set()
        ssl_context = config.ssl_context()
        own_socket = self._sock is None
        sock = self._sock if self._sock is not None else self._bind()
        started = False
        try:
            await app.startup()
            started = True
            if app.development:
                _reload_templates(app)
            driver = make_driver(config.driver, app, config, ssl_context)
            # res.after() tasks: waited for once the connections are done (the wait is
            # bounded by shutdown_timeout), before the app's shutdown hooks
            async with (
                app.after_tasks.serving(config.shutdown_timeout),
                anyio.create_task_group() as group,
            ):
                try:
                    await self._run(driver, group, sock, handle_signals, task_status)
                finally:
                    with anyio.CancelScope(shield=True):
                        await driver.stop_accepting()
                        await driver.abort()
                    group.cancel_scope.cancel()
        finally:
            if own_socket and config.unix is not None:
                remove_unix_socket(config.unix)
            sock.close()
            if started:
                with anyio.CancelScope(shield=True):
                    await app.shutdown()
            self._done.set()

    async def _run(
        self,
        driver: Driver,
        group: TaskGroup,
        sock: socket.socket,
        handle_signals: bool,
        task_status: TaskStatus[int | None],
    ) -> None:
        config = self.config
        await driver.start(group, sock)
        self.info = config.info(*bound_address(sock))
        what = driver_name(config)
        if self.worker:
            logger.info("worker ready (%s driver)", what)
        else:
            mode = ", development mode" if self.app.development else ""
            logger.info("harpia listening on %s (%s driver, 1 worker%s)", self.info.url, what, mode)
        if config.on_listen is not None:
            result = config.on_listen(self.info)
            if inspect.isawaitable(result):
                await result
        if handle_signals and threading.current_thread() is threading.main_thread():
            group.start_soon(self._watch_signals)
        task_status.started(self.port)
        await self._stop_event.wait()  # type: ignore[union-attr]
        logger.info("shutting down")
        await driver.stop_accepting()
        with anyio.move_on_after(config.shutdown_timeout) as self._drain_scope:
            await driver.drain()
        if self._drain_scope.cancelled_caught:
            logger.warning("shutdown timeout: closing the connections left")

    def _bind(self) -> socket.socket:
        config = self.config
        if config.unix is not None:
            return unix_socket(config.unix, backlog=config.backlog)
        assert config.port is not None
        return tcp_socket(
            config.hostname, config.port, reuse_port=config.reuse_port, backlog=config.backlog
        )

    async def _watch_signals(self) -> None:
        with anyio.open_signal_receiver(*self._signals) as signals:
            async for signum in signals:
                logger.info("received %s", signal.Signals(signum).name)
                self.stop()


def driver_name(config: Config) -> str:
    """The driver ``config.driver`` means here (``"auto"``: asyncio on asyncio)."""
    if config.driver != "auto":
        return config.driver
    return "asyncio" if _on_asyncio() else "anyio"


def _reload_templates(app: Harpia) -> None:
    """Development: make the app's template engine pick up edited templates."""
    engine = app.engine.get()
    if getattr(engine, "auto_reload", None) is False:
        try:
            engine.auto_reload = True
        except AttributeError:  # an engine with a read-only flag: leave it
            return
        logger.debug("development: templates reload when their files change")


async def serve(app: Harpia, **options: Unpack[ListenOptions]) -> None:
    """Serve ``app`` on the native HTTP/1.1 server inside the running event loop.

    Stops gracefully on SIGINT/SIGTERM when running in the main thread. For a server you
    stop yourself, use ``Server(app, **options)`` and ``await server.serve()``.

    Args:
        app: The application.
        **options: ``port`` or ``unix`` (one is required; ``unix`` wins), ``hostname``
            (``"0.0.0.0"``), ``tls`` (``{"cert": path, "key": path}``), ``reuse_port``,
            ``development``, ``max_request_body_size``, ``header_timeout`` (10 s),
            ``keep_alive_timeout`` (5 s), ``body_timeout`` (30 s without a byte of a
            request body → 408, close), ``write_timeout`` (30 s without the client
            reading → close), ``max_header_size`` (16384),
            ``max_headers`` (100), ``shutdown_timeout`` (30 s), ``backlog`` (1024),
            ``on_listen`` (called with a ``ListenInfo``), ``driver``
            (``"auto"``, ``"asyncio"`` or ``"anyio"``), ``access_log`` (one log line
            per request on the ``harpia.access`` logger; default ``None``: in
            development only — ``harpia run`` turns it on).

    Raises:
        TypeError: An unknown option (named, with the valid ones and the closest one).
        ValueError: Invalid options, or ``workers > 1`` (use the blocking ``listen``).
        OSError: The address cannot be bound (``EADDRINUSE``: the port is in use).
    """
    server = Server(app, config=Config.from_options(options, "serve()"))
    if server.config.workers > 1:
        raise ValueError("workers > 1 needs the blocking listen(), which forks the workers")
    await server.serve(handle_signals=True)


def listen(app: Harpia, **options: Unpack[ListenOptions]) -> None:
    """Serve ``app`` until SIGINT/SIGTERM, blocking (``app.listen(...)``).

    Runs an asyncio event loop through anyio; with ``workers=N > 1`` forks N worker
    processes (see ``harpia._server._workers``). Options are those of ``serve``, plus
    ``workers``. When the program has not configured ``logging``, a stderr handler is
    installed first (``harpia._logs.install``), so "harpia listening on …" and errors show.

    Raises:
        TypeError: An unknown option (named, with the valid ones and the closest one).
        ValueError: Invalid options.
        OSError: The address cannot be bound (``EADDRINUSE``: the port is in use).
    """
    from .._logs import install

    config = Config.from_options(options, "listen()")
    install()
    if config.workers > 1:
        from ._workers import run_workers

        run_workers(app, config)
        return
    server = Server(app, config=config)
    anyio.run(partial(server.serve, handle_signals=True))

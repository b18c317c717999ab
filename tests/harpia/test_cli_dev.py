"""``harpia run`` in a real process: access log, log format, announcement, store outages,
``harpia routes``, ``--app-dir``, ``--reload`` (templates, SIGTERM), port in use."""

from __future__ import annotations

import http.client
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from typing import TYPE_CHECKING

import pytest

from tests.support.redis_server import free_port

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and fork")

TIMEOUT = 20.0

APP = """
import os
from harpia import TemplateEngine, harpia

app = harpia()
engine = TemplateEngine(path={"views": os.path.join(os.path.dirname(__file__), "views")})
engine.configure(app)

async def auth(req, res, next):
    await next()

app.use(auth)
app.get("/pid", lambda req, res: res.text(str(os.getpid())))

@app.get("/books/:id")
async def show(req, res):
    res.json({"id": req.params["id"]})

@app.get("/page")
async def page(req, res):
    await res.render("home", {})
"""


def write_app(folder: Path, source: str = APP, name: str = "webapp") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(textwrap.dedent(source))
    views = folder / "views" / "home"
    views.mkdir(parents=True, exist_ok=True)
    (views / "page.html").write_text("version one")


class Proc:
    """A ``harpia`` (or ``python -c``) child whose stderr lines are collected as they come."""

    def __init__(self, command: Sequence[str], cwd: Path, env: dict[str, str] | None = None):
        self.process = subprocess.Popen(
            list(command),
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_line(self, pattern: str, timeout: float = TIMEOUT) -> re.Match[str]:
        """The first new stderr line matching ``pattern`` (regex search), within ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
            found = re.search(pattern, line)
            if found:
                return found
        raise AssertionError(f"no line matching {pattern!r}; stderr so far:\n" + self.text())

    def stop(self, sig: int = signal.SIGTERM) -> str:
        """Signal the process, wait for it (killed after a while) and return all stderr."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self._reader.join(timeout=5)
        if self.process.stderr is not None:
            self.process.stderr.close()
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.lines.append(line)
        return self.text()

    def text(self) -> str:
        return "\n".join(self.lines)


def harpia(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Proc:
    return Proc([sys.executable, "-m", "harpia", *args], cwd, env)


def request(port: int, path: str, method: str = "GET") -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def eventually(check: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


# -- logging --------------------------------------------------------------------------


def test_access_log_and_announcement_have_level_and_pid(tmp_path: Path) -> None:
    write_app(tmp_path)
    port = free_port()
    proc = harpia("run", "webapp:app", "--port", str(port), cwd=tmp_path)
    try:
        pid = proc.process.pid
        proc.wait_line(
            rf"^\S+ \S+ INFO +\[{pid}\] harpia\.server: harpia listening on "
            rf"http://127\.0\.0\.1:{port} \(asyncio driver, 1 worker\)$"
        )
        assert request(port, "/books/7?x=1") == (200, '{"id":"7"}')
        line = proc.wait_line(r"harpia\.access")
        assert re.search(
            rf"INFO +\[{pid}\] harpia\.access: 127\.0\.0\.1:\d+ - "
            r'"GET /books/7\?x=1 HTTP/1\.1" 200 10 \d+\.\dms$',
            line.string,
        ), line.string
        assert request(port, "/nope")[0] == 404
        assert '"GET /nope HTTP/1.1" 404 ' in proc.wait_line(r"harpia\.access").string
    finally:
        proc.stop()


def test_no_access_log_and_log_level(tmp_path: Path) -> None:
    write_app(tmp_path)
    port = free_port()
    quiet = harpia("run", "webapp:app", "--port", str(port), "--no-access-log", cwd=tmp_path)
    try:
        quiet.wait_line("harpia listening on")
        assert request(port, "/books/1")[0] == 200
    finally:
        text = quiet.stop()
    assert "shutting down" in text
    assert "harpia.access" not in text

    port = free_port()
    warn = harpia("run", "webapp:app", "--port", str(port), "--log-level", "warning", cwd=tmp_path)
    try:
        assert eventually(lambda: _answers(port))
        assert request(port, "/books/1")[0] == 200
    finally:
        text = warn.stop()
    assert "INFO" not in text  # neither the announcement nor the access log
    assert warn.process.returncode == 0


def _answers(port: int) -> bool:
    try:
        return request(port, "/pid")[0] == 200
    except OSError:
        return False


def test_worker_lines_carry_the_worker_pid(tmp_path: Path) -> None:
    write_app(tmp_path)
    port = free_port()
    proc = harpia("run", "webapp:app", "--port", str(port), "--workers", "2", cwd=tmp_path)
    try:
        parent = proc.process.pid
        proc.wait_line(
            rf"INFO +\[{parent}\] harpia\.server: harpia listening on "
            rf"http://127\.0\.0\.1:{port} \(asyncio driver, 2 workers\)"
        )
        workers = {
            int(proc.wait_line(r"\[(\d+)\] harpia\.server: worker ready \(asyncio driver\)")[1])
            for _ in range(2)
        }
        assert len(workers) == 2
        assert parent not in workers
        status, served_by = request(port, "/pid")
        assert status == 200
        assert int(served_by) in workers
        proc.wait_line(rf"INFO +\[{served_by}\] harpia\.access: .*\"GET /pid HTTP/1\.1\" 200 ")
    finally:
        proc.stop()


def test_listen_announces_itself_without_logging_configured(tmp_path: Path) -> None:
    port = free_port()
    script = f"""
        from harpia import harpia
        app = harpia()
        app.get("/", lambda req, res: res.text("hi"))
        app.listen(port={port}, hostname="127.0.0.1")
    """
    proc = Proc([sys.executable, "-c", textwrap.dedent(script)], tmp_path)
    try:
        proc.wait_line(
            rf"INFO +\[\d+\] harpia\.server: harpia listening on http://127\.0\.0\.1:{port} "
            r"\(asyncio driver, 1 worker\)$"
        )
        assert request(port, "/") == (200, "hi")
    finally:
        text = proc.stop()
    assert "harpia.access" not in text  # app.listen() in production: no access log


@pytest.mark.redis
def test_store_outage_is_logged_once_and_its_end_once(
    tmp_path: Path, redis_factory: Callable[[], RedisServer]
) -> None:
    redis = redis_factory()
    source = """
        import os
        from harpia import RedisStore, Session, harpia

        app = harpia()
        store = RedisStore(os.environ["REDIS_URL"], prefix="cli-outage:", connect_timeout=1,
                           timeout=1)
        session = Session(store)
        app.use(session.middleware())

        @app.post("/count")
        async def count(req, res):
            req.session["n"] = req.session.get("n", 0) + 1
            res.json({"n": req.session["n"]})
    """
    write_app(tmp_path, source)
    port = free_port()
    proc = harpia(
        "run", "webapp:app", "--port", str(port), cwd=tmp_path, env={"REDIS_URL": redis.url}
    )
    try:
        proc.wait_line("harpia listening on")
        assert request(port, "/count", "POST")[0] == 200
        redis.stop()
        assert [request(port, "/count", "POST")[0] for _ in range(4)] == [503] * 4
        redis.start()
        assert eventually(lambda: request(port, "/count", "POST")[0] == 200)
        proc.wait_line(r"WARNING .* harpia\.store: session store is back after \d+\.\d s")
    finally:
        text = proc.stop()
    down = [line for line in text.splitlines() if "session store unavailable" in line]
    assert len(down) == 1, text
    assert "ERROR" in down[0]
    assert "answering 503 until it is back" in down[0]
    assert "key '" not in down[0]  # the failing key names a session: not logged
    assert text.count("session store is back") == 1
    assert text.count('"POST /count HTTP/1.1" 503') >= 4  # every 503 in the access log


# -- harpia routes, --app-dir ------------------------------------------------------------


def test_routes_prints_the_route_table(tmp_path: Path) -> None:
    write_app(tmp_path / "src")
    result = subprocess.run(
        [sys.executable, "-m", "harpia", "routes", "webapp:app", "--app-dir", "src"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    lines = [line.split() for line in result.stdout.splitlines()]
    assert lines[0] == ["METHOD", "PATH", "HANDLER", "MIDDLEWARE"]
    assert ["GET", "/books/:id", "webapp.show", "webapp.auth"] in lines
    assert ["GET", "/pid", "webapp.<lambda>", "webapp.auth"] in lines


def test_app_dir_and_unknown_flag(tmp_path: Path) -> None:
    write_app(tmp_path / "src")
    port = free_port()
    proc = harpia("run", "webapp:app", "--app-dir", "src", "--port", str(port), cwd=tmp_path)
    try:
        proc.wait_line("harpia listening on")
        assert request(port, "/books/3") == (200, '{"id":"3"}')
    finally:
        proc.stop()
    typo = subprocess.run(
        [sys.executable, "-m", "harpia", "run", "webapp:app", "--prot", "3000"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert typo.returncode == 2
    assert "unrecognized arguments: --prot 3000 (did you mean --port?)" in typo.stderr


# -- port in use -------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [[], ["--reload"]])
def test_port_in_use_is_one_line_and_exit_1(tmp_path: Path, extra: list[str]) -> None:
    write_app(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "harpia", "run", "webapp:app", "--port", str(port), *extra],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"harpia: port {port} is already in use (another harpia or process?) "
        "— pick another with --port"
    )


# -- the dev loop ----------------------------------------------------------------------


def test_dev_reloads_templates_configured_in_code(tmp_path: Path) -> None:
    write_app(tmp_path)
    port = free_port()
    proc = harpia("run", "webapp:app", "--port", str(port), "--dev", cwd=tmp_path)
    try:
        proc.wait_line(r"harpia listening on .*\(asyncio driver, 1 worker, development mode\)")
        assert request(port, "/page") == (200, "version one")
        (tmp_path / "views" / "home" / "page.html").write_text("version two!")
        assert request(port, "/page") == (200, "version two!")  # no restart needed
    finally:
        proc.stop()


def test_reload_restarts_on_a_template_edit_and_sigterm_stops_the_child(
    tmp_path: Path,
) -> None:
    write_app(tmp_path)
    port = free_port()
    proc = harpia("run", "webapp:app", "--port", str(port), "--reload", cwd=tmp_path)
    try:
        proc.wait_line("harpia listening on")
        first_child = int(request(port, "/pid")[1])
        assert first_child != proc.process.pid
        template = tmp_path / "views" / "home" / "page.html"
        template.write_text("edited")
        later = time.time() + 2
        os.utime(template, (later, later))
        proc.wait_line(r"views/home/page\.html changed, restarting")
        proc.wait_line("harpia listening on")
        assert eventually(lambda: _answers(port))
        child = int(request(port, "/pid")[1])
        assert child != first_child
        assert request(port, "/page") == (200, "edited")
    finally:
        proc.stop(signal.SIGTERM)
    assert proc.process.returncode == 0
    assert eventually(lambda: not pid_alive(child), timeout=5)
    assert port_is_free(port)


def test_sigint_to_the_reload_parent_alone_stops_the_child(tmp_path: Path) -> None:
    write_app(tmp_path)
    port = free_port()
    proc = harpia("run", "webapp:app", "--port", str(port), "--reload", cwd=tmp_path)
    try:
        proc.wait_line("harpia listening on")
        child = int(request(port, "/pid")[1])
    finally:
        text = proc.stop(signal.SIGINT)  # `kill -INT <parent>`: the child gets no signal
    assert proc.process.returncode == 0, text
    assert "received SIGTERM" in text  # the parent forwarded it: graceful shutdown
    assert eventually(lambda: not pid_alive(child), timeout=5)
    assert port_is_free(port)


def test_logging_configured_by_the_app_is_left_alone(tmp_path: Path) -> None:
    source = """
        import logging
        from harpia import Session, harpia

        logging.basicConfig(level=logging.INFO, format="MINE %(levelname)s %(name)s %(message)s")
        logging.getLogger("webapp").info("configured")
        app = harpia()
        app.use(Session().middleware())  # warns, at import, about its in-memory store
        app.get("/", lambda req, res: res.text("hi"))
    """
    write_app(tmp_path, source)
    port = free_port()
    proc = harpia("run", "webapp:app", "--port", str(port), cwd=tmp_path)
    try:
        proc.wait_line(rf"^MINE INFO harpia\.server harpia listening on http://127\.0\.0\.1:{port}")
        assert request(port, "/") == (200, "hi")
        proc.wait_line(r'^MINE INFO harpia\.access .*"GET / HTTP/1\.1" 200 2 ')
    finally:
        text = proc.stop()
    assert "MINE INFO webapp configured" in text  # the app's basicConfig took effect
    assert "MINE WARNING harpia Session() has no store" in text
    assert text.count("harpia listening on") == 1  # one handler: no doubled lines
    assert "] harpia" not in text  # harpia's own format was not installed


def test_import_time_warnings_get_level_and_pid(tmp_path: Path) -> None:
    source = """
        from harpia import Session, harpia

        app = harpia()
        app.use(Session().middleware())  # warns, at import, about its in-memory store
    """
    write_app(tmp_path, source)
    port = free_port()
    proc = harpia("run", "webapp:app", "--port", str(port), cwd=tmp_path)
    try:
        pid = proc.process.pid
        proc.wait_line(rf"WARNING \[{pid}\] harpia: Session\(\) has no store")
        proc.wait_line("harpia listening on")
    finally:
        proc.stop()

"""Deliver 3: at the file-descriptor limit the server backs off, logs once, recovers.

The server process runs with ``RLIMIT_NOFILE`` lowered to ``NOFILE``; the test opens more
connections than that (the kernel queues them in the backlog). ``accept()`` then fails
with ``EMFILE``: the server must pause accepting (not spin), log one line per episode
(not one per attempt — asyncio's own accept loop logs a traceback per attempt) and
answer again once the clients have closed.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import sys
import time
from typing import TYPE_CHECKING

import pytest

from harpia._server._common import AcceptBackoff
from tests.support.processes import proc_field, script_server

from .io_support import SERVER, connect, get, options, sockets, wait_until

if TYPE_CHECKING:
    from pathlib import Path

NOFILE = 64
HOLD = 80  # connections held open per episode, more than NOFILE
EPISODES = 2
MESSAGE = "out of file descriptors"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks


@pytest.mark.parametrize("driver", ["asyncio", "anyio"])
async def test_fd_limit_backs_off_logs_once_per_episode_and_recovers(
    driver: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    # a long header timeout: the held connections stay until the test closes them
    settings = options(driver, nofile=NOFILE, log=str(log), header_timeout=60)
    async with asyncio.timeout(40), script_server(SERVER, settings) as (pid, port):
        for episode in range(EPISODES):
            held = [await connect(port) for _ in range(HOLD)]
            try:
                await wait_until(lambda: sockets(pid) >= NOFILE - 12, 5)
                cpu = cpu_seconds(pid)
                await asyncio.sleep(2)  # several back-off rounds
                spent = cpu_seconds(pid) - cpu
                assert MESSAGE in log.read_text()
            finally:
                for _, writer in held:
                    writer.close()
            start = time.monotonic()
            status, _, _ = await get(port)
            recovered = time.monotonic() - start
            assert status == 200
            print(
                f"\n{driver} episode {episode + 1}: at the limit {spent:.2f} s CPU in 2 s, "
                f"answered again {recovered:.2f} s after the clients closed"
            )
            assert spent < 0.5
            assert recovered < 3
        text = log.read_text()
        lines = [line for line in text.splitlines() if MESSAGE in line]
        print(f"{driver}: {len(lines)} log lines for {EPISODES} episodes: {lines[0]!r}")
        assert len(lines) == EPISODES, text[-2000:]
        assert "out of system resource" not in text
        assert "Traceback" not in text
        assert proc_field(pid, "status", "VmRSS") > 0  # still alive


def test_backoff_doubles_to_a_second_and_logs_once_per_episode(
    caplog: pytest.LogCaptureFixture,
) -> None:
    backoff = AcceptBackoff()
    emfile = OSError(errno.EMFILE, "Too many open files")
    with caplog.at_level(logging.WARNING, logger="harpia.server"):
        for _ in range(2):  # two episodes
            delays = [backoff.failed(emfile) for _ in range(6)]
            assert delays == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
            backoff.caught_up()
        assert backoff.failed(OSError(errno.ECONNABORTED, "aborted")) == 0  # that client's
        assert backoff.failed(OSError(errno.EBADF, "Bad file descriptor")) == 0.1
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 3
    assert MESSAGE in messages[0]
    assert messages[2].startswith("accept() failed (accept: Bad file descriptor)")
    assert backoff.episodes == 3

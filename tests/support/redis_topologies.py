"""A real Redis Cluster (3 masters) and a Sentinel group (master, replica, 3 sentinels).

Both are made of ``redis-server`` processes on free loopback ports (a sentinel is
``redis-server <conf> --sentinel``, so no ``redis-sentinel`` binary is needed), started
with bounded waits and always stopped by ``close()``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.processes import stop
from tests.support.redis_server import RedisServer, free_port

SERVICE = "harpia"
"""The name the sentinels monitor the master under."""


def redis_cli() -> str | None:
    """Path of ``redis-cli``, or ``None`` when it is not installed."""
    return shutil.which("redis-cli")


def cli(port: int, *args: str, timeout: float = 10.0) -> str:
    """Run ``redis-cli -p port args`` (bounded) and return its output."""
    binary = redis_cli()
    if binary is None:
        raise RuntimeError("redis-cli is not installed (apt-get install redis-tools)")
    done = subprocess.run(
        [binary, "-h", "127.0.0.1", "-p", str(port), *args],
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return done.stdout.decode() + done.stderr.decode()


def _wait(what: str, check: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what}: not within {timeout}s")


def _node(binary: str, extra: list[str], port: int | None = None) -> RedisServer:
    """A redis-server with extra command-line options."""
    return RedisServer(binary, port, extra)


class RedisClusterGroup:
    """Three cluster-enabled masters sharing the 16384 slots (``replicas`` each: 0 or 1)."""

    def __init__(self, binary: str, masters: int = 3, replicas: int = 0) -> None:
        self.replicas = replicas
        self.nodes: list[RedisServer] = []
        for _ in range(masters * (1 + replicas)):
            port = free_port()
            conf = f"nodes-{port}.conf"
            self.nodes.append(
                _node(
                    binary,
                    ["--cluster-enabled", "yes", "--cluster-config-file", conf,
                     "--cluster-node-timeout", "2000", "--cluster-port", str(free_port()),
                     "--repl-diskless-sync-delay", "0"],
                    port,
                )
            )  # fmt: skip

    @property
    def ports(self) -> list[int]:
        return [node.port for node in self.nodes]

    @property
    def url(self) -> str:
        """``redis+cluster://`` URL naming every node (the form RedisStore accepts)."""
        return "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def start(self, timeout: float = 30.0) -> None:
        """Start the nodes, create the cluster, wait for ``cluster_state:ok`` everywhere."""
        for node in self.nodes:
            node.start()
        addresses = [f"127.0.0.1:{port}" for port in self.ports]
        out = cli(
            self.ports[0],
            "--cluster", "create", *addresses,
            "--cluster-replicas", str(self.replicas),
            "--cluster-yes",
            timeout=30,
        )  # fmt: skip
        if "[OK]" not in out:
            raise RuntimeError(f"redis-cli --cluster create failed: {out}")

        def ready() -> bool:
            if not all("cluster_state:ok" in cli(p, "cluster", "info") for p in self.ports):
                return False
            roles = [cli(p, "info", "replication") for p in self.ports]
            synced = [r for r in roles if "master_link_status:up" in r]
            return len(synced) == len(self.ports) // (1 + self.replicas) * self.replicas

        _wait("cluster_state:ok on every node, replicas in sync", ready, timeout)

    def masters(self) -> list[RedisServer]:
        """The nodes that are masters now."""
        return [n for n in self.nodes if "role:master" in cli(n.port, "info", "replication")]

    def replica_of(self, master: RedisServer) -> RedisServer:
        """The node replicating ``master``."""
        for node in self.nodes:
            out = cli(node.port, "info", "replication")
            if "role:slave" in out and f"master_port:{master.port}\r\n" in out:
                return node
        raise RuntimeError(f"no replica of the master on port {master.port}")

    def close(self) -> None:
        for node in self.nodes:
            node.close()


class _Sentinel:
    """One ``redis-server --sentinel`` process watching a master."""

    def __init__(self, binary: str, master_port: int) -> None:
        self.binary = binary
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="harpia-sentinel-"))
        self.conf = self.dir / "sentinel.conf"
        self.conf.write_text(
            f"port {self.port}\n"
            "bind 127.0.0.1\n"
            "daemonize no\n"
            f"dir {self.dir}\n"
            "loglevel warning\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {master_port} 2\n"
            f"sentinel down-after-milliseconds {SERVICE} 1000\n"
            f"sentinel failover-timeout {SERVICE} 4000\n"
            f"sentinel parallel-syncs {SERVICE} 1\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        self.process = subprocess.Popen(
            [self.binary, str(self.conf), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(f"sentinel on port {self.port}", lambda: "PONG" in cli(self.port, "ping"), timeout)

    def close(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop(process, 5)
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisSentinelGroup:
    """A master, one replica and three sentinels (quorum 2) monitoring it as ``harpia``."""

    def __init__(self, binary: str) -> None:
        fast_sync = ["--repl-diskless-sync-delay", "0"]  # Redis 7 waits 5 s by default
        self.master = _node(binary, fast_sync)
        self.replica = _node(
            binary, [*fast_sync, "--replicaof", "127.0.0.1", str(self.master.port)]
        )
        self.sentinels = [_Sentinel(binary, self.master.port) for _ in range(3)]

    @property
    def sentinel_ports(self) -> list[int]:
        return [sentinel.port for sentinel in self.sentinels]

    @property
    def url(self) -> str:
        """``redis+sentinel://`` URL (the form RedisStore accepts)."""
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    def master_port(self) -> int:
        """The master's port as the first sentinel reports it."""
        out = cli(self.sentinel_ports[0], "sentinel", "get-master-addr-by-name", SERVICE)
        return int(out.split()[1])

    def start(self, timeout: float = 30.0, *, quorum_ready: bool = True) -> None:
        """Start everything; wait until the replica is in sync and every sentinel answers
        (with ``quorum_ready``: and sees the replica and the two other sentinels, so that
        a failover can be agreed on — sentinels find each other in ~2-6 s)."""
        self.master.start()
        self.replica.start()
        _wait(
            "replica in sync",
            lambda: "master_link_status:up" in cli(self.replica.port, "info", "replication"),
            timeout,
        )
        for sentinel in self.sentinels:
            sentinel.start()
        if not quorum_ready:
            return

        def known() -> bool:
            for port in self.sentinel_ports:
                out = cli(port, "sentinel", "master", SERVICE).split()
                fields = dict(zip(out[::2], out[1::2], strict=False))
                if fields.get("num-slaves") != "1" or fields.get("num-other-sentinels") != "2":
                    return False
            return True

        _wait("sentinels know the replica and each other", known, timeout)

    def wait_for_failover(self, old_port: int, timeout: float = 30.0) -> int:
        """Wait until the sentinels name a new master and it accepts writes; its port."""

        def moved() -> bool:
            try:
                port = self.master_port()
            except (IndexError, ValueError):
                return False
            return port != old_port and "role:master" in cli(port, "info", "replication")

        _wait("failover to a new master", moved, timeout)
        return self.master_port()

    def close(self) -> None:
        for sentinel in self.sentinels:
            sentinel.close()
        self.replica.close()
        self.master.close()

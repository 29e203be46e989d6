"""Helpers for the zone-engine tests: loopback zones, tarpit hosts, real `fourlayer worker` and `fourlayer scan
--broker` processes (the broker itself is tests/rabbitmq_node.py's real RabbitMQ node).

Zones are loopback /24s (127.0.6x.0/24); inside the test's network namespace every one reaches every other, which
is all the engine needs (tests/checks/test_zones_segmentation.py proves real separation with network namespaces).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import yaml

ZONES = {"a": ("127.0.61", "server"), "b": ("127.0.62", "user"), "c": ("127.0.63", "management"),
         "lab": ("127.0.0", "server")}  # "lab": where tests/ssh_fixtures.py's real sshd servers listen
FOURLAYER = [sys.executable, "-m", "fourlayer"]


class Tarpit:
    """A TCP listener that accepts and never says a word: an SSH scan of it waits its whole --timeout."""

    def __init__(self, address: str):
        self.sock = socket.socket()
        self.sock.bind((address, 0))
        self.sock.listen(64)
        self.address, self.port = address, self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
                self.held.append(conn)
            except OSError:
                continue

    def close(self) -> None:
        self._stop = True
        self.thread.join(2)
        for c in self.held:
            c.close()
        self.sock.close()


def closed_port(address: str) -> int:
    """A port nothing listens on at `address` (a host that answers at once: connection refused)."""
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def host(host_id: str, zone: str, n: int, port: int, **ssh: Any) -> dict[str, Any]:
    return {"address": f"{ZONES[zone][0]}.{n}", "id": host_id, "zone": zone, "roles": ["linux"],
            "ssh": {"port": port, **ssh}}


def write_inventory(tmp: Path, hosts: list[dict[str, Any]], zones: tuple[str, ...] = ("a", "b", "c")) -> Path:
    doc = {"version": 1,
           "zones": [{"id": z, "name": f"Vùng {z}", "kind": ZONES[z][1], "networks": [f"{ZONES[z][0]}.0/24"]}
                     for z in zones],
           "agencies": [{"id": "stttt-test", "name": "Sở thử nghiệm",
                         "systems": [{"id": "s1", "name": "Hệ thống thử nghiệm", "level": 2, "hosts": hosts}]}]}
    path = tmp / "inventory.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k != "FOURLAYER_BROKER_URL"}
    return {**base, "FOURLAYER_LOOPBACK_ONLY": "1", "PYTHONUNBUFFERED": "1", **extra}


class Worker:
    """A real `fourlayer worker --zone Z` process; its stderr goes to a file the test can read. `netns`: run it
    inside that network namespace (a zone of tests/zone_lab.py), without the loopback-only guard."""

    def __init__(self, tmp: Path, zone: str, url: str, name: str, concurrency: int = 2,
                 extra_env: dict[str, str] | None = None, netns: str | None = None):
        self.log = tmp / f"worker-{name}.log"
        self.name = name
        environment = env(**(extra_env or {}))
        prefix: list[str] = []
        if netns is not None:
            environment.pop("FOURLAYER_LOOPBACK_ONLY")
            prefix = ["ip", "netns", "exec", netns]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen([*prefix, *FOURLAYER, "worker", "--zone", zone, "--broker", url, "--name",
                                          name, "--concurrency", str(concurrency)], stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environment)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, needle: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            assert self.proc.poll() is None, f"worker {self.name} exited: {self.text()[-2000:]}"
            assert time.monotonic() < deadline, f"worker {self.name} never logged {needle!r}: {self.text()[-2000:]}"
            time.sleep(0.1)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # Celery's cold shutdown: unacked tasks go back to the queue

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@contextlib.contextmanager
def workers(*specs: tuple) -> Iterator[list[Worker]]:
    """Workers from (tmp, zone, url, name[, concurrency[, env]]) tuples, all stopped afterwards, also on failure."""
    started: list[Worker] = []
    try:
        for spec in specs:
            started.append(Worker(*spec))
        for w in started:
            w.wait_for("ready")
        yield started
    finally:
        for w in started:  # SIGKILL: Celery's own shutdown costs seconds a worker, and the broker requeues
            if w.proc.poll() is None:  # whatever was unacked, exactly as for a worker lost mid-host
                w.kill()


def scan(inventory: Path, out: Path, url: str, *args: str, timeout: float = 180,
         **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*FOURLAYER, "scan", str(inventory), "--broker", url, "--out", str(out), "--format",
                           "json", "--lang", "en", "--db", str(out / "history.sqlite"), "--log-format", "text",
                           "--timeout", "2", *args], capture_output=True, text=True, timeout=timeout,
                          env=env(**extra_env))


def report(out: Path) -> dict[str, Any]:
    (path,) = sorted(out.glob("fourlayer-*.json"))
    return json.loads(path.read_text(encoding="utf-8"))


def results_of(doc: dict[str, Any], host_id: str) -> list[dict[str, Any]]:
    return [r for r in doc["results"] if r["host"] == host_id]


RELAY = r"""
import os, socket, sys, threading
mode, listen, target = sys.argv[1:4]   # tcp2unix ADDR:PORT PATH | unix2tcp PATH ADDR:PORT
def endpoint(spec, server):
    if ":" in spec and not spec.startswith("/"):
        host, port = spec.rsplit(":", 1)
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        (s.bind((host, int(port))), s.listen(64)) if server else s.connect((host, int(port)))
    else:
        s = socket.socket(socket.AF_UNIX)
        (s.bind(spec), s.listen(64)) if server else s.connect(spec)
    return s
def pipe(a, b):
    try:
        while (data := a.recv(65536)):
            b.sendall(data)
    except OSError:
        pass
    for x in (a, b):
        try: x.shutdown(socket.SHUT_RDWR)
        except OSError: pass
srv = endpoint(listen, True)
print("ready", flush=True)
while True:
    c, _ = srv.accept()
    u = endpoint(target, False)
    for a, b in ((c, u), (u, c)):
        threading.Thread(target=pipe, args=(a, b), daemon=True).start()
"""


class BrokerRelay:
    """Brings the test's broker (127.0.0.1 of the test's namespace) to `address:port` inside network namespace
    `netns`: a TCP listener there relays through a Unix socket (which crosses namespaces) to the broker. So the
    zones' workers reach the broker only through the lab firewall, as a real zone reaches a real broker."""

    def __init__(self, tmp: Path, netns: str, address: str, port: int, broker_port: int):
        sock = str(tmp / "broker.sock")
        self.procs = [subprocess.Popen([sys.executable, "-c", RELAY, "unix2tcp", sock, f"127.0.0.1:{broker_port}"],
                                       stdout=subprocess.PIPE, text=True)]
        assert self.procs[0].stdout.readline().strip() == "ready"
        self.procs.append(subprocess.Popen(["ip", "netns", "exec", netns, sys.executable, "-c", RELAY, "tcp2unix",
                                            f"{address}:{port}", sock], stdout=subprocess.PIPE, text=True))
        assert self.procs[1].stdout.readline().strip() == "ready"

    def close(self) -> None:
        for p in self.procs:
            p.kill()
            p.wait(5)

"""A real RabbitMQ node for the zone-engine tests, in a temporary directory, on loopback only.

Everything of the node is private: its Erlang cookie ($HOME), its database and logs, its node name, AMQP and
distribution ports picked free on 127.0.0.1, and its own epmd (started here in the foreground on 127.0.0.1, so
that it is stopped by pid with the node instead of lingering as a daemon). One virtual host; one user per zone
whose permissions reach its own queue and the results exchange only (the same regexes docs/zones-engine.md gives
operators), plus the coordinator's user.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

from fourlayer.dispatch.app import COORDINATOR_PERMISSIONS, zone_permissions
from fourlayer.dispatch.names import zone_user

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")  # the real scripts (the /usr/sbin wrappers switch to user rabbitmq)
ERL_EPMD = Path("/usr/bin/epmd")
VHOST = "fourlayer"
PASSWORD = "zone-secret-do-not-travel"  # broker passwords of the test users (never in a task message either)
ZONES = ("a", "b", "c", "lab", "users", "servers", "mgmt")  # zone users defined at boot (tests/zone_engine.py,
# tests/dispatch/test_dispatch_netns.py)
TAP_PERMISSIONS = ("^tap$", "^tap$", "^(tap|amq\\.rabbitmq\\.trace)$")  # reads the firehose tracer only


def password_hash(password: str) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password)), for a definitions file."""
    salt = os.urandom(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def available() -> bool:
    return (RABBIT_BIN / "rabbitmq-server").exists() and (ERL_EPMD.exists() or shutil.which("epmd") is not None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RabbitNode:
    def __init__(self, base: Path, zones: tuple[str, ...] = ZONES):
        self.base = base
        self.port = free_port()
        self.dist_port = free_port()
        self.epmd_port = free_port()
        self.tls_port = free_port()
        self.name = f"fl{uuid.uuid4().hex[:10]}@localhost"
        self.server: subprocess.Popen | None = None
        self.epmd: subprocess.Popen | None = None
        for d in ("home", "mnesia", "log"):
            (base / d).mkdir(parents=True, exist_ok=True)
        (base / "enabled_plugins").write_text("[].\n")
        # The vhost, the coordinator's, each zone's and the tracer's users with their permissions are loaded at
        # boot from a definitions file: one rabbitmqctl call costs seconds of Erlang start-up.
        users = {"coordinator": COORDINATOR_PERMISSIONS, "tap": TAP_PERMISSIONS,
                 **{zone_user(z): zone_permissions(z) for z in zones}}
        self.users = set(users)
        (base / "definitions.json").write_text(json.dumps({
            "vhosts": [{"name": VHOST}],
            "users": [{"name": u, "password_hash": password_hash(PASSWORD), "tags": [],
                       "hashing_algorithm": "rabbit_password_hashing_sha256"} for u in users],
            "permissions": [{"user": u, "vhost": VHOST, "configure": c, "write": w, "read": r}
                            for u, (c, w, r) in users.items()]}))
        # A TLS listener too (server certificate from a lab CA), for amqps:// as docs/zones-engine.md sets it up.
        from fourlayer.lab.certs import make_ca, make_leaf

        ca = make_ca(base / "tls")
        leaf = make_leaf("good", base / "tls", ca, "localhost", ip="127.0.0.1")
        self.ca_file = ca.files.cert
        # consumer_timeout is stated (the default, 30 min) because the engine's time limits are set below it
        (base / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
                                            f"listeners.ssl.default = 127.0.0.1:{self.tls_port}\n"
                                            f"ssl_options.cacertfile = {ca.files.cert}\n"
                                            f"ssl_options.certfile = {leaf.cert}\nssl_options.keyfile = {leaf.key}\n"
                                            "ssl_options.verify = verify_none\n"
                                            "ssl_options.fail_if_no_peer_cert = false\n"
                                            "consumer_timeout = 1800000\nloopback_users = none\n"
                                            f"load_definitions = {base / 'definitions.json'}\n")
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("RABBITMQ_")},
                    "HOME": str(base / "home"), "RABBITMQ_NODENAME": self.name,
                    "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(self.port),
                    "RABBITMQ_DIST_PORT": str(self.dist_port), "ERL_EPMD_ADDRESS": "127.0.0.1",
                    "ERL_EPMD_PORT": str(self.epmd_port), "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
                    "RABBITMQ_LOG_BASE": str(base / "log"), "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
                    "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
                    "RABBITMQ_PID_FILE": str(base / "pid"), "LC_ALL": "C.UTF-8"}
        self.env.pop("LD_PRELOAD", None)  # the broker runs on the real clock even in the libfaketime pass

    # -- life cycle -------------------------------------------------------------------------------------------
    def start(self, timeout: float = 90.0) -> "RabbitNode":
        if self.epmd is None:
            epmd = str(ERL_EPMD) if ERL_EPMD.exists() else shutil.which("epmd")
            self.epmd = subprocess.Popen([epmd, "-address", "127.0.0.1", "-port", str(self.epmd_port)],
                                         env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log = open(self.base / "server.out", "ab")
        self.server = subprocess.Popen([str(RABBIT_BIN / "rabbitmq-server")], env=self.env, stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited {self.server.returncode}: see {self.base}/server.out")
            if self._amqp_open() and self.ctl("await_startup", check=False, timeout=30).returncode == 0:
                return self
            time.sleep(0.3)
        raise RuntimeError(f"rabbitmq-server did not start within {timeout:g} s: see {self.base}/server.out")

    def _amqp_open(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop_server(self) -> None:
        """Stop the node (its epmd stays: a restart reuses it)."""
        if self.server is None:
            return
        if self.server.poll() is None:
            self.ctl("stop", check=False, timeout=60)
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, 9)
                self.server.wait(timeout=10)
        self._kill_beam()
        self.server = None

    def _kill_beam(self) -> None:
        """The Erlang VM by the pid the node wrote (RABBITMQ_PID_FILE): never left running if `stop` failed."""
        try:
            pid = int((self.base / "pid").read_text().strip())
            mine = str(self.base / "home") in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except (OSError, ValueError):
            return
        if mine:  # the same pid, still this node's VM (not a reused pid)
            os.kill(pid, 9)

    def stop(self) -> None:
        try:
            self.stop_server()
        finally:
            if self.epmd is not None and self.epmd.poll() is None:
                self.epmd.kill()
                self.epmd.wait(timeout=10)
            self.epmd = None

    def restart(self) -> None:
        self.stop_server()
        self.start()

    # -- administration -------------------------------------------------------------------------------------
    def ctl(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(RABBIT_BIN / "rabbitmqctl"), "-n", self.name, *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args[:2])} failed: {proc.stderr.strip()[:300]}")
        return proc

    def user(self, name: str, permissions: tuple[str, str, str]) -> str:
        if name not in self.users:
            self.ctl("add_user", name, PASSWORD)
            self.ctl("set_permissions", "-p", VHOST, name, *permissions)
            self.users.add(name)
        return self.url(name)

    def zone_url(self, zone: str) -> str:
        return self.user(zone_user(zone), zone_permissions(zone))

    @property
    def coordinator_url(self) -> str:
        return self.url("coordinator")

    def url(self, user: str) -> str:
        return f"amqp://{user}:{PASSWORD}@127.0.0.1:{self.port}/{VHOST}"

    def tls_url(self, user: str) -> str:
        return f"amqps://{user}:{PASSWORD}@127.0.0.1:{self.tls_port}/{VHOST}"

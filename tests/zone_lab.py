"""Real network zones for tests: one network namespace per zone, joined by veth pairs to a router namespace
whose nftables forward chain is the lab firewall.

Zone i gets the network 10.<base>.<i>.0/24: the router is .1, the zone's hosts are .10, .11, … on the zone
namespace's veth (so a "host" is an address, and a listener started in the namespace serves it). Nothing leaves
these namespaces: they have no link to the machine's own network. `ZoneLab` removes every namespace it made
in `close()` (call it in a fixture's finally), and names them with this process's id so that parallel test
runs do not collide.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

LAB_SKIP = "network namespaces (ip netns, root) or nftables (nft) are not available here"

_LISTENER = r"""
import socket, sys, time
socks = []
for spec in sys.argv[1:]:
    addr, port = spec.rsplit(":", 1)
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port))); s.listen(64); s.setblocking(False); socks.append(s)
print("ready", flush=True)
while True:
    for s in socks:
        try:
            c, _ = s.accept(); c.close()
        except BlockingIOError:
            pass
    time.sleep(0.01)
"""


def lab_works() -> bool:
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("nft") is None:
        return False
    name = f"flzt{os.getpid()}"
    ok = subprocess.run(["ip", "netns", "add", name], capture_output=True).returncode == 0
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return ok


def sh(*cmd: str, ns: str | None = None, check: bool = True, input: str | None = None) -> str:
    full = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
    done = subprocess.run(full, capture_output=True, text=True, input=input, timeout=30)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(full)}: {done.stderr.strip()}")
    return done.stdout


@dataclass
class ZoneLab:
    zones: list[str]  # zone ids, in order; zone i is 10.<base>.<i+1>.0/24
    base: int = 77
    tag: str = field(default_factory=lambda: f"{os.getpid() % 100000}")
    made: list[str] = field(default_factory=list)
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def router(self) -> str:
        return f"flz{self.tag}r"

    def ns(self, zone: str) -> str:
        return f"flz{self.tag}z{self.zones.index(zone)}"

    def net(self, zone: str) -> str:
        return f"10.{self.base}.{self.zones.index(zone) + 1}.0/24"

    def address(self, zone: str, n: int) -> str:
        """The n-th host address of a zone (n from 0): 10.<base>.<zone>.<10+n>."""
        return f"10.{self.base}.{self.zones.index(zone) + 1}.{10 + n}"

    def up(self, hosts_per_zone: int = 2) -> "ZoneLab":
        self._add(self.router)
        sh("ip", "link", "set", "lo", "up", ns=self.router)
        sh("sysctl", "-q", "-w", "net.ipv4.ip_forward=1", ns=self.router)
        for i, zone in enumerate(self.zones):
            ns = self.ns(zone)
            self._add(ns)
            sh("ip", "link", "set", "lo", "up", ns=ns)
            inner, outer = f"v{self.tag}z{i}", f"v{self.tag}r{i}"
            sh("ip", "link", "add", inner, "netns", ns, "type", "veth", "peer", "name", outer, "netns", self.router)
            prefix = f"10.{self.base}.{i + 1}"
            sh("ip", "addr", "add", f"{prefix}.1/24", "dev", outer, ns=self.router)
            sh("ip", "link", "set", outer, "up", ns=self.router)
            for n in range(hosts_per_zone):
                sh("ip", "addr", "add", f"{prefix}.{10 + n}/24", "dev", inner, ns=ns)
            sh("ip", "link", "set", inner, "up", ns=ns)
            sh("ip", "route", "add", "default", "via", f"{prefix}.1", ns=ns)
        return self

    def firewall(self, rules: str) -> None:
        """The router's forward chain: established traffic and ICMP errors pass, then `rules` (nft syntax, one
        per line), then everything else is dropped."""
        script = ("flush ruleset\ntable inet lab {\n chain forward {\n  type filter hook forward priority 0; "
                  "policy drop;\n  ct state established,related accept\n" + rules + "\n }\n}\n")
        sh("nft", "-f", "-", ns=self.router, input=script)

    def listen(self, zone: str, specs: list[tuple[str, int]]) -> None:
        """Real TCP listeners on (address, port) in `zone`'s namespace, until close()."""
        args = [f"{a}:{p}" for a, p in specs]
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns(zone), sys.executable, "-c", _LISTENER, *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        line = proc.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"listener in {zone} did not start: {proc.stderr.read()[:300]}")

    def run(self, zone: str, cmd: list[str], env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
        """`cmd` inside `zone`'s namespace (the scanner sits there), without the loopback guard: these
        addresses exist only in the namespaces this lab made."""
        env = {k: v for k, v in (env or os.environ).items() if k != "FOURLAYER_LOOPBACK_ONLY"}
        return subprocess.run(["ip", "netns", "exec", self.ns(zone), *cmd], capture_output=True, text=True,
                              env=env, timeout=timeout)

    def close(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait(5)
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.made.clear()

    def _add(self, ns: str) -> None:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)  # a leftover of a killed run
        sh("ip", "netns", "add", ns)
        self.made.append(ns)


def leftover_namespaces(tag: str) -> list[str]:
    out = sh("ip", "netns", "list", check=False)
    return [line.split()[0] for line in out.splitlines() if line.startswith(f"flz{tag}")]


def wait_for(predicate, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


ROOT = Path(__file__).resolve().parents[1]

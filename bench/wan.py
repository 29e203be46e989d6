"""A WAN-shaped link for the benchmark: the scanner in one network namespace, the lab's hosts in another, and
between them a user-space delay line (`wan/delayline.c`) that delays, drops and counts every packet.

    scanner netns (10.77.0.1) ── tun wan0 ═ delayline ═ tun wan1 ── site netns (10.78.0.0/16, all local)

Why user space: this machine's kernel has no `sch_netem` (nor `sch_fq` for timestamp pacing), so
`tc qdisc ... netem delay` is refused ("Specified qdisc kind is unknown"). The delay line applies the one-way
delay per packet, chosen by the site-side address (`rules`: a remote district at 100 ms RTT beside a 30 ms
one), so TCP handshakes, retransmissions after loss and every protocol round trip pay it as on a real link.

Every address of 10.78.0.0/16 is local in the site namespace (an AnyIP route), so a lab host binds any of
them, and an address where nothing listens answers with a reset, as the loopback lab's dead hosts do. Both
namespaces and the delay line are removed on exit, also on failure. Nothing leaves these namespaces.
"""

from __future__ import annotations

import csv
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "wan" / "delayline.c"
SCANNER_ADDRESS = "10.77.0.1"
SITE_NET = "10.78"  # bench.lab.AddressPlan(net=SITE_NET)


def build_delayline(out_dir: Path) -> Path:
    """Compile the delay line (gcc) into `out_dir` unless an up-to-date binary is there."""
    binary = out_dir / "delayline"
    if not binary.exists() or binary.stat().st_mtime < SOURCE.stat().st_mtime:
        out_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(["gcc", "-O2", "-Wall", "-o", str(binary), str(SOURCE)], check=True)
    return binary


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@dataclass
class WanLink:
    """`with WanLink(15, loss=0.005, rules={"10.78.3.0/24": 50}, work=DIR) as wan:` — one-way delays in ms."""

    delay_ms: float
    loss: float = 0.0
    rules: dict[str, float] = field(default_factory=dict)
    rate_mbit: float = 0.0
    work: Path = Path("/tmp")
    scan_ns: str = ""
    site_ns: str = ""
    _proc: subprocess.Popen | None = None

    @property
    def stats_path(self) -> Path:
        return self.work / "flows.tsv"

    def __enter__(self) -> "WanLink":
        tag = uuid.uuid4().hex[:6]
        self.scan_ns, self.site_ns = f"flwan-scan-{tag}", f"flwan-site-{tag}"
        try:
            self._setup()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _setup(self) -> None:
        binary = build_delayline(self.work)
        for ns in (self.scan_ns, self.site_ns):
            _ip("netns", "add", ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", self.scan_ns, "tuntap", "add", "dev", "wan0", "mode", "tun")
        _ip("-n", self.site_ns, "tuntap", "add", "dev", "wan1", "mode", "tun")
        _ip("-n", self.scan_ns, "addr", "add", f"{SCANNER_ADDRESS}/32", "dev", "wan0")
        _ip("-n", self.scan_ns, "link", "set", "wan0", "up")
        _ip("-n", self.scan_ns, "route", "add", f"{SITE_NET}.0.0/16", "dev", "wan0", "src", SCANNER_ADDRESS)
        _ip("-n", self.site_ns, "link", "set", "wan1", "up")
        _ip("-n", self.site_ns, "route", "add", "10.77.0.0/16", "dev", "wan1")
        _ip("-n", self.site_ns, "route", "add", "local", f"{SITE_NET}.0.0/16", "dev", "lo", "table", "local")
        for ns in (self.scan_ns, self.site_ns):
            subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0",
                            "net.ipv4.conf.default.rp_filter=0"], check=True)
        cmd = ["ip", "netns", "exec", self.scan_ns, str(binary), "--a", "wan0", "--b", "wan1",
               "--b-netns", f"/run/netns/{self.site_ns}", "--delay", str(self.delay_ms), "--loss", str(self.loss),
               "--stats", str(self.stats_path)]
        for cidr, ms in self.rules.items():
            cmd += ["--rule", f"{cidr}={ms}"]
        if self.rate_mbit:
            cmd += ["--rate-mbit", str(self.rate_mbit)]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self._proc.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"the delay line did not start: {line} {self._proc.stderr.read()[-500:]}")

    def exec_prefix(self, ns: str) -> list[str]:
        return ["ip", "netns", "exec", ns]

    def dump_flows(self) -> list[dict]:
        """Ask the delay line for its per-connection counts (SIGUSR1) and read them."""
        if self._proc is None or self._proc.poll() is not None:
            return read_flows(self.stats_path)
        before = self.stats_path.stat().st_mtime_ns if self.stats_path.exists() else 0
        self._proc.send_signal(signal.SIGUSR1)
        for _ in range(100):
            if self.stats_path.exists() and self.stats_path.stat().st_mtime_ns != before:
                break
            time.sleep(0.05)
        return read_flows(self.stats_path)

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        for ns in (self.scan_ns, self.site_ns):
            if ns:
                subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def read_flows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t"))
    for row in rows:
        for key in ("site_port", "client_port", "turns", "pkts_up", "pkts_down", "bytes_up", "bytes_down"):
            row[key] = int(row[key])
        row["start"] = float(row["start"])
        row["seconds"] = float(row["seconds"])
    return rows


def carried_dropped(path: Path) -> tuple[int, int]:
    first = path.read_text().splitlines()[0].split() if path.exists() else []
    return (int(first[2]), int(first[4])) if len(first) >= 5 else (0, 0)


def leftover_namespaces() -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith("flwan-")]


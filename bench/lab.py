"""The benchmark lab: N loopback hosts, each a real sshd plus a TLS and an HTTP listener, and its inventory.

Addresses 127.0.1.1-127.0.4.255 belong to the bench (127.0.1.0 holds the agencies' SOC and national-monitoring
sinks): one address per live or tarpit host up to 1,023 of them; dead hosts take 127.0.16.0-127.0.23.255, where
nothing listens (up to 2,048 of them, e.g. `--hosts 2000 --dead 1980`). Past that a second "slot" reuses the addresses on other ports
(hosts sharing an address declare each other's ports as services; nmap then version-probes the neighbour's
ports, which costs seconds per host, so figures above 1,023 hosts are not comparable). Host kinds:

    hardened  sshd profile "hardened", HTTP "good"         weak   sshd profile "weak", HTTP "weak"
    dead      nothing listens (connection refused)         tarpit every port accepts and never answers

TLS profiles cycle through good, good, weak, expired, expiring, mismatch on the live hosts. Host keys and the
client key are generated once and copied into every sshd (ssh-keygen for 1,000 RSA keys would take minutes).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import resource
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import yaml

from fourlayer.lab import keys
from fourlayer.lab.certs import write_lab_certs
from fourlayer.lab.sysroots import GOOD_ROOT, WEAK_ROOT, write_tree
from fourlayer.lab.serve import ListenerProcess
from fourlayer.lab.servers import ListenerSpec, http_listener, tls_listener
from fourlayer.lab.sshd import SshdInstance, lab_base_dir, make_lab_dir

SOC_PORT, NATIONAL_PORT = 12514, 12515
LOOPBACK_NET = "127.0"  # the default lab: 127.0.x.y on this machine's loopback; the WAN bench uses 10.78.x.y


@dataclass(frozen=True)
class AddressPlan:
    """Where the lab's hosts live: `<net>.1-4.*` live and tarpit hosts (`<net>.1.0` holds the sinks),
    `<net>.16-31.*` and `<net>.48-79.*` dead hosts, `<net>.32-47.*` cheap hosts (one HTTP listener each)."""

    net: str = LOOPBACK_NET

    @property
    def sink(self) -> str:
        return f"{self.net}.1.0"

    @property
    def addresses(self) -> list[str]:  # 1,023 host addresses
        return [f"{self.net}.{b}.{c}" for b in (1, 2, 3, 4) for c in range(256)][1:]

    @property
    def dead(self) -> list[str]:  # 12,288; nothing listens there
        return [f"{self.net}.{b}.{c}" for b in (*range(16, 32), *range(48, 80)) for c in range(256)]

    @property
    def cheap(self) -> list[str]:  # 4,096
        return [f"{self.net}.{b}.{c}" for b in range(32, 48) for c in range(256)]

BENCH_DNS = "bench.fourlayer.test"
TLS_CYCLE = ("good", "good", "weak", "expired", "expiring", "mismatch")
LISTENERS_PER_PROCESS = 400  # one asyncio child serves this many TLS/HTTP listeners
HOSTS_PER_AGENCY = 20


def ports(slot: int) -> dict[str, int]:
    """Fixed ports of a host slot (away from the demo lab's 21/2121/2211-2214/8080/8443/9443/1514/5514)."""
    base = 12000 + 1000 * slot
    return {"ssh": base + 22, "tls": base + 443, "http": base + 80}


@dataclass(frozen=True)
class LabHost:
    index: int
    id: str
    address: str
    slot: int
    kind: str  # hardened | weak | dead | tarpit | cheap
    tls_profile: str | None  # None for dead, tarpit and cheap hosts

    @property
    def ports(self) -> dict[str, int]:
        return ports(self.slot)


def plan_hosts(n: int, dead: int, tarpits: int, plan: AddressPlan = AddressPlan(), cheap: int = 0
               ) -> list[LabHost]:
    """Which host is what: dead and tarpit hosts spread through the list, the live ones alternate profiles; the
    last `cheap` of the others are cheap hosts (an HTTP listener, no SSH or TLS: a scale bench's filler)."""
    addresses, dead_addresses = plan.addresses, plan.dead
    if dead + tarpits + cheap > n:
        raise ValueError("more dead, tarpit and cheap hosts than hosts")
    if cheap > len(plan.cheap):
        raise ValueError(f"the bench lab holds at most {len(plan.cheap)} cheap hosts")
    special: dict[int, str] = {}
    for k in range(tarpits):
        special[(n // (tarpits + 1)) * (k + 1) // 1] = "tarpit"
    for k in range(dead):
        index = n - 1 - (k * max(1, n // max(dead, 1)))
        while index in special:
            index -= 1
        special[index] = "dead"
    if dead > len(dead_addresses) or n - dead - cheap > 2 * len(addresses):
        raise ValueError(f"the bench lab holds at most {len(dead_addresses)} dead and {2 * len(addresses)} "
                         "other hosts")
    hosts, live, served, n_dead = [], 0, 0, 0
    cheap_at = set([i for i in range(n - 1, -1, -1) if i not in special][:cheap])  # the last `cheap` others
    n_cheap = 0
    for i in range(n):
        kind = special.get(i)
        if i in cheap_at:
            hosts.append(LabHost(i, f"h{i:04d}", plan.cheap[n_cheap], 0, "cheap", None))
            n_cheap += 1
            continue
        if kind is None:
            kind = ("hardened", "weak")[live % 2]
            tls = TLS_CYCLE[live % len(TLS_CYCLE)]
            live += 1
        else:
            tls = None
        if kind == "dead":  # an address of its own, where nothing of the lab ever listens
            hosts.append(LabHost(i, f"h{i:04d}", dead_addresses[n_dead], 0, kind, tls))
            n_dead += 1
            continue
        hosts.append(LabHost(i, f"h{i:04d}", addresses[served % len(addresses)], served // len(addresses), kind,
                             tls))
        served += 1
    return hosts


def raise_fd_limit(wanted: int) -> tuple[int, int]:
    """Raise the soft RLIMIT_NOFILE towards `wanted` (capped by the hard limit); returns (soft, hard)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, max(soft, wanted)) if hard != resource.RLIM_INFINITY else max(soft, wanted)
    if target != soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


@contextlib.contextmanager
def cached_keys(cache: Path) -> Iterator[None]:
    """While active, `fourlayer.lab.keys.generate_key` copies one pre-made key per (type, bits) from `cache`."""
    original = keys.generate_key
    lock = threading.Lock()

    def generate(path, key_type="ed25519", bits=None, owner_uid=None, owner_gid=None):
        master = cache / f"{key_type}-{bits or 0}"
        with lock:
            if not master.exists():
                original(master, key_type, bits)
        path = Path(path)
        for suffix, mode in (("", 0o600), (".pub", 0o644)):
            target = path.with_name(path.name + suffix)
            target.unlink(missing_ok=True)
            shutil.copyfile(master.with_name(master.name + suffix), target)
            os.chmod(target, mode)
        if owner_uid is not None:
            os.chown(path, owner_uid, owner_gid if owner_gid is not None else -1)
        return path

    keys.generate_key = generate
    try:
        yield
    finally:
        keys.generate_key = original


class BenchLab:
    """`with BenchLab(200) as lab:` starts everything and writes `lab.inventory`; leaving stops everything."""

    def __init__(self, n_hosts: int, dead: int | None = None, tarpits: int = 1, workers: int = 16,
                 plan: AddressPlan = AddressPlan(), sshd_directives: dict | None = None, cheap: int = 0):
        self.plan = plan
        self.sshd_directives = sshd_directives  # added to every sshd's configuration (bench/oscap_compare.py)
        self.sink = plan.sink
        self.hosts = plan_hosts(n_hosts, max(1, n_hosts // 100) if dead is None else dead, tarpits, plan, cheap)
        self.workers = workers
        self.dir: Path | None = None
        self.inventory: Path | None = None
        self.compare_inventory: Path | None = None
        self.known_hosts: Path | None = None
        self.certs: dict = {}
        self.sshd: dict[str, SshdInstance] = {}  # host id -> instance
        self.listeners: list[ListenerProcess] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._flock = None
        self.fd_limit = raise_fd_limit(4 * n_hosts + 1024)

    # ---- lifecycle ----------------------------------------------------------------------------------
    def __enter__(self) -> "BenchLab":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> "BenchLab":
        # fixed addresses and ports: a second bench lab on this machine waits for the first to stop
        self._flock = open(lab_base_dir() / "bench.lock", "w")
        fcntl.flock(self._flock, fcntl.LOCK_EX)
        try:
            self.dir = make_lab_dir("bench-")
            self.certs = write_lab_certs(self.dir / "certs", dns_name=BENCH_DNS, ip=None)
            write_tree(self.dir / "root-hardened", {  # logs forwarded to this lab's SOC sink
                path: text.replace('target="127.0.0.13" port="1514"', f'target="{self.sink}" port="{SOC_PORT}"')
                if isinstance(text, str) else text for path, text in GOOD_ROOT.items()})
            write_tree(self.dir / "root-weak", WEAK_ROOT)
            self._start_listeners()
            self._start_sshds()
            self.known_hosts = self.dir / "known_hosts"
            with open(self.known_hosts, "w") as fh:
                for host in self.hosts:
                    if host.id in self.sshd:
                        fh.writelines(self.sshd[host.id].known_hosts_lines())
            self.inventory = self.write_inventory("inventory.yaml", self.hosts)
            # the side-by-side comparison measures throughput: tarpits only measure the timeout
            self.compare_inventory = self.write_inventory(
                "inventory-compare.yaml", [h for h in self.hosts if h.kind != "tarpit"])
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every sshd and listener process this lab started; safe to call twice or half-started."""
        self._stopping.set()
        with self._lock:
            instances, self.sshd = list(self.sshd.values()), {}
        for inst in instances:  # signal all first, then reap: 1,000 sequential stops would take long
            if inst._proc is not None and inst._proc.poll() is None:
                inst._proc.terminate()
        with ThreadPoolExecutor(self.workers) as pool:
            list(pool.map(lambda i: i.stop(), instances))
        for proc in self.listeners:
            proc.stop()
        self.listeners = []
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        if self._flock is not None:
            self._flock.close()  # releases the lock
            self._flock = None

    # ---- parts ---------------------------------------------------------------------------------------
    def _start_listeners(self) -> None:
        specs = [ListenerSpec("sink", self.sink, SOC_PORT, name="soc"),
                 ListenerSpec("sink", self.sink, NATIONAL_PORT, name="national")]
        for h in self.hosts:
            p = h.ports
            if h.kind == "tarpit":
                specs += [ListenerSpec("tarpit", h.address, p[k], name=f"{h.id}-{k}") for k in ("ssh", "tls", "http")]
            elif h.kind == "cheap":
                specs.append(http_listener("good", h.address, p["http"], name=f"{h.id}-http"))
            elif h.kind != "dead":
                specs.append(tls_listener(h.tls_profile, self.certs, h.address, p["tls"], name=f"{h.id}-tls"))
                specs.append(http_listener("good" if h.kind == "hardened" else "weak", h.address, p["http"],
                                           name=f"{h.id}-http"))
        for start in range(0, len(specs), LISTENERS_PER_PROCESS):
            proc = ListenerProcess(specs[start:start + LISTENERS_PER_PROCESS], startup_timeout=120)
            self.listeners.append(proc)
            proc.start()

    def _start_sshds(self) -> None:
        live = [h for h in self.hosts if h.kind in ("hardened", "weak")]

        def start(host: LabHost) -> None:
            if self._stopping.is_set():
                return
            inst = SshdInstance(host.address, host.ports["ssh"], profile=host.kind, start_timeout=60,
                                directives=self.sshd_directives)
            with self._lock:
                if self._stopping.is_set():
                    return
                self.sshd[host.id] = inst  # registered before start: stop() reaps a half-started one
            inst.start()

        with cached_keys(self.dir / "key-cache"):
            (self.dir / "key-cache").mkdir()
            start(live[0]) if live else None  # fills the key cache once, without racing
            with ThreadPoolExecutor(self.workers) as pool:
                for future in [pool.submit(start, h) for h in live[1:]]:
                    future.result()

    # ---- inventory -----------------------------------------------------------------------------------
    def host_entry(self, host: LabHost) -> dict:
        p = host.ports
        siblings = sorted({v for h in self.hosts if h.address == host.address for v in h.ports.values()})
        inst = self.sshd.get(host.id)
        any_inst = next(iter(self.sshd.values()), None)
        root = "root-weak" if host.kind == "weak" else "root-hardened"
        ssh = {"port": p["ssh"], "key_file": str((inst or any_inst).client_key) if (inst or any_inst) else None,
               "sysroot": str(self.dir / root)}
        if inst is not None:
            ssh["sshd_config"] = str(inst.config_path)
        if host.kind == "cheap":  # a web front only: no SSH login, no TLS
            return {"address": host.address, "id": host.id, "roles": ["web"], "services": [p["http"]],
                    "http": [p["http"]], "ssh": {"port": p["ssh"], "enabled": False}}
        entry = {"address": host.address, "id": host.id, "roles": ["linux", "web"], "services": siblings,
                 "tls": [p["tls"]], "http": [p["http"]], "tls_ca_file": self.certs["ca"].cert,
                 "tls_server_name": BENCH_DNS, "ssh": {k: v for k, v in ssh.items() if v is not None}}
        return entry

    def write_inventory(self, name: str, hosts: list[LabHost]) -> Path:
        path = self.dir / name
        path.write_text(yaml.safe_dump(self.inventory_data(hosts), sort_keys=False, allow_unicode=True))
        return path

    def inventory_data(self, hosts: list[LabHost]) -> dict:
        user = next(iter(self.sshd.values())).user if self.sshd else os.environ.get("USER", "root")
        agencies = []
        for a, start in enumerate(range(0, len(hosts), HOSTS_PER_AGENCY)):
            chunk = hosts[start:start + HOSTS_PER_AGENCY]
            half = (len(chunk) + 1) // 2
            systems = [{"id": f"a{a:03d}-s{s}", "name": f"Hệ thống {s + 1} của cơ quan {a + 1}",
                        "level": 1 + (a + s) % 3,
                        "last_assessment": {"date": "2026-03-01", "assessor": "Đơn vị kiểm định (bench)",
                                            "operator_independent": s == 0},
                        "hosts": [self.host_entry(h) for h in part]}
                       for s, part in enumerate((chunk[:half], chunk[half:])) if part]
            agencies.append({
                "id": f"a{a:03d}", "name": f"Cơ quan thử nghiệm {a + 1}",
                "security_officer": {"name": "Nguyễn Văn An", "email": "an@bench.test"},
                "soc": {"provider": "SOC (bench)", "contract_until": "2030-01-01",
                        "manager": f"{self.sink}:{SOC_PORT}"},
                "national_monitoring": {"connected": True, "since": "2024-01-01",
                                        "collector": f"{self.sink}:{NATIONAL_PORT}"},
                "incident_contact": {"name": "Trần Thị Bình", "phone": "+84 000 000 000"},
                "systems": systems})
        return {"version": 1, "defaults": {"ssh": {"user": user, "known_hosts": str(self.known_hosts)}},
                "agencies": agencies}

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for h in self.hosts:
            out[h.kind] = out.get(h.kind, 0) + 1
        return out

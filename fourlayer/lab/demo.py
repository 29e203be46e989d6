"""The demo lab: four loopback hosts matching inventory/demo.yaml, for `fourlayer demo`, tests and benchmarks.

127.0.0.11 portal-web     hardened sshd :2211, CA-signed TLS :8443, good HTTP :8080, files of a well-run host
127.0.0.12 his-app        weak sshd :2212, expired TLS :8443, weak TLS 1.0 :9443 (1024-bit DH group), weak HTTP :8080,
                          FTP banner :21 (:2121 when not root)
127.0.0.13 log-collector  TCP sinks :1514 (SOC manager) and :5514 (national collector)
127.0.0.14 his-db         declared with SSH :2214, nothing listens: a down host
127.0.0.15 ketoan-win     a "Windows Server 2022" on the RECORDED-OUTPUT path (not a Windows host): real sshd :2215,
                          recorded PowerShell output of a neglected server (fourlayer/lab/windows_recorded.py)

Host files come from fourlayer/lab/sysroots.py (GOOD_ROOT, WEAK_ROOT). The demo's advisory data (DEMO data
in the Debian Security Tracker JSON format, fourlayer/data/demo_advisories_debian_tracker.json) is imported
into a throwaway database in the lab directory ($FOURLAYER_ADVISORY_DB while the lab runs, never the user's),
dated DEMO_ADVISORY_AGE_DAYS before the clock: its age is observed evidence, judged on the scan's clock. Both Linux hosts share this machine's
process table: the real agent processes of DEMO_AGENTS (e.g. `clamd`) run for both.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
from importlib import resources
from pathlib import Path

from fourlayer.lab.certs import make_ca, make_leaf
from fourlayer.lab.dh_params import group_prime, write_dh_params
from fourlayer.lab.serve import ListenerProcess
from fourlayer.lab.servers import ListenerSpec, http_listener, tls_listener
from fourlayer.lab.sshd import SshdInstance, lab_base_dir, make_lab_dir
from fourlayer.lab.windows_recorded import RecordedWindowsHost
from fourlayer.lab.sysroots import (DEMO_AGENTS, GOOD_ROOT, WEAK_ROOT, AgentProcesses,  # noqa: F401 (re-exported)
                                    loosen_sshd_files, write_tree)

HARDENED, WEAK, COLLECTOR = "127.0.0.11", "127.0.0.12", "127.0.0.13"
WINDOWS, WINDOWS_PORT, WINDOWS_PROFILE = "127.0.0.15", 2215, "ws2022-weak"
FTP_PORT = 21 if os.geteuid() == 0 else 2121  # the real FTP port where we may bind it
# The declared facts of inventory/demo.yaml (contracts, assessments, due dates) tell their story as of this day;
# `fourlayer demo` judges them as of it, so the demo shows the same layers met in any year. What the lab's hosts
# show (certificates, file ages) is made relative to the clock and judged on it, as in every scan.
DEMO_AS_OF = dt.date(2026, 11, 1)
DEMO_ADVISORIES = Path(__file__).resolve().parent.parent / "data" / "demo_advisories_debian_tracker.json"
DEMO_ADVISORY_AGE_DAYS = 3
DEMO_ADVISORY_NOTE = "DEMO data shipped with fourlayer, not real advisories"


def demo_inventory_path() -> Path:
    """inventory/demo.yaml from the source tree, or the copy shipped inside the package."""
    return Path(str(resources.files("fourlayer.inventory_files") / "demo.yaml"))


class DemoLab:
    """Start with `with DemoLab() as lab:`; sets FOURLAYER_LAB and FOURLAYER_LAB_USER for the demo inventory."""

    def __init__(self) -> None:
        self.dir: Path | None = None
        self.sshd: list[SshdInstance] = []
        self.listeners: ListenerProcess | None = None
        self.agents: AgentProcesses | None = None
        self.windows: RecordedWindowsHost | None = None
        self._saved_env: dict[str, str | None] = {}
        self._lock = None

    def describe(self) -> list[str]:
        recorded = [f"{w.address}:{w.port} sshd (recorded Windows output, {w.profile}; not a Windows host)"
                    for w in ([self.windows] if self.windows else [])]
        return [f"{s.address}:{s.port} sshd ({s.profile})" for s in self.sshd] + recorded + \
               [f"{h}:{p} {name}" for name, (h, p) in (self.listeners.endpoints.items() if self.listeners else [])]

    def start(self) -> "DemoLab":
        # The demo uses fixed addresses and ports: a second lab on this machine waits for the first to stop.
        self._lock = open(lab_base_dir() / "demo.lock", "w")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        # The audit account must traverse this directory, so it lives in the lab base (0755), not under /tmp.
        self.dir = make_lab_dir("demo-")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        lab = self.dir
        write_tree(lab / "root-hardened", GOOD_ROOT)
        write_tree(lab / "root-weak", WEAK_ROOT)
        ca = make_ca(lab)
        good = make_leaf("good", lab, ca, "portal.demo.fourlayer.test", HARDENED, stem="portal")
        expired = make_leaf("expired", lab, ca, "his.demo.fourlayer.test", WEAK, stem="his-expired")
        weak = make_leaf("weak", lab, ca, "his.demo.fourlayer.test", WEAK, stem="his-weak")
        for name, addr, port, profile in (("sshd-hardened", HARDENED, 2211, "hardened"),
                                          ("sshd-weak", WEAK, 2212, "weak")):
            instance = SshdInstance(addr, port, profile=profile).start()
            self.sshd.append(instance)
            instance.write_known_hosts(lab / "known_hosts")
            os.symlink(instance.work_dir, lab / name)
        loosen_sshd_files(self.sshd[1])  # his-app: loose sshd file permissions too
        self.windows = RecordedWindowsHost(WINDOWS, WINDOWS_PROFILE, port=WINDOWS_PORT).start()
        self.windows.sshd.write_known_hosts(lab / "known_hosts")
        os.symlink(self.windows.sshd.work_dir, lab / "windows-weak")
        self.agents = AgentProcesses(DEMO_AGENTS, lab / "agents").start()
        certs = {"good": good, "expired": expired, "weak": weak}
        self.listeners = ListenerProcess([
            tls_listener("good", certs, HARDENED, 8443, name="portal-tls"),
            http_listener("good", HARDENED, 8080, name="portal-http"),
            tls_listener("expired", certs, WEAK, 8443, name="his-tls-expired"),
            # DHE with the 1024-bit RFC 2409 group 2, the group Logjam precomputes (L1-TLS-010)
            tls_listener("weak", certs, WEAK, 9443, name="his-tls-weak",
                         dh_params=write_dh_params(lab / "his-dh1024.pem", group_prime("RFC 2409 group 2"))),
            http_listener("weak", WEAK, 8080, name="his-http"),
            ListenerSpec("banner", WEAK, FTP_PORT, name="his-ftp", banner=b"220 ProFTPD 1.3.3 Server ready.\r\n"),
            ListenerSpec("sink", COLLECTOR, 1514, name="soc-manager"),
            ListenerSpec("sink", COLLECTOR, 5514, name="national-collector"),
        ]).start()
        from fourlayer.advisories.store import ENV_ADVISORY_DB, import_files

        advisories = lab / "advisories.sqlite"
        day = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=DEMO_ADVISORY_AGE_DAYS)
        import_files([DEMO_ADVISORIES], day, DEMO_ADVISORY_NOTE, db=advisories)
        for key, value in (("FOURLAYER_LAB", str(lab)), ("FOURLAYER_LAB_USER", self.sshd[0].user),
                           (ENV_ADVISORY_DB, str(advisories))):
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = value

    def stop(self) -> None:
        if self.agents is not None:
            self.agents.stop()
            self.agents = None
        if self.listeners is not None:
            self.listeners.stop()
            self.listeners = None
        for instance in self.sshd:
            instance.stop()
        self.sshd = []
        if self.windows is not None:
            self.windows.stop()
            self.windows = None
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        if self._lock is not None:
            self._lock.close()  # releases the flock
            self._lock = None

    def __enter__(self) -> "DemoLab":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

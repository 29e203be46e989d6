"""L3-PKG-001/002/003 end to end: advisory files in the Debian Security Tracker JSON format imported through the
CLI, a real loopback sshd whose sysroot holds a dpkg status file (read with the real dpkg-query --admindir) and
proc/sys/kernel/osrelease, scanned by the real runner. Data dates are relative to the clock."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from fourlayer.advisories.store import ENV_ADVISORY_DB
from fourlayer.lab.sysroots import dpkg_status
from fourlayer.core.model import Status
from tests.scan_harness import agency, lab_host, scan, write_inventory
from tests.advisories.test_advisories import resolved, tracker_doc

pytestmark = pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="dpkg-query is not installed")

IDS = ["L3-PKG-001", "L3-PKG-002", "L3-PKG-003"]
TODAY = dt.datetime.now(dt.timezone.utc).date()
BOOKWORM = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'
PACKAGES = [("openssh-server", "openssh", "1:9.2p1-2+deb12u2"), ("openssh-client", "openssh", "1:9.2p1-2+deb12u2"),
            ("libssl3", "openssl", "3.0.11-1~deb12u2"), ("bash", "bash", "5.2.15-2+b7"),
            ("linux-image-6.1.0-27-amd64", "linux", "6.1.115-1"), ("linux-image-6.1.0-28-amd64", "linux", "6.1.119-1")]
ADVISORIES = tracker_doc(
    openssh={"CVE-2099-1001": {"bookworm": resolved("1:9.2p1-2+deb12u3", "high")},  # fix not installed
             "CVE-2099-1002": {"bookworm": resolved("1:9.2p1-2+deb12u2", "high")}},  # installed: fixed
    # ~ sorts before the end: 3.0.11-1~deb12u2 is older than 3.0.11-1, so this one applies (medium -> WARN)
    openssl={"CVE-2099-2001": {"bookworm": resolved("3.0.11-1", "medium")},
             "CVE-2099-2002": {"bookworm": resolved("3.0.9-1", "high")}},
    bash={"CVE-2099-3001": {"bookworm": {"status": "open", "repositories": {}, "urgency": "low"}}})


@pytest.fixture
def advisory_db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "advisories.sqlite"
    monkeypatch.setenv(ENV_ADVISORY_DB, str(path))
    return path


def import_data(tmp_path: Path, run_cli, doc: dict, age_days: int = 2) -> None:
    path = tmp_path / "debian-security-tracker.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    run_cli("vulndb", "import", str(path), "--data-date", (TODAY - dt.timedelta(days=age_days)).isoformat())


def scan_host(tmp_path, sshd_hardened, ssh_known_hosts, host_root, files: dict, policy: dict | None = None):
    root = host_root(files)
    inv = write_inventory(tmp_path, [agency(hosts=[lab_host(sshd_hardened, ssh_known_hosts, root)])], policy)
    return scan(inv, IDS)["h1"]


def host_files(packages=PACKAGES, running="6.1.0-28-amd64") -> dict:
    files = {"etc/os-release": BOOKWORM, "var/lib/dpkg/status": dpkg_status(packages)}
    if running:
        files["proc/sys/kernel/osrelease"] = running + "\n"
    return files


def test_fixable_high_fails_lower_warns_unfixed_warns_and_the_data_is_named(
        tmp_path, advisory_db, run_cli, sshd_hardened, ssh_known_hosts, host_root):
    import_data(tmp_path, run_cli, ADVISORIES)
    r = scan_host(tmp_path, sshd_hardened, ssh_known_hosts, host_root, host_files())
    fix, open_, kernel = r["L3-PKG-001"], r["L3-PKG-002"], r["L3-PKG-003"]
    assert fix.status is Status.FAIL, fix.reason
    assert "CVE-2099-1001 openssh 1:9.2p1-2+deb12u2 (fixed in 1:9.2p1-2+deb12u3; severity high)" in fix.reason
    assert "CVE-2099-1002" not in fix.reason and "CVE-2099-2002" not in fix.evidence
    assert "debian-security-tracker.json of" in fix.reason and "2 days old" in fix.reason
    assert "CVE-2099-2001 openssl 3.0.11-1~deb12u2 (fixed in 3.0.11-1; severity medium)" in fix.evidence
    assert "[openssh-client, openssh-server]" in fix.evidence and "sha256 " in fix.evidence
    assert open_.status is Status.WARN and "CVE-2099-3001 bash 5.2.15-2+b7 (no fix released" in open_.reason
    assert kernel.status is Status.PASS and "6.1.0-28-amd64 (6.1.119-1)" in kernel.reason


def test_all_fixed_passes_and_old_kernel_running_fails(tmp_path, advisory_db, run_cli, sshd_hardened,
                                                       ssh_known_hosts, host_root):
    import_data(tmp_path, run_cli, ADVISORIES)
    patched = [("openssh-server", "openssh", "1:9.2p1-2+deb12u3"), ("libssl3", "openssl", "3.0.11-1+deb12u1"),
               ("linux-image-6.1.0-27-amd64", "linux", "6.1.115-1"),
               ("linux-image-6.1.0-28-amd64", "linux", "6.1.119-1")]
    r = scan_host(tmp_path, sshd_hardened, ssh_known_hosts, host_root, host_files(patched, "6.1.0-27-amd64"))
    assert r["L3-PKG-001"].status is Status.PASS and "4 installed packages" in r["L3-PKG-001"].reason
    assert r["L3-PKG-002"].status is Status.PASS
    kernel = r["L3-PKG-003"]
    assert kernel.status is Status.FAIL and "linux-image-6.1.0-28-amd64 6.1.119-1 is installed but " \
                                            "6.1.0-27-amd64 (6.1.115-1) is running" in kernel.reason


def test_stale_data_warns_with_its_age_even_when_clean(tmp_path, advisory_db, run_cli, sshd_hardened,
                                                       ssh_known_hosts, host_root):
    import_data(tmp_path, run_cli, tracker_doc(openssh={"CVE-2099-1": {"bookworm": resolved("1:9.0p1-1")}}),
                age_days=45)
    r = scan_host(tmp_path, sshd_hardened, ssh_known_hosts, host_root, host_files())
    assert r["L3-PKG-001"].status is Status.WARN and "45 days old (policy advisories.max_age_days: 30)" in \
        r["L3-PKG-001"].reason
    # a policy that allows older data makes the same scan pass
    r = scan_host(tmp_path, sshd_hardened, ssh_known_hosts, host_root, host_files(),
                  policy={"advisories": {"max_age_days": 60}})
    assert r["L3-PKG-001"].status is Status.PASS


def test_no_data_for_the_distribution_is_not_applicable_with_a_remedy(tmp_path, advisory_db, run_cli,
                                                                      sshd_hardened, ssh_known_hosts, host_root):
    r = scan_host(tmp_path, sshd_hardened, ssh_known_hosts, host_root, host_files())
    assert r["L3-PKG-001"].status is Status.NOT_APPLICABLE and "fourlayer vulndb import FILE" in r["L3-PKG-001"].reason
    # data for another release (bullseye only) does not cover bookworm
    import_data(tmp_path, run_cli, tracker_doc(openssh={"CVE-2099-1": {"bullseye": resolved("1:8.4p1-5+deb11u2")}}))
    r = scan_host(tmp_path, sshd_hardened, ssh_known_hosts, host_root, host_files())
    assert r["L3-PKG-001"].status is Status.NOT_APPLICABLE and "no advisory data imported for debian 12" in \
        r["L3-PKG-001"].reason and "imported releases of debian: 11" in r["L3-PKG-001"].reason


def test_missing_package_evidence_is_error_never_pass(tmp_path, advisory_db, run_cli, sshd_hardened,
                                                      ssh_known_hosts, host_root):
    import_data(tmp_path, run_cli, ADVISORIES)
    r = scan_host(tmp_path, sshd_hardened, ssh_known_hosts, host_root, {"etc/os-release": BOOKWORM})
    for check_id in IDS:
        assert r[check_id].status is Status.ERROR, (check_id, r[check_id].reason)
    assert "no package evidence" in r["L3-PKG-001"].reason
    # packages listed, but only removed ones: still no evidence of what is installed
    r = scan_host(tmp_path, sshd_hardened, ssh_known_hosts, host_root,
                  {"etc/os-release": BOOKWORM,
                   "var/lib/dpkg/status": dpkg_status(PACKAGES, "deinstall ok config-files")})
    assert r["L3-PKG-001"].status is Status.ERROR


def test_demo_weak_host_shows_package_findings_from_the_shipped_demo_data(demo_scan):
    weak, good = demo_scan.results("his-app"), demo_scan.results("portal-web")
    fix = weak["L3-PKG-001"]
    assert fix["status"] == "FAIL" and "CVE-2023-38408 openssh 1:8.4p1-5+deb11u1" in fix["reason"]
    assert "demo_advisories_debian_tracker.json" in fix["reason"] and "3 days old" in fix["reason"]
    assert "DEMO data shipped with fourlayer" in fix["evidence"]
    assert weak["L3-PKG-002"]["status"] == "WARN" and weak["L3-PKG-003"]["status"] == "FAIL"
    assert {good[c]["status"] for c in ("L3-PKG-001", "L3-PKG-002", "L3-PKG-003")} == {"PASS"}

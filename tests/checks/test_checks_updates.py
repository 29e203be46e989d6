"""L1-UPD-001 without update-notifier: the real `apt-get -s dist-upgrade` over lab sysroots' apt lists (read over a
real loopback sshd), the metadata's age on the scan clock, and dnf/yum/zypper outputs (recorded fixtures: those
tools are not installed on this Debian machine, see tests/data/updates/README.md)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from fourlayer.collectors import allowlist
from fourlayer.config.inventory import SSHSettings
from fourlayer.core.model import Status
from fourlayer.lab.sysroots import apt_archive, dpkg_status
from fourlayer.resources.updates import (
    UnreadableOutput,
    parse_apt_simulation,
    parse_dnf_updateinfo,
    parse_zypper_patches,
    tool_sections,
)
from tests.host_lab import host_evidence, host_target, judge, with_command

DATA = Path(__file__).parents[1] / "data" / "updates"
INSTALLED = [("openssh-server", "openssh", "1:9.2p1-2+deb12u3"), ("libssl3", "openssl", "3.0.15-1~deb12u1"),
             ("bash", "bash", "5.2.15-2+b7")]


def debian_root(security: list[tuple[str, str]], main: list[tuple[str, str]]) -> dict:
    """A Debian 12 sysroot with the INSTALLED packages and apt lists of a security and a main archive."""
    return {"etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
            "var/lib/dpkg/status": dpkg_status(INSTALLED),
            **apt_archive("bookworm-security", "Debian-Security", "12", "stable-security", security,
                          mirror="deb.lab.invalid/debian-security"),
            **apt_archive("bookworm", "Debian", "12.8", "stable", main)}


def _age(root: Path, days: int) -> None:
    """Make apt's lists look last refreshed `days` ago (the directory and every file in it)."""
    stamp = time.time() - days * 86400
    lists = root / "var/lib/apt/lists"
    for path in [*lists.iterdir(), lists]:
        os.utime(path, (stamp, stamp))


@pytest.fixture
def scan(sshd_hardened, ssh_known_hosts, host_root):
    def run(files: dict, age_days: int | None = None, **policy):
        root = host_root(files)
        if age_days is not None:
            _age(root, age_days)
        return judge("L1-UPD-001", host_target(host_evidence(sshd_hardened, ssh_known_hosts, root)))
    return run


def test_real_apt_simulation_finds_security_updates(scan) -> None:
    result = scan(debian_root(security=[("libssl3", "3.0.15-1~deb12u2"), ("openssh-server", "1:9.2p1-2+deb12u5")],
                              main=[("bash", "5.2.15-2+b8")]))
    assert result.status is Status.FAIL, result.reason
    assert result.reason.startswith("2 security updates pending (3 packages upgradable in all; apt-get simulation")
    assert "libssl3, openssh-server" in result.reason and "bash" not in result.reason.split(":")[-1]
    assert "Debian-Security:12/stable-security" in result.evidence  # apt's own Inst line
    assert "mô phỏng bằng apt-get" in result.reason_vi


def test_only_regular_updates_and_fresh_lists_pass(scan) -> None:
    result = scan(debian_root(security=[], main=[("bash", "5.2.15-2+b8")]))
    assert result.status is Status.PASS, result.reason
    assert "no security update pending (1 packages upgradable in all; apt-get simulation, metadata refreshed 0 " \
           "days ago)" == result.reason


def test_stale_lists_warn_with_their_age(scan) -> None:
    result = scan(debian_root(security=[], main=[]), age_days=30)
    assert result.status is Status.WARN, result.reason
    assert "last refreshed 30 days ago (policy updates.lists_max_age_days: 7)" in result.reason
    # a security update in stale lists is still a failure, with the age said
    failing = scan(debian_root(security=[("bash", "5.2.15-2+b9")], main=[]), age_days=30)
    assert failing.status is Status.FAIL and "metadata refreshed 30 days ago" in failing.reason


def test_lists_without_release_files_are_an_error(scan) -> None:
    files = {k: v for k, v in debian_root([], []).items() if not k.endswith("_Release")}
    files = {k: v for k, v in files.items() if "lists/" not in k} | {"var/lib/apt/lists/lock": ""}
    result = scan(files)
    assert result.status is Status.ERROR and "`apt-get update` has never succeeded" in result.reason


def test_update_notifier_stays_the_fallback(scan) -> None:
    result = scan({"etc/os-release": "ID=debian\n",
                   "var/lib/update-notifier/updates-available": "3 updates can be applied immediately.\n"
                                                                "2 of these updates are standard security updates.\n"})
    assert result.status is Status.FAIL and "2 security updates pending (3 updates in all)" in result.reason
    none = scan({"etc/os-release": 'ID="rhel"\n'})
    assert none.status is Status.ERROR and "no apt-get, dnf, yum or zypper metadata" in none.reason


def test_the_simulation_never_writes_below_the_sysroot(host_root) -> None:
    root = host_root(debian_root(security=[("bash", "5.2.15-2+b9")], main=[]))
    before = sorted((p.relative_to(root), p.stat().st_mtime_ns) for p in root.rglob("*"))
    command = allowlist.render("updates_apt", SSHSettings(sysroot=str(root)))
    proc = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert sorted((p.relative_to(root), p.stat().st_mtime_ns) for p in root.rglob("*")) == before
    assert parse_apt_simulation(tool_sections(proc.stdout)["apt-get"]).security_items == ("bash",)


def test_real_apt_on_this_machine_parses() -> None:
    # the project machine's own apt-get over its own lists (whatever they hold today): every Inst line of an
    # upgrade is counted, and the security ones are those from a -security archive
    command = allowlist.render("updates_apt", SSHSettings())
    proc = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, timeout=120)
    if "@@tool apt-get" not in proc.stdout:
        pytest.skip("no apt-get with lists on this machine")
    pending = parse_apt_simulation(tool_sections(proc.stdout)["apt-get"])
    inst = [ln for ln in proc.stdout.splitlines() if ln.startswith("Inst ") and " [" in ln.split("(")[0]]
    assert pending.total == len(inst)
    assert pending.security == sum("-security" in ln.split("(", 1)[1] for ln in inst)


# ---- dnf, yum, zypper: recorded outputs ----------------------------------------------------------------------

def test_recorded_dnf_yum_zypper_outputs_parse() -> None:
    dnf = parse_dnf_updateinfo((DATA / "dnf-fedora34-security.txt").read_text())
    assert dnf.security == 6 and dnf.security_items[1] == "dhcp-client-12:4.4.2-11.b1.fc34.x86_64"
    yum = parse_dnf_updateinfo((DATA / "yum-rhel7-security.txt").read_text(), "yum")
    assert yum.tool == "yum" and yum.security == 3
    dnf5 = parse_dnf_updateinfo((DATA / "dnf5-security.txt").read_text())
    assert dnf5.security_items == ("libevent-2.1.13-1.fc44.x86_64", "openssl-libs-1:3.5.9-1.fc44.x86_64")
    assert parse_dnf_updateinfo("").security == 0  # dnf -q prints nothing when nothing is pending
    zypper = parse_zypper_patches((DATA / "zypper-leap16-list-patches.xml").read_text())
    assert (zypper.total, zypper.security, zypper.security_items) == (2, 1, ("openSUSE-Leap-16.0-112",))
    assert zypper.unit == "patches"


@pytest.mark.parametrize("parser, text", [
    (parse_dnf_updateinfo, "Error: Cache-only enabled but no cache for 'fedora'\n"),
    (parse_zypper_patches, "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><stream>&a;</stream>"),
    (parse_zypper_patches, "<stream><update-list>"),
    (parse_apt_simulation, "E: Could not open lock file\n"),
])
def test_damaged_outputs_are_refused(parser, text: str) -> None:
    with pytest.raises(UnreadableOutput):
        parser(text)


def _with_command(evidence: dict, name: str, rc: int, out: str, err: str = "") -> dict:
    return {**evidence, "ssh_shell": with_command(evidence["ssh_shell"], name, rc, out, err)}


def test_rhel_and_suse_verdicts_from_recorded_outputs(sshd_hardened, ssh_known_hosts, host_root) -> None:
    # the rest of the evidence is a real collection; only the package manager's answer is the recorded one
    root = host_root({"etc/os-release": 'ID="rhel"\nVERSION_ID="9.4"\n',
                      "var/cache/dnf/baseos-1a2b/repodata/repomd.xml": "<repomd/>\n"})
    ev = host_evidence(sshd_hardened, ssh_known_hosts, root)
    dnf_out = "@@tool dnf\n" + (DATA / "yum-rhel7-security.txt").read_text()
    failed = judge("L1-UPD-001", host_target(_with_command(ev, "updates_rpm", 0, dnf_out)))
    assert failed.status is Status.FAIL and failed.reason.startswith("3 security updates pending (3 packages")
    assert "dnf simulation, metadata refreshed 0 days ago" in failed.reason
    clean = judge("L1-UPD-001", host_target(_with_command(ev, "updates_rpm", 0, "@@tool dnf\n")))
    assert clean.status is Status.PASS and "dnf simulation" in clean.reason
    no_cache = judge("L1-UPD-001", host_target(_with_command(
        ev, "updates_rpm", 1, "@@tool dnf\n", "Error: Cache-only enabled but no cache for 'baseos'")))
    assert no_cache.status is Status.ERROR and "set ssh.sudo: true" in no_cache.reason
    assert "Cache-only enabled but no cache" in no_cache.reason
    suse = "@@tool zypper\n" + (DATA / "zypper-leap16-list-patches.xml").read_text()
    patches = judge("L1-UPD-001", host_target(_with_command(ev, "updates_zypper", 0, suse)))
    assert patches.status is Status.FAIL and "1 security updates pending (2 patches" in patches.reason
    assert "openSUSE-Leap-16.0-112" in patches.reason


# ---- the allowlist admits these tools only in their read-only forms ----------------------------------------------

@pytest.mark.parametrize("command", [
    "apt-get update", "apt-get -s install x", "apt-get upgrade -s", "apt-get -s -o APT::Get::x=1 dist-upgrade",
    "dnf -q updateinfo list --security", "dnf -q -C makecache updateinfo list", "yum -C update",
    "zypper --non-interactive refresh", "zypper -x list-patches", "passwd root", "passwd -S -d root",
    "grep -e x /etc/shadow", "grep -lo x /etc/ssh",
])
def test_mutating_or_content_printing_forms_are_refused(command: str) -> None:
    assert allowlist.read_only_problems(command), command


def test_shipped_forms_are_accepted() -> None:
    for ssh in (SSHSettings(), SSHSettings(sudo=True, sysroot="/srv/img")):
        for name in ("updates_apt", "updates_rpm", "updates_zypper", "password_status", "ssh_private_keys"):
            assert allowlist.read_only_problems(allowlist.render(name, ssh)) == (), name


def test_ubuntu_esm_updates_are_not_lost_to_the_simulation(scan) -> None:
    files = {**debian_root(security=[], main=[]),
             "var/lib/update-notifier/updates-available": "0 updates can be applied immediately.\n"
                                                          "3 additional security updates can be applied with ESM Apps.\n"}
    result = scan(files)
    assert result.status is Status.WARN, result.reason
    assert "apt-get simulation" in result.reason and "3 security updates that need Ubuntu Pro (ESM)" in result.reason

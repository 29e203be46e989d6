"""Resources are parsed once per target and shared by its checks (t.resources), each caller getting its own
list: log forwarding destinations and firewall backends of real shell evidence."""

from __future__ import annotations

import pytest

from fourlayer.collectors import ssh_shell
from fourlayer.lab.sysroots import GOOD_ROOT
from fourlayer.resources import firewall, forwarding, host_files
from tests.host_lab import CTX, host_target, sysroots


@pytest.fixture(scope="module")
def good_host(sshd_hardened, ssh_known_hosts):
    with sysroots() as make:
        host = sshd_hardened.host(known_hosts=ssh_known_hosts, sysroot=str(make(GOOD_ROOT)))
        yield host, ssh_shell.collect(host, CTX)


def _counting(real, calls: list[str]):
    """`real(target, name)`, each call's name recorded in `calls`."""
    def counted(target, name):
        calls.append(name)
        return real(target, name)
    return counted


@pytest.mark.parametrize("read, key, commands", [
    (forwarding.log_destinations, "log_destinations", {"rsyslog_conf", "syslog_ng_conf", "journal_upload_conf"}),
    (firewall.firewall_backends, "firewall", {"firewall_conf"}),
])
def test_parsed_once_per_target(good_host, monkeypatch, read, key, commands) -> None:
    host, ev = good_host
    t = host_target({"host": host, "ssh_shell": ev})
    parsed: list[str] = []
    counted = _counting(host_files.config_files, parsed)
    monkeypatch.setattr(forwarding, "config_files", counted)
    monkeypatch.setattr(firewall, "config_files", counted)
    first = read(t)
    assert first, "the well-kept sysroot forwards its logs and has a firewall"
    assert set(parsed) == commands and key in t.resources
    again = read(t)
    assert again == first and again is not first  # the caller's own list
    again.clear()
    assert read(t) == first and len(parsed) == len(commands)  # not parsed again
    fresh = host_target({"host": host, "ssh_shell": ev})
    assert read(fresh) == first and len(parsed) == 2 * len(commands)  # another target parses its own


def test_config_files_and_process_list_split_once_per_target(good_host, monkeypatch) -> None:
    """Several checks read the same framed files and the same process list: split once per target, each caller
    gets its own list, and another target splits its own."""
    host, ev = good_host
    t = host_target({"host": host, "ssh_shell": ev})
    read: list[str] = []
    monkeypatch.setattr(host_files, "command_out", _counting(host_files.command_out, read))
    files = host_files.config_files(t, "sshd_config_files")
    assert files and all(f.path.endswith("sshd_config") for f in files)
    files.clear()
    assert host_files.config_files(t, "sshd_config_files") and read == ["sshd_config_files"]
    found, procs = host_files.running(t, ["sshd", "no-such-daemon"])
    assert found == ["sshd"] and "sshd" in procs
    procs.clear()
    assert host_files.running(t, ["sshd"]) == (["sshd"], host_files.running(t, [])[1]) and read.count("processes") == 1
    fresh = host_target({"host": host, "ssh_shell": ev})
    assert host_files.config_files(fresh, "sshd_config_files") and read.count("sshd_config_files") == 2

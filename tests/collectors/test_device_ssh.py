"""A device's running configuration read over SSH, for real: a lab OpenSSH server on loopback whose
`ForceCommand` is a STAND-IN for a network device's CLI — a shell script that answers the one allowlisted
`show running-config` with a saved IOS configuration and refuses every other command, as a router refuses what it
does not know. It is not a Cisco device: what is tested here is fourlayer's side (host-key verification, the one
command sent as it stands, the output read whole and bounded, failures as ERROR), not a device's SSH server.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from fourlayer.collectors.allowlist import DEVICE_COMMANDS
from fourlayer.core.model import Status
from fourlayer.lab.sshd import make_lab_dir
from tests.scan_harness import agency, write_inventory
from tests.checks.test_device_checks import AGELESS, DATA, SOC, device_checks, scan

CLI = """#!/bin/sh
# fourlayer test stand-in for a network device CLI (not a device): one read-only command, nothing else.
printf '%s\n' "$SSH_ORIGINAL_COMMAND" >> {asked}
if [ "$SSH_ORIGINAL_COMMAND" = "show running-config" ]; then
  exec cat {config}
fi
printf '%% Invalid input detected at marker.\\n' >&2
exit 1
"""


@pytest.fixture
def device_sshd(sshd_factory, tmp_path):
    """(sshd, known_hosts, asked): a lab sshd whose every session runs the stand-in CLI over hardened.conf, and
    the file where the stand-in writes each command it was asked."""
    cli_dir = make_lab_dir("device-cli-")
    try:
        saved = cli_dir / "running-config"
        shutil.copy(DATA / "cisco_ios" / "hardened.conf", saved)
        os.chmod(saved, 0o644)
        asked = cli_dir / "asked"
        asked.write_text("")
        os.chmod(asked, 0o666)  # the stand-in runs as the lab's audit user
        script = cli_dir / "device-cli"
        script.write_text(CLI.format(config=saved, asked=asked))
        os.chmod(script, 0o755)
        sshd = sshd_factory(extra_config=f"ForceCommand {script}")
        known_hosts = sshd.write_known_hosts(tmp_path / "known_hosts")
        yield sshd, known_hosts, asked
    finally:
        shutil.rmtree(cli_dir, ignore_errors=True)


def _device(sshd, known_hosts: Path, vendor: str = "cisco_ios") -> dict:
    return {"id": "dev", "vendor": vendor, "role": "edge router", "address": sshd.address,
            "ssh": {"port": sshd.port, "user": sshd.user, "key_file": str(sshd.client_key),
                    "known_hosts": str(known_hosts)}}


def _audit(tmp_path: Path, device: dict) -> dict:
    path = write_inventory(tmp_path, [agency(level=3, system={"devices": [device]}, soc=SOC)], AGELESS)
    return scan(path, device_checks())["dev"]


def test_running_config_over_ssh_gives_the_same_verdicts_as_the_saved_file(tmp_path, device_sshd):
    sshd, known_hosts, asked = device_sshd
    results = _audit(tmp_path, _device(sshd, known_hosts))
    assert {cid: r.status for cid, r in results.items()} == {cid: Status.PASS for cid in device_checks()}
    assert f"`{DEVICE_COMMANDS['cisco_ios']}`" in results["L1-DEV-001"].evidence
    assert f"[{sshd.address}]:{sshd.port}" in results["L1-DEV-001"].evidence
    # one session, exactly the allowlisted command, nothing else
    assert asked.read_text() == "show running-config\n"


def test_a_command_the_device_refuses_is_error_for_every_check(tmp_path, device_sshd):
    """RouterOS's `/export` is not what this stand-in answers: the collector's failure makes every device check
    ERROR (never a pass), saying which command failed and how."""
    sshd, known_hosts, asked = device_sshd
    results = _audit(tmp_path, _device(sshd, known_hosts, vendor="routeros"))
    assert asked.read_text() == "/export\n"
    assert {r.status for r in results.values()} == {Status.ERROR}
    reason = results["L1-DEV-001"].reason
    assert "`/export` failed (exit status 1)" in reason and "Invalid input" in reason


def test_unknown_host_key_is_refused(tmp_path, device_sshd):
    sshd, _, asked = device_sshd
    other = tmp_path / "other_known_hosts"
    other.write_text("")
    results = _audit(tmp_path, _device(sshd, other))
    assert {r.status for r in results.values()} == {Status.ERROR}
    assert "is not in" in results["L1-DEV-001"].reason and "--accept-new-host-keys" in results["L1-DEV-001"].reason
    assert asked.read_text() == ""  # refused before any command


def test_output_over_the_bound_is_error_not_a_partial_verdict(tmp_path, device_sshd, monkeypatch):
    """A configuration cut at the size bound would let its missing lines pass: ERROR instead (the bound lowered
    to 1,000 bytes here; hardened.conf is ~4 KB)."""
    from fourlayer.collectors import device_config

    sshd, known_hosts, _ = device_sshd
    monkeypatch.setattr(device_config, "MAX_CONFIG_BYTES", 1000)
    results = _audit(tmp_path, _device(sshd, known_hosts))
    assert {r.status for r in results.values()} == {Status.ERROR}
    assert "printed more than 1000 bytes; not judged on a partial configuration" in results["L1-DEV-001"].reason



def test_one_read_only_command_per_vendor():
    """Exactly one command per declared vendor, each a display command: nothing that configures, writes, copies,
    reloads or chains a second command."""
    from fourlayer.config.inventory import DEVICE_VENDORS

    assert set(DEVICE_COMMANDS) == set(DEVICE_VENDORS)
    for vendor, command in DEVICE_COMMANDS.items():
        assert command.startswith("show ") or command == "/export", (vendor, command)
        assert not any(bad in command for bad in (";", "\n", "&", ">", "file=")), (vendor, command)
        head, _, output_filter = command.partition("|")  # Junos: a CLI output filter, not a shell pipe
        assert output_filter.strip() in ("", "display set"), (vendor, command)
        assert not {"configure", "config", "set", "write", "copy", "delete", "request", "reload", "execute",
                    "commit", "edit"} & set(head.split()), (vendor, command)

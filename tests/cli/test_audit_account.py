"""`fourlayer audit-account`: the generated sudoers drop-in passes `visudo -c`, and a real unprivileged account
created for the test runs every privileged allowlisted command with `sudo -n` while anything else is refused.

The privileged commands are rendered for a lab sysroot (sshd_config with a real host key, passwd/shadow, the Wazuh
configuration), exactly as a scan of that host renders them, and run by the account through real sudo. dnf, yum,
zypper and auditctl are not installed on this Debian machine: their lines are checked by visudo but not run here.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from fourlayer.collectors import allowlist
from fourlayer.collectors.audit_account import privileged_commands, sudoers_dropin
from fourlayer.config.inventory import SSHSettings
from fourlayer.lab.sshd import make_lab_dir
from fourlayer.lab.sysroots import File, write_tree

VISUDO, SUDO, RUNUSER = "/usr/sbin/visudo", "/usr/bin/sudo", "/usr/sbin/runuser"
NOT_HERE = {"updates_rpm", "updates_zypper", "audit_rules_loaded"}  # dnf, yum, zypper, auditd: not on this machine

needs_sudo = pytest.mark.skipif(os.geteuid() != 0 or not all(os.path.exists(p) for p in (VISUDO, SUDO, RUNUSER)),
                                reason="needs root, sudo and visudo (scripts/setup.sh installs sudo)")


def test_sudoers_lists_exactly_the_privileged_templates_without_wildcards() -> None:
    ssh = SSHSettings(sudo=True)
    commands = privileged_commands(ssh)
    privileged = {name for name, (_, p) in allowlist.TEMPLATES.items() if p}
    assert {c.template for c in commands} == privileged
    text = sudoers_dropin(ssh, "fl-audit")
    assert "*" not in text.split("Cmnd_Alias", 1)[1] and "ALL=(root) NOPASSWD: FOURLAYER_AUDIT" in text
    assert "Defaults:fl-audit !requiretty" in text
    for c in commands:
        assert c.argv[0].startswith("/usr/"), c  # full paths
        assert c.sudoers() in text


@pytest.fixture
def lab_account(tmp_path: Path):
    """A real unprivileged account and a sysroot it is audited through; both removed afterwards."""
    user = f"fl-t{secrets.token_hex(3)}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/bin/sh", user], check=True,
                   capture_output=True)
    root = make_lab_dir("auditroot-")  # every directory up to / searchable, as on a real host
    key = root / "etc/ssh/ssh_host_ed25519_key"
    write_tree(root, {"etc/passwd": "root:x:0:0:root:/root:/bin/bash\nadmin:x:1000:1000::/home/admin:/bin/sh\n",
                      "etc/shadow": File("root:*:20000:0:99999:7:::\nadmin:!:20000:0:99999:7:::\n", 0o640),
                      "var/ossec/etc/ossec.conf": File("<ossec_config/>\n", 0o640),
                      "etc/audit/auditd.conf": File("disk_full_action = halt\n", 0o640),
                      "etc/ssh/sshd_config": f"HostKey {key}\nPermitRootLogin no\n"})
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    dropin = Path(f"/etc/sudoers.d/zz-fourlayer-test-{user}")
    try:
        yield user, root, dropin
    finally:
        dropin.unlink(missing_ok=True)
        subprocess.run(["userdel", user], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _as(user: str, command: str) -> subprocess.CompletedProcess:
    return subprocess.run([RUNUSER, "-u", user, "--", "/bin/sh", "-c", command], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"}, cwd="/")


@needs_sudo
def test_generated_sudoers_runs_every_privileged_command_and_nothing_else(lab_account, tmp_path: Path) -> None:
    user, root, dropin = lab_account
    ssh = SSHSettings(sysroot=str(root), sudo=True)
    text = sudoers_dropin(ssh, user)
    candidate = tmp_path / "candidate.sudoers"
    candidate.write_text(text)
    check = subprocess.run([VISUDO, "-c", "-f", str(candidate)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    # before the drop-in: sudo -n refuses the account
    assert "sudo:" in _as(user, allowlist.render("password_status", ssh)).stderr
    dropin.write_text(text)
    os.chmod(dropin, 0o440)

    ran = {}
    for name in sorted({c.template for c in privileged_commands(ssh)} - NOT_HERE):
        proc = _as(user, allowlist.render(name, ssh))
        assert "sudo:" not in proc.stderr, (name, proc.stderr)  # no "a password is required", no "not allowed"
        ran[name] = proc
    assert ran["sshd_T"].returncode == 0 and "permitrootlogin no" in ran["sshd_T"].stdout
    assert ran["password_status"].stdout.split("\n")[:2] == ["root L 2024-10-04 0 99999 7 -1",
                                                             "admin L 2024-10-04 0 99999 7 -1"]
    assert ran["ssh_private_keys"].stdout.strip() == f"{root}/etc/ssh/ssh_host_ed25519_key"
    assert ran["edr_agent_conf"].stdout == "<ossec_config/>\n"
    assert ran["auditd_settings"].stdout == "disk_full_action = halt\n"
    assert ran["sshd_config_perms"].stdout.startswith("644 root root ")
    # anything else, even the same program with other arguments, is refused
    for outside in ("sudo -n cat /etc/shadow", f"sudo -n cat {root}/etc/shadow", "sudo -n /usr/sbin/sshd -T -f /tmp/x",
                    f"sudo -n grep -lsr -e 'PRIVATE KEY-----' {root}/etc", "sudo -n passwd -S -a",
                    f"sudo -n passwd -R {root} -S root", "sudo -n id"):
        proc = _as(user, outside)
        assert proc.returncode != 0 and "sudo:" in proc.stderr, (outside, proc.stderr)


def test_cli_prints_dropin_and_restricted_key_line(run_cli, tmp_path: Path) -> None:
    pub = tmp_path / "scanner.pub"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "scanner")], check=True)
    output = run_cli("audit-account", "--from", "10.0.5.20,10.0.6.0/28", "--key", str(pub))
    assert "NOPASSWD: FOURLAYER_AUDIT" in output
    key = pub.read_text().split()[1]
    assert f'from="10.0.5.20,10.0.6.0/28",restrict ssh-ed25519 {key} fourlayer-audit' in output
    only = run_cli("audit-account", "--sudoers-only", "--user", "scan-bot")
    assert only.startswith("# fourlayer audit account scan-bot") and "authorized_keys" not in only


@pytest.mark.parametrize("args, message", [
    (["--from", "10.0.0.1; rm"], "is not an address, network or host name"),
    (["--user", "Root Admin"], "is not a portable account name"),
    (["--sysroot", "relative/dir"], "is not a plain absolute path"),
])
def test_bad_input_is_one_line_and_exit_2(run_cli, args: list[str], message: str) -> None:
    output = run_cli("audit-account", *args, expect=2)
    assert message in output and "Traceback" not in output and len(output.strip().splitlines()) == 1, output


def test_a_private_key_is_refused_without_echoing_it(run_cli, tmp_path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True)
    body = (tmp_path / "k").read_text().splitlines()[1]
    output = run_cli("audit-account", "--from", "10.0.0.1", "--key", str(tmp_path / "k"), expect=2)
    assert "this is a PRIVATE key" in output and body not in output


def test_the_restricted_key_line_lets_the_scan_in_from_its_address_only(sshd_factory, tmp_path: Path) -> None:
    # a real sshd whose authorized_keys holds the line audit-account prints: the scan's exec channel works with
    # `restrict`, and from= refuses the same key from another address
    from fourlayer.collectors import ssh_shell
    from fourlayer.collectors.audit_account import authorized_keys_line, public_key_line
    from fourlayer.core.errors import CollectorError
    from tests.host_lab import CTX

    instance = sshd_factory()
    known_hosts = instance.write_known_hosts(tmp_path / "known_hosts")
    key = public_key_line(Path(f"{instance.client_key}.pub").read_text())
    authorized = instance.work_dir / "authorized_keys"
    authorized.write_text(authorized_keys_line(key, "127.0.0.0/8") + "\n")
    evidence = ssh_shell.collect(instance.host(known_hosts=known_hosts), CTX)
    assert evidence.command("sshd_T").rc == 0 and evidence.command("os_release").rc == 0
    authorized.write_text(authorized_keys_line(key, "192.0.2.10") + "\n")
    with pytest.raises(CollectorError, match="authentication as"):
        ssh_shell.collect(instance.host(known_hosts=known_hosts), CTX)

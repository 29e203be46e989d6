"""When `sshd -T` cannot run, the sshd checks judge sshd_config and its includes (real lab sshd, real sysroot
files, real `sshd -T` failures): an unprivileged audit account ("no hostkeys available"), a configuration sshd
refuses, duplicated lines, Match blocks, defaults of the announced release, and the one-line remedy when nothing
can be read. Also: a Banner naming a missing file, and MaxAuthTries 0, each on a real sshd."""

from __future__ import annotations

import dataclasses
import time

import pytest

from fourlayer.collectors import ssh_shell
from fourlayer.config.policy import default_policy
from fourlayer.core.errors import CollectorError
from fourlayer.core.model import Status
from fourlayer.lab import keys
from fourlayer.lab.sshd import is_root
from fourlayer.lab.sysroots import File
from fourlayer.resources.sshd import FILES, SSHD_T, sshd
from fourlayer.resources.sshd_defaults import openssh_version
from tests.host_lab import CTX, host_target, judge

SETTING_CHECKS = ("L1-SSH-010", "L1-SSH-011", "L1-SSH-012", "L1-SSH-013", "L1-SSH-017", "L1-SSH-024")


def _collect(instance, known_hosts, root):
    host = instance.host(known_hosts=known_hosts, sysroot=str(root), sshd_config=None)  # the sysroot's sshd_config
    return {"host": host, "ssh_shell": ssh_shell.collect(host, CTX)}


def _host_key_line(root) -> str:
    """A host key the audit account cannot use: root's own 0600 key (as on a stock server), else a missing one."""
    if not is_root():
        return f"HostKey {root}/etc/ssh/missing_key"
    keys.generate_key(root / "etc/ssh/ssh_host_ed25519_key", "ed25519")  # owned by root, 0600
    return f"HostKey {root}/etc/ssh/ssh_host_ed25519_key"


STOCK = """# as a distribution and a hardening guide write it
Include /etc/ssh/sshd_config.d/*.conf
{hostkey}
UsePrivilegeSeparation sandbox
PermitRootLogin no
PasswordAuthentication no
PasswordAuthentication yes
KbdInteractiveAuthentication no
MaxAuthTries 3
MaxStartups 10:30:60
Banner /etc/issue.net
Match User backup
    PasswordAuthentication yes
"""


@pytest.fixture
def unprivileged(sshd_hardened, ssh_known_hosts, host_root):
    root = host_root({"etc/ssh/sshd_config.d/50-local.conf": "X11Forwarding yes\nMaxAuthTries 8\n",
                      "etc/issue.net": "Authorised access only.\n"})
    (root / "etc/ssh/sshd_config").write_text(STOCK.format(hostkey=_host_key_line(root)))
    return _collect(sshd_hardened, ssh_known_hosts, root)


def test_unprivileged_account_gets_verdicts_from_the_files(unprivileged):
    assert "no hostkeys available" in unprivileged["ssh_shell"].command("sshd_T").err
    t = host_target(unprivileged)
    config = sshd(t)
    assert config.source == FILES and config.defaults is not None
    assert config.defaults.label == "OpenSSH %d.%d" % openssh_version(config.server_version)
    results = {cid: judge(cid, t) for cid in SETTING_CHECKS}
    assert all(r.status is not Status.ERROR for r in results.values()), {c: r.reason for c, r in results.items()}
    assert all("sshd_config (files)" in r.reason for r in results.values()), {c: r.reason for c, r in results.items()}
    assert results["L1-SSH-010"].status is Status.PASS
    # the first PasswordAuthentication line is the one sshd uses; the later one is named as ignored
    pw = results["L1-SSH-011"]
    assert pw.status is Status.PASS and "ignores the later yes at /etc/ssh/sshd_config:7" in pw.reason, pw.reason
    assert "Match User backup (/etc/ssh/sshd_config:12) sets yes" in pw.reason
    assert "bỏ qua giá trị sau yes tại /etc/ssh/sshd_config:7" in pw.reason_vi
    # the drop-in is included at the top, so its MaxAuthTries 8 comes first and wins over the 3 below
    tries = results["L1-SSH-013"]
    assert tries.status is Status.FAIL and "maxauthtries 8" in tries.reason
    assert "ignores the later 3 at /etc/ssh/sshd_config:9" in tries.reason
    empty = results["L1-SSH-012"]  # absent: the release default decides, and the reason says so
    assert empty.status is Status.PASS and "permitemptypasswords no by default of OpenSSH" in empty.reason
    assert "theo mặc định của OpenSSH" in empty.reason_vi
    assert judge("L1-SSH-014", t).status is Status.FAIL  # X11Forwarding yes from the drop-in
    accepted = judge("L1-SSH-023", t)
    assert accepted.status is Status.PASS and "host keys" in accepted.reason
    # the banner file is named and the server (the lab sshd this account logged in to) does send one
    assert results["L1-SSH-017"].status is Status.PASS


def test_implicit_compliance_is_a_warning_when_the_policy_asks(unprivileged, sshd_hardened, ssh_known_hosts,
                                                               host_root):
    policy = default_policy()
    policy["ssh"]["implicit_defaults"] = "warn"
    warned = judge("L1-SSH-012", host_target(unprivileged, policy=policy))
    assert warned.status is Status.WARN and "ssh.implicit_defaults" in warned.reason, warned.reason
    assert judge("L1-SSH-010", host_target(unprivileged, policy=policy)).status is Status.PASS  # explicit
    # with `sshd -T` working the files still tell explicit from implicit (the lab's hardened config)
    host = sshd_hardened.host(known_hosts=ssh_known_hosts, sysroot=str(host_root({})))
    live = {"host": host, "ssh_shell": ssh_shell.collect(host, CTX)}
    assert sshd(host_target(live)).source == SSHD_T
    gss = judge("L1-SSH-030", host_target(live, policy=policy))
    assert gss.status is Status.WARN and "gssapiauthentication no by default" in gss.reason
    assert judge("L1-SSH-012", host_target(live, policy=policy)).status is Status.PASS  # written in the file
    assert judge("L1-SSH-030", host_target(live)).status is Status.PASS  # default policy: pass
    # evidence of a collector that did not read the files (an older scan): the PASS says what it could not tell
    commands = {n: c for n, c in live["ssh_shell"].commands.items() if n != "sshd_config_files"}
    live["ssh_shell"] = dataclasses.replace(live["ssh_shell"], commands=commands)
    unknown = judge("L1-SSH-030", host_target(live, policy=policy))
    assert unknown.status is Status.PASS and "is written explicitly is unknown" in unknown.reason, unknown.reason


@pytest.mark.parametrize("bad_line, said", [("UseRoaming no", "line 3: Bad configuration option: UseRoaming"),
                                             ("MaxSessions many", "line 3: MaxSessions integer value invalid"),
                                             ("Include {root}/etc/ssh/sshd_config",
                                              "Too many recursive configuration includes")])
def test_a_configuration_sshd_refuses_is_a_finding_and_settings_come_from_the_file(sshd_hardened, ssh_known_hosts,
                                                                                 host_root, bad_line, said):
    root = host_root({})
    (root / "etc/ssh").mkdir(parents=True, exist_ok=True)
    (root / "etc/ssh/sshd_config").write_text(f"{_host_key_line(root)}\nPermitRootLogin yes\n"
                                              f"{bad_line.format(root=root)}\nPermitEmptyPasswords no\n")
    ev = _collect(sshd_hardened, ssh_known_hosts, root)
    t = host_target(ev)
    refused = judge("L1-SSH-023", t)
    assert refused.status is Status.FAIL and said in refused.reason, refused.reason
    assert "restart or reload fails" in refused.reason and "khởi động lại" in refused.reason_vi
    root_login = judge("L1-SSH-010", t)
    assert root_login.status is Status.FAIL and "sshd_config (files)" in root_login.reason
    assert judge("L1-SSH-012", t).status is Status.PASS


def test_nothing_readable_is_one_line_error_with_the_remedy(sshd_hardened, ssh_known_hosts, host_root):
    ev = _collect(sshd_hardened, ssh_known_hosts, host_root({}))
    t = host_target(ev)
    for cid in SETTING_CHECKS + ("L1-SSH-023",):
        r = judge(cid, t)
        assert r.status is Status.ERROR, (cid, r.status, r.reason)
        assert "\n" not in r.reason and "set ssh.sshd_config" in r.reason, (cid, r.reason)
        assert not r.reason.rstrip().endswith(":"), r.reason  # never "`sshd -T` failed (rc=1): "


def test_banner_naming_a_missing_file_fails(sshd_factory, tmp_path, host_root):
    server = sshd_factory("hardened", directives={"Banner": "/nonexistent/fourlayer-banner"})
    known = server.write_known_hosts(tmp_path / "known_hosts")
    host = server.host(known_hosts=known, sysroot=str(host_root({})))
    ev = {"host": host, "ssh_shell": ssh_shell.collect(host, CTX)}
    assert ev["ssh_shell"].auth_banner is None
    r = judge("L1-SSH-017", host_target(ev))
    assert r.status is Status.FAIL and "sent no banner" in r.reason and "/nonexistent/fourlayer-banner" in r.reason


def test_max_auth_tries_0_locks_everyone_out_and_fails(sshd_factory, sshd_hardened, ssh_known_hosts, tmp_path,
                                                       host_root):
    """Why 0 is a FAIL: on the real daemon it refuses even the right key (sshd_config(5) gives 0 no meaning)."""
    locked = sshd_factory("hardened", directives={"MaxAuthTries": "0"})
    known = locked.write_known_hosts(tmp_path / "known_hosts")
    with pytest.raises(CollectorError, match="authentication"):
        ssh_shell.collect(locked.host(known_hosts=known), CTX)
    deadline = time.monotonic() + 5  # sshd's pre-auth child writes the line a moment after it disconnects
    while "Too many authentication failures" not in locked.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "Too many authentication failures" in locked.log_text()
    # the same setting in a configuration sshd -T reads (a host key the audit account can use)
    root = host_root({})
    (root / "etc/ssh").mkdir(parents=True, exist_ok=True)
    (root / "etc/ssh/sshd_config").write_text(f"HostKey {sshd_hardened.host_key_paths[0]}\nMaxAuthTries 0\n"
                                              "MaxAuthTries 4\nMatch User backup\n  MaxAuthTries 2\n")
    ev = _collect(sshd_hardened, ssh_known_hosts, root)
    r = judge("L1-SSH-013", host_target(ev))
    assert "Match User backup (/etc/ssh/sshd_config:4) sets 2 for the connections it matches" in r.reason, r.reason
    assert r.status is Status.FAIL and "maxauthtries 0" in r.reason and "required ≥ 1" in r.reason, r.reason
    # the daemon itself took the first of the two lines; the reason names the one it ignores
    assert "(sshd -T: " in r.reason and "ignores the later 4 at /etc/ssh/sshd_config:3" in r.reason, r.reason


def test_includes_are_followed_below_the_sysroot_and_a_deeper_one_is_a_gap(sshd_hardened, ssh_known_hosts,
                                                                            host_root):
    root = host_root({"etc/ssh/custom/a.conf": "Include /etc/ssh/deeper/*.conf\nX11Forwarding no\n",
                      "etc/ssh/deeper/b.conf": "MaxAuthTries 2\n"})
    (root / "etc/ssh/sshd_config").write_text(f"{_host_key_line(root)}\nPermitRootLogin no\n"
                                              "Include custom/*.conf\nPasswordAuthentication no\n")
    ev = _collect(sshd_hardened, ssh_known_hosts, root)
    printed = ev["ssh_shell"].command("sshd_config_files").out
    assert "/etc/ssh/custom/a.conf" in printed  # relative to /etc/ssh below the sysroot, followed by the shell
    assert "/etc/ssh/deeper/b.conf" not in printed  # an Include inside an included file is not followed
    t = host_target(ev)
    assert sshd(t).files.gaps == ["/etc/ssh/custom/a.conf:1 Include /etc/ssh/deeper/*.conf"]
    assert judge("L1-SSH-010", t).status is Status.PASS  # set before the gap: certain
    unknown = judge("L1-SSH-013", t)
    assert unknown.status is Status.ERROR and "/etc/ssh/deeper/*.conf" in unknown.reason, unknown.reason


@pytest.mark.skipif(not is_root(), reason="needs a root-owned file the lab audit account cannot read")
def test_sshd_config_only_root_can_read_names_sudo_as_the_remedy(sshd_hardened, ssh_known_hosts, host_root):
    root = host_root({"etc/ssh/sshd_config": File("PermitRootLogin no\n", 0o600)})  # CIS asks for 0600
    t = host_target(_collect(sshd_hardened, ssh_known_hosts, root))
    r = judge("L1-SSH-010", t)
    assert r.status is Status.ERROR and "not readable by the audit account" in r.reason, r.reason
    assert "cannot read sshd_config: allow it `sudo -n sshd -T` and set ssh.sudo: true" in r.reason


@pytest.mark.skipif(not is_root(), reason="needs a root-owned file the lab audit account cannot read")
def test_an_included_file_only_root_can_read_is_a_gap_at_its_place(sshd_hardened, ssh_known_hosts, host_root):
    root = host_root({"etc/ssh/sshd_config.d/10-secret.conf": File("PasswordAuthentication yes\n", 0o600)})
    (root / "etc/ssh/sshd_config").write_text(f"{_host_key_line(root)}\nPermitRootLogin no\n"
                                              "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\n")
    t = host_target(_collect(sshd_hardened, ssh_known_hosts, root))
    assert judge("L1-SSH-010", t).status is Status.PASS  # set before the unreadable file
    unknown = judge("L1-SSH-011", t)
    assert unknown.status is Status.ERROR and "10-secret.conf (not readable by the audit account)" in unknown.reason


def test_before_openssh_8_7_challenge_response_still_enables_keyboard_interactive(unprivileged):
    """No OpenSSH older than the installed one runs here, so the server's announcement is replaced by the one of
    Ubuntu 20.04 (8.2): there KbdInteractiveAuthentication no alone leaves ChallengeResponseAuthentication's
    default yes on, which enables keyboard-interactive (sshd.c before 8.7); from 8.7 one is an alias of the other."""
    unprivileged["ssh_shell"] = dataclasses.replace(unprivileged["ssh_shell"], server_version="SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.5")
    old = sshd(host_target(unprivileged))
    assert old.defaults.label == "OpenSSH 8.2" and old.kbd_interactive_authentication == "yes"
    r = judge("L1-SSH-011", host_target(unprivileged))
    assert r.status is Status.FAIL and "kbdinteractiveauthentication yes" in r.reason, r.reason
    unprivileged["ssh_shell"] = dataclasses.replace(unprivileged["ssh_shell"], server_version="SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3")
    assert sshd(host_target(unprivileged)).kbd_interactive_authentication == "no"


def test_a_server_without_a_known_release_cannot_default_absent_keywords(unprivileged):
    """Dropbear or an unknown server (its announcement stands in for one; none runs here): what the files set
    is judged, what they leave out is ERROR, never a guessed default."""
    unprivileged["ssh_shell"] = dataclasses.replace(unprivileged["ssh_shell"], server_version="SSH-2.0-dropbear_2022.83")
    t = host_target(unprivileged)
    assert judge("L1-SSH-010", t).status is Status.PASS  # PermitRootLogin no is written
    unknown = judge("L1-SSH-012", t)  # PermitEmptyPasswords is not
    assert unknown.status is Status.ERROR and "defaults of SSH-2.0-dropbear_2022.83 are not known" in unknown.reason

"""Wrong verdicts of issue #13, each on real sysroot files read over a real loopback sshd: file owner, group and
mode judged together, private keys found by content, login.defs keys read case-sensitively, audit rule families with
their permission flags and system calls, locked UID-0 accounts."""

from __future__ import annotations

import os
import pwd
import grp

import pytest

from fourlayer.core.model import Status
from fourlayer.lab.sysroots import File
from fourlayer.collectors import ssh_shell
from tests.host_lab import CTX, host_target, judge, with_command

# a private key's armour with a body that is not a key: the checks must never show either
KEY_TEXT = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAc2VjcmV0LWJvZHk=\n-----END OPENSSH PRIVATE KEY-----\n"
PUB_TEXT = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFake root@lab\n"


@pytest.fixture
def scan(sshd_hardened, ssh_known_hosts, host_root):
    def run(files: dict, check_id: str, prepare=None, policy=None):
        root = host_root(files)
        if prepare:
            prepare(root)
        # the sysroot's own /etc/ssh, not the lab sshd's configuration, is the one judged
        host = sshd_hardened.host(known_hosts=ssh_known_hosts, sysroot=str(root),
                                  sshd_config=str(root / "etc/ssh/sshd_config"))
        evidence = {"host": host, "ssh_shell": ssh_shell.collect(host, CTX)}
        return judge(check_id, host_target(evidence, policy))
    return run


SSH_DIR = {"etc/ssh/sshd_config": "Port 22\n", "etc/ssh/ssh_host_ed25519_key": File(KEY_TEXT, 0o600),
           "etc/ssh/ssh_host_ed25519_key.pub": PUB_TEXT}


def test_host_keys_root_600_pass(scan) -> None:
    result = scan(SSH_DIR, "L1-PRM-003")
    assert result.status is Status.PASS, result.reason
    assert result.reason == "1 host private keys are 600 root:root"
    assert "ssh_host_ed25519_key (name)" in result.evidence


def test_a_world_readable_key_under_another_name_is_found_by_content(scan) -> None:
    result = scan({**SSH_DIR, "etc/ssh/backup-2023.old": File(KEY_TEXT, 0o777)}, "L1-PRM-003")
    assert result.status is Status.FAIL, result.reason
    assert "backup-2023.old 777 root:root" in result.reason
    assert "backup-2023.old (private-key content)" in result.evidence
    for text in (result.reason, result.reason_vi, result.evidence):
        assert "b3BlbnNzaC1rZXkt" not in text and "BEGIN" not in text  # never the key's content


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
@pytest.mark.parametrize("owner, group, expected", [("nobody", "root", "owner nobody"),
                                                     ("root", "nogroup", "group nogroup")])
def test_host_keys_owned_by_another_user_or_group_fail(scan, owner: str, group: str, expected: str) -> None:
    def chown(root):
        os.chown(root / "etc/ssh/ssh_host_ed25519_key", pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid)
    result = scan(SSH_DIR, "L1-PRM-003", chown)
    assert result.status is Status.FAIL, result.reason
    assert f"ssh_host_ed25519_key 600 {owner}:{group}" in result.reason


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's group needs root")
def test_sshd_config_with_a_non_root_group_fails(scan) -> None:
    ok = scan(SSH_DIR, "L1-PRM-002")
    assert ok.status is Status.PASS and ok.reason.endswith("/etc/ssh/sshd_config is 644 root:root"), ok.reason

    def chgrp(root):
        os.chown(root / "etc/ssh/sshd_config", 0, grp.getgrnam("adm").gr_gid)
    bad = scan(SSH_DIR, "L1-PRM-002", chgrp)
    assert bad.status is Status.FAIL and "group adm, not root" in bad.reason, bad.reason
    assert "thuộc nhóm adm, không phải root" in bad.reason_vi


# ---- login.defs keys are case-sensitive (shadow-utils' getdef) ------------------------------------------------

@pytest.mark.parametrize("text, status, said", [
    ("UMASK 027\n", Status.PASS, "umask 027"),
    ("umask 027\n", Status.FAIL, "umask is not set"),  # ignored by login(1), useradd, pam_umask
    ("umask 077\nUMASK 022\n", Status.FAIL, "umask 022"),
    ('UMASK "077"\n', Status.PASS, "umask 077"),
])
def test_lowercase_umask_in_login_defs_is_not_honoured(scan, text: str, status: Status, said: str) -> None:
    result = scan({"etc/login.defs": text}, "L1-ACC-011")
    assert result.status is status and said in result.reason, result.reason


def test_lowercase_pass_max_days_is_not_honoured(scan) -> None:
    result = scan({"etc/login.defs": "pass_max_days 30\n"}, "L1-ACC-002")
    assert result.status is Status.FAIL and "never (not set)" in result.reason, result.reason


# ---- audit rules: permission flags, system-call architectures, families reported apart -------------------------

@pytest.fixture
def auditd_named(tmp_path_factory):
    from tests.checks.test_checks_host import unique_name
    from fourlayer.lab.sysroots import AgentProcesses
    name = unique_name("auditd")
    with AgentProcesses([name], tmp_path_factory.mktemp("auditd")):
        yield name


def _audit(scan, rules: str, auditd: str):
    from tests.checks.test_checks_host import policy_with
    return scan({"etc/audit/rules.d/audit.rules": rules}, "L2-AUD-001",
                policy=policy_with(audit={"process_names": [auditd]}))


def test_audit_families_pass_with_the_lab_rules(scan, auditd_named) -> None:
    from fourlayer.lab.sysroots import GOOD_ROOT
    result = _audit(scan, GOOD_ROOT["etc/audit/rules.d/audit.rules"], auditd_named)
    assert result.status is Status.PASS, result.reason
    assert "recording every family: identity, sudoers, time-change, logins, sessions, privileged-commands, " \
           "modules, deletions, network-config" in result.reason


def test_a_write_only_watch_does_not_cover_identity_changes(scan, auditd_named) -> None:
    from fourlayer.lab.sysroots import GOOD_ROOT
    rules = GOOD_ROOT["etc/audit/rules.d/audit.rules"].replace("-w /etc/passwd -p wa", "-w /etc/passwd -p w")
    result = _audit(scan, rules, auditd_named)
    assert result.status is Status.FAIL, result.reason
    assert "1 of 9 audit rule families" in result.reason
    assert "identity (too narrow: /etc/passwd -p w, needs wa)" in result.reason
    assert "identity (quá hẹp: /etc/passwd -p w, needs wa)" in result.reason_vi
    assert "sudoers: recorded" in result.evidence and "logins: recorded" in result.evidence  # each family apart


def test_32_bit_only_syscalls_and_missing_families_are_named(scan, auditd_named) -> None:
    from fourlayer.lab.sysroots import GOOD_ROOT
    rules = "\n".join(line for line in GOOD_ROOT["etc/audit/rules.d/audit.rules"].splitlines()
                      if "-k logins" not in line and "-k session" not in line)
    rules = rules.replace("-F arch=b64 -S unlink,unlinkat,rename,renameat", "-F arch=b32 -S unlink,unlinkat,rename,renameat")
    rules = rules.replace("-a always,exit -F arch=b64 -S init_module", "-a never,exit -F arch=b64 -S init_module")
    result = _audit(scan, rules, auditd_named)
    assert result.status is Status.FAIL, result.reason
    assert "4 of 9 audit rule families" in result.reason
    assert "logins (not recorded: /var/log/lastlog, /var/run/faillock)" in result.reason
    assert "sessions (not recorded: /var/run/utmp, /var/log/wtmp, /var/log/btmp)" in result.reason
    assert "deletions (too narrow: unlink for b32 only, needs arch=b64" in result.reason
    assert "modules (not recorded: init_module, finit_module, delete_module)" in result.reason  # never,exit


# ---- a locked UID-0 account is not an extra root -------------------------------------------------------------

UID0_ROOT = {"etc/passwd": "root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/root:/bin/bash\n",
             "etc/shadow": File("root:$y$j9T$lab$hash:20000:0:99999:7:::\ntoor:!$y$j9T$lab$hash:20000:0:99999:7:::\n",
                                0o640)}


def test_without_sudo_the_lock_state_is_said_to_be_unknown(scan) -> None:
    result = scan(UID0_ROOT, "L1-ACC-001")  # the lab audit account is not root: passwd -S is refused
    assert result.status is Status.FAIL, result.reason
    assert "UID 0: toor; whether they are locked could not be told (passwd -S needs ssh.sudo: true)" in result.reason


@pytest.mark.skipif(os.geteuid() != 0, reason="passwd -S reads /etc/shadow as root")
@pytest.mark.parametrize("toor_hash, status, said", [
    ("!$y$j9T$lab$hash", Status.PASS, "toor also has UID 0 but is locked (passwd -S: L)"),
    ("$y$j9T$lab$hash", Status.FAIL, "have UID 0: toor"),
])
def test_lock_state_from_passwd_status(sshd_hardened, ssh_known_hosts, host_root, toor_hash: str, status: Status,
                                       said: str) -> None:
    import subprocess

    from fourlayer.collectors import allowlist
    from fourlayer.config.inventory import SSHSettings
    root = host_root({**UID0_ROOT, "etc/shadow": File(f"root:$y$j9T$lab$hash:20000:0:99999:7:::\n"
                                                      f"toor:{toor_hash}:20000:0:99999:7:::\n", 0o640)})
    host = sshd_hardened.host(known_hosts=ssh_known_hosts, sysroot=str(root))
    evidence = {"host": host, "ssh_shell": ssh_shell.collect(host, CTX)}
    # the one privileged command, run for real as root (what `sudo -n` does on a host with the audit drop-in,
    # tests/cli/test_audit_account.py); the rest was collected over SSH
    command = allowlist.render("password_status", SSHSettings(sysroot=str(root)))
    proc = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    evidence["ssh_shell"] = with_command(evidence["ssh_shell"], "password_status", 0, proc.stdout)
    result = judge("L1-ACC-001", host_target(evidence))
    assert result.status is status and said in result.reason, result.reason
    for text in (result.reason, result.evidence, proc.stdout):
        assert "$y$" not in text  # passwd -S never shows a hash


# ---- coverage added for issue #13: PAM options, auditd disk actions, log transport, log files, journald --------

PAM_PASSWORD = "etc/pam.d/common-password"


@pytest.mark.parametrize("stack, conf, status, said", [
    ("password requisite pam_pwquality.so retry=3\npassword required pam_unix.so yescrypt\n",
     "difok = 3\nenforce_for_root\n", Status.PASS, "retry=3 difok=3 dictcheck=1 enforce_for_root"),
    ("password requisite pam_pwquality.so retry=5\npassword required pam_unix.so yescrypt\n",
     "difok = 3\ndictcheck = 0\n", Status.FAIL,
     "retry=5 (at most 3); dictcheck=0 (dictionary words accepted); enforce_for_root not set"),
    ("password requisite pam_pwquality.so difok=1 enforce_for_root\npassword required pam_unix.so\n",
     "difok = 5\n", Status.FAIL, "difok=1 (at least 2)"),  # the module's argument overrides the file
])
def test_pwquality_options(scan, stack: str, conf: str, status: Status, said: str) -> None:
    result = scan({PAM_PASSWORD: stack, "etc/security/pwquality.conf": conf}, "L1-ACC-008")
    assert result.status is status and said in result.reason, result.reason


@pytest.mark.parametrize("files, status, said", [
    ({PAM_PASSWORD: "password required pam_unix.so md5\n", "etc/login.defs": "ENCRYPT_METHOD SHA512\n"},
     Status.FAIL, "PAM hashes with md5 (pam_unix md5)"),
    ({PAM_PASSWORD: "password required pam_unix.so\n", "etc/login.defs": "ENCRYPT_METHOD SHA512\n"},
     Status.PASS, "hashed with sha512 (PAM) and sha512"),  # pam_unix without an option follows login.defs
    ({PAM_PASSWORD: "password required pam_unix.so\n", "etc/login.defs": "encrypt_method SHA512\n"},
     Status.FAIL, "ENCRYPT_METHOD unset (DES)"),
])
def test_password_hashing(scan, files: dict, status: Status, said: str) -> None:
    result = scan(files, "L1-ACC-009")
    assert result.status is status and said in result.reason, result.reason


def test_pwhistory_conf_and_short_history(scan) -> None:
    short = scan({PAM_PASSWORD: "password required pam_pwhistory.so\npassword required pam_unix.so\n",
                  "etc/security/pwhistory.conf": "remember = 5\n"}, "L1-ACC-007")
    assert short.status is Status.FAIL and "only the last 5 passwords are remembered" in short.reason


AUDITD_CONF = "etc/audit/auditd.conf"


def test_auditd_disk_full_actions(scan) -> None:
    ok = scan({AUDITD_CONF: "space_left_action = email\nadmin_space_left_action = single\ndisk_full_action = HALT\n"},
              "L2-AUD-002")
    assert ok.status is Status.PASS and "disk_full_action=halt" in ok.reason, ok.reason
    defaults = scan({AUDITD_CONF: "log_file = /var/log/audit/audit.log\n"}, "L2-AUD-002")
    assert defaults.status is Status.FAIL, defaults.reason
    assert "admin_space_left_action suspend by default (allowed: single, halt)" in defaults.reason
    assert "disk_full_action suspend by default" in defaults.reason and "theo mặc định" in defaults.reason_vi
    assert scan({"etc/hostname": "x\n"}, "L2-AUD-002").status is Status.ERROR


RSYSLOG_SOC = "etc/rsyslog.d/60-soc.conf"


@pytest.mark.parametrize("text, status, said", [
    ('action(type="omfwd" target="10.0.0.5" port="6514" protocol="tcp" StreamDriver="gtls" StreamDriverMode="1" '
     'StreamDriverAuthMode="x509/name")\n', Status.PASS, "TLS (gtls, auth mode x509/name)"),
    ("$DefaultNetstreamDriver ossl\n$ActionSendStreamDriverMode 1\n$ActionSendStreamDriverAuthMode x509/name\n"
     "*.* @@10.0.0.5:6514\n", Status.PASS, "TLS (ossl, auth mode x509/name)"),
    ("*.* @@10.0.0.5:514\n", Status.FAIL, "plain TCP (stream driver ptcp, mode 0)"),
    ("*.* @10.0.0.5\n", Status.FAIL, "UDP, never encrypted"),
    ('action(type="omfwd" target="10.0.0.5" protocol="tcp" StreamDriver="gtls" StreamDriverMode="1")\n',
     Status.FAIL, "without authenticating the collector (auth mode anon)"),
    ('action(type="omrelp" target="10.0.0.5" port="2514" tls="on")\n', Status.PASS, 'RELP with tls="on"'),
])
def test_log_forwarding_encryption(scan, text: str, status: Status, said: str) -> None:
    result = scan({"etc/rsyslog.conf": "module(load=\"imuxsock\")\n", RSYSLOG_SOC: text}, "L2-LOG-004")
    assert result.status is status and said in result.reason, result.reason


def test_no_forwarding_means_nothing_to_encrypt(scan) -> None:
    result = scan({"etc/rsyslog.conf": "*.* /var/log/syslog\n"}, "L2-LOG-004")
    assert result.status is Status.NOT_APPLICABLE


def test_log_file_permissions(scan) -> None:
    ok = scan({"var/log/syslog": File("", 0o640), "var/log/auth.log": File("", 0o600)}, "L2-LOG-005")
    assert ok.status is Status.PASS and ok.reason.startswith("2 system log files are 640 or stricter"), ok.reason
    bad = scan({"var/log/syslog": File("", 0o640), "var/log/auth.log": File("", 0o644)}, "L2-LOG-005")
    assert bad.status is Status.FAIL and "/var/log/auth.log 644 root:root" in bad.reason, bad.reason
    assert scan({"etc/hostname": "x\n"}, "L2-LOG-005").status is Status.NOT_APPLICABLE


@pytest.mark.parametrize("files, status, said", [
    ({"etc/systemd/journald.conf": "[Journal]\nStorage=persistent\n"}, Status.PASS, "Storage=persistent"),
    ({"var/log/journal/.keep": ""}, Status.PASS, "Storage=auto (default), ForwardToSyslog=unset, /var/log/journal exists"),
    ({"etc/systemd/journald.conf": "[Journal]\nForwardToSyslog=yes\n", "etc/rsyslog.conf": "*.* /var/log/syslog\n"},
     Status.PASS, "journald forwards to rsyslog"),
    ({"etc/systemd/journald.conf": "[Journal]\nStorage=volatile\n"}, Status.FAIL, "loses its logs at reboot"),
    ({"etc/rsyslog.conf": "*.* /var/log/syslog\n"}, Status.FAIL, "ForwardToSyslog=unset, /var/log/journal absent"),
])
def test_journald_persistence_and_forwarding(scan, files: dict, status: Status, said: str) -> None:
    result = scan(files, "L2-LOG-006")
    assert result.status is status and said in result.reason, result.reason


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_account_file_backups_are_judged_like_their_originals(scan) -> None:
    files = {"etc/passwd": "root:x:0:0::/root:/bin/sh\n", "etc/group": "root:x:0:\n",
             "etc/shadow": File("root:*:1::::::\n", 0o640), "etc/shadow-": File("root:*:1::::::\n", 0o644)}
    bad = scan(files, "L1-PRM-004")
    assert bad.status is Status.FAIL and "/etc/shadow- 644 root:root (mode 644 > 640)" in bad.reason, bad.reason

    def give_group_away(root):
        os.chown(root / "etc/group", pwd.getpwnam("nobody").pw_uid, 0)
    files["etc/shadow-"] = File("root:*:1::::::\n", 0o600)
    owner = scan(files, "L1-PRM-004", give_group_away)
    assert owner.status is Status.FAIL and "/etc/group 644 nobody:root (owner nobody)" in owner.reason
    assert scan({"etc/hostname": "x\n"}, "L1-PRM-004").status is Status.ERROR


def test_hostile_log_and_audit_configuration_stays_fast(scan) -> None:
    import time

    files = {"etc/rsyslog.d/hostile.conf": 'action(type="omfwd" ' * 20000 + "global(" * 20000,
             "etc/audit/rules.d/hostile.rules": "-a always,exit -S " + "x," * 100000 + "\n" + "-w /etc -p\n" * 5000}
    start = time.monotonic()
    for check_id in ("L2-LOG-004", "L2-AUD-001", "L2-LOG-006"):
        result = scan(files, check_id)
        assert "\x1b" not in result.reason and len(result.reason) < 2000, check_id
    assert time.monotonic() - start < 15  # three collections over SSH included


@pytest.mark.skipif(os.geteuid() != 0, reason="the lab audit account owns the files when not root")
def test_unreadable_audit_configuration_is_an_error_naming_sudo(scan, auditd_named) -> None:
    from fourlayer.lab.sysroots import GOOD_ROOT
    from tests.checks.test_checks_host import policy_with
    files = {"etc/audit/rules.d/audit.rules": GOOD_ROOT["etc/audit/rules.d/audit.rules"],
             "etc/audit/auditd.conf": File("disk_full_action = halt\n", 0o640)}  # root-owned: the lab account
    policy = policy_with(audit={"process_names": [auditd_named]})

    def hide(root):
        os.chmod(root / "etc/audit/rules.d", 0o750)
    rules = scan(files, "L2-AUD-001", hide, policy)
    assert rules.status is Status.ERROR and "/etc/audit/rules.d is not readable" in rules.reason, rules.reason
    assert "set ssh.sudo: true" in rules.reason
    conf = scan(files, "L2-AUD-002", policy=policy)  # 0640 root: not for the lab account
    assert conf.status is Status.ERROR and "is not readable by the audit account" in conf.reason, conf.reason


@pytest.mark.skipif(os.geteuid() != 0, reason="the lab audit account owns the files when not root")
def test_an_unreadable_etc_audit_hides_nothing_silently(scan, auditd_named) -> None:
    from fourlayer.lab.sysroots import GOOD_ROOT
    from tests.checks.test_checks_host import policy_with
    files = {"etc/audit/rules.d/audit.rules": GOOD_ROOT["etc/audit/rules.d/audit.rules"],
             "etc/audit/auditd.conf": "disk_full_action = halt\n"}
    policy = policy_with(audit={"process_names": [auditd_named]})

    def hide(root):
        os.chmod(root / "etc/audit", 0o750)
    for check_id, said in (("L2-AUD-001", "its rules could not be read"), ("L2-AUD-002", "is not readable")):
        result = scan(files, check_id, hide, policy)
        assert result.status is Status.ERROR and said in result.reason, (check_id, result.reason)
    assert scan({"etc/hostname": "x\n"}, "L2-AUD-002").reason.endswith("auditd is not installed (L2-AUD-001 "
                                                                       "judges the daemon)")

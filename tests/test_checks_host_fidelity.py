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
from tests.host_lab import CTX, host_target, judge

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

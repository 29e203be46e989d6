"""L1-SSH-011: password logins judged by the system's level against policy ssh.password_auth_allowed_max_level."""

from __future__ import annotations

import pytest

from tests.scan_harness import agency, lab_host as _lab_host, scan, write_inventory


def lab_host(sshd, known_hosts, sysroot):
    host = _lab_host(sshd, known_hosts, sysroot)
    host["ssh"]["sshd_config"] = str(sshd.config_path)  # audit this instance's own config with `sshd -T -f`
    return host


@pytest.mark.parametrize("level, allowed, expect", [
    (2, None, "FAIL"),            # default policy: passwords tolerated up to level 1 only
    (1, None, "NOT_APPLICABLE"),
    (3, 3, "NOT_APPLICABLE"),     # an overriding policy tolerates them up to level 3
    (3, 0, "FAIL"),
])
def test_weak_sshd_by_level_and_policy(tmp_path, sshd_weak, ssh_known_hosts, level, allowed, expect):
    policy = None if allowed is None else {"ssh": {"password_auth_allowed_max_level": allowed}}
    path = write_inventory(tmp_path, [agency(level=level, hosts=[lab_host(sshd_weak, ssh_known_hosts, None)])],
                           policy)
    result = scan(path, ["L1-SSH-011"])["h1"]["L1-SSH-011"]
    assert result.status.value == expect, result.reason
    if expect == "FAIL":
        assert "passwordauthentication yes" in result.evidence
    else:
        assert f"up to level {allowed if allowed is not None else 1}" in result.reason


def test_hardened_sshd_passes(tmp_path, sshd_hardened, ssh_known_hosts):
    path = write_inventory(tmp_path, [agency(level=3, hosts=[lab_host(sshd_hardened, ssh_known_hosts, None)])])
    result = scan(path, ["L1-SSH-011"])["h1"]["L1-SSH-011"]
    assert result.status.value == "PASS" and "passwordauthentication no" in result.evidence

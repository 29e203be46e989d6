"""The sshd coverage of issue #13 on real lab servers: MaxStartups and the access lists (Python checks; the
declarative ones, L1-SSH-026..031, are covered with every built-in rule in tests/rules/test_rules.py), and the
read-only guard of the command that reads sshd_config and its includes."""

from __future__ import annotations

import pytest

from fourlayer.collectors import ssh_shell
from fourlayer.collectors.allowlist import read_only_problems, render
from fourlayer.config.inventory import SSHSettings
from fourlayer.config.policy import default_policy
from fourlayer.core.model import Status
from tests.host_lab import CTX, host_target, judge


def _evidence(instance, known_hosts, root):
    host = instance.host(known_hosts=known_hosts, sysroot=str(root))
    return {"host": host, "ssh_shell": ssh_shell.collect(host, CTX)}


@pytest.fixture
def lab_pair(sshd_hardened, sshd_weak, ssh_known_hosts, host_root):
    root = host_root({})
    return _evidence(sshd_hardened, ssh_known_hosts, root), _evidence(sshd_weak, ssh_known_hosts, root)


@pytest.mark.parametrize("check_id", ["L1-SSH-024", "L1-SSH-025"])
def test_passes_on_hardened_and_fails_on_weak_sshd(check_id, lab_pair):
    good, bad = (judge(check_id, host_target(ev)) for ev in lab_pair)
    assert good.status is Status.PASS, good.reason
    assert bad.status is Status.FAIL, bad.reason
    assert "(sshd -T: " in good.reason and "(sshd -T: " in bad.reason and bad.reason_vi != bad.reason


def test_max_startups_reasons_and_policy(lab_pair):
    bad = judge("L1-SSH-024", host_target(lab_pair[1]))
    assert "maxstartups 100:30:200" in bad.reason and "10:30:60 (policy ssh.max_startups)" in bad.reason
    policy = default_policy()
    policy["ssh"]["max_startups"] = "200:30:300"
    assert judge("L1-SSH-024", host_target(lab_pair[1], policy=policy)).status is Status.PASS


def test_deny_list_only_is_a_warning(sshd_factory, tmp_path, host_root):
    server = sshd_factory("hardened", directives={"AllowUsers": None, "DenyUsers": "root nobody"})
    known = server.write_known_hosts(tmp_path / "known_hosts")
    r = judge("L1-SSH-025", host_target(_evidence(server, known, host_root({}))))
    assert r.status is Status.WARN and "denyusers root nobody" in r.reason, r.reason


def test_sshd_config_files_command_is_read_only_and_still_guarded():
    command = render("sshd_config_files", SSHSettings(sysroot="/srv/root"))
    assert read_only_problems(command) == ()
    assert "/srv/root/etc/ssh/sshd_config.d/*" in command and "p=/srv/root/etc/ssh/$g" in command
    # the guard still sees commands after a case pattern, inside while loops and next to an input redirection
    assert read_only_problems("case x in a) rm -rf /tmp/x;; esac")
    assert read_only_problems("while read a; do touch x; done < /etc/passwd")
    assert read_only_problems("cat < /etc/passwd") == ()
    assert read_only_problems("read a; tee x")

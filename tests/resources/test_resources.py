"""Resources: typed views of host evidence, parsed once per target and shared by its checks (real lab sshd)."""

from __future__ import annotations

import pytest

from fourlayer.core.model import Unevaluable
from fourlayer.resources.sshd import SshdConfig, sshd
from fourlayer.collectors import ssh_shell
from tests.host_lab import CTX, host_evidence, host_target


def test_sshd_resource_reads_the_daemons_own_view_once(sshd_hardened, sshd_weak, ssh_known_hosts, host_root):
    good = host_target(host_evidence(sshd_hardened, ssh_known_hosts, host_root({})))
    config = sshd(good)
    assert isinstance(config, SshdConfig) and config.source == "sshd -T"
    assert config.permit_root_login == "no" and config.password_authentication == "no"
    assert sshd(good) is config  # parsed once, shared by every check of the target
    weak = sshd(host_target(host_evidence(sshd_weak, ssh_known_hosts, host_root({}))))
    assert weak.permit_root_login == "yes" and weak.password_authentication == "yes"
    assert weak.get("PermitRootLogin") == "yes"  # keywords are case-insensitive, as in sshd_config


def test_sshd_resource_without_sshd_T_or_files_is_unevaluable(sshd_hardened, ssh_known_hosts, host_root):
    """No sshd_config where the scan looks: `sshd -T` fails and there is no file to fall back on (real run)."""
    host = sshd_hardened.host(known_hosts=ssh_known_hosts, sysroot=str(host_root({})), sshd_config=None)
    evidence = {"host": host, "ssh_shell": ssh_shell.collect(host, CTX)}
    with pytest.raises(Unevaluable, match=r"`sshd -T` failed on the target \(rc=\d+: .*set ssh.sshd_config"):
        sshd(host_target(evidence))

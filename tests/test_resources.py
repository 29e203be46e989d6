"""Resources: typed views of host evidence, parsed once per target and shared by its checks (real lab sshd)."""

from __future__ import annotations

import pytest

from fourlayer.core.model import Unevaluable
from fourlayer.resources.sshd import SshdConfig, sshd
from tests.host_lab import host_evidence, host_target


def test_sshd_resource_reads_the_daemons_own_view_once(sshd_hardened, sshd_weak, ssh_known_hosts, host_root):
    good = host_target(host_evidence(sshd_hardened, ssh_known_hosts, host_root({})))
    config = sshd(good)
    assert isinstance(config, SshdConfig) and config.source == "sshd -T"
    assert config.permit_root_login == "no" and config.password_authentication == "no"
    assert sshd(good) is config  # parsed once, shared by every check of the target
    weak = sshd(host_target(host_evidence(sshd_weak, ssh_known_hosts, host_root({}))))
    assert weak.permit_root_login == "yes" and weak.password_authentication == "yes"
    assert weak.get("PermitRootLogin") == "yes"  # keywords are case-insensitive, as in sshd_config


def test_sshd_resource_without_sshd_T_is_unevaluable(sshd_hardened, ssh_known_hosts, host_root):
    evidence = host_evidence(sshd_hardened, ssh_known_hosts, host_root({}))
    evidence["ssh_shell"]["commands"]["sshd_T"] = {"rc": 1, "out": "", "err": "no hostkeys available"}
    with pytest.raises(Unevaluable, match="sshd -T"):
        sshd(host_target(evidence))

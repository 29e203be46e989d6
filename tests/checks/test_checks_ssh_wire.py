"""L1-SSH-001..007 from the wire, without login: real sshd (hardened, weak, custom) and SSH identification
listeners that show other server versions and protocol 1 (tests/tls_fixtures.py SSH_BANNERS)."""

from __future__ import annotations

import re

import pytest

from fourlayer.config.inventory import Host, SSHSettings
from fourlayer.core.evidence import to_dict
from fourlayer.lab.serve import ListenerProcess
from fourlayer.lab.servers import ListenerSpec, ssh_identification
from fourlayer.lab.sshd import SshdInstance
from fourlayer.advisories.banner_table import from_ssh_banner, load_table
from tests.tls_fixtures import SSH_BANNERS, TLSLab
from tests.wire_helpers import collect, judge, text

WIRE_CHECKS = [f"L1-SSH-00{n}" for n in range(1, 8)]


@pytest.fixture(scope="module")
def real(sshd_hardened: SshdInstance, sshd_weak: SshdInstance):
    return {name: (inst.host(), collect(inst.host(), "ssh_transport"))
            for name, inst in (("hardened", sshd_hardened), ("weak", sshd_weak))}


@pytest.fixture(scope="module")
def banners(tls_lab: TLSLab):
    return {name: (tls_lab.ssh_host(name), collect(tls_lab.ssh_host(name), "ssh_transport", timeout=2.0))
            for name in SSH_BANNERS}


def run(hosts, check_id: str, name: str):
    host, evidence = hosts[name]
    return judge(check_id, host, evidence)


def test_hardened_sshd_passes_every_wire_check(real):
    results = {cid: run(real, cid, "hardened") for cid in WIRE_CHECKS}
    assert all(r.status.value == "PASS" for r in results.values()), {c: text(r) for c, r in results.items()}
    assert "ssh-rsa 3072 bits" in results["L1-SSH-005"].evidence


def test_weak_sshd_fails_algorithms_and_host_keys(real):
    results = {cid: run(real, cid, "weak") for cid in WIRE_CHECKS}
    assert "diffie-hellman-group1-sha1" in results["L1-SSH-001"].reason
    assert "3des-cbc" in results["L1-SSH-002"].reason and "hmac-md5" in results["L1-SSH-003"].reason
    assert results["L1-SSH-004"].status.value == "FAIL" and "algorithm ssh-rsa" in results["L1-SSH-004"].reason
    assert results["L1-SSH-005"].status.value == "FAIL" and "ssh-rsa 1024 bits" in results["L1-SSH-005"].reason
    assert {cid for cid, r in results.items() if r.status.value == "FAIL"} == set(WIRE_CHECKS[:5])


def test_004_and_005_are_separate_findings(sshd_factory):
    # a 3072-bit RSA key (005 passes) still signed with SHA-1 when ssh-rsa is offered (004 fails)
    inst = sshd_factory("hardened", directives={"HostKeyAlgorithms": "ssh-ed25519,rsa-sha2-512,ssh-rsa"})
    evidence = collect(inst.host(), "ssh_transport")
    sig, size = judge("L1-SSH-004", inst.host(), evidence), judge("L1-SSH-005", inst.host(), evidence)
    assert sig.status.value == "FAIL" and "algorithm ssh-rsa" in sig.reason
    assert size.status.value == "PASS" and "3072 bits" in size.evidence


def test_006_vulnerable_version_from_the_banner(banners):
    vulnerable = run(banners, "L1-SSH-006", "ssh-vulnerable")
    assert vulnerable.status.value == "FAIL" and "CVE-2024-6387" in vulnerable.reason
    assert "OpenSSH 9.2p1 (debian 2+deb12u2)" in vulnerable.evidence
    ubuntu = run(banners, "L1-SSH-006", "ssh-ubuntu-old")
    assert ubuntu.status.value == "FAIL" and "OpenSSH 8.9p1" in ubuntu.reason


def test_006_backport_and_current_version_pass(banners):
    backported = run(banners, "L1-SSH-006", "ssh-backported")
    assert backported.status.value == "PASS" and "fixed by the debian 2+deb12u3 backport" in backported.evidence
    current = run(banners, "L1-SSH-006", "ssh-current")
    assert current.status.value == "PASS" and "OpenSSH 9.8p1" in current.evidence
    assert "updated " in current.reason  # the table date is shown with the result


def test_006_no_version_to_match(banners):
    result = run(banners, "L1-SSH-006", "ssh-no-version")
    assert result.status.value == "NOT_APPLICABLE" and "SSH-2.0-Go" in result.reason


def test_006_real_sshd_matches_what_the_table_says(real):
    host, (evidence, _) = real["hardened"]
    ssh = to_dict(evidence["ssh_transport"])  # the serialised form
    item = from_ssh_banner(ssh["software_name"], ssh["comments"], "banner")
    matches = load_table().lookup(item) if item else []
    expected = "FAIL" if any(m.backport is None for m in matches) else "PASS" if item else "NOT_APPLICABLE"
    result = run(real, "L1-SSH-006", "hardened")
    assert result.status.value == expected and ssh["banner"] in result.evidence
    if re.search(r"Debian-2\+deb12u([3-9]|\d\d)", ssh["banner"]):  # this machine's patched Debian sshd
        assert result.status.value == "PASS" and "backport" in result.evidence


def test_007_protocol_2_only(banners, real):
    assert run(real, "L1-SSH-007", "hardened").status.value == "PASS"
    both = run(banners, "L1-SSH-007", "ssh-199")
    assert both.status.value == "FAIL" and "still accepts SSH protocol 1" in both.reason
    assert "SSH-1.99-OpenSSH_3.9p1" in both.evidence
    only_1 = run(banners, "L1-SSH-007", "ssh-15")
    assert only_1.status.value == "FAIL" and "protocol 1.5 only" in only_1.reason


def test_ssh1_only_server_is_not_a_pass_for_algorithm_checks(banners):
    for cid in ("L1-SSH-001", "L1-SSH-002", "L1-SSH-003", "L1-SSH-004", "L1-SSH-005"):
        result = run(banners, cid, "ssh-15")
        assert result.status.value == "ERROR" and "SSH-1.5 only" in result.reason, (cid, result.reason)


def test_all_zero_kexinit_is_not_a_pass(tls_lab: TLSLab):
    # SSH_MSG_KEXINIT then 34,000 bytes of zeros: every name-list empty, which no SSH server can send
    host = tls_lab.ssh_host("ssh-zero-kexinit")
    evidence = collect(host, "ssh_transport", timeout=2.0)
    assert "ssh_transport" not in evidence[0] and "empty name-lists kex" in evidence[1]["ssh_transport"]
    for cid in ("L1-SSH-001", "L1-SSH-002", "L1-SSH-003", "L1-SSH-004", "L1-SSH-005"):
        result = judge(cid, host, evidence)
        assert result.status.value == "ERROR", (cid, text(result))
        assert "invalid SSH_MSG_KEXINIT: empty name-lists kex, ciphers_c2s" in result.reason, cid


def test_no_host_key_algorithm_offered_is_not_a_pass(banners):
    # the identification listeners offer a key exchange but no host key algorithm: no host key to judge
    for cid in ("L1-SSH-004", "L1-SSH-005"):
        result = run(banners, cid, "ssh-current")
        assert result.status.value == "ERROR" and "offers no host key algorithm" in result.reason, (cid, text(result))


def test_006_product_not_in_the_table_is_not_a_pass():
    spec = ListenerSpec("banner", "127.0.0.179", name="dropbear",
                        banner=ssh_identification("SSH-2.0-dropbear_2022.83"))
    with ListenerProcess([spec]) as process:
        address, port = process.endpoint("dropbear")
        host = Host(address=address, id="dropbear", ssh=SSHSettings(port=port))
        result = judge("L1-SSH-006", host, collect(host, "ssh_transport", timeout=2.0))
    assert result.status.value == "NOT_APPLICABLE" and "dropbear 2022.83 not in the table" in result.reason

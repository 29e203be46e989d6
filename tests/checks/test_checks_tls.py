"""L1-TLS-001..009 against real TLS listeners (tests/tls_fixtures.py): each lab server has one flaw, and only
the check for that flaw fails on it."""

from __future__ import annotations

import datetime as dt

import pytest

from fourlayer.collectors.tls import DEFAULT_WEAK_CLASSES, WEAK_CLASSES
from fourlayer.core.errors import InputError
from fourlayer.config.inventory import Host
from fourlayer.lab.sshd import free_port
from fourlayer.config.policy import load_policy
from fourlayer.config.policy_model import CIPHER_CLASSES
from tests.tls_fixtures import TLSLab
from tests.wire_helpers import collect, judge, policy_with, text

TLS_CHECKS = [f"L1-TLS-00{n}" for n in range(1, 10)]


@pytest.fixture(scope="module")
def lab(tls_lab: TLSLab, tls_lab_certs):
    """name -> (host, evidence) for every TLS listener used below, collected once."""
    rsa_root = tls_lab_certs["rsa-root"].cert
    hosts = {name: tls_lab.host(name) for name in
             ("tls-good", "tls-weak", "tls-expired", "tls-expiring", "tls-mismatch", "tls-rsa1024",
              "tls-null-anon", "tls-tls10")}
    hosts.update({name: tls_lab.host(name, ca_file=rsa_root) for name in
                  ("tls-sha1-leaf", "tls-sha1-chain", "tls-chain")})
    hosts["expired-trusted"] = tls_lab.host("tls-expired", ca_file=tls_lab_certs["expired"].cert)
    hosts["no-ca"] = tls_lab.host("tls-good", ca_file=None)
    return {name: (host, collect(host, "tls")) for name, host in hosts.items()}


def run(lab, check_id: str, name: str, **kwargs):
    host, evidence = lab[name]
    return judge(check_id, host, evidence, **kwargs)


def statuses(lab, name: str) -> dict[str, str]:
    return {cid: run(lab, cid, name).status.value for cid in TLS_CHECKS}


@pytest.mark.parametrize("name, failing", [
    ("tls-good", set()),
    ("tls-chain", set()),  # a good certificate behind an intermediate
    ("tls-rsa1024", {"L1-TLS-007"}),
    ("tls-sha1-leaf", {"L1-TLS-008"}),
    ("tls-sha1-chain", {"L1-TLS-008"}),
    ("tls-null-anon", {"L1-TLS-005"}),
    ("tls-mismatch", {"L1-TLS-009"}),
    ("no-ca", {"L1-TLS-003"}),
    ("expired-trusted", {"L1-TLS-002"}),
    ("tls-tls10", {"L1-TLS-001", "L1-TLS-004"}),  # TLS 1.0 only: a legacy version and no modern one
])
def test_one_flaw_is_one_finding(lab, name, failing):
    got = statuses(lab, name)
    assert {cid for cid, status in got.items() if status == "FAIL"} == failing, got
    assert not {cid for cid, status in got.items() if status == "ERROR"}, got


def test_three_of_four_ports_unread_is_not_a_pass(tls_lab: TLSLab, tls_lab_certs):
    # one good port read; a tarpit and two closed ports beside it on the same address give no evidence
    good = tls_lab.host("tls-good")
    unread = (tls_lab.endpoint("tarpit-150")[1], free_port(good.address), free_port(good.address))
    host = Host(address=good.address, id="partial", roles=("web",), tls=good.tls + unread,
                tls_ca_file=good.tls_ca_file, tls_server_name=good.tls_server_name)
    evidence = collect(host, "tls", timeout=1.0)
    for cid in TLS_CHECKS:
        result = run({"partial": (host, evidence)}, cid, "partial")
        assert result.status.value == "ERROR", (cid, text(result))
        assert all(f"{port}: not read (" in result.reason for port in unread), (cid, result.reason)
    # what was read already fails: FAIL, with the unread port named in the evidence
    weak = tls_lab.host("tls-weak")
    closed = free_port(weak.address)
    host = Host(address=weak.address, id="weak-partial", tls=weak.tls + (closed,), tls_ca_file=weak.tls_ca_file,
                tls_server_name=weak.tls_server_name)
    result = run({"w": (host, collect(host, "tls", timeout=1.0))}, "L1-TLS-001", "w")
    assert result.status.value == "FAIL" and f"{closed}: not read (connection refused)" in result.evidence


def test_weak_server_fails_every_check_it_should(lab):
    got = statuses(lab, "tls-weak")
    assert {cid for cid, s in got.items() if s == "FAIL"} == {
        "L1-TLS-001", "L1-TLS-003", "L1-TLS-005", "L1-TLS-007", "L1-TLS-008"}, got


def test_001_legacy_protocols(lab):
    good, weak = run(lab, "L1-TLS-001", "tls-good"), run(lab, "L1-TLS-001", "tls-weak")
    assert good.status.value == "PASS" and "TLSv1.2, TLSv1.3" in good.evidence
    assert weak.status.value == "FAIL" and "/TLSv1," in weak.reason and "/TLSv1.1" in weak.reason
    assert "SSLv3" not in weak.reason  # OpenSSL 3 cannot serve SSLv3: the raw probe sees it refused


def test_002_validity_and_003_trust_are_separate_facts(lab):
    expired = run(lab, "L1-TLS-002", "expired-trusted")
    assert expired.status.value == "FAIL" and "expired" in expired.reason and "days ago" in expired.reason
    trust = run(lab, "L1-TLS-003", "expired-trusted")
    assert trust.status.value == "PASS" and "chain trusted; dates are L1-TLS-002" in trust.evidence
    assert run(lab, "L1-TLS-002", "tls-good").status.value == "PASS"


def test_003_untrusted_chain(lab):
    self_signed = run(lab, "L1-TLS-003", "tls-weak")
    assert self_signed.status.value == "FAIL" and "untrusted (self-signed)" in self_signed.reason
    unknown_ca = run(lab, "L1-TLS-003", "no-ca")
    assert unknown_ca.status.value == "FAIL" and "issuer" in unknown_ca.reason
    assert run(lab, "L1-TLS-003", "tls-good").status.value == "PASS"


def test_004_modern_protocol(lab):
    old = run(lab, "L1-TLS-004", "tls-tls10")
    assert old.status.value == "FAIL" and "neither TLS 1.2 nor TLS 1.3" in old.reason and ": TLSv1" in old.evidence
    assert run(lab, "L1-TLS-004", "tls-good").status.value == "PASS"


def test_005_weak_ciphers_null_and_anonymous(lab):
    # This OpenSSL 3 build has no RC4/3DES/EXPORT: the weakest suites it still serves are NULL and anonymous.
    bad = run(lab, "L1-TLS-005", "tls-null-anon")
    assert bad.status.value == "FAIL"
    assert "NULL-SHA256" in bad.reason and "AECDH-AES128-SHA" in bad.reason
    good = run(lab, "L1-TLS-005", "tls-good")
    assert good.status.value == "PASS" and "no weak suite" in good.evidence


def test_005_cbc_sha1_when_the_policy_says_so(tls_lab):
    # tls-rsa1024 serves OpenSSL's DEFAULT list (CBC suites with SHA-1 MACs included); tls-good serves Python's
    # server default, which has none.
    policy = policy_with(tls={"weak_cipher_classes": ["NULL", "aNULL", "CBC-SHA1"]})
    results = {}
    for name in ("tls-rsa1024", "tls-good"):
        host = tls_lab.host(name)
        results[name] = judge("L1-TLS-005", host, collect(host, "tls", policy=policy), policy=policy)
    assert results["tls-rsa1024"].status.value == "FAIL" and "ECDHE-RSA-AES128-SHA" in results["tls-rsa1024"].reason
    assert results["tls-good"].status.value == "PASS", text(results["tls-good"])
    assert "probed NULL, aNULL, CBC-SHA1" in results["tls-good"].evidence


def test_005_unprobed_class_is_an_error_not_a_pass(lab):
    policy = policy_with(tls={"weak_cipher_classes": ["NULL", "CBC-SHA1"]})  # evidence was collected without CBC
    result = run(lab, "L1-TLS-005", "tls-good", policy=policy)
    assert result.status.value == "ERROR" and "CBC-SHA1" in result.reason


def test_006_expiry_window(lab):
    soon = run(lab, "L1-TLS-006", "tls-expiring")
    assert soon.status.value == "WARN" and "expires in" in soon.reason and "warn within 30 days" in soon.reason
    urgent = run(lab, "L1-TLS-006", "tls-expiring", policy=policy_with(tls={"cert_critical_days": 14}))
    assert urgent.status.value == "FAIL" and "fail within 14" in urgent.reason
    assert run(lab, "L1-TLS-006", "tls-good").status.value == "PASS"
    expired = run(lab, "L1-TLS-006", "tls-expired")
    assert expired.status.value == "NOT_APPLICABLE" and "L1-TLS-002" in expired.reason


def test_validity_is_judged_on_the_scan_clock_not_as_of(lab):
    """Certificates are observed evidence: --as-of (declared facts) neither expires nor renews them."""
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=340)  # the 1-year certificate: < 30 days left
    assert run(lab, "L1-TLS-006", "tls-good", clock=later).status.value == "WARN"
    assert run(lab, "L1-TLS-006", "tls-good", today=later.date()).status.value == "PASS"
    much_later = later + dt.timedelta(days=60)
    assert run(lab, "L1-TLS-002", "tls-good", clock=much_later).status.value == "FAIL"
    assert run(lab, "L1-TLS-002", "tls-good", today=much_later.date()).status.value == "PASS"
    earlier = dt.date.today() - dt.timedelta(days=365)  # an inspector re-judging an old self-audit
    assert run(lab, "L1-TLS-002", "tls-expired", today=earlier).status.value == "FAIL"


def test_007_key_strength(lab):
    weak = run(lab, "L1-TLS-007", "tls-rsa1024")
    assert weak.status.value == "FAIL" and "leaf: RSA 1024 bits < 2048" in weak.reason
    assert run(lab, "L1-TLS-007", "tls-good").status.value == "PASS"
    stricter = run(lab, "L1-TLS-007", "tls-good", policy=policy_with(tls={"min_rsa_bits": 3072}))
    assert stricter.status.value == "FAIL" and "RSA 2048 bits < 3072" in stricter.reason


def test_008_sha1_leaf_and_intermediate(lab):
    leaf = run(lab, "L1-TLS-008", "tls-sha1-leaf")
    assert leaf.status.value == "FAIL" and "leaf: signed with SHA1" in leaf.reason
    chain = run(lab, "L1-TLS-008", "tls-sha1-chain")
    assert chain.status.value == "FAIL" and "intermediate CN=fourlayer lab SHA-1 intermediate" in chain.reason
    assert "leaf: signature hash sha256" in chain.evidence  # the leaf itself is fine
    good = run(lab, "L1-TLS-008", "tls-chain")
    assert good.status.value == "PASS" and "intermediate CN=fourlayer lab intermediate" in good.evidence


def test_009_hostname(lab):
    bad = run(lab, "L1-TLS-009", "tls-mismatch")
    assert bad.status.value == "FAIL" and "other-host.fourlayer.invalid" in bad.evidence
    assert run(lab, "L1-TLS-009", "tls-good").status.value == "PASS"


def test_cipher_class_names_agree_between_policy_and_collector():
    assert set(CIPHER_CLASSES) == set(WEAK_CLASSES) and set(DEFAULT_WEAK_CLASSES) < set(WEAK_CLASSES)


@pytest.mark.parametrize("text_, message", [
    ("tls:\n  weak_cipher_classes: [RC4, SHA1]\n", "RC4, 3DES, DES, EXPORT, NULL, aNULL, CBC-SHA1"),
    ("tls:\n  weak_cipher_classes: [RC4, NULL]\n", 'quote "NULL"'),
    ("tls:\n  weak_signature_hashes: [sha-1]\n", "md5, sha1"),
])
def test_policy_tls_lists_are_validated(tmp_path, text_, message):
    path = tmp_path / "policy.yaml"
    path.write_text(text_, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_policy(str(path))
    assert info.value.line == 2 and message in str(info.value)


_VI_MARKS = set("ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


@pytest.mark.parametrize("check_id, name, status", [
    ("L1-TLS-001", "tls-tls10", "FAIL"),
    ("L1-TLS-001", "tls-good", "PASS"),
    ("L1-TLS-002", "expired-trusted", "FAIL"),
    ("L1-TLS-003", "no-ca", "FAIL"),
    ("L1-TLS-007", "tls-rsa1024", "FAIL"),
    ("L1-TLS-008", "tls-sha1-chain", "FAIL"),
    ("L1-TLS-009", "tls-mismatch", "FAIL"),
])
def test_reasons_are_bilingual(lab, check_id, name, status):
    """Every verdict carries a Vietnamese reason beside the (unchanged) English one, with the same facts."""
    result = run(lab, check_id, name)
    assert result.status.value == status, text(result)
    assert result.reason_vi and result.reason_vi != result.reason
    assert _VI_MARKS & set(result.reason_vi.lower()), result.reason_vi
    if status == "FAIL":  # the port named in the English reason is named in the Vietnamese one too
        port = result.reason.split(": ", 1)[1].split()[0].split("/")[0].rstrip(":;")
        assert port in result.reason_vi, (result.reason, result.reason_vi)


def test_expired_reason_in_vietnamese(lab):
    result = run(lab, "L1-TLS-002", "expired-trusted")
    assert "đã hết hạn" in result.reason_vi and "ngày trước" in result.reason_vi, result.reason_vi

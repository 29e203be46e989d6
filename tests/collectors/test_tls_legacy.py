"""Legacy-only TLS servers FAIL, not ERROR, and weak Diffie-Hellman groups FAIL (L1-TLS-010), against real servers:
OpenSSL (the lab listeners) where it still serves the case, tlslite-ng (tests/legacy_tls_servers.py) where OpenSSL 3
refuses to (RC4, 3DES, DH groups under 1024 bits, composite or non-safe moduli). All on 127.0.0.167-168."""

from __future__ import annotations

import warnings

import gmpy2
import pytest
from cryptography.hazmat.primitives.asymmetric import dh

from fourlayer.collectors import tls as tls_collector
from fourlayer.collectors import tls_flight
from fourlayer.collectors.base import CollectContext
from fourlayer.collectors.dh_groups import describe_dh, well_known_groups
from fourlayer.config.inventory import Host
from fourlayer.core.evidence import to_dict
from fourlayer.lab.dh_params import group_prime, write_dh_params
from fourlayer.lab.serve import ListenerProcess
from fourlayer.lab.servers import tls_listener
from tests.legacy_tls_servers import LegacySpec
from tests.tls_fixtures import LAB_DNS, TLSLab
from tests.wire_helpers import collect, judge, policy_with, text

LEGACY, OPENSSL = "127.0.0.167", "127.0.0.168"
TLS_CHECKS = [f"L1-TLS-0{n:02d}" for n in range(1, 11)]
FFDHE2048 = group_prime("RFC 7919 ffdhe2048")


def _dh512() -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # finite-field DH is deprecated in cryptography
        return dh.generate_parameters(2, 512).parameter_numbers().p


def _not_safe_prime() -> int:
    p = int(gmpy2.next_prime(2 ** 2047 + 12345))
    while gmpy2.is_prime((p - 1) // 2):
        p = int(gmpy2.next_prime(p))
    return p


def _composite() -> int:
    p = FFDHE2048 + 2
    assert not gmpy2.is_prime(p)
    return p


@pytest.fixture(scope="module")
def legacy_lab(tls_lab_certs, tmp_path_factory):
    """name -> Host of every legacy server, each with one flaw (TLS 1.2 only, the lab CA's certificate)."""
    good, weak = tls_lab_certs["good"], tls_lab_certs["weak"]
    one = dict(host=LEGACY, cert_file=good.cert, key_file=good.key, versions=("TLSv1.2",))
    dhe = dict(one, ciphers=("aes128",), key_exchange=("dhe_rsa",))
    legacy = [LegacySpec("rc4-only", ciphers=("rc4",), **one), LegacySpec("3des-only", ciphers=("3des",), **one),
              LegacySpec("dh512", dh=(str(_dh512()), "2"), **dhe),
              LegacySpec("dh-composite", dh=(str(_composite()), "2"), **dhe),
              LegacySpec("dh-not-safe", dh=(str(_not_safe_prime()), "2"), **dhe),
              LegacySpec("rc4-self-signed", host=LEGACY, cert_file=weak.cert, key_file=weak.key, ciphers=("rc4",),
                         versions=("TLSv1.2",))]
    files = tmp_path_factory.mktemp("dh-groups")
    group2 = write_dh_params(files / "rfc2409-group2.pem", group_prime("RFC 2409 group 2"))
    ffdhe = write_dh_params(files / "ffdhe2048.pem", FFDHE2048)
    tls12 = ("TLSv1.2", "TLSv1.2")
    openssl = [tls_listener("good", tls_lab_certs, OPENSSL, name="null-only", versions=tls12,
                            ciphers="NULL-SHA256:NULL-SHA:@SECLEVEL=0"),
               tls_listener("good", tls_lab_certs, OPENSSL, name="dh1024", versions=tls12,
                            ciphers="DHE+AESGCM:@SECLEVEL=0", dh_params=group2),
               tls_listener("good", tls_lab_certs, OPENSSL, name="ffdhe2048", ciphers="ECDHE+AESGCM:DHE+AESGCM",
                            dh_params=ffdhe)]
    with ListenerProcess(legacy, module="tests.legacy_tls_servers") as a, ListenerProcess(openssl) as b:
        endpoints = {**a.endpoints, **b.endpoints}
        ca = tls_lab_certs["ca"].cert
        yield {name: Host(address=addr, id=f"legacy-{name}", roles=("web",), tls=(port,), tls_ca_file=ca,
                          tls_server_name=LAB_DNS) for name, (addr, port) in endpoints.items()}


@pytest.fixture(scope="module")
def evidence(legacy_lab):
    return {name: collect(host, "tls") for name, host in legacy_lab.items()}


def _port(evidence, name) -> dict:
    return next(iter(to_dict(evidence[name][0]["tls"])["ports"].values()))


def _statuses(legacy_lab, evidence, name) -> dict[str, str]:
    return {cid: judge(cid, legacy_lab[name], evidence[name]).status.value for cid in TLS_CHECKS}


@pytest.mark.parametrize("name, failing, cipher", [
    ("rc4-only", {"L1-TLS-005"}, "RC4-SHA"),
    ("3des-only", {"L1-TLS-005"}, "DES-CBC3-SHA"),
    ("null-only", {"L1-TLS-005"}, "NULL-SHA256"),
    ("dh512", {"L1-TLS-010"}, "DHE-RSA-AES128-SHA256"),
    # the raw path verifies the chain itself: a self-signed 1024-bit SHA-1 certificate fails as it does elsewhere
    ("rc4-self-signed", {"L1-TLS-003", "L1-TLS-005", "L1-TLS-007", "L1-TLS-008"}, "RC4-SHA"),
])
def test_legacy_only_server_fails_not_errors(legacy_lab, evidence, name, failing, cipher):
    """The local OpenSSL cannot negotiate with these servers at all; they used to be ERROR on every TLS check
    ("no TLS port answered (...: sslv3 alert handshake failure)", "dh key too small")."""
    assert not evidence[name][1], evidence[name][1]
    port = _port(evidence, name)
    assert port["error"] is None and port["handshake"] == "raw" and port["protocol"] == "TLSv1.2"
    assert port["cipher"] == cipher and port["cert"]["subject"]
    assert port["protocols"] == {"SSLv3": False, "TLSv1": False, "TLSv1.1": False, "TLSv1.2": True,
                                 "TLSv1.3": False}
    got = _statuses(legacy_lab, evidence, name)
    assert {cid for cid, s in got.items() if s == "FAIL"} == failing, got
    assert not {cid for cid, s in got.items() if s == "ERROR"}, got


def test_raw_path_reads_the_certificate_and_its_trust(evidence):
    cert = _port(evidence, "rc4-only")["cert"]
    assert cert["verified"] is True and cert["hostname_match"] is True and cert["key_type"] == "RSA"
    self_signed = _port(evidence, "rc4-self-signed")["cert"]
    assert self_signed["verified"] is False and self_signed["verify_error"] == "self-signed certificate"
    assert self_signed["key_bits"] == 1024 and self_signed["signature_hash"] == "sha1"


@pytest.mark.parametrize("name, bits, status, needle", [
    ("dh512", 512, "FAIL", "512 bits < 2048"),
    ("dh1024", 1024, "FAIL", "1024 bits < 2048, RFC 2409 group 2"),
    ("dh-composite", 2048, "FAIL", "the modulus is not prime"),
    ("dh-not-safe", 2048, "FAIL", "not a safe prime"),
    ("ffdhe2048", 2048, "PASS", "RFC 7919 ffdhe2048"),
])
def test_010_dh_group(legacy_lab, evidence, name, bits, status, needle):
    group = _port(evidence, name)["dh_group"]
    assert group["bits"] == bits and group["generator"] == 2
    result = judge("L1-TLS-010", legacy_lab[name], evidence[name])
    assert result.status.value == status and needle in text(result), text(result)
    if status == "FAIL":
        assert result.reason_vi and result.reason_vi != result.reason


def test_010_policy_minimum_and_servers_without_dhe(legacy_lab, evidence, tls_lab: TLSLab):
    stricter = judge("L1-TLS-010", legacy_lab["ffdhe2048"], evidence["ffdhe2048"],
                     policy=policy_with(tls={"min_dh_bits": 3072}))
    assert stricter.status.value == "FAIL" and "2048 bits < 3072" in stricter.reason
    host = tls_lab.host("tls-good")  # ECDHE only: nothing to judge, no finite-field group to attack
    result = judge("L1-TLS-010", host, collect(host, "tls"))
    assert result.status.value == "PASS" and "no DHE suite accepted" in result.evidence


def test_well_known_groups_are_the_published_primes():
    from tlslite.mathtls import FFDHE_PARAMETERS  # an independent copy of the RFC 2409/3526/7919 tables

    ours = {name.replace("RFC ", "RFC"): p for p, name in well_known_groups().items()}
    theirs = {name: p for name, (_, p) in FFDHE_PARAMETERS.items()
              if name.startswith(("RFC2409", "RFC3526", "RFC7919"))}
    assert ours == theirs and len(ours) == 13
    assert describe_dh(FFDHE2048, 2) == {"bits": 2048, "generator": 2, "well_known": "RFC 7919 ffdhe2048",
                                         "prime": True, "safe_prime": True}


def test_healthy_server_costs_no_extra_connection(tls_lab: TLSLab, monkeypatch):
    """DHE suites ride along in the first weak-suite offer: a server without DHE is asked nothing more
    (the default handshake; weak suites with RSA key exchange, SSLv3, TLSv1, TLSv1.1, TLSv1.2 raw: 6, was 8)."""
    made: list[str] = []
    real = tls_collector.connect

    def counted(*args, **kwargs):
        made.append("connect")
        return real(*args, **kwargs)

    monkeypatch.setattr(tls_collector, "connect", counted)
    monkeypatch.setattr(tls_flight, "connect", counted)
    port = next(iter(to_dict(tls_collector.collect(tls_lab.host("tls-good"), CollectContext(timeout=3.0)))["ports"]
                     .values()))
    assert port.get("dh_group") is None and port["weak_ciphers_complete"] is True
    assert len(made) == 6, made

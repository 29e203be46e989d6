"""The TLS collector asks each question once: the default handshake also verifies the chain and tells which
versions above the negotiated one are refused. Real listeners on 127.0.0.150-199 (tests/tls_fixtures.py)."""

from __future__ import annotations

import pytest

from fourlayer.collectors import tls as tls_collector
from fourlayer.collectors.base import CollectContext
from fourlayer.core.evidence import to_dict
from tests.tls_fixtures import TLSLab, loopback_only_env, tls_lab, tls_lab_certs  # noqa: F401 - fixtures

CTX = CollectContext(timeout=3.0)


@pytest.fixture
def library_handshakes(monkeypatch) -> list[str]:
    """Counts full handshakes made with the local TLS library (the real ones still happen)."""
    made: list[str] = []
    real = tls_collector.handshake

    def counted(address, port, ctx, sni, deadline):
        made.append("verify" if ctx.verify_mode.name == "CERT_REQUIRED" else "plain")
        return real(address, port, ctx, sni, deadline)

    monkeypatch.setattr(tls_collector, "handshake", counted)
    return made


@pytest.fixture
def connections(monkeypatch) -> list[int]:
    """The TCP connections the collector opens, library handshakes and raw probes alike (ports connected to)."""
    from fourlayer.collectors import tls_flight

    made: list[int] = []
    real = tls_collector.connect

    def counted(address, port, deadline):
        made.append(port)
        return real(address, port, deadline)

    monkeypatch.setattr(tls_collector, "connect", counted)
    monkeypatch.setattr(tls_flight, "connect", counted)
    return made


def port_of(evidence) -> dict:
    return next(iter(to_dict(evidence)["ports"].values()))  # the serialised form


def test_trusted_modern_server_needs_one_library_handshake(tls_lab: TLSLab, library_handshakes,
                                                           connections) -> None:
    port = port_of(tls_collector.collect(tls_lab.host("tls-good"), CTX))
    assert port["protocol"] == "TLSv1.3" and port["cert"]["verified"] is True
    assert port["protocols"] == {"SSLv3": False, "TLSv1": False, "TLSv1.1": False, "TLSv1.2": True,
                                 "TLSv1.3": True}
    assert port["weak_ciphers"] == [] and port["weak_ciphers_complete"] is True and port["rsa_kex"] is False
    assert port["dh_group"] is None
    # one verifying default handshake (was 7, then 4: + TLSv1, TLSv1.1, TLSv1.2 by the library); SSLv3 to TLS 1.2
    # are read from the ServerHello of a raw ClientHello
    assert library_handshakes == ["verify"]
    # + one offer of weak suites that also asks for static RSA kex and a DHE group, + SSLv3, TLSv1, TLSv1.1,
    # TLSv1.2; no EXPORT offer, since the server refuses SSLv3 and TLS 1.0 (was 8 connections)
    assert len(connections) == 6


def test_untrusted_server_is_asked_again_without_verification(tls_lab: TLSLab, library_handshakes) -> None:
    port = port_of(tls_collector.collect(tls_lab.host("tls-expired"), CTX))
    assert port["cert"]["verified"] is False and port["cert"]["verify_error"] == "self-signed certificate"
    assert port["cert"]["expired"] is True and port["protocol"] == "TLSv1.3"
    assert library_handshakes.count("verify") == 1 and library_handshakes[:2] == ["verify", "plain"]


def test_legacy_server_refuses_the_versions_above_the_one_it_picked(tls_lab: TLSLab, library_handshakes) -> None:
    port = port_of(tls_collector.collect(tls_lab.host("tls-weak"), CTX))
    assert port["protocol"] == "TLSv1.2" and port["cert"]["verified"] is False
    assert port["protocols"]["TLSv1.3"] is False and port["protocols"]["TLSv1.2"] is True
    assert port["protocols"]["TLSv1"] is True and port["protocols"]["TLSv1.1"] is True


def test_known_protocols_inference() -> None:
    assert tls_collector.known_protocols("TLSv1.2") == {"TLSv1.2": True, "TLSv1.3": False}
    assert tls_collector.known_protocols("TLSv1.3") == {"TLSv1.3": True}
    assert tls_collector.known_protocols(None) == {}


def test_export_suites_asked_only_where_tls10_or_sslv3_answers(tls_lab: TLSLab, connections) -> None:
    """The EXPORT offer (a TLS 1.0 ClientHello) is made when the server speaks TLS 1.0; the weak-suite offers
    also tell static RSA kex, the same as a separate offer of RSA suites did."""
    port = port_of(tls_collector.collect(tls_lab.host("tls-weak"), CTX))
    assert port["protocols"]["TLSv1"] is True and port["rsa_kex"] is True
    assert port["weak_ciphers_complete"] is True and "NULL-SHA" in port["weak_ciphers"]
    raw_weak = len(connections)
    policy = CollectContext(policy={"tls": {"weak_cipher_classes": ["NULL", "aNULL", "RC4", "3DES", "DES"]}},
                            timeout=CTX.timeout)
    connections.clear()
    without_export = port_of(tls_collector.collect(tls_lab.host("tls-weak"), policy))
    assert len(connections) == raw_weak - 1  # the EXPORT offer, refused, is one connection
    assert without_export["weak_ciphers"] == port["weak_ciphers"] and without_export["rsa_kex"] is True



def test_certificate_described_once_dated_each_time(tls_lab_certs) -> None:
    """A certificate many hosts send is parsed once (kept by SHA-256); its dates are still judged at each call."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    with open(tls_lab_certs["expiring"].cert, "rb") as fh:
        cert = x509.load_pem_x509_certificate(fh.read())
    der = cert.public_bytes(Encoding.DER)
    tls_collector._FACTS.clear()  # noqa: SLF001
    now = dt.datetime.now(dt.timezone.utc)
    today = tls_collector.describe_cert(der, "lab.fourlayer.test", now)
    later = tls_collector.describe_cert(der, "other.example", cert.not_valid_after_utc + dt.timedelta(days=1))
    assert len(tls_collector._FACTS) == 1  # noqa: SLF001 - one parse for both
    assert today["expired"] is False and later["expired"] is True and later["days_left"] < 0 <= today["days_left"]
    assert today["hostname_match"] is True and later["hostname_match"] is False
    assert {k: v for k, v in today.items() if k not in ("expired", "days_left", "hostname_match", "expected_name")} \
        == {k: v for k, v in later.items() if k not in ("expired", "days_left", "hostname_match", "expected_name")}
    today["san"].append("DNS:changed")  # the caller's copy: the kept facts do not change
    assert "DNS:changed" not in tls_collector.describe_cert(der, "lab.fourlayer.test", now)["san"]
    assert tls_collector.describe_chain_cert(der)["fingerprint_sha256"] == today["fingerprint_sha256"]

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


def port_of(evidence) -> dict:
    return next(iter(to_dict(evidence)["ports"].values()))  # the serialised form


def test_trusted_modern_server_needs_four_library_handshakes(tls_lab: TLSLab, library_handshakes) -> None:
    port = port_of(tls_collector.collect(tls_lab.host("tls-good"), CTX))
    assert port["protocol"] == "TLSv1.3" and port["cert"]["verified"] is True
    assert port["protocols"] == {"SSLv3": False, "TLSv1": False, "TLSv1.1": False, "TLSv1.2": True,
                                 "TLSv1.3": True}
    # one verifying default handshake + TLSv1, TLSv1.1, TLSv1.2 probes (was 7: + verify, TLSv1.3 and a plain one)
    assert sorted(library_handshakes) == ["plain", "plain", "plain", "verify"]


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

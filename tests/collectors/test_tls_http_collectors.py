"""TLS, HTTP and reachability collectors against real listeners served by a child process on 127.0.0.150-199."""

from __future__ import annotations

import json
import os
import socket
import ssl
import time

import pytest
from cryptography import x509

from fourlayer.collectors import http as http_collector
from fourlayer.core.evidence import to_dict
from fourlayer.collectors import tls as tls_collector
from fourlayer.collectors.base import CollectContext
from fourlayer.collectors.reach import LOOPBACK_ENV, tcp_reachable
from fourlayer.core.errors import CollectorError
from fourlayer.config.inventory import Host
from fourlayer.lab.serve import ListenerProcess
from fourlayer.lab.servers import ListenerSpec
from tests.tls_fixtures import (CLOSED_ADDRESS, FTP_BANNER, LAB_DNS, XSS_CN, TLSLab,  # noqa: F401 - fixtures
                                loopback_only_env, tls_lab, tls_lab_certs)

CTX = CollectContext(timeout=3.0)
FAST = CollectContext(timeout=0.5)


def only_port(evidence) -> dict:
    evidence = to_dict(evidence)  # the serialised form (typed evidence, or the dict of an untyped collector)
    assert len(evidence["ports"]) == 1
    return next(iter(evidence["ports"].values()))


@pytest.fixture(scope="module")
def tls_evidence(tls_lab: TLSLab) -> dict[str, dict]:
    """One TLS collection per lab profile (shared by the assertions below)."""
    return {name: only_port(tls_collector.collect(tls_lab.host(f"tls-{name}"), CTX))
            for name in ("good", "weak", "expired", "expiring", "mismatch")}


# --- lab ------------------------------------------------------------------------------------------------------

def test_listeners_run_in_a_child_process_and_stop():
    lab = ListenerProcess([ListenerSpec("sink", "127.0.0.190", name="sink")]).start()
    address, port = lab.endpoint("sink")
    assert lab.pid and lab.pid != os.getpid()
    assert tcp_reachable(address, port, 1.0) == (True, "connected")
    lab.stop()
    assert tcp_reachable(address, port, 1.0) == (False, "connection refused")


def test_listener_spec_refuses_non_loopback_addresses():
    with pytest.raises(ValueError, match="127.0.0.0/8"):
        ListenerSpec("sink", "10.0.0.1")


def test_lab_certificates_have_the_promised_properties(tls_lab_certs):
    def load(kind):
        with open(tls_lab_certs[kind].cert, "rb") as fh:
            return x509.load_pem_x509_certificate(fh.read())
    weak, good, expiring = load("weak"), load("good"), load("expiring")
    assert weak.signature_hash_algorithm.name == "sha1" and weak.public_key().key_size == 1024
    assert good.issuer == load("ca").subject and good.signature_hash_algorithm.name == "sha256"
    assert (expiring.not_valid_after_utc - expiring.not_valid_before_utc).days <= 11
    assert os.stat(tls_lab_certs["good"].key).st_mode & 0o077 == 0


# --- TLS ------------------------------------------------------------------------------------------------------

def test_good_tls_verified_modern_only(tls_evidence):
    port = tls_evidence["good"]
    assert port["error"] is None
    assert port["protocols"] == {"SSLv3": False, "TLSv1": False, "TLSv1.1": False, "TLSv1.2": True,
                                 "TLSv1.3": True}
    assert port["protocol"] == "TLSv1.3" and port["cipher"].startswith("TLS_")
    assert port["weak_ciphers"] == [] and port["weak_ciphers_complete"] is True and port["rsa_kex"] is False
    cert = port["cert"]
    assert cert["verified"] is True and cert["verify_error"] is None
    assert cert["hostname_match"] is True and cert["expected_name"] == LAB_DNS
    assert cert["self_signed"] is False and cert["expired"] is False
    assert (cert["key_type"], cert["key_bits"], cert["signature_hash"]) == ("RSA", 2048, "sha256")
    assert f"DNS:{LAB_DNS}" in cert["san"] and "IP:127.0.0.150" in cert["san"]
    assert cert["issuer_cn"] == "fourlayer lab CA"
    assert cert["not_after"].endswith("Z") and 360 <= cert["days_left"] <= 365
    json.dumps(tls_evidence)  # evidence is JSON-serialisable


def test_weak_tls_detected(tls_evidence):
    port = tls_evidence["weak"]
    assert port["protocols"]["TLSv1"] is True and port["protocols"]["TLSv1.1"] is True
    assert port["protocols"]["TLSv1.3"] is False and port["protocols"]["SSLv3"] is False
    cert = port["cert"]
    assert (cert["signature_hash"], cert["key_bits"], cert["self_signed"]) == ("sha1", 1024, True)
    assert cert["signature_algorithm"] == "sha1WithRSAEncryption"
    assert cert["verified"] is False and "self-signed" in cert["verify_error"]
    # This OpenSSL 3 build has no RC4/3DES, but the listener still offers NULL and anonymous suites.
    assert {"NULL", "aNULL"} <= set(port["weak_cipher_classes"])
    assert "NULL-SHA" in port["weak_ciphers"] and "AECDH-AES128-SHA" in port["weak_ciphers"]
    assert port["rsa_kex"] is True


def test_weak_ciphers_found_really_handshake(tls_lab):
    """Cross-check the raw-ClientHello result with a full handshake by the local library."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("NULL-SHA:@SECLEVEL=0")
    with socket.create_connection(tls_lab.endpoint("tls-weak"), timeout=3) as raw, ctx.wrap_socket(raw) as conn:
        assert conn.cipher()[0] == "NULL-SHA"


def test_expired_certificate(tls_evidence, tls_lab, tls_lab_certs):
    cert = tls_evidence["expired"]["cert"]
    assert cert["expired"] is True and cert["days_left"] < 0 and cert["self_signed"] is True
    assert cert["verified"] is False and cert["verify_error"] == "self-signed certificate"
    trusting_itself = tls_lab.host("tls-expired", ca_file=tls_lab_certs["expired"].cert)
    cert = only_port(tls_collector.collect(trusting_itself, CTX))["cert"]
    assert cert["verified"] is False and cert["verify_error"] == "certificate has expired"


def test_expiring_certificate(tls_evidence):
    cert = tls_evidence["expiring"]["cert"]
    assert cert["verified"] is True and cert["expired"] is False and 0 <= cert["days_left"] <= 10


def test_mismatched_name(tls_evidence):
    cert = tls_evidence["mismatch"]["cert"]
    assert cert["verified"] is True  # the chain is fine ...
    assert cert["hostname_match"] is False  # ... but not for this name
    assert cert["san"] == ["DNS:other-host.fourlayer.invalid"]


def test_hostname_match_by_ip_address(tls_lab):
    port = only_port(tls_collector.collect(tls_lab.host("tls-good", server_name=None), CTX))
    assert port["cert"]["expected_name"] == "127.0.0.150" and port["cert"]["hostname_match"] is True


def test_system_store_does_not_trust_the_lab_ca(tls_lab):
    cert = only_port(tls_collector.collect(tls_lab.host("tls-good", ca_file=None), CTX))["cert"]
    assert cert["verified"] is False and "issuer" in cert["verify_error"]


def test_unreadable_ca_file_means_unknown_not_failed(tls_lab, tmp_path):
    cert = only_port(tls_collector.collect(tls_lab.host("tls-good", ca_file=str(tmp_path / "none.pem")), CTX))["cert"]
    assert cert["verified"] is None and cert["verify_error"].startswith("cannot load CA file")


def test_markup_in_subject_survives_as_text(tls_lab, tls_lab_certs):
    host = tls_lab.host("tls-xss", ca_file=tls_lab_certs["xss-ca"].cert)
    cert = only_port(tls_collector.collect(host, CTX))["cert"]
    assert cert["subject_cn"] == XSS_CN  # raw text: escaping is the renderer's job
    assert "script" in cert["subject"] and cert["verified"] is True
    assert json.loads(json.dumps(cert))["subject_cn"] == XSS_CN


def test_bad_ports_fail_alone_and_concurrently(tls_lab):
    good_addr, good_port = tls_lab.endpoint("tls-good")
    tarpit_port, refused_port = tls_lab.endpoint("tarpit-150")[1], closed_port(good_addr)
    host = Host(address=good_addr, id="mixed", tls=(good_port, tarpit_port, refused_port), tls_server_name=LAB_DNS)
    started = time.monotonic()
    ports = to_dict(tls_collector.collect(host, FAST))["ports"]
    assert time.monotonic() - started < FAST.timeout * 1.5
    assert list(ports) == [str(p) for p in host.tls]  # inventory order, string keys
    assert ports[str(good_port)]["error"] is None and ports[str(good_port)]["cert"]["hostname_match"] is True
    assert ports[str(tarpit_port)]["error"] == "timed out after 0.5s"
    assert ports[str(refused_port)]["error"] == "connection refused"
    assert ports[str(refused_port)]["cert"] is None and ports[str(refused_port)]["protocols"] == {}


def test_hostile_tls_peers_give_one_clean_collector_error(tls_lab):
    host = tls_lab.host("tarpit", "garbage", "drip-tls")
    started = time.monotonic()
    with pytest.raises(CollectorError, match="no TLS port answered") as info:
        tls_collector.collect(host, FAST)
    assert time.monotonic() - started < FAST.timeout * 1.5  # probed concurrently, each bounded by a deadline
    message = str(info.value)
    tarpit, garbage, drip = host.tls
    assert f"{tarpit}: timed out" in message and f"{drip}: timed out" in message
    assert f"{garbage}: TLS error: wrong version number" in message
    assert message.isprintable()


def test_tls_collector_is_fast(tls_lab):
    host = tls_lab.host("tls-weak")
    started = time.monotonic()
    tls_collector.collect(host, CTX)
    assert time.monotonic() - started < 2.0


# --- HTTP -----------------------------------------------------------------------------------------------------

def test_http_good_redirects_with_security_headers(tls_lab):
    port = only_port(http_collector.collect(tls_lab.host(http=("http-good",)), CTX))
    assert (port["scheme"], port["status"], port["error"]) == ("http", 301, None)
    assert port["location"] == "https://127.0.0.160/"
    headers = port["headers"]
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert "content-security-policy" in headers
    assert not any(ch.isdigit() for ch in headers["server"])


def test_http_weak_leaks_version_without_security_headers(tls_lab):
    port = only_port(http_collector.collect(tls_lab.host(http=("http-weak",)), CTX))
    assert (port["status"], port["location"]) == (200, None)
    assert port["headers"]["server"] == "Apache/2.2.8 (Ubuntu)"
    assert not {"strict-transport-security", "x-frame-options", "content-security-policy",
                "x-content-type-options"} & set(port["headers"])
    assert port["title"] == "It works!"


def test_https_headers_read_even_with_a_bad_certificate(tls_lab):
    good = only_port(http_collector.collect(tls_lab.host("tls-good"), CTX))
    weak = only_port(http_collector.collect(tls_lab.host("tls-weak"), CTX))
    assert (good["scheme"], good["status"]) == ("https", 200)
    assert "strict-transport-security" in good["headers"]
    assert (weak["scheme"], weak["status"], weak["headers"]["server"]) == ("https", 200, "Apache/2.2.8 (Ubuntu)")


def test_http_hostile_headers_are_bounded_and_clean(tls_lab):
    started = time.monotonic()
    port = only_port(http_collector.collect(tls_lab.host(http=("http-hostile",)), CTX))
    assert time.monotonic() - started < 2.0
    headers = port["headers"]
    assert headers["server"].startswith("<script>alert(1)</script>") and "\\x1b" in headers["server"]
    assert all(ch.isprintable() for value in headers.values() for ch in value)
    assert len(headers["x-long"]) < 2100 and headers["x-long"].endswith("[truncated]")
    assert len(headers) == http_collector.MAX_HEADERS and port["headers_truncated"] is True
    assert port["title"] == "<script>alert(1)</script>"


def test_hostile_http_peers_give_one_clean_collector_error(tls_lab):
    host = tls_lab.host(http=("tarpit", "drip-http", "garbage"))
    started = time.monotonic()
    with pytest.raises(CollectorError, match="no web port answered") as info:
        http_collector.collect(host, FAST)
    assert time.monotonic() - started < FAST.timeout * 2 + 0.5
    message = str(info.value)
    tarpit, drip, garbage = host.http
    assert f"{tarpit}: timed out" in message and f"{drip}: timed out" in message
    assert f"{garbage}: not an HTTP response" in message
    assert message.isprintable() and "\x1b" not in message.replace("\\x1b", "")


# --- reachability and the loopback guard ------------------------------------------------------------------------

def test_reach_open_closed_and_silent(tls_lab):
    assert tcp_reachable(*tls_lab.endpoint("sink"), 1.0) == (True, "connected")
    assert tcp_reachable(*tls_lab.endpoint("tarpit"), 1.0) == (True, "connected")  # accepting is reachable
    assert tcp_reachable(CLOSED_ADDRESS, 9, 1.0) == (False, "connection refused")


def test_banner_listener_speaks_first(tls_lab):
    with socket.create_connection(tls_lab.endpoint("banner-ftp"), timeout=2) as conn:
        assert conn.recv(100) == FTP_BANNER


def test_loopback_guard_blocks_other_addresses():
    assert os.environ.get(LOOPBACK_ENV) == "1"
    with pytest.raises(CollectorError, match="127.0.0.0/8"):
        tcp_reachable("192.0.2.10", 443, 1.0)
    outside = Host(address="192.0.2.10", id="outside", tls=(443,), http=(80,))
    for collector in (tls_collector, http_collector):
        with pytest.raises(CollectorError, match="refusing to contact"):
            collector.collect(outside, FAST)


def closed_port(address: str) -> int:
    """A port on `address` with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]

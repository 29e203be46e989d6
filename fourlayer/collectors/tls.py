"""TLS collector: protocol versions, weak cipher suites and the certificate of every TLS port of a host.

Evidence: TlsEvidence (port "443" -> TlsPort, its `cert` a TlsCertificate, `chain` ChainCertificates, `dh_group`
a DhGroup; fourlayer/collectors/tls_evidence.py), serialised as (port keys are strings):

    {"ports": {"443": {
        "protocols": {"SSLv3": bool|None, "TLSv1": ..., "TLSv1.1": ..., "TLSv1.2": ..., "TLSv1.3": ...},
        "protocol": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384", "cipher_bits": 256,
        "weak_ciphers": ["AECDH-AES128-SHA", ...], "weak_cipher_classes": ["NULL", "aNULL", ...],
        "weak_ciphers_complete": bool, "weak_classes_probed": ["NULL", ...], "rsa_kex": bool|None,
        "cert": {...see describe_cert...}, "chain": [{...see describe_chain_cert...}] | None,
        "dh_group": {...see dh_groups.describe_dh...} | None, "handshake": "library" | "raw",
        "error": None}}}

`cert.verified` is OpenSSL's verdict on the chain without the host name (hostname_match is separate). OpenSSL
checks trust before dates, so `verify_error` "certificate has expired" means the chain itself is trusted.
`chain` lists the other certificates the server sent (intermediates, sometimes the root), None when this Python
cannot show them.

Protocol values: True accepted, False refused, None could not be tested. SSLv3 to TLS 1.2 (also those the local
OpenSSL cannot speak: SSLv3 always, on OpenSSL 3) and weak suites (RC4, 3DES, DES, EXPORT, NULL, anonymous) are
probed with a hand-built ClientHello: the server's ServerHello (or alert) answers the question without the local
library, and costs a third of the CPU of a completed handshake. TLS 1.3 is told by the default handshake (or, when
that one picks a lower version, refused: a server picks the highest version both sides speak).

`rsa_kex` (static RSA key exchange offered) and `dh_group` ride in the weak-suite offers; the EXPORT suites are
offered (at TLS 1.0) only when SSLv3 or TLS 1.0 is not known to be refused. A modern server costs six
connections: the default handshake, one weak-suite offer, and SSLv3, TLS 1.0, 1.1 and 1.2.

When the local library cannot complete a handshake at all (a server offering only NULL, RC4, 3DES or a DH-512
group), the port is read from the server's first flight to a raw ClientHello instead (`handshake: "raw"`): version,
suite, certificate chain (verified by fourlayer.collectors.tls_verify), and every version is probed raw.

`dh_group` is the finite-field DH group of the server's ServerKeyExchange when it accepts a DHE suite: DHE suites
ride along in the first weak-suite offer, so a server without DHE costs no extra connection. None: no DHE suite
was accepted (complete when `weak_ciphers_complete`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
import os
import socket
import ssl
import threading
import time
import warnings
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from fourlayer.collectors.base import CollectContext, clean_text
from fourlayer.collectors.dh_groups import describe_dh
from fourlayer.collectors.reach import check_allowed, connect, describe_error, wait_io
from fourlayer.collectors.tls_flight import DHE_PROBE_SUITES, Flight, NotTLS, server_flight
from fourlayer.collectors.tls_evidence import TlsEvidence
from fourlayer.collectors.tls_verify import verify_chain
from fourlayer.core.errors import CollectorError
from fourlayer.config.inventory import Host

DEFAULT_MAX_CONNECTIONS = 4  # concurrent handshakes to one host (policy key: tls_max_connections)
PROBE_CIPHERS = "ALL:!aNULL:@SECLEVEL=0"  # broad enough to reach old servers, never anonymous

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    _LIB_VERSIONS = {"TLSv1": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1,
                     "TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}
_LIB_HAS = {"TLSv1": ssl.HAS_TLSv1, "TLSv1.1": ssl.HAS_TLSv1_1, "TLSv1.2": ssl.HAS_TLSv1_2,
            "TLSv1.3": ssl.HAS_TLSv1_3}
_WIRE_VERSIONS = {"SSLv3": 0x0300, "TLSv1": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303}
PROTOCOLS = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")

# Weak suites by IANA code point: (OpenSSL name, class).
WEAK_SUITES: dict[int, tuple[str, str]] = {
    0x0004: ("RC4-MD5", "RC4"), 0x0005: ("RC4-SHA", "RC4"), 0x0018: ("ADH-RC4-MD5", "RC4"),
    0xC007: ("ECDHE-ECDSA-RC4-SHA", "RC4"), 0xC011: ("ECDHE-RSA-RC4-SHA", "RC4"), 0xC016: ("AECDH-RC4-SHA", "RC4"),
    0x000A: ("DES-CBC3-SHA", "3DES"), 0x0016: ("EDH-RSA-DES-CBC3-SHA", "3DES"),
    0x0013: ("EDH-DSS-DES-CBC3-SHA", "3DES"), 0xC008: ("ECDHE-ECDSA-DES-CBC3-SHA", "3DES"),
    0xC012: ("ECDHE-RSA-DES-CBC3-SHA", "3DES"), 0x001B: ("ADH-DES-CBC3-SHA", "3DES"),
    0xC017: ("AECDH-DES-CBC3-SHA", "3DES"),
    0x0009: ("DES-CBC-SHA", "DES"), 0x0015: ("EDH-RSA-DES-CBC-SHA", "DES"), 0x0012: ("EDH-DSS-DES-CBC-SHA", "DES"),
    0x001A: ("ADH-DES-CBC-SHA", "DES"),
    0x0003: ("EXP-RC4-MD5", "EXPORT"), 0x0006: ("EXP-RC2-CBC-MD5", "EXPORT"), 0x0008: ("EXP-DES-CBC-SHA", "EXPORT"),
    0x0014: ("EXP-EDH-RSA-DES-CBC-SHA", "EXPORT"), 0x0011: ("EXP-EDH-DSS-DES-CBC-SHA", "EXPORT"),
    0x0017: ("EXP-ADH-RC4-MD5", "EXPORT"), 0x0019: ("EXP-ADH-DES-CBC-SHA", "EXPORT"),
    0x0001: ("NULL-MD5", "NULL"), 0x0002: ("NULL-SHA", "NULL"), 0x003B: ("NULL-SHA256", "NULL"),
    0xC006: ("ECDHE-ECDSA-NULL-SHA", "NULL"), 0xC010: ("ECDHE-RSA-NULL-SHA", "NULL"),
    0xC015: ("AECDH-NULL-SHA", "NULL"),
    0x0034: ("ADH-AES128-SHA", "aNULL"), 0x003A: ("ADH-AES256-SHA", "aNULL"), 0x006C: ("ADH-AES128-SHA256", "aNULL"),
    0x006D: ("ADH-AES256-SHA256", "aNULL"), 0x00A6: ("ADH-AES128-GCM-SHA256", "aNULL"),
    0x00A7: ("ADH-AES256-GCM-SHA384", "aNULL"), 0xC018: ("AECDH-AES128-SHA", "aNULL"),
    0xC019: ("AECDH-AES256-SHA", "aNULL"), 0x0046: ("ADH-CAMELLIA128-SHA", "aNULL"),
    0x0089: ("ADH-CAMELLIA256-SHA", "aNULL"),
}
# CBC suites with a SHA-1 MAC: accepted by NIST SP 800-52 Rev. 2, not by the Mozilla "intermediate" profile.
WEAK_SUITES.update({
    0xC009: ("ECDHE-ECDSA-AES128-SHA", "CBC-SHA1"), 0xC00A: ("ECDHE-ECDSA-AES256-SHA", "CBC-SHA1"),
    0xC013: ("ECDHE-RSA-AES128-SHA", "CBC-SHA1"), 0xC014: ("ECDHE-RSA-AES256-SHA", "CBC-SHA1"),
    0x0033: ("DHE-RSA-AES128-SHA", "CBC-SHA1"), 0x0039: ("DHE-RSA-AES256-SHA", "CBC-SHA1"),
    0x002F: ("AES128-SHA", "CBC-SHA1"), 0x0035: ("AES256-SHA", "CBC-SHA1"),
    0x0045: ("DHE-RSA-CAMELLIA128-SHA", "CBC-SHA1"), 0x0088: ("DHE-RSA-CAMELLIA256-SHA", "CBC-SHA1"),
    0x0041: ("CAMELLIA128-SHA", "CBC-SHA1"), 0x0084: ("CAMELLIA256-SHA", "CBC-SHA1"),
})
WEAK_CLASSES = tuple(dict.fromkeys(cls for _, cls in WEAK_SUITES.values()))
DEFAULT_WEAK_CLASSES = tuple(c for c in WEAK_CLASSES if c != "CBC-SHA1")  # policy tls.weak_cipher_classes
# Static RSA key exchange (no forward secrecy).
RSA_KEX_SUITES = (0x002F, 0x0035, 0x003C, 0x003D, 0x009C, 0x009D, 0x0041, 0x0084, 0x0096, 0x0007)
# A broad, ordinary offer: with the weak ones, what a legacy server is offered (_LEGACY_OFFER).
_COMMON_SUITES = (0xC02F, 0xC030, 0xC02B, 0xC02C, 0xC013, 0xC014, 0xC009, 0xC00A, 0x009E, 0x009F, 0x0033, 0x0039,
                  0x002F, 0x0035, 0x009C, 0x009D, 0x000A, 0x0005, 0x0004, 0x0016, 0x0009, 0x00FF)
# Everything a legacy server might pick, for reading a port whose suites the local library cannot negotiate.
_LEGACY_OFFER = tuple(dict.fromkeys(_COMMON_SUITES[:-1] + tuple(WEAK_SUITES) + tuple(DHE_PROBE_SUITES)
                                    + RSA_KEX_SUITES + (0x00FF,)))
_EXPORT_SUITES = tuple(s for s in WEAK_SUITES if WEAK_SUITES[s][1] == "EXPORT")
_WARNINGS_LOCK = threading.Lock()  # catch_warnings is process-global; TLS 1.0/1.1 setters warn in Python 3.11+


_NotTLS = NotTLS  # the peer answered with something that is not TLS


# --- raw ClientHello probes -------------------------------------------------------------------------------------

def _ext(kind: int, body: bytes) -> bytes:
    return kind.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body


def client_hello(version: int, suites: tuple[int, ...] | list[int], sni: str | None) -> bytes:
    """A TLS (or SSLv3) ClientHello record offering `suites` at `version`."""
    suite_bytes = b"".join(s.to_bytes(2, "big") for s in suites)
    body = version.to_bytes(2, "big") + os.urandom(32) + b"\x00"
    body += len(suite_bytes).to_bytes(2, "big") + suite_bytes + b"\x01\x00"
    if version >= 0x0301:
        exts = b""
        if sni:
            name = sni.encode("idna")
            entry = b"\x00" + len(name).to_bytes(2, "big") + name
            exts += _ext(0x0000, len(entry).to_bytes(2, "big") + entry)
        groups = bytes.fromhex("001d001700180019")
        exts += _ext(0x000A, len(groups).to_bytes(2, "big") + groups)
        exts += _ext(0x000B, b"\x01\x00")
        sigs = bytes.fromhex("040105010601020104030503060302030804080508060402")
        exts += _ext(0x000D, len(sigs).to_bytes(2, "big") + sigs)
        exts += _ext(0xFF01, b"\x00")
        body += len(exts).to_bytes(2, "big") + exts
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16" + min(version, 0x0301).to_bytes(2, "big") + len(handshake).to_bytes(2, "big") + handshake


def server_hello(address: str, port: int, hello: bytes, deadline: float) -> tuple[int, int] | None:
    """Send `hello`; return the server's (version, cipher suite), or None if it refused (alert or close)."""
    flight = server_flight(address, port, hello, deadline)
    return (flight.version, flight.suite) if flight else None


@functools.cache
def version_offer() -> tuple[int, ...]:
    """The suites a "does the server speak this version?" ClientHello offers (SSLv3 to TLS 1.2): every suite the
    local library would offer (PROBE_CIPHERS, less PSK and SRP ones, sent only with credentials), then every other
    suite fourlayer knows, EXPORT ones included. A server that speaks the version with any of them answers with
    a ServerHello at that version, which is all the question needs: no handshake is completed (a library
    handshake costs the scanner 2-4 times the CPU of a raw probe, key exchange and signature checks)."""
    library = tuple(c["id"] & 0xFFFF for c in client_context().get_ciphers()
                    if c.get("protocol") != "TLSv1.3" and not any(k in c["name"] for k in ("PSK", "SRP")))
    return tuple(dict.fromkeys(library + _LEGACY_OFFER[:-1] + _EXPORT_SUITES + (0x00FF,)))


def _raw_accepts(address: str, port: int, version: int, sni: str | None, timeout: float,
                 suites: tuple[int, ...] | None = None) -> bool:
    hello = client_hello(version, suites or version_offer(), sni)
    answer = server_hello(address, port, hello, time.monotonic() + timeout)
    return answer is not None and answer[0] == version


def _enumerate(address: str, port: int, version: int, suites: list[int], sni: str | None, timeout: float,
               budget_end: float, dhe: tuple[int, ...] = (), rsa: tuple[int, ...] = ()
               ) -> tuple[list[int], bool, tuple[int, int] | None, bool | None]:
    """Offer `suites`, drop the one the server picks, repeat. Returns (accepted, complete, DH group, RSA kex).

    Two questions ride along in the same offers, their suites not counted as accepted:
    `dhe`: DHE suites offered beside them until the server picks one of them or a DHE suite of `suites`, to
    read its DH group (p, g) from that answer's ServerKeyExchange;
    `rsa`: static-RSA key-exchange suites offered until the server picks one of them (or one of `suites` that
    is one): RSA kex True; False when the server refused an offer that still held them all; None when the
    enumeration stopped before either."""
    accepted, offer, group, rsa_kex = [], list(suites), None, False
    dhe_extra = [s for s in dhe if s not in suites]
    rsa_extra = [s for s in rsa if s not in suites and s not in dhe_extra]
    while offer or dhe_extra or rsa_extra:
        if time.monotonic() > budget_end:
            return accepted, False, group, rsa_kex or None
        try:
            answer = server_flight(address, port, client_hello(version, offer + dhe_extra + rsa_extra, sni),
                                   time.monotonic() + timeout, full=group is None)
        except ConnectionError:  # reset instead of an alert: a refusal
            return accepted, True, group, rsa_kex
        except (OSError, TimeoutError, _NotTLS):
            return accepted, False, group, rsa_kex or None
        if answer is None:
            return accepted, True, group, rsa_kex
        group = group or answer.dh
        if answer.suite in rsa:
            rsa_kex, rsa_extra = True, []
        if answer.suite in offer:
            accepted.append(answer.suite)
            offer.remove(answer.suite)
            if group is not None:
                dhe_extra = []
        elif answer.suite in dhe_extra:
            dhe_extra = []
        elif answer.suite not in rsa:
            raise _NotTLS(f"server chose suite 0x{answer.suite:04x} that was not offered")
    return accepted, True, group, rsa_kex


# --- handshakes with the local TLS library ---------------------------------------------------------------------

def client_context(low: str | None = None, high: str | None = None, verify_cafile: str | None = None,
                    verify: bool = False) -> ssl.SSLContext:
    """A client context for these settings, made once and shared by every handshake that asks for the same (a
    context holds no per-connection state; sessions are never resumed, as none is passed to wrap_socket).
    Loading the system trust store costs ~28 ms of CPU: per context, not per port and handshake. A CA file is
    read again when it changes (its mtime and size are part of the key)."""
    cafile = verify_cafile if verify else None
    store = cafile or (ssl.get_default_verify_paths().cafile if verify else None)
    return _cached_context(low, high, cafile, verify, _stamp(store))


def _stamp(path: str | None) -> tuple[int, int] | None:
    try:
        st = os.stat(path) if path else None
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size) if st else None


@functools.lru_cache(maxsize=64)
def _cached_context(low: str | None, high: str | None, verify_cafile: str | None, verify: bool,
                    _stamp: tuple[int, int] | None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.set_ciphers(PROBE_CIPHERS)
    with _WARNINGS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        lowest = next((v for v in ("TLSv1", "TLSv1.1", "TLSv1.2") if _LIB_HAS[v]), "TLSv1.2")
        ctx.minimum_version = _LIB_VERSIONS[low or lowest]
        if high:
            ctx.maximum_version = _LIB_VERSIONS[high]
    if verify:
        ctx.verify_mode = ssl.CERT_REQUIRED
        if verify_cafile:
            ctx.load_verify_locations(cafile=verify_cafile)
        else:
            ctx.load_default_certs()
    else:
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def handshake(address: str, port: int, ctx: ssl.SSLContext, sni: str | None, deadline: float) -> ssl.SSLSocket:
    """A completed TLS handshake on a non-blocking socket, bounded by `deadline` as a whole."""
    sock = connect(address, port, deadline)
    try:
        tls = ctx.wrap_socket(sock, server_hostname=sni, do_handshake_on_connect=False)
    except BaseException:
        sock.close()
        raise
    try:
        while True:
            try:
                tls.do_handshake()
                return tls
            except ssl.SSLWantReadError:
                wait_io(tls, deadline)
            except ssl.SSLWantWriteError:
                wait_io(tls, deadline, write=True)
    except BaseException:
        tls.close()
        raise


def _is_network_failure(exc: BaseException) -> bool:
    """Could not ask at all (as opposed to: the server said no)."""
    return isinstance(exc, (TimeoutError, socket.timeout, ConnectionRefusedError, _NotTLS)) or (
        isinstance(exc, OSError) and not isinstance(exc, (ssl.SSLError, ConnectionError)))


# --- certificate ----------------------------------------------------------------------------------------------

def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    key, sig, tbs, digest = cert.public_key(), cert.signature, cert.tbs_certificate_bytes, cert.signature_hash_algorithm
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(sig, tbs, padding.PKCS1v15(), digest)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(sig, tbs, ec.ECDSA(digest))
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(sig, tbs)
        else:
            return True  # same names, signature not checkable here
    except Exception:
        return False  # same names but another key signed it
    return True


def _key_info(cert: x509.Certificate) -> tuple[str, int | None, str | None]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size, None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.key_size, key.curve.name
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size, None
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256, None
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456, None
    return type(key).__name__, None, None


def _first(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    attrs = name.get_attributes_for_oid(oid)
    return clean_text(str(attrs[0].value), 256) if attrs else None


def _san(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    dns = [clean_text(n, 256) for n in ext.get_values_for_type(x509.DNSName)][:100]
    ips = [str(n) for n in ext.get_values_for_type(x509.IPAddress)][:100]
    return dns, ips


def hostname_matches(name: str, dns_names: list[str], ip_names: list[str]) -> bool:
    """RFC 6125 style: an IP matches IP SANs only; a name matches DNS SANs, `*` as a whole leftmost label."""
    try:
        return str(ipaddress.ip_address(name)) in {str(ipaddress.ip_address(i)) for i in ip_names}
    except ValueError:
        pass
    want = name.lower().rstrip(".").split(".")
    for pattern in dns_names:
        have = pattern.lower().rstrip(".").split(".")
        if len(have) != len(want):
            continue
        if have[0] == "*" and len(have) >= 3 and have[1:] == want[1:] and want[0]:
            return True
        if have == want:
            return True
    return False


CERT_CACHE = 256  # certificates kept described, by SHA-256: one certificate, or a CA's intermediate, serves many hosts
_FACTS: OrderedDict[str, dict[str, Any]] = OrderedDict()
_FACTS_LOCK = threading.Lock()


def _facts(der: bytes) -> dict[str, Any]:
    """What a certificate says of itself, whoever sent it and whenever (not to be changed by the caller): parsed
    with `cryptography` once per distinct certificate, kept for the next host that sends the same one."""
    fingerprint = hashlib.sha256(der).hexdigest()
    with _FACTS_LOCK:
        facts = _FACTS.get(fingerprint)
        if facts is not None:
            _FACTS.move_to_end(fingerprint)
            return facts
    cert = x509.load_der_x509_certificate(der)
    key_type, key_bits, curve = _key_info(cert)
    dns, ips = _san(cert)
    digest = cert.signature_hash_algorithm
    try:
        sig_alg = cert.signature_algorithm_oid._name  # noqa: SLF001 - the readable OID name
    except AttributeError:
        sig_alg = cert.signature_algorithm_oid.dotted_string
    facts = {"subject": clean_text(cert.subject.rfc4514_string(), 512),
             "subject_cn": _first(cert.subject, x509.NameOID.COMMON_NAME),
             "issuer": clean_text(cert.issuer.rfc4514_string(), 512),
             "issuer_cn": _first(cert.issuer, x509.NameOID.COMMON_NAME),
             "serial": format(cert.serial_number, "x"),
             "valid_from": cert.not_valid_before_utc, "valid_until": cert.not_valid_after_utc,
             "not_before": _iso(cert.not_valid_before_utc), "not_after": _iso(cert.not_valid_after_utc),
             "self_signed": _self_signed(cert), "key_type": key_type, "key_bits": key_bits, "key_curve": curve,
             "signature_algorithm": sig_alg, "signature_hash": digest.name if digest else None,
             "dns": tuple(dns), "ips": tuple(ips), "fingerprint_sha256": fingerprint}
    with _FACTS_LOCK:
        _FACTS[fingerprint] = facts
        while len(_FACTS) > CERT_CACHE:
            _FACTS.popitem(last=False)
    return facts


def describe_cert(der: bytes, expected_name: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """Parsed certificate facts (verification fields are filled by the caller)."""
    f = _facts(der)
    now = now or dt.datetime.now(dt.timezone.utc)
    return {
        "subject": f["subject"], "subject_cn": f["subject_cn"], "issuer": f["issuer"], "issuer_cn": f["issuer_cn"],
        "serial": f["serial"], "not_before": f["not_before"], "not_after": f["not_after"],
        "days_left": (f["valid_until"] - now).days,
        "expired": f["valid_until"] < now,
        "not_yet_valid": f["valid_from"] > now,
        "self_signed": f["self_signed"], "key_type": f["key_type"], "key_bits": f["key_bits"],
        "key_curve": f["key_curve"], "signature_algorithm": f["signature_algorithm"],
        "signature_hash": f["signature_hash"],
        "san": [f"DNS:{n}" for n in f["dns"]] + [f"IP:{i}" for i in f["ips"]],
        "fingerprint_sha256": f["fingerprint_sha256"],
        "expected_name": clean_text(expected_name, 256),
        "hostname_match": hostname_matches(expected_name, list(f["dns"]), list(f["ips"])),
        "verified": None,
        "verify_error": None,
    }


def describe_chain_cert(der: bytes) -> dict[str, Any]:
    """Facts of a certificate the server sent besides its own (an intermediate or a root)."""
    f = _facts(der)
    return {k: f[k] for k in ("subject", "issuer", "self_signed", "signature_hash", "key_type", "key_bits",
                              "not_after", "fingerprint_sha256")}


MAX_CHAIN = 10  # certificates kept from what the server sent


def peer_chain(tls: ssl.SSLSocket) -> list[bytes] | None:
    """DER of every certificate the server sent, leaf first; None when this Python cannot show them
    (`get_unverified_chain` is public from 3.13 and present, privately, in 3.10-3.12)."""
    getter = getattr(tls, "get_unverified_chain", None) or getattr(getattr(tls, "_sslobj", None),
                                                                    "get_unverified_chain", None)
    if getter is None:
        return None
    try:
        chain = getter() or []
        return [c if isinstance(c, bytes) else c.public_bytes(ssl._ssl.ENCODING_DER)  # noqa: SLF001
                for c in chain[:MAX_CHAIN]]
    except (AttributeError, ValueError, ssl.SSLError):
        return None


# --- the collector --------------------------------------------------------------------------------------------

def expected_name(host: Host) -> str:
    return host.tls_server_name or host.address


def sni_for(name: str) -> str | None:
    try:
        ipaddress.ip_address(name)
        return None
    except ValueError:
        return name


def _empty_port(error: str | None) -> dict[str, Any]:
    return {"protocols": {}, "protocol": None, "cipher": None, "cipher_bits": None, "weak_ciphers": [],
            "weak_cipher_classes": [], "weak_ciphers_complete": False, "weak_classes_probed": [], "rsa_kex": None,
            "cert": None, "chain": None, "dh_group": None, "handshake": "library", "error": error}


_WIRE_NAMES = {code: name for name, code in _WIRE_VERSIONS.items()}
_SUITE_NAMES = {**DHE_PROBE_SUITES, **{code: name for code, (name, _) in WEAK_SUITES.items()}}


class _Port:
    """The probes of one TLS port; each method is one independent job for the pool."""

    def __init__(self, host: Host, port: int, timeout: float, classes: tuple[str, ...] = DEFAULT_WEAK_CLASSES):
        self.address, self.port, self.timeout = host.address, port, timeout
        self.classes = classes
        self.name = expected_name(host)
        self.sni = sni_for(self.name)
        self.ca_file = host.tls_ca_file
        self.verified: tuple[bool | None, str | None] | None = None  # set by first() when it could tell
        self.raw = False  # set by first() when the local library could not complete a handshake

    def _deadline(self) -> float:
        return time.monotonic() + self.timeout

    def first(self) -> dict[str, Any]:
        """Default handshake: negotiated version and cipher, certificate. Raises on failure.

        It verifies the chain as it goes (same offer, CERT_REQUIRED): a trusted server needs no second
        handshake for `verify`; an untrusted one is asked again without verification. When the library cannot
        negotiate with the server at all, the port is read from a raw ClientHello offering every suite."""
        try:
            return self._library_first()
        except (ssl.SSLError, ConnectionResetError) as exc:  # the server said no to everything we can speak
            facts = self._raw_facts()
            if facts is None:
                raise exc
            return facts

    def _library_first(self) -> dict[str, Any]:
        try:
            verifying = client_context(verify=True, verify_cafile=self.ca_file)
        except (OSError, ssl.SSLError) as exc:
            self.verified, verifying = (None, f"cannot load CA file: {describe_error(exc)}"), None
        if verifying is not None:
            try:
                facts = self._facts(verifying)
                self.verified = (True, None)
                return facts
            except ssl.SSLCertVerificationError as exc:
                self.verified = (False, describe_error(exc))
        return self._facts(client_context())

    def _raw_facts(self) -> dict[str, Any] | None:
        """Version, suite and certificates of the server's answer to a raw offer of every suite, or None."""
        try:
            flight: Flight | None = server_flight(self.address, self.port,
                                                  client_hello(0x0303, _LEGACY_OFFER, self.sni), self._deadline(),
                                                  full=True)
        except (OSError, TimeoutError, _NotTLS):
            return None
        if flight is None or flight.version not in _WIRE_NAMES:
            return None
        certs = flight.certificates or []
        self.raw, self.verified = True, verify_chain(certs, self.ca_file) if certs else (None, "no certificate")
        return {"protocol": _WIRE_NAMES[flight.version], "handshake": "raw",
                "cipher": _SUITE_NAMES.get(flight.suite, f"0x{flight.suite:04X}"), "cipher_bits": None,
                "cert": describe_cert(certs[0], self.name) if certs else None,
                "chain": [describe_chain_cert(c) for c in certs[1:]] if certs else None}

    def _facts(self, context: ssl.SSLContext) -> dict[str, Any]:
        with handshake(self.address, self.port, context, self.sni, self._deadline()) as tls:
            name, _, bits = tls.cipher()
            der = tls.getpeercert(binary_form=True)
            chain = peer_chain(tls)
            return {"protocol": tls.version(), "cipher": name, "cipher_bits": bits,
                    "cert": describe_cert(der, self.name) if der else None,
                    "chain": [describe_chain_cert(c) for c in chain[1:]] if chain is not None else None}

    def verify(self) -> tuple[bool | None, str | None]:
        try:
            ctx = client_context(verify=True, verify_cafile=self.ca_file)
        except (OSError, ssl.SSLError) as exc:
            return None, f"cannot load CA file: {describe_error(exc)}"
        try:
            with handshake(self.address, self.port, ctx, self.sni, self._deadline()):
                return True, None
        except ssl.SSLCertVerificationError as exc:
            return False, describe_error(exc)
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            return None, f"could not verify: {describe_error(exc, self.timeout)}"

    def protocol(self, version: str) -> bool | None:
        """SSLv3 to TLS 1.2 by the server's answer to a raw ClientHello (version_offer); TLS 1.3 (its version
        is negotiated in an extension) by a handshake with the local library."""
        try:
            if version in _WIRE_VERSIONS:
                return _raw_accepts(self.address, self.port, _WIRE_VERSIONS[version], self.sni, self.timeout)
            if version in _LIB_VERSIONS and _LIB_HAS[version]:
                ctx = client_context(version, version)
                with handshake(self.address, self.port, ctx, self.sni, self._deadline()) as tls:
                    return tls.version() == version
            return None
        except Exception as exc:  # noqa: BLE001 - classify: refused vs could not ask
            return None if _is_network_failure(exc) else False

    def weak(self) -> tuple[list[int], bool, tuple[int, int] | None, bool | None]:
        """Weak suites (but EXPORT ones: export()) at TLS 1.2: (suites accepted, enumeration complete, DH group of
        the server's DHE suites or None, static RSA kex). The DHE and RSA-kex questions ride in the same offers:
        a server that refuses every weak suite answers all three with one connection."""
        suites = [s for s in WEAK_SUITES if WEAK_SUITES[s][1] in self.classes and WEAK_SUITES[s][1] != "EXPORT"]
        return _enumerate(self.address, self.port, 0x0303, suites, self.sni, self.timeout,
                          time.monotonic() + 4 * self.timeout, tuple(DHE_PROBE_SUITES), RSA_KEX_SUITES)

    def wants_export(self) -> bool:
        return "EXPORT" in self.classes

    def export(self) -> tuple[list[int], bool, tuple[int, int] | None]:
        """EXPORT suites, offered up to TLS 1.0 (the only versions that define them): (accepted, complete, DH
        group). Only asked when SSLv3 or TLS 1.0 is not known to be refused (collect): a server refusing both
        refuses a TLS 1.0 ClientHello whatever it offers (the version probes offer the EXPORT suites too)."""
        found, complete, group, _ = _enumerate(self.address, self.port, 0x0301, list(_EXPORT_SUITES), self.sni,
                                               self.timeout, time.monotonic() + 4 * self.timeout)
        return found, complete, group


def weak_classes(ctx: CollectContext) -> tuple[str, ...]:
    """The cipher-suite classes to probe: policy tls.weak_cipher_classes, known ones only."""
    wanted = (ctx.policy.get("tls") or {}).get("weak_cipher_classes")
    if not isinstance(wanted, list):
        return DEFAULT_WEAK_CLASSES
    return tuple(c for c in WEAK_CLASSES if c in wanted)


def known_protocols(negotiated: str | None, raw: bool = False) -> dict[str, bool]:
    """What the default handshake (which offers every version up to the library's highest) already tells:
    the negotiated version is accepted and every higher one is not, since a server picks the highest version both
    sides speak. Saves one to three handshakes per port. A `raw` first answer offered up to TLS 1.2 only."""
    if negotiated not in PROTOCOLS:
        return {}
    higher = PROTOCOLS[PROTOCOLS.index(negotiated) + 1:]
    if raw:
        return {negotiated: True, **{v: False for v in higher if v in _WIRE_VERSIONS}}
    if not all(v in _LIB_VERSIONS and _LIB_HAS[v] for v in higher):
        return {negotiated: True}
    return {negotiated: True, **{v: False for v in higher}}


def _done(value: Any) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


def _max_connections(ctx: CollectContext) -> int:
    try:
        return max(1, min(16, int(ctx.policy.get("tls_max_connections", DEFAULT_MAX_CONNECTIONS))))
    except (TypeError, ValueError):
        return DEFAULT_MAX_CONNECTIONS


def _result(fut: Future, default: Any, errors: list[str], what: str) -> Any:
    try:
        return fut.result()
    except Exception as exc:  # noqa: BLE001 - one failed probe must not lose the others
        errors.append(f"{what}: {describe_error(exc)}")
        return default


def collect(host: Host, ctx: CollectContext) -> TlsEvidence:
    """Probe every port in `host.tls`. Raises CollectorError when no TLS port answers."""
    ports = list(dict.fromkeys(host.tls))
    if not ports:
        return TlsEvidence()
    check_allowed(host.address)
    classes = weak_classes(ctx)
    probes = {p: _Port(host, p, ctx.timeout, classes) for p in ports}
    out: dict[str, dict[str, Any]] = {}
    with ThreadPoolExecutor(_max_connections(ctx), thread_name_prefix="fourlayer-tls") as pool:
        firsts = {pool.submit(probes[p].first): p for p in ports}
        jobs: dict[int, dict[str, Future]] = {}
        for fut in as_completed(firsts):
            port = firsts[fut]
            try:
                out[str(port)] = {**_empty_port(None), **fut.result()}
            except Exception as exc:  # noqa: BLE001
                out[str(port)] = _empty_port(describe_error(exc, ctx.timeout))
                continue
            probe = probes[port]
            known = known_protocols(out[str(port)]["protocol"], probe.raw)
            jobs[port] = {"verify": _done(probe.verified) if probe.verified else pool.submit(probe.verify),
                          "weak": pool.submit(probe.weak),
                          **{v: _done(known[v]) if v in known else pool.submit(probe.protocol, v)
                             for v in PROTOCOLS}}
        notes: dict[int, list[str]] = {port: [] for port in jobs}
        for port, job in jobs.items():  # the versions first: they tell whether EXPORT suites can be asked at all
            out[str(port)]["protocols"] = {v: _result(job[v], None, notes[port], v) for v in PROTOCOLS}
            refused = all(out[str(port)]["protocols"][v] is False for v in ("SSLv3", "TLSv1"))
            job["export"] = (pool.submit(probes[port].export) if probes[port].wants_export() and not refused
                             else _done(([], True, None)))
        for port, job in jobs.items():
            entry = out[str(port)]
            found, complete, group, entry["rsa_kex"] = _result(job["weak"], ([], False, None, None), notes[port],
                                                               "weak ciphers")
            more, done, export_group = _result(job["export"], ([], False, None), notes[port], "export ciphers")
            group = group or export_group
            entry["weak_ciphers"] = [WEAK_SUITES[s][0] for s in found + more]
            entry["weak_ciphers_complete"] = complete and done
            entry["dh_group"] = describe_dh(*group) if group else None
            entry["weak_cipher_classes"] = sorted({WEAK_SUITES[s][1] for s in WEAK_SUITES
                                                   if WEAK_SUITES[s][0] in entry["weak_ciphers"]})
            entry["weak_classes_probed"] = list(classes)
            verified, verify_error = _result(job["verify"], (None, None), notes[port], "verify")
            if entry["cert"] is not None:
                entry["cert"]["verified"], entry["cert"]["verify_error"] = verified, verify_error
            if notes[port]:
                entry["probe_errors"] = notes[port]
    if all(entry["error"] for entry in out.values()):
        detail = "; ".join(f"{p}: {out[str(p)]['error']}" for p in ports)
        raise CollectorError(f"{host.address}: no TLS port answered ({detail})")
    return TlsEvidence.from_dict({"ports": {str(p): out[str(p)] for p in ports}})

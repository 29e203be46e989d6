"""Trust of a certificate chain read from a server's Certificate message, when no TLS session completed.

The chain is verified with cryptography's X.509 path validation (the Web PKI profile of RFC 5280 and the CA/B
Forum requirements) against the declared CA file or the system store, without the host name (that is
L1-TLS-009's; the leaf's own subjectAltName is taken as the name). As with OpenSSL, a chain that is trusted but
out of its dates is told apart: verify_error "certificate has expired" / "certificate is not yet valid".
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl

from cryptography import x509
from cryptography.x509.verification import DNSName, IPAddress, PolicyBuilder, Store, VerificationError

from fourlayer.collectors.base import clean_text


def _store(ca_file: str | None) -> Store:
    path = ca_file or ssl.get_default_verify_paths().cafile
    if not path:
        raise OSError("no system CA bundle")
    with open(path, "rb") as fh:
        return Store(x509.load_pem_x509_certificates(fh.read()))


def _own_name(leaf: x509.Certificate):
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    ips, names = san.get_values_for_type(x509.IPAddress), san.get_values_for_type(x509.DNSName)
    if names and not names[0].startswith("*"):
        return DNSName(names[0])
    return IPAddress(ipaddress.ip_address(ips[0])) if ips else None


def verify_chain(chain: list[bytes], ca_file: str | None) -> tuple[bool | None, str | None]:
    """(verified, error) of the chain `chain` (DER, leaf first); verified None when it could not be judged."""
    try:
        certs = [x509.load_der_x509_certificate(der) for der in chain]
        store = _store(ca_file)
    except (OSError, ValueError) as exc:
        return None, f"could not verify: {clean_text(str(exc), 200)}"
    leaf, name = certs[0], _own_name(certs[0])
    if name is None:
        return None, "could not verify: the certificate names no subjectAltName"

    def attempt(when: dt.datetime) -> str | None:
        verifier = PolicyBuilder().store(store).time(when).build_server_verifier(name)
        try:
            verifier.verify(leaf, certs[1:])
            return None
        except VerificationError as exc:
            return clean_text(str(exc), 300)

    now = dt.datetime.now(dt.timezone.utc)
    error = attempt(now)
    if error is None:
        return True, None
    start, end = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    if not start <= now <= end and attempt(start + (end - start) / 2) is None:
        return False, "certificate has expired" if now > end else "certificate is not yet valid"
    if leaf.issuer == leaf.subject:
        return False, "self-signed certificate"
    return False, error

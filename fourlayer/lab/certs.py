"""Lab PKI: a throw-away CA and leaf certificates with known good and bad properties (for tests and demos)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LEAF_KINDS = ("good", "expired", "weak", "expiring", "mismatch", "rsa1024")
# Kinds that need an RSA issuer (SHA-1 re-signing); not made by write_lab_certs' EC CA.
RSA_ISSUER_KINDS = ("sha1",)


@dataclass(frozen=True)
class CertFiles:
    """PEM paths of one certificate and its private key."""

    kind: str
    cert: str
    key: str


@dataclass(frozen=True)
class LabCA:
    """The lab CA: its files plus the loaded certificate and key (to sign leaves)."""

    files: CertFiles
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


# DER AlgorithmIdentifiers (same length: only the last OID byte differs).
_SHA256_RSA = bytes.fromhex("300d06092a864886f70d01010b0500")
_SHA1_RSA = bytes.fromhex("300d06092a864886f70d0101050500")


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _resign_sha1(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> x509.Certificate:
    """Re-sign an RSA/SHA-256 certificate with SHA-1 (cryptography no longer signs SHA-1 certificates)."""
    tbs = cert.tbs_certificate_bytes
    if tbs.count(_SHA256_RSA) != 1:
        raise ValueError("expected exactly one sha256WithRSAEncryption identifier in the TBS certificate")
    tbs = tbs.replace(_SHA256_RSA, _SHA1_RSA)
    signature = key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    bits = b"\x03" + _der_len(len(signature) + 1) + b"\x00" + signature
    body = tbs + _SHA1_RSA + bits
    return x509.load_der_x509_certificate(b"\x30" + _der_len(len(body)) + body)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fourlayer lab"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(directory: Path, stem: str, cert: x509.Certificate, key) -> CertFiles:
    cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return CertFiles(stem, str(cert_path), str(key_path))


def _san(dns_name: str, ip: str | None) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = [x509.DNSName(dns_name)]
    if ip:
        names.append(x509.IPAddress(ipaddress.ip_address(ip)))
    return x509.SubjectAlternativeName(names)


def make_ca(directory: str | Path, common_name: str = "fourlayer lab CA", key_type: str = "ec",
            stem: str = "ca", parent: LabCA | None = None, sha1: bool = False,
            path_length: int | None = 0) -> LabCA:
    """Create a CA and write `<stem>.pem` / `<stem>-key.pem`: a self-signed root (ECDSA P-256, or RSA 2048 with
    `key_type="rsa"`), or with `parent` an intermediate signed by it (`sha1`: with SHA-1; `parent` must be RSA).
    A root that is to sign intermediates needs `path_length` of at least 1 (or None)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1()) if key_type == "ec" else \
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.timezone.utc)
    name = _name(common_name)
    issuer_name, issuer_key = (parent.cert.subject, parent.key) if parent else (name, key)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                            key_encipherment=False, data_encipherment=False, key_agreement=False,
                                            key_cert_sign=True, crl_sign=True, encipher_only=False,
                                            decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if parent:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            parent.key.public_key()), critical=False)
    cert = builder.sign(issuer_key, hashes.SHA256())
    if sha1:
        cert = _resign_sha1(cert, _rsa_key(issuer_key))
    return LabCA(_write(directory, stem, cert, key), cert, key)


def _rsa_key(key) -> rsa.RSAPrivateKey:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("a SHA-1 signature here needs an RSA issuer key (make_ca(..., key_type='rsa'))")
    return key


def write_chain(directory: str | Path, leaf: CertFiles, *intermediates: LabCA, stem: str | None = None) -> CertFiles:
    """`<stem>.pem` = the leaf followed by its intermediates (what a server sends), with the leaf's key."""
    path = Path(directory) / f"{stem or leaf.kind + '-chain'}.pem"
    path.write_bytes(Path(leaf.cert).read_bytes() + b"".join(
        ca.cert.public_bytes(serialization.Encoding.PEM) for ca in intermediates))
    return CertFiles(stem or f"{leaf.kind}-chain", str(path), leaf.key)


def make_leaf(kind: str, directory: str | Path, ca: LabCA, dns_name: str,
              ip: str | None = None, common_name: str | None = None, stem: str | None = None) -> CertFiles:
    """Create one leaf certificate of `kind` (LEAF_KINDS, or RSA_ISSUER_KINDS with an RSA `ca`) and write
    `<stem or kind>.pem` and `-key.pem`. good: RSA 2048, SHA-256, signed by `ca`; expired and weak (RSA 1024,
    SHA-1): self-signed; expiring: 10 days left; mismatch: another name; rsa1024: like good with a 1024-bit key;
    sha1: like good, signed with SHA-1."""
    if kind not in LEAF_KINDS + RSA_ISSUER_KINDS:
        raise ValueError(f"unknown certificate kind {kind!r}; expected one of {LEAF_KINDS + RSA_ISSUER_KINDS}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = ca.cert, ca.key
    now = dt.datetime.now(dt.timezone.utc)
    start, end = now - dt.timedelta(hours=1), now + dt.timedelta(days=365)
    issuer_key, issuer_name = ca_key, ca_cert.subject
    san_name, san_ip = dns_name, ip
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024 if kind in ("weak", "rsa1024") else 2048)
    if kind == "expired":
        start, end = now - dt.timedelta(days=400), now - dt.timedelta(days=30)
    elif kind == "expiring":
        end = now + dt.timedelta(days=10)
    elif kind == "mismatch":
        san_name, san_ip = "other-host.fourlayer.invalid", None
    subject = _name(common_name or san_name)
    if kind in ("expired", "weak"):  # self-signed
        issuer_key, issuer_name = key, subject
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(_san(san_name, san_ip), critical=False)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    if issuer_key is ca_key:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                                        critical=False)
    cert = builder.sign(issuer_key, hashes.SHA256())
    if kind in ("weak", "sha1"):
        cert = _resign_sha1(cert, _rsa_key(issuer_key))
    return _write(directory, stem or kind, cert, key)


def write_lab_certs(directory: str | Path, dns_name: str = "lab.fourlayer.test", ip: str | None = "127.0.0.150",
                    common_name: str | None = None, kinds: tuple[str, ...] = LEAF_KINDS) -> dict[str, CertFiles]:
    """Write the lab CA and every leaf kind to `directory`; returns {"ca": ..., "good": ..., ...}.

    `common_name` (any text, e.g. with `<script>`) replaces the subject CN of every leaf; SANs stay proper names.
    """
    ca = make_ca(directory)
    files = {"ca": ca.files}
    for kind in kinds:
        files[kind] = make_leaf(kind, directory, ca, dns_name, ip, common_name)
    return files

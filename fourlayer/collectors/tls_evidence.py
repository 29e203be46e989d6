"""The TLS collector's typed evidence (fourlayer.collectors.tls returns a `TlsEvidence`): per port the protocol
versions, weak suites, the certificate and its chain, and the DH group, as checks and resources read them.

`to_dict()` / `from_dict()` keep the shape the collector returned before it was typed (fourlayer.core.evidence).
Kept apart from the collector's I/O so that the shape can be read, and imported, without the probing code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fourlayer.core.evidence import record_dict, record_from


@dataclass(frozen=True, slots=True)
class TlsCertificate:
    """The server's own certificate (describe_cert); `verified`/`verify_error` are OpenSSL's verdict on the chain."""
    subject: str = ""
    subject_cn: str | None = None
    issuer: str = ""
    issuer_cn: str | None = None
    serial: str = ""
    not_before: str = ""
    not_after: str = ""
    days_left: int | None = None
    expired: bool = False
    not_yet_valid: bool = False
    self_signed: bool = False
    key_type: str | None = None
    key_bits: int | None = None
    key_curve: str | None = None
    signature_algorithm: str | None = None
    signature_hash: str | None = None
    san: tuple[str, ...] = ()
    fingerprint_sha256: str = ""
    expected_name: str | None = None
    hostname_match: bool | None = None
    verified: bool | None = None
    verify_error: str | None = None


@dataclass(frozen=True, slots=True)
class ChainCertificate:
    """Another certificate the server sent (an intermediate, sometimes the root): describe_chain_cert."""
    subject: str = ""
    issuer: str = ""
    self_signed: bool = False
    signature_hash: str | None = None
    key_type: str | None = None
    key_bits: int | None = None
    not_after: str = ""
    fingerprint_sha256: str = ""


@dataclass(frozen=True, slots=True)
class DhGroup:
    """The finite-field DH group of the server's ServerKeyExchange (dh_groups.describe_dh)."""
    bits: int = 0
    generator: int | None = None
    well_known: str | None = None
    prime: bool | None = None
    safe_prime: bool | None = None


@dataclass(frozen=True, slots=True)
class TlsPort:
    """What one TLS port showed (`error` set, the rest empty, when no handshake completed). `protocols`: version ->
    True accepted, False refused, None could not be tested."""
    protocols: Mapping[str, bool | None] = field(default_factory=dict)
    protocol: str | None = None
    cipher: str | None = None
    cipher_bits: int | None = None
    weak_ciphers: tuple[str, ...] = ()
    weak_cipher_classes: tuple[str, ...] = ()
    weak_ciphers_complete: bool = False
    weak_classes_probed: tuple[str, ...] = ()
    rsa_kex: bool | None = None
    cert: TlsCertificate | None = None
    chain: tuple[ChainCertificate, ...] | None = None  # None: this Python cannot show them
    dh_group: DhGroup | None = None
    handshake: str = "library"  # or "raw"
    error: str | None = None
    probe_errors: tuple[str, ...] = ()  # serialised only when there are some

    def to_dict(self) -> dict[str, Any]:
        out = record_dict(self)
        out["cert"] = record_dict(self.cert) if self.cert else None
        out["chain"] = None if self.chain is None else [record_dict(c) for c in self.chain]
        out["dh_group"] = record_dict(self.dh_group) if self.dh_group else None
        if not self.probe_errors:
            del out["probe_errors"]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TlsPort:
        cert, chain, group = data.get("cert"), data.get("chain"), data.get("dh_group")
        return record_from(cls, {**data, "cert": record_from(TlsCertificate, cert) if cert else None,
                                 "chain": None if chain is None else tuple(record_from(ChainCertificate, c)
                                                                           for c in chain),
                                 "dh_group": record_from(DhGroup, group) if group else None})


@dataclass(frozen=True, slots=True)
class TlsEvidence:
    """What `collect` read: port ("443") -> TlsPort, for every port in host.tls."""
    ports: Mapping[str, TlsPort] = field(default_factory=dict)

    def by_port(self) -> list[tuple[str, TlsPort]]:
        """The ports in port order."""
        return sorted(self.ports.items(), key=lambda x: int(x[0]))

    def to_dict(self) -> dict[str, Any]:
        return {"ports": {p: info.to_dict() for p, info in self.ports.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TlsEvidence:
        return cls({str(p): TlsPort.from_dict(info) for p, info in dict(data.get("ports", {})).items()})

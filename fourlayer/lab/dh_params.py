"""DH group files for lab TLS servers: a known group (e.g. RFC 2409 group 2, the 1024-bit Logjam case) as PEM."""

from __future__ import annotations

import warnings
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dh

from fourlayer.collectors.dh_groups import well_known_groups


def group_prime(name: str) -> int:
    """The prime of the well-known group `name` (see fourlayer.collectors.dh_groups)."""
    return next(p for p, known in well_known_groups().items() if known == name)


def write_dh_params(path: Path, p: int, g: int = 2) -> str:
    """Write the group (p, g) as a PKCS#3 PEM file (what OpenSSL's load_dh_params reads); returns the path."""
    with warnings.catch_warnings():  # finite-field DH is deprecated in cryptography: exactly what the lab shows
        warnings.simplefilter("ignore")
        pem = dh.DHParameterNumbers(p, g).parameters().parameter_bytes(serialization.Encoding.PEM,
                                                                      serialization.ParameterFormat.PKCS3)
    path.write_bytes(pem)
    return str(path)

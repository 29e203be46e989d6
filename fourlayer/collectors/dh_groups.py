"""Finite-field Diffie-Hellman groups a TLS server offers (DHE suites): size, well-known name, primality.

The well-known groups are the published safe primes of RFC 2409 (Oakley groups 1-2), RFC 3526 (MODP) and
RFC 7919 (ffdhe). Each is defined by a formula over the binary digits of pi (MODP) or e (ffdhe) and a small
per-group offset; they are computed from it once, on first use, with GMP/MPFR (gmpy2), which also tests the
primality of any other group a server sends (Miller-Rabin, 25 rounds).

Logjam (weakdh.org): groups of 1024 bits or fewer can be broken by precomputation, worst of all the widely
shared ones; a composite modulus or a prime p whose (p-1)/2 is not prime lets an attacker confine the key
exchange to a small subgroup.
"""

from __future__ import annotations

import functools
from typing import Any

import gmpy2

MAX_TESTED_BITS = 8192  # primality of larger moduli (a hostile server's) is not tested: it costs seconds

# name -> (bits, offset, constant) as in RFC 2409 6.1-6.2, RFC 3526 2-7 and RFC 7919 A.1-A.5
_DEFINITIONS = {
    "RFC 2409 group 1": (768, 149686, "pi"), "RFC 2409 group 2": (1024, 129093, "pi"),
    "RFC 3526 group 5": (1536, 741804, "pi"), "RFC 3526 group 14": (2048, 124476, "pi"),
    "RFC 3526 group 15": (3072, 1690314, "pi"), "RFC 3526 group 16": (4096, 240904, "pi"),
    "RFC 3526 group 17": (6144, 929484, "pi"), "RFC 3526 group 18": (8192, 4743158, "pi"),
    "RFC 7919 ffdhe2048": (2048, 560316, "e"), "RFC 7919 ffdhe3072": (3072, 2625351, "e"),
    "RFC 7919 ffdhe4096": (4096, 5736041, "e"), "RFC 7919 ffdhe6144": (6144, 15705020, "e"),
    "RFC 7919 ffdhe8192": (8192, 10965728, "e"),
}


def _prime(bits: int, offset: int, constant: str) -> int:
    with gmpy2.context(precision=bits + 64):
        value = gmpy2.const_pi() if constant == "pi" else gmpy2.exp(1)
        digits = int(gmpy2.floor(value * gmpy2.mpz(2) ** (bits - 130)))
    if constant == "pi":  # RFC 2409/3526: 2^n - 2^(n-64) - 1 + 2^64 * ([2^(n-130) pi] + k)
        return 2 ** bits - 2 ** (bits - 64) - 1 + 2 ** 64 * (digits + offset)
    return 2 ** bits - 2 ** (bits - 64) + (digits + offset) * 2 ** 64 - 1  # RFC 7919


@functools.cache
def well_known_groups() -> dict[int, str]:
    """prime -> name of every well-known safe-prime group (all with generator 2)."""
    return {_prime(*definition): name for name, definition in _DEFINITIONS.items()}


def describe_dh(p: int, g: int) -> dict[str, Any]:
    """Facts of the group (p, g) a server sent in its ServerKeyExchange."""
    bits = p.bit_length()
    name = well_known_groups().get(p)
    facts: dict[str, Any] = {"bits": bits, "generator": g if g.bit_length() <= 64 else None,
                             "well_known": name, "prime": None, "safe_prime": None}
    if name:
        facts["prime"] = facts["safe_prime"] = True
    elif bits <= MAX_TESTED_BITS:
        facts["prime"] = bool(gmpy2.is_prime(p, 25))
        facts["safe_prime"] = facts["prime"] and bool(gmpy2.is_prime((p - 1) // 2, 25))
    return facts

"""OpenSSH signatures (SSHSIG, PROTOCOL.sshsig), so that `ssh-keygen -Y verify` checks a report without fourlayer.

Writing is done here with `cryptography` (the `sshsig` package only verifies); reading and checking is the
`sshsig` package's. A blob is: "SSHSIG", version 1, the public key, the namespace, reserved "", "sha512" and the
Ed25519 signature over "SSHSIG" + namespace + reserved + "sha512" + SHA-512(message); armored between
`-----BEGIN SSH SIGNATURE-----` lines in base64 wrapped at 70 columns, as ssh-keygen writes it.
"""

from __future__ import annotations

import base64
import hashlib
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ARMOR_BEGIN, ARMOR_END = "-----BEGIN SSH SIGNATURE-----", "-----END SSH SIGNATURE-----"
NAMESPACE = "fourlayer-report"
_MAGIC, _VERSION, _HASH = b"SSHSIG", 1, "sha512"


def _string(value: bytes | str) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return struct.pack(">I", len(raw)) + raw


def openssh_public(key: Ed25519PublicKey) -> str:
    """`ssh-ed25519 AAAA…`: the key as it stands in a .pub, authorized_keys or allowed_signers line."""
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def public_blob(openssh: str) -> bytes:
    """The wire-format key blob inside an OpenSSH public key line (what OpenSSH fingerprints)."""
    return base64.b64decode(openssh.split()[1])


def sign(key: Ed25519PrivateKey, message: bytes, namespace: str = NAMESPACE) -> str:
    """An armored SSHSIG of `message`, byte for byte what `ssh-keygen -Y sign -n NAMESPACE` would verify."""
    signed = _MAGIC + _string(namespace) + _string(b"") + _string(_HASH) + \
        _string(hashlib.sha512(message).digest())
    blob = _MAGIC + struct.pack(">I", _VERSION) + _string(public_blob(openssh_public(key.public_key()))) + \
        _string(namespace) + _string(b"") + _string(_HASH) + \
        _string(_string("ssh-ed25519") + _string(key.sign(signed)))
    text = base64.b64encode(blob).decode()
    return "\n".join([ARMOR_BEGIN, *(text[i:i + 70] for i in range(0, len(text), 70)), ARMOR_END]) + "\n"


def is_armored(text: str) -> bool:
    return text.lstrip().startswith(ARMOR_BEGIN)


def check(armored: str, message: bytes, namespace: str = NAMESPACE) -> str | None:
    """The signer's OpenSSH public key line when `armored` is a valid SSHSIG of `message` in `namespace`,
    else None (`ssh-keygen -Y check-novalidate`)."""
    import sshsig

    try:
        return sshsig.check_signature(message, armored, namespace).openssh_str()
    except (sshsig.InvalidSignature, NotImplementedError, ValueError, UnicodeError):
        return None

"""Read an SSH server's host key from the first key-exchange reply, without finishing the handshake.

After the server's SSH_MSG_KEXINIT, a client that sends its own KEXINIT (asking for one host-key algorithm) and
the key-exchange init message gets SSH_MSG_KEX_ECDH_REPLY / SSH_MSG_KEXDH_REPLY (31), whose first field is the
server's public host key (RFC 4253 8, RFC 5656 4, RFC 8731). That is all an audit needs: its type, size and
fingerprint. No shared secret is derived and no NEWKEYS is sent, so it costs the server one signature and the
client almost nothing, can run on the connection that already read the KEXINIT, and reads key types and key
exchanges that a full client library may no longer speak (ssh-rsa, ssh-dss, diffie-hellman-group1-sha1).

Pure functions only: ssh_transport does the socket I/O.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import struct
from typing import Any

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519

SSH_MSG_KEXINIT, SSH_MSG_KEX_INIT, SSH_MSG_KEX_REPLY = 20, 30, 31
SSH_MSG_DISCONNECT, SSH_MSG_IGNORE, SSH_MSG_DEBUG = 1, 2, 4

# RFC 2409 6.2 (Oakley group 2, diffie-hellman-group1-sha1) and RFC 3526 groups 14 and 16.
_GROUP1 = int("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
              "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
              "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF", 16)
_GROUP14 = paramiko.kex_group14.KexGroup14SHA256.P
_GROUP16 = paramiko.kex_group16.KexGroup16SHA512.P
_CURVES = {"ecdh-sha2-nistp256": ec.SECP256R1, "ecdh-sha2-nistp384": ec.SECP384R1,
           "ecdh-sha2-nistp521": ec.SECP521R1}
_GROUPS = {"diffie-hellman-group14-sha256": _GROUP14, "diffie-hellman-group16-sha512": _GROUP16,
           "diffie-hellman-group14-sha1": _GROUP14, "diffie-hellman-group1-sha1": _GROUP1}
# Cheapest first; a server offering none of these (only group exchange or post-quantum hybrids) is read by a
# full paramiko handshake instead.
KEX_PREFERENCE = ("curve25519-sha256", "curve25519-sha256@libssh.org", *_CURVES, *_GROUPS)


def choose_kex(server_kex: list[str]) -> str | None:
    return next((k for k in KEX_PREFERENCE if k in server_kex), None)


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _name_list(names: list[str]) -> bytes:
    return _string(",".join(names).encode("ascii", "replace"))


def _mpint(value: int) -> bytes:
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big") if value else b""
    return _string(raw)


def packet(payload: bytes) -> bytes:
    """An unencrypted binary packet (RFC 4253 6): at least 4 bytes of padding, total a multiple of 8."""
    padding = 8 - (len(payload) + 5) % 8
    if padding < 4:
        padding += 8
    return struct.pack(">IB", len(payload) + padding + 1, padding) + payload + os.urandom(padding)


def _first(names: list[str], fallback: str) -> list[str]:
    return names[:1] or [fallback]


def _ephemeral_public(kex: str) -> bytes:
    if kex.startswith("curve25519"):
        key = x25519.X25519PrivateKey.generate().public_key()
        return _string(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    if kex in _CURVES:
        key = ec.generate_private_key(_CURVES[kex]()).public_key()
        return _string(key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
    prime = _GROUPS[kex]
    return _mpint(pow(2, secrets.randbits(256) | (1 << 255), prime))


def request(server: dict[str, Any], host_key_algorithms: list[str]) -> bytes | None:
    """Our KEXINIT (one kex, the given host-key algorithms, the server's own first cipher/MAC/compression so
    that negotiation cannot fail) followed by the key-exchange init. None when no usable kex is offered."""
    kex = choose_kex(server.get("kex", []))
    if kex is None or not host_key_algorithms:
        return None
    body = bytes([SSH_MSG_KEXINIT]) + os.urandom(16) + _name_list([kex]) + _name_list(host_key_algorithms)
    for key, fallback in (("ciphers_c2s", "aes128-ctr"), ("ciphers_s2c", "aes128-ctr"),
                          ("macs_c2s", "hmac-sha2-256"), ("macs_s2c", "hmac-sha2-256"),
                          ("compression_c2s", "none"), ("compression_s2c", "none")):
        body += _name_list(_first(server.get(key, []), fallback))
    body += _name_list([]) + _name_list([]) + b"\x00" + b"\x00\x00\x00\x00"
    return packet(body) + packet(bytes([SSH_MSG_KEX_INIT]) + _ephemeral_public(kex))


def host_key_blob(payload: bytes) -> bytes:
    """K_S, the host key blob, from a KEXDH_REPLY / KEX_ECDH_REPLY payload; ValueError for anything else."""
    if not payload:
        raise ValueError("empty SSH packet")
    if payload[0] == SSH_MSG_DISCONNECT:
        msg = paramiko.Message(payload[1:])
        msg.get_int()
        reason = msg.get_string()[:160].decode("utf-8", "replace")
        raise ValueError(f"the server disconnected: {reason}")
    if payload[0] != SSH_MSG_KEX_REPLY:
        raise ValueError(f"expected a key-exchange reply (31), got message type {payload[0]}")
    blob = paramiko.Message(payload[1:]).get_string()
    if not blob:
        raise ValueError("the key-exchange reply holds no host key")
    return blob


def describe_host_key(blob: bytes) -> dict[str, Any]:
    """{type, bits, fingerprint} of a public host key blob, as paramiko's PKey would give them."""
    msg = paramiko.Message(blob)
    key_type = msg.get_string().decode("ascii", "replace")
    if key_type == "ssh-rsa":
        msg.get_mpint()  # e
        bits = msg.get_mpint().bit_length()
    elif key_type == "ssh-dss":
        bits = msg.get_mpint().bit_length()  # p
    elif key_type == "ssh-ed25519":
        bits = 256
    elif key_type.startswith("ecdsa-sha2-nistp"):
        bits = int(key_type.rsplit("nistp", 1)[1])
    else:
        raise ValueError(f"unsupported host key type {key_type[:64]!r}")
    if bits <= 0:
        raise ValueError(f"malformed {key_type} host key")
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return {"type": key_type, "bits": bits, "fingerprint": f"SHA256:{digest}"}

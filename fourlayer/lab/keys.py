"""SSH key helpers for the lab: generate keys with ssh-keygen, read public keys, known_hosts lines."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
from pathlib import Path

SSH_KEYGEN = "/usr/bin/ssh-keygen"


def generate_key(path: str | os.PathLike, key_type: str = "ed25519", bits: int | None = None,
                 owner_uid: int | None = None, owner_gid: int | None = None) -> Path:
    """Create an unencrypted private key (mode 0600) and its `.pub` (0644); replace any existing pair."""
    path = Path(path)
    for old in (path, path.with_name(path.name + ".pub")):
        old.unlink(missing_ok=True)
    cmd = [SSH_KEYGEN, "-q", "-t", key_type, "-N", "", "-C", "", "-f", str(path)]
    if bits:
        cmd[2:2] = ["-b", str(bits)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"ssh-keygen {key_type} failed: {proc.stderr.strip()}")
    os.chmod(path, 0o600)
    pub = path.with_name(path.name + ".pub")
    os.chmod(pub, 0o644)
    if owner_uid is not None:
        os.chown(path, owner_uid, owner_gid if owner_gid is not None else -1)
    return path


def read_public_key(path: str | os.PathLike) -> tuple[str, str]:
    """(key type, base64 blob) of an OpenSSH `.pub` file (or of the `.pub` beside a private key)."""
    path = Path(path)
    if path.suffix != ".pub":
        path = path.with_name(path.name + ".pub")
    fields = path.read_text().split()
    return fields[0], fields[1]


def fingerprint_sha256(blob_b64: str) -> str:
    """OpenSSH-style SHA256 fingerprint of a base64 public key blob."""
    digest = hashlib.sha256(base64.b64decode(blob_b64)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def known_hosts_name(address: str, port: int) -> str:
    """The host field OpenSSH and paramiko use: `addr` on port 22, `[addr]:port` otherwise."""
    return address if port == 22 else f"[{address}]:{port}"


def known_hosts_line(address: str, port: int, key_type: str, blob_b64: str) -> str:
    return f"{known_hosts_name(address, port)} {key_type} {blob_b64}\n"

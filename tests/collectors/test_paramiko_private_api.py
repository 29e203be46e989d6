"""The private paramiko names fourlayer relies on, so that an upgrade that removes one fails here, in plain words,
rather than as ERROR results on every host. paramiko is pinned below its next major version (pyproject.toml).

- `Transport._key_info`: the host key types paramiko can parse (fourlayer/collectors/ssh_transport.py); the
  public `SecurityOptions.key_types` needs a live transport per call.
- `HostKeys._entries` and `HostKeys._hostname_matches`: the known_hosts index (fourlayer/collectors/ssh_shell.py)
  reads every entry once and matches hashed names itself; the public `lookup()` re-hashes every entry per host.
"""

from __future__ import annotations

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def test_transport_key_info_maps_the_key_types_paramiko_parses():
    assert isinstance(paramiko.Transport._key_info, dict)
    assert {"ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-256"} <= set(paramiko.Transport._key_info)


def test_host_keys_entries_and_hashed_name_matching(tmp_path):
    public = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    path = tmp_path / "known_hosts"
    path.write_text(f"127.0.0.1 {public}\n{paramiko.HostKeys.hash_host('127.0.0.5')} {public}\n")
    keys = paramiko.HostKeys(str(path))
    assert isinstance(keys._entries, list) and len(keys._entries) == 2
    plain, hashed = keys._entries
    assert plain.hostnames == ["127.0.0.1"] and hashed.hostnames[0].startswith("|1|")
    assert keys._hostname_matches("127.0.0.5", hashed) and not keys._hostname_matches("127.0.0.6", hashed)

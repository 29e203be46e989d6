"""The indexed known_hosts lookup of the SSH shell collector gives what paramiko's own lookup gives."""

from __future__ import annotations

from pathlib import Path

import paramiko

from fourlayer.collectors.ssh_shell import _known_host_keys
from fourlayer.lab import keys


def test_index_matches_paramiko_for_plain_hashed_and_shared_entries(tmp_path: Path) -> None:
    made = {}
    for name, key_type in (("ed", "ed25519"), ("ec", "ecdsa"), ("ed2", "ed25519")):
        made[name] = keys.read_public_key(keys.generate_key(tmp_path / name, key_type))
    hashed = paramiko.HostKeys.hash_host("[127.0.0.120]:2222")
    lines = [
        f"[127.0.0.120]:2222 {' '.join(made['ed'])}",
        f"{hashed} {' '.join(made['ec'])}",
        f"[127.0.0.121]:2222,127.0.0.122 {' '.join(made['ed2'])}",
        f"[127.0.0.120]:2222 {' '.join(made['ed2'])}",  # a second key of the same type: the first one wins
        "# a comment",
    ]
    path = tmp_path / "known_hosts"
    path.write_text("\n".join(lines) + "\n")
    index, reference = _known_host_keys(path), paramiko.HostKeys(str(path))
    for label in ("[127.0.0.120]:2222", "[127.0.0.121]:2222", "127.0.0.122", "127.0.0.123"):
        want = {t: k.get_base64() for t, k in (reference.lookup(label) or {}).items()}
        assert {t: k.get_base64() for t, k in index.keys_for(label).items()} == want
    assert set(index.keys_for("[127.0.0.120]:2222")) == {"ssh-ed25519", "ecdsa-sha2-nistp256"}
    assert index.keys_for("[127.0.0.120]:2222")["ssh-ed25519"].get_base64() == made["ed"][1]
    path.write_text(lines[2] + "\n")  # the file changed: parsed again
    assert _known_host_keys(path).keys_for("[127.0.0.120]:2222") == {}

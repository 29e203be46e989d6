"""Host keys read from the first key-exchange reply (fourlayer.collectors.ssh_kex) against real sshd servers,
including ones a full paramiko client can no longer talk to, and a peer that stalls after its KEXINIT."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import threading
import time
from typing import Iterator

import pytest

from fourlayer.collectors import ssh_kex, ssh_transport
from fourlayer.collectors.base import CollectContext
from fourlayer.core.evidence import to_dict
from fourlayer.config.inventory import Host, SSHSettings
from fourlayer.lab import keys
from fourlayer.lab.sshd import SshdInstance, make_lab_dir

CTX = CollectContext(timeout=3.0)


def fingerprints(instance: SshdInstance) -> dict[str, str]:
    return {t: keys.fingerprint_sha256(b) for t, b in instance.host_public_keys()}


def connections(instance: SshdInstance) -> int:
    return instance.log_text().count("Connection from")


def test_one_connection_per_host_key_family(sshd_factory) -> None:
    server = sshd_factory("hardened")  # ed25519 + RSA 3072
    time.sleep(0.2)  # sshd logs each connection from its child: let the start-up probe's line arrive
    before = connections(server)
    ev = to_dict(ssh_transport.collect(server.host(), CTX))
    fps = fingerprints(server)
    assert sorted(ev["host_keys"], key=lambda k: k["type"]) == [
        {"type": "ssh-ed25519", "bits": 256, "fingerprint": fps["ssh-ed25519"]},
        {"type": "ssh-rsa", "bits": 3072, "fingerprint": fps["ssh-rsa"]}]
    assert ev["host_key_errors"] == []
    time.sleep(0.2)
    assert connections(server) - before == 2  # the first key rides on the KEXINIT connection


def test_server_paramiko_cannot_talk_to_ssh_rsa_and_group1(sshd_factory) -> None:
    old = sshd_factory("weak", directives={"KexAlgorithms": "diffie-hellman-group1-sha1",
                                           "HostKeyAlgorithms": "ssh-rsa"})
    ev = to_dict(ssh_transport.collect(old.host(), CTX))
    assert ev["kex"] == ["diffie-hellman-group1-sha1"] and ev["host_key_algorithms"] == ["ssh-rsa"]
    assert ev["host_keys"] == [{"type": "ssh-rsa", "bits": 1024, "fingerprint": fingerprints(old)["ssh-rsa"]}]
    assert ev["host_key_errors"] == []


@pytest.fixture
def ecdsa_host_key() -> Iterator:
    key_dir = make_lab_dir("ecdsa-")
    yield keys.generate_key(key_dir / "ssh_host_ecdsa_key", "ecdsa", 384)
    shutil.rmtree(key_dir, ignore_errors=True)


def test_ecdsa_key_over_nist_ecdh(sshd_factory, ecdsa_host_key) -> None:
    key = ecdsa_host_key
    server = sshd_factory("hardened", directives={"HostKey": str(key), "HostKeyAlgorithms": "ecdsa-sha2-nistp384",
                                                  "KexAlgorithms": "ecdh-sha2-nistp384"})
    ev = to_dict(ssh_transport.collect(server.host(), CTX))
    _, blob = keys.read_public_key(key)
    assert ev["host_keys"] == [{"type": "ecdsa-sha2-nistp384", "bits": 384,
                                "fingerprint": keys.fingerprint_sha256(blob)}]


def test_group_exchange_only_server_falls_back_to_a_full_handshake(sshd_factory) -> None:
    server = sshd_factory("hardened", directives={"KexAlgorithms": "diffie-hellman-group-exchange-sha256"})
    assert ssh_kex.choose_kex(["diffie-hellman-group-exchange-sha256"]) is None
    ev = to_dict(ssh_transport.collect(server.host(), CTX))
    assert {k["type"] for k in ev["host_keys"]} == {"ssh-ed25519", "ssh-rsa"}
    assert ev["host_key_errors"] == []


def _kexinit() -> bytes:
    lists = [["curve25519-sha256"], ["ssh-ed25519", "rsa-sha2-512"], ["aes128-ctr"], ["aes128-ctr"],
             ["hmac-sha2-256"], ["hmac-sha2-256"], ["none"], ["none"], [], []]
    body = bytes([ssh_kex.SSH_MSG_KEXINIT]) + os.urandom(16)
    for names in lists:
        text = ",".join(names).encode()
        body += struct.pack(">I", len(text)) + text
    return ssh_kex.packet(body + b"\x00" + b"\x00" * 4)


@pytest.fixture
def stalls_after_kexinit() -> Iterator[tuple[str, int]]:
    """Sends a banner and a KEXINIT, then never answers the key exchange."""
    server = socket.create_server(("127.0.0.148", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.sendall(b"SSH-2.0-Stall_1.0\r\n" + _kexinit())
            held.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[:2]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_stall_after_kexinit_costs_one_timeout_per_family(stalls_after_kexinit) -> None:
    address, port = stalls_after_kexinit
    start = time.monotonic()
    ev = to_dict(ssh_transport.collect(Host(address=address, id="stall", ssh=SSHSettings(port=port)),
                               CollectContext(timeout=0.5)))
    elapsed = time.monotonic() - start
    assert ev["kex"] == ["curve25519-sha256"] and ev["host_keys"] == []
    assert [e.split(":")[0] for e in ev["host_key_errors"]] == ["ssh-ed25519", "rsa"]
    assert all("within 0.5 s" in e for e in ev["host_key_errors"])
    assert elapsed < 2.5  # two families, one 0.5 s timeout each: never a retry or a hang


def test_reply_parsing_rejects_what_is_not_a_host_key() -> None:
    with pytest.raises(ValueError, match="disconnected: bye"):
        ssh_kex.host_key_blob(bytes([1]) + struct.pack(">I", 2) + struct.pack(">I", 3) + b"bye")
    with pytest.raises(ValueError, match="expected a key-exchange reply"):
        ssh_kex.host_key_blob(bytes([21]))
    with pytest.raises(ValueError, match="unsupported host key type"):
        ssh_kex.describe_host_key(struct.pack(">I", 7) + b"ssh-foo")
    with pytest.raises(ValueError, match="malformed ssh-rsa"):
        ssh_kex.describe_host_key(struct.pack(">I", 7) + b"ssh-rsa")
    assert len(ssh_kex.packet(b"x" * 13)) % 8 == 0 and ssh_kex.request({"kex": ["sntrup761x25519-sha512"]},
                                                                       ["ssh-ed25519"]) is None


def test_kexinit_names_are_kept_as_sent_when_printable_and_cleaned_otherwise() -> None:
    def name_list(*names: str) -> bytes:
        raw = ",".join(names).encode("ascii")
        return struct.pack(">I", len(raw)) + raw

    long_name = "x" * 70
    lists = [("curve25519-sha256", "bad\x1bname", long_name), ("ssh-ed25519",), ("aes128-ctr",), ("aes128-ctr",),
             ("hmac-sha2-256",), ("hmac-sha2-256",), ("none",), ("none",), (), ()]
    payload = bytes([20]) + bytes(16) + b"".join(name_list(*names) for names in lists) + b"\x00" + bytes(4)
    parsed = ssh_transport.parse_kexinit(payload)
    assert parsed["kex"] == ["curve25519-sha256", "bad\\x1bname", "x" * 64 + "…[truncated]"]
    assert parsed["host_key_algorithms"] == ["ssh-ed25519"] and parsed["compression"] == ["none"]

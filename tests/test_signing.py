"""Signed evidence: keys, a real signed scan of a loopback sshd, verification, and one flipped byte."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from fourlayer.cli import main
from fourlayer.lab.sshd import SSHD, SshdInstance
from fourlayer.signing import PASSPHRASE_ENV, load_private_key

PASSPHRASE = "mật khẩu thử nghiệm 2026"


def invoke(*args: str, expect: int = 0, env: dict | None = None):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False, env=env)
    assert result.exit_code == expect, f"exit {result.exit_code}: {result.output}"
    return result


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """A key pair (encrypted private key) and a signed scan (JSON + both HTML languages) of a real sshd."""
    if not os.path.exists(SSHD):
        pytest.skip(f"{SSHD} is not installed")
    tmp = tmp_path_factory.mktemp("signing")
    env = {PASSPHRASE_ENV: PASSPHRASE}
    keygen = invoke("keys", "generate", "--out", str(tmp / "keys"), env=env)
    server = SshdInstance("127.0.0.205", profile="hardened").start()
    try:
        server.write_known_hosts(tmp / "known_hosts")
        inventory = tmp / "inventory.yaml"
        inventory.write_text(f"""version: 1
agencies:
  - id: sig-agency
    name: Cơ quan ký số
    systems:
      - id: sig-system
        name: Hệ thống ký số
        level: 2
        hosts:
          - {{address: 127.0.0.205, id: sig-host, ssh: {{port: {server.port}, known_hosts: {tmp / 'known_hosts'}}}}}
""", encoding="utf-8")
        scan = invoke("--debug", "scan", str(inventory), "--out", str(tmp / "out"), "--format", "json,html",
                      "--lang", "both", "--quiet", "--db", str(tmp / "h.sqlite"), "--check", "L1-SSH-001",
                      "--sign-key", str(tmp / "keys" / "fourlayer-signing.key"), env=env)
    finally:
        server.stop()
    return tmp, keygen.output, scan.output


def reports(tmp: Path) -> list[Path]:
    return sorted(p for p in (tmp / "out").iterdir() if not p.name.endswith(".sig"))


def test_keys_are_written_private_and_encrypted(signed):
    tmp, keygen, _ = signed
    private, public = tmp / "keys" / "fourlayer-signing.key", tmp / "keys" / "fourlayer-signing.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in private.read_bytes()
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert f"encrypted with ${PASSPHRASE_ENV}" in keygen and "fingerprint: SHA256:" in keygen
    invoke("keys", "generate", "--out", str(tmp / "keys"), expect=2)  # never overwritten by accident


def test_every_report_file_gets_a_detached_signature(signed):
    tmp, keygen, scan_output = signed
    files = reports(tmp)
    assert {p.suffix for p in files} == {".json", ".html"} and len(files) == 3
    fingerprint = keygen.split("fingerprint: ")[1].split()[0]
    for report in files:
        sig = json.loads(Path(f"{report}.sig").read_text())
        assert sig["algorithm"] == "Ed25519" and sig["file"] == report.name
        assert sig["size"] == report.stat().st_size and sig["key_fingerprint"] == fingerprint
        assert len(base64.b64decode(sig["signature"])) == 64
        assert f"wrote {report}.sig" in scan_output


def test_verify_accepts_untouched_reports_with_and_without_pubkey(signed):
    tmp, _, _ = signed
    pub = tmp / "keys" / "fourlayer-signing.pub"
    out = invoke("verify", *map(str, reports(tmp)), "--pubkey", str(pub)).output
    assert out.count("OK ") == 3 and "checked with the given public key" in out
    out = invoke("verify", str(reports(tmp)[0])).output
    assert "embedded in the signature (pass --pubkey to check who signed)" in out


@pytest.mark.parametrize("suffix", [".json", ".html"])
def test_one_flipped_byte_fails_verification(signed, tmp_path, suffix):
    tmp, _, _ = signed
    original = next(p for p in reports(tmp) if p.suffix == suffix)
    copy = tmp_path / original.name
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0x01
    copy.write_bytes(bytes(data))
    Path(f"{copy}.sig").write_bytes(Path(f"{original}.sig").read_bytes())
    pub = str(tmp / "keys" / "fourlayer-signing.pub")
    r = invoke("verify", str(copy), "--pubkey", pub, expect=6)
    assert f"INVALID {copy.name}: content changed since it was signed" in r.output
    # an attacker who also fixes the sha256 in the .sig still fails: the signature covers the bytes
    sig = json.loads(Path(f"{copy}.sig").read_text())
    import hashlib
    sig["sha256"] = hashlib.sha256(bytes(data)).hexdigest()
    Path(f"{copy}.sig").write_text(json.dumps(sig))
    r = invoke("verify", str(copy), "--pubkey", pub, expect=6)
    assert "the signature does not match the content" in r.output


def test_another_key_or_missing_signature_is_refused(signed, tmp_path):
    tmp, _, _ = signed
    invoke("keys", "generate", "--out", str(tmp_path / "other"), env={PASSPHRASE_ENV: ""})
    report = str(reports(tmp)[0])
    r = invoke("verify", report, "--pubkey", str(tmp_path / "other" / "fourlayer-signing.pub"), expect=6)
    assert "signed by key SHA256:" in r.output and "not by the given public key" in r.output
    lone = tmp_path / "lone.json"
    lone.write_text("{}")
    r = invoke("verify", str(lone), expect=2)
    assert "signature file not found" in r.output


def test_wrong_or_missing_passphrase_is_bad_input_before_any_traffic(signed, tmp_path):
    tmp, _, _ = signed
    key = str(tmp / "keys" / "fourlayer-signing.key")
    inventory = str(tmp / "inventory.yaml")
    for env, expect in (({PASSPHRASE_ENV: "wrong"}, "wrong passphrase"), ({PASSPHRASE_ENV: ""}, "it is encrypted")):
        r = invoke("scan", inventory, "--out", str(tmp_path / "o"), "--no-history", "--sign-key", key, env=env,
                   expect=2)
        assert expect in r.output and not (tmp_path / "o").exists()
    loose = tmp_path / "loose.key"
    loose.write_bytes(Path(key).read_bytes())
    os.chmod(loose, 0o644)
    r = invoke("scan", inventory, "--out", str(tmp_path / "o"), "--no-history", "--sign-key", str(loose), expect=2)
    assert "readable by other users" in r.output


def test_private_key_never_leaks(signed):
    tmp, keygen, scan_output = signed
    os.environ[PASSPHRASE_ENV] = PASSPHRASE
    try:
        key = load_private_key(tmp / "keys" / "fourlayer-signing.key")
    finally:
        del os.environ[PASSPHRASE_ENV]
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    pem_body = (tmp / "keys" / "fourlayer-signing.key").read_text().splitlines()[1]
    secrets = [raw, base64.b64encode(raw), raw.hex().encode(), pem_body.encode(), PASSPHRASE.encode("utf-8")]
    haystacks = [keygen.encode(), scan_output.encode()] + \
        [p.read_bytes() for p in (tmp / "out").iterdir()] + \
        [p.read_bytes() for p in tmp.iterdir() if p.name.startswith("h.sqlite")]
    for secret in secrets:
        assert not any(secret in hay for hay in haystacks)

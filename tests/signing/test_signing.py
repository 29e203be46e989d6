"""Signed evidence: keys, a real signed scan of a loopback sshd, verification, and one flipped byte."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from fourlayer.cli.main import main
from fourlayer.lab.keys import SSH_KEYGEN
from fourlayer.lab.sshd import SSHD, SshdInstance
from fourlayer.cli.exit_codes import EXIT_SIGNER_NOT_CHECKED
from fourlayer.core.errors import InputError
from fourlayer.signing.files import PASSPHRASE_ENV, load_private_key

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
    return sorted(p for p in (tmp / "out").iterdir() if not p.name.endswith((".sig", ".sshsig")))


def test_keys_are_written_private_and_encrypted(signed):
    tmp, keygen, _ = signed
    private, public = tmp / "keys" / "fourlayer-signing.key", tmp / "keys" / "fourlayer-signing.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_bytes().startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----")
    os.environ.pop(PASSPHRASE_ENV, None)
    with pytest.raises(InputError, match="it is encrypted"):  # encrypted: unusable without the passphrase
        load_private_key(private)
    assert public.read_text().startswith("ssh-ed25519 AAAA")
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
    assert out.count("OK ") == 3 and "signed as" not in out
    assert out.count(f"({pub}") == 3


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
    # an attacker who also fixes the sha256 in the .sig still fails: the signature covers the digest
    sig = json.loads(Path(f"{copy}.sig").read_text())
    sig["sha256"] = hashlib.sha256(bytes(data)).hexdigest()
    Path(f"{copy}.sig").write_text(json.dumps(sig))
    r = invoke("verify", str(copy), "--pubkey", pub, expect=6)
    assert "the signature does not match its metadata" in r.output


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


# -- issue #11: metadata covered, OpenSSH fingerprints and SSHSIG, explicit trust ------------------------------

def keygen(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """The real OpenSSH ssh-keygen (what an inspector without fourlayer uses)."""
    if not os.path.exists(SSH_KEYGEN):
        pytest.skip(f"{SSH_KEYGEN} is not installed")
    return subprocess.run([SSH_KEYGEN, *args], input=stdin, capture_output=True, timeout=30)


def public_line(tmp: Path) -> str:
    return (tmp / "keys" / "fourlayer-signing.pub").read_text().split("\n")[0]


def copy_signed(original: Path, into: Path) -> Path:
    copy = into / original.name
    copy.write_bytes(original.read_bytes())
    Path(f"{copy}.sig").write_bytes(Path(f"{original}.sig").read_bytes())
    return copy


@pytest.mark.parametrize("forged", [{"signed_at": "2020-01-01T00:00:00+00:00"}, {"file": "other-report.json"},
                                    {"signed_at": "2020-01-01T00:00:00+00:00", "file": "other-report.json"}])
def test_edited_sig_metadata_fails_verification(signed, tmp_path, forged):
    tmp, _, _ = signed
    copy = copy_signed(reports(tmp)[0], tmp_path)
    sig = json.loads(Path(f"{copy}.sig").read_text())
    sig.update(forged)
    Path(f"{copy}.sig").write_text(json.dumps(sig, indent=2))
    r = invoke("verify", str(copy), "--pubkey", str(tmp / "keys" / "fourlayer-signing.pub"), expect=6)
    assert f"INVALID {copy.name}: the signature does not match its metadata" in r.output
    assert "2020-01-01" not in r.output


def test_fingerprint_is_the_one_ssh_keygen_shows(signed):
    tmp, keygen_output, _ = signed
    shown = keygen("-l", "-f", str(tmp / "keys" / "fourlayer-signing.pub"))
    assert shown.returncode == 0, shown.stderr
    openssh = shown.stdout.decode().split()[1]
    assert openssh.startswith("SHA256:") and f"fingerprint: {openssh}" in keygen_output
    for report in reports(tmp):
        assert json.loads(Path(f"{report}.sig").read_text())["key_fingerprint"] == openssh
    # the private key is OpenSSH's own format: ssh-keygen derives the same public key from it
    derived = keygen("-y", "-P", PASSPHRASE, "-f", str(tmp / "keys" / "fourlayer-signing.key"))
    assert derived.returncode == 0, derived.stderr
    assert derived.stdout.decode().split()[:2] == public_line(tmp).split()[:2]


def test_real_ssh_keygen_verifies_the_sshsig_and_rejects_a_flipped_byte(signed, tmp_path):
    tmp, _, scan_output = signed
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f'inspector@agency.gov.vn namespaces="fourlayer-report" {public_line(tmp)}\n')
    for report in reports(tmp):
        sshsig = Path(f"{report}.sshsig")
        assert f"wrote {sshsig}" in scan_output
        assert sshsig.read_text().startswith("-----BEGIN SSH SIGNATURE-----\n")
        ok = keygen("-Y", "verify", "-f", str(allowed), "-I", "inspector@agency.gov.vn", "-n", "fourlayer-report",
                    "-s", str(sshsig), stdin=report.read_bytes())
        assert ok.returncode == 0 and b'Good "fourlayer-report" signature for inspector@agency.gov.vn' in ok.stdout, \
            ok.stdout + ok.stderr
        novalidate = keygen("-Y", "check-novalidate", "-n", "fourlayer-report", "-s", str(sshsig),
                            stdin=report.read_bytes())
        assert novalidate.returncode == 0, novalidate.stderr
        data = bytearray(report.read_bytes())
        data[len(data) // 2] ^= 0x01
        bad = keygen("-Y", "verify", "-f", str(allowed), "-I", "inspector@agency.gov.vn", "-n", "fourlayer-report",
                     "-s", str(sshsig), stdin=bytes(data))
        assert bad.returncode != 0 and b"Good" not in bad.stdout
        wrong_ns = keygen("-Y", "check-novalidate", "-n", "git", "-s", str(sshsig), stdin=report.read_bytes())
        assert wrong_ns.returncode != 0


def test_fourlayer_verifies_a_signature_made_by_ssh_keygen(signed, tmp_path):
    tmp, _, _ = signed
    invoke("keys", "generate", "--out", str(tmp_path / "plain"), env={PASSPHRASE_ENV: ""})
    report = tmp_path / reports(tmp)[0].name
    report.write_bytes(reports(tmp)[0].read_bytes())
    made = keygen("-Y", "sign", "-f", str(tmp_path / "plain" / "fourlayer-signing.key"), "-n", "fourlayer-report",
                  str(report))
    assert made.returncode == 0, made.stderr  # writes <report>.sig in OpenSSH's armored format
    pub = str(tmp_path / "plain" / "fourlayer-signing.pub")
    r = invoke("verify", str(report), "--pubkey", pub)
    assert f"OK {report}: SSHSIG signature by SHA256:" in r.output
    r = invoke("verify", str(report), "--pubkey", str(tmp / "keys" / "fourlayer-signing.pub"), expect=6)
    assert "not by the given public key" in r.output
    report.write_bytes(report.read_bytes() + b" ")
    r = invoke("verify", str(report), "--pubkey", pub, expect=6)
    assert "the signature does not match the content" in r.output


def test_verify_without_a_trusted_key_says_signer_not_checked(signed):
    tmp, _, _ = signed
    r = invoke("verify", *map(str, reports(tmp)), expect=EXIT_SIGNER_NOT_CHECKED)
    assert r.output.count("signature valid, signer not checked") == 3 and "OK " not in r.output
    # a report re-signed by anyone's key is exactly as "valid" without --pubkey, hence not exit 0
    assert EXIT_SIGNER_NOT_CHECKED not in (0, 2, 6)


def test_allowed_signers_file_names_the_signer(signed, tmp_path):
    tmp, _, _ = signed
    invoke("keys", "generate", "--out", str(tmp_path / "other"), env={PASSPHRASE_ENV: ""})
    other = (tmp_path / "other" / "fourlayer-signing.pub").read_text().strip()
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"# agencies whose reports we accept\n\nother@agency.gov.vn {other}\n"
                       f'"so-tt@agency.gov.vn" namespaces="git,fourlayer-*" {public_line(tmp)}\n')
    r = invoke("verify", *map(str, reports(tmp)), "--allowed-signers", str(allowed))
    assert r.output.count("OK ") == 3 and r.output.count("(so-tt@agency.gov.vn)\n") == 3
    allowed.write_text(f"other@agency.gov.vn {other}\n"
                       f'so-tt@agency.gov.vn namespaces="git" {public_line(tmp)}\n')  # not for our namespace
    r = invoke("verify", str(reports(tmp)[0]), "--allowed-signers", str(allowed), expect=6)
    assert "which is not in the allowed signers" in r.output
    allowed.write_text(f"other@agency.gov.vn {other}\nso-tt@agency.gov.vn ssh-ed25519 not-base64!\n")
    r = invoke("verify", str(reports(tmp)[0]), "--allowed-signers", str(allowed), expect=2)
    assert f"{allowed}:2:" in r.output and "not-base64" not in r.output and "Traceback" not in r.output


def test_legacy_version_1_signatures_still_verify_with_a_warning(signed, tmp_path):
    """A .sig written before metadata was signed: the bytes are still checked; its date is shown as unproven."""
    tmp, _, _ = signed
    report = tmp_path / reports(tmp)[0].name
    data = reports(tmp)[0].read_bytes()
    report.write_bytes(data)
    os.environ[PASSPHRASE_ENV] = PASSPHRASE
    try:
        key = load_private_key(tmp / "keys" / "fourlayer-signing.key")
    finally:
        del os.environ[PASSPHRASE_ENV]
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    legacy = {"format": "fourlayer-signature", "version": 1, "algorithm": "Ed25519", "file": report.name,
              "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
              "key_fingerprint": "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("="),
              "public_key": base64.b64encode(raw).decode(), "signed_at": "2020-01-01T00:00:00+00:00",
              "signature": base64.b64encode(key.sign(data)).decode()}
    Path(f"{report}.sig").write_text(json.dumps(legacy))
    pub = str(tmp / "keys" / "fourlayer-signing.pub")
    r = invoke("verify", str(report), "--pubkey", pub)
    assert "legacy format (version 1), metadata not covered" in r.output and "unproven" in r.output
    report.write_bytes(data + b" ")
    assert "content changed" in invoke("verify", str(report), "--pubkey", pub, expect=6).output


def test_a_version_2_sig_rewritten_as_version_1_does_not_verify(signed, tmp_path):
    """Downgrade: relabel a real v2 .sig as v1 (raw key, v1 fingerprint) to escape the metadata check."""
    tmp, _, _ = signed
    copy = copy_signed(reports(tmp)[0], tmp_path)
    sig = json.loads(Path(f"{copy}.sig").read_text())
    key = serialization.load_ssh_public_key(sig["public_key"].encode())
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    sig.update(version=1, signed_at="2020-01-01T00:00:00+00:00", public_key=base64.b64encode(raw).decode(),
               key_fingerprint="SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("="))
    Path(f"{copy}.sig").write_text(json.dumps(sig))
    r = invoke("verify", str(copy), "--pubkey", str(tmp / "keys" / "fourlayer-signing.pub"), expect=6)
    assert "the signature does not match the content" in r.output and "OK " not in r.output
    sig["version"] = True  # JSON true == 1 in Python: not a version
    Path(f"{copy}.sig").write_text(json.dumps(sig))
    r = invoke("verify", str(copy), expect=2)
    assert "unsupported version" in r.output


def test_the_sshsig_alone_verifies_and_an_invalid_report_outranks_an_unchecked_one(signed, tmp_path):
    tmp, _, _ = signed
    original = reports(tmp)[0]
    alone = tmp_path / original.name
    alone.write_bytes(original.read_bytes())
    Path(f"{alone}.sshsig").write_bytes(Path(f"{original}.sshsig").read_bytes())  # no .sig beside it
    r = invoke("verify", str(alone), "--pubkey", str(tmp / "keys" / "fourlayer-signing.pub"))
    assert f"OK {alone}: SSHSIG signature by SHA256:" in r.output
    flipped = tmp_path / "flipped" / original.name
    flipped.parent.mkdir()
    copy_signed(original, flipped.parent)
    flipped.write_bytes(flipped.read_bytes() + b"\n")
    r = invoke("verify", str(alone), str(flipped), expect=6)
    assert "signature valid, signer not checked" in r.output and "INVALID" in r.output

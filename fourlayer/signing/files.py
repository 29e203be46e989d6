"""Signed evidence: Ed25519 keys, detached signatures over a report's exact bytes, offline verification.

Signing a report writes two files beside it:

- `<report>.sig`, JSON (version 2): `{"format": "fourlayer-signature", "version": 2, "algorithm": "Ed25519",
  "file", "size", "sha256", "key_fingerprint", "public_key", "signed_at", "signature"}`. `signature` is Ed25519
  over `fourlayer-signature v2\n` + the canonical JSON of every other field, so the date, the file name and the
  report's SHA-256 are all covered: editing any of them breaks the signature.
- `<report>.sshsig`, an OpenSSH signature (namespace `fourlayer-report`) over the report's bytes, for inspectors
  who verify with `ssh-keygen -Y verify` instead of fourlayer.

Version 1 `.sig` files (signature over the report's bytes only) still verify, with a warning that their date and
file name are not covered. A signature proves *who* signed only against a key the verifier trusts (`--pubkey`,
`--allowed-signers`); without one, `verify` says so. Keys are in OpenSSH's formats (ssh-keygen reads them);
fingerprints are OpenSSH's (`ssh-keygen -l`). Private keys are 0600, optionally encrypted with a passphrase read
from an environment variable; their bytes never go to a log, report or database.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from fourlayer.core.errors import InputError
from fourlayer.signing import openssh as ssh_signature
from fourlayer.signing.allowed_signers import TrustedKey

PASSPHRASE_ENV = "FOURLAYER_KEY_PASSPHRASE"
PRIVATE_NAME, PUBLIC_NAME = "fourlayer-signing.key", "fourlayer-signing.pub"
SIG_SUFFIX, SSHSIG_SUFFIX = ".sig", ".sshsig"
SIG_FORMAT, SIG_VERSION = "fourlayer-signature", 2
MAX_SIG_BYTES = 64 * 1024
_METADATA_DOMAIN = b"fourlayer-signature v2\n"
_KEY_COMMENT = "fourlayer-signing"


class VerificationFailed(Exception):
    """The report does not match its signature (or was signed by another key). One line for the user."""


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _sha256_b64(data: bytes) -> str:
    return "SHA256:" + base64.b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")


def fingerprint_openssh(openssh: str) -> str:
    """OpenSSH's fingerprint (`ssh-keygen -l`): SHA256 of the public key blob, unpadded base64."""
    return _sha256_b64(ssh_signature.public_blob(openssh))


def fingerprint(key: Ed25519PublicKey) -> str:
    return fingerprint_openssh(ssh_signature.openssh_public(key))


def _legacy_fingerprint(key: Ed25519PublicKey) -> str:
    """What version 1 `.sig` files carry: SHA256 of the raw 32-byte key (not OpenSSH's)."""
    return _sha256_b64(_raw_public(key))


def _passphrase(env_name: str) -> bytes | None:
    value = os.environ.get(env_name)
    return value.encode("utf-8") if value else None


def generate_keys(out_dir: Path, passphrase_env: str = PASSPHRASE_ENV, force: bool = False) -> tuple[Path, Path]:
    """Write a new key pair into `out_dir` in OpenSSH's formats (ssh-keygen reads both); the private key is 0600
    and encrypted if `$passphrase_env` is set."""
    out_dir.mkdir(parents=True, exist_ok=True)
    private_path, public_path = out_dir / PRIVATE_NAME, out_dir / PUBLIC_NAME
    for path in (private_path, public_path):
        if path.exists() and not force:
            raise InputError(str(path), None, None, "already exists; choose another --out or pass --force "
                                                    "(a replaced key cannot verify old signatures)")
    key = Ed25519PrivateKey.generate()
    secret = _passphrase(passphrase_env)
    encryption = (serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption)
    if private_path.exists():
        private_path.unlink()
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public_path.write_text(f"{ssh_signature.openssh_public(key.public_key())} {_KEY_COMMENT}\n", encoding="ascii")
    os.chmod(public_path, 0o644)
    return private_path, public_path


def load_private_key(path: str | os.PathLike, passphrase_env: str = PASSPHRASE_ENV) -> Ed25519PrivateKey:
    """Read a signing key (OpenSSH, or the PEM PKCS#8 of earlier versions). Problems are InputErrors that never
    quote the key's bytes."""
    shown = str(path)
    try:
        data = Path(path).read_bytes()
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputError(shown, None, "--sign-key", f"cannot read the signing key: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError(shown, None, "--sign-key", f"the private key is readable by other users (mode "
                                                    f"{stat.S_IMODE(mode):04o}); run chmod 600 on it")
    secret = _passphrase(passphrase_env)
    openssh = data.lstrip().startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----")
    try:
        key = (serialization.load_ssh_private_key if openssh else serialization.load_pem_private_key)(
            data, password=secret)
    except TypeError:
        hint = (f"it is encrypted: export {passphrase_env}" if secret is None
                else f"it is not encrypted: unset {passphrase_env}")
        raise InputError(shown, None, "--sign-key", f"cannot open the signing key; {hint}") from None
    except (ValueError, UnsupportedAlgorithm):
        hint = f"wrong passphrase in ${passphrase_env}, or " if secret else ""
        raise InputError(shown, None, "--sign-key", f"cannot open the signing key ({hint}not an OpenSSH or PEM "
                                                    "private key)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(shown, None, "--sign-key", "not an Ed25519 key; create one with `fourlayer keys generate`")
    return key


def load_public_key(path: str | os.PathLike) -> TrustedKey:
    """`--pubkey`: an OpenSSH public key line (`ssh-ed25519 AAAA… comment`) or a PEM public key."""
    shown = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(shown, None, "--pubkey", f"cannot read the public key: {exc.strerror}") from None
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
        else:
            key = serialization.load_ssh_public_key(data.strip())
    except (ValueError, UnsupportedAlgorithm):
        raise InputError(shown, None, "--pubkey", "not a public key (the .pub file written by `fourlayer keys "
                                                  "generate`, or one `ssh-ed25519 AAAA…` line)") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(shown, None, "--pubkey", "not an Ed25519 public key")
    return TrustedKey(ssh_signature.openssh_public(key), shown)


def sig_path_for(report: Path, suffix: str = SIG_SUFFIX) -> Path:
    return report.with_name(report.name + suffix)


def _signed_message(sig: dict) -> bytes:
    fields = {k: v for k, v in sig.items() if k != "signature"}
    return _METADATA_DOMAIN + json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sign_file(report: Path, key: Ed25519PrivateKey) -> list[Path]:
    """Write `<report>.sig` and `<report>.sshsig` for the exact current bytes of `report`."""
    data = report.read_bytes()
    public = ssh_signature.openssh_public(key.public_key())
    sig = {"format": SIG_FORMAT, "version": SIG_VERSION, "algorithm": "Ed25519", "file": report.name,
           "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
           "key_fingerprint": fingerprint_openssh(public), "public_key": public,
           "signed_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()}
    sig["signature"] = base64.b64encode(key.sign(_signed_message(sig))).decode()
    path, sshsig_path = sig_path_for(report), sig_path_for(report, SSHSIG_SUFFIX)
    path.write_text(json.dumps(sig, indent=2) + "\n", encoding="utf-8")
    sshsig_path.write_text(ssh_signature.sign(key, data), encoding="ascii")
    return [path, sshsig_path]


def sign_files(reports: list[Path], key: Ed25519PrivateKey) -> list[Path]:
    return [p for report in reports for p in sign_file(report, key)]


@dataclass(frozen=True)
class Verified:
    report: Path
    fingerprint: str
    signed_at: str | None  # None for an SSHSIG (it carries no date)
    signer: str | None     # who, when the key is one the verifier trusts; None = signer not checked
    legacy: bool = False   # a version 1 .sig: signed_at and file are not covered by the signature
    signed_as: str | None = None  # the file name the signature covers, when it differs from the report's
    sshsig: bool = False


def _read_sig(path: Path) -> dict | str:
    """A `.sig` file: the JSON of a fourlayer signature, or the text of an armored SSHSIG."""
    shown = str(path)
    try:
        if path.stat().st_size > MAX_SIG_BYTES:
            raise InputError(shown, None, None, "too large to be a fourlayer signature")
        text = path.read_text(encoding="utf-8")
        if ssh_signature.is_armored(text):
            return text
        sig = json.loads(text)
    except FileNotFoundError:
        raise InputError(shown, None, None, "signature file not found (a signed report has <report>.sig and "
                                            "<report>.sshsig beside it; pass --sig if it is elsewhere)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(shown, None, None, f"not a fourlayer signature file ({type(exc).__name__})") from None
    fields = ("sha256", "key_fingerprint", "public_key", "signature")
    if not isinstance(sig, dict) or sig.get("format") != SIG_FORMAT or \
            not all(isinstance(sig.get(f), str) for f in fields):
        raise InputError(shown, None, None, "not a fourlayer signature file (missing format or fields)")
    if sig.get("algorithm") != "Ed25519":
        raise InputError(shown, None, "algorithm", f"unsupported algorithm {str(sig.get('algorithm'))[:40]!r}; "
                                                   "expected Ed25519")
    if type(sig.get("version")) is not int or sig["version"] not in (1, SIG_VERSION):
        raise InputError(shown, None, "version", f"unsupported version {str(sig.get('version'))[:10]!r}; this "
                                                 f"fourlayer reads versions 1 and {SIG_VERSION} (upgrade it)")
    return sig


def _trusted_name(report: Path, openssh: str, trusted: list[TrustedKey]) -> str | None:
    """The trusted signer of `openssh`; None when nothing is trusted; VerificationFailed for another key."""
    if not trusted:
        return None
    blob = ssh_signature.public_blob(openssh)
    names = [t.name for t in trusted if ssh_signature.public_blob(t.openssh) == blob]
    if names:
        return ", ".join(names)
    who = f"signed by key {fingerprint_openssh(openssh)}"
    if len(trusted) == 1 and not trusted[0].allowed_signer:
        raise VerificationFailed(f"{report.name}: {who}, not by the given public key "
                                 f"{fingerprint_openssh(trusted[0].openssh)}")
    raise VerificationFailed(f"{report.name}: {who}, which is not in the allowed signers")


def _verify_sshsig(report: Path, armored: str, data: bytes, trusted: list[TrustedKey]) -> Verified:
    openssh = ssh_signature.check(armored, data)
    if openssh is None:
        raise VerificationFailed(f"{report.name}: the signature does not match the content (SSHSIG, namespace "
                                 f"{ssh_signature.NAMESPACE})")
    return Verified(report, fingerprint_openssh(openssh), None, _trusted_name(report, openssh, trusted),
                    sshsig=True)


def _embedded_key(sig: dict, sig_path: Path) -> Ed25519PublicKey:
    try:
        if sig["version"] == 1:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(sig["public_key"], validate=True))
        else:
            key = serialization.load_ssh_public_key(sig["public_key"].encode("ascii"))
    except (ValueError, UnsupportedAlgorithm):
        raise InputError(str(sig_path), None, "public_key", "damaged signature file (bad key)") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(str(sig_path), None, "public_key", "damaged signature file (not an Ed25519 key)")
    return key


def verify_file(report: Path, sig_path: Path | None = None, trusted: list[TrustedKey] | None = None) -> Verified:
    """Check `report` against its signature (`<report>.sig`, else `<report>.sshsig`); raises VerificationFailed
    (or InputError for unreadable input). `trusted` empty: valid signatures verify with signer None."""
    trusted = trusted or []
    if sig_path is None:
        sig_path = sig_path_for(report)
        if not sig_path.exists() and sig_path_for(report, SSHSIG_SUFFIX).exists():
            sig_path = sig_path_for(report, SSHSIG_SUFFIX)
    sig = _read_sig(sig_path)
    try:
        data = report.read_bytes()
    except OSError as exc:
        raise InputError(str(report), None, None, f"cannot read the report: {exc.strerror}") from None
    if isinstance(sig, str):
        return _verify_sshsig(report, sig, data, trusted)
    embedded = _embedded_key(sig, sig_path)
    legacy = sig["version"] == 1
    try:
        signature = base64.b64decode(sig["signature"], validate=True)
    except ValueError:
        raise InputError(str(sig_path), None, "signature", "damaged signature file (bad base64)") from None
    if (_legacy_fingerprint if legacy else fingerprint)(embedded) != sig["key_fingerprint"]:
        raise VerificationFailed(f"{report.name}: the signature file is inconsistent (embedded key does not match "
                                 "its fingerprint)")
    if not legacy:
        try:
            embedded.verify(signature, _signed_message(sig))
        except InvalidSignature:
            raise VerificationFailed(f"{report.name}: the signature does not match its metadata (the .sig file was "
                                     "edited after signing: signed_at, file, sha256 or another field)") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != sig["sha256"]:
        raise VerificationFailed(f"{report.name}: content changed since it was signed (sha256 {actual[:16]}… "
                                 f"≠ signed {sig['sha256'][:16]}…)")
    if legacy:
        try:
            embedded.verify(signature, data)
        except InvalidSignature:
            raise VerificationFailed(f"{report.name}: the signature does not match the content") from None
    openssh = ssh_signature.openssh_public(embedded)
    signed_as = str(sig.get("file")) if not legacy and sig.get("file") != report.name else None
    return Verified(report, fingerprint(embedded), str(sig.get("signed_at", "?")),
                    _trusted_name(report, openssh, trusted), legacy, signed_as)

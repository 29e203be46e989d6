"""Signed evidence: Ed25519 keys, detached signatures over a report's exact bytes, offline verification.

A signature is a small JSON file beside the report, `<report>.sig`:

    {"format": "fourlayer-signature", "version": 1, "algorithm": "Ed25519", "file": "<name>", "size": n,
     "sha256": "<hex of the file>", "key_fingerprint": "SHA256:<base64>", "public_key": "<base64, 32 bytes>",
     "signed_at": "<UTC time>", "signature": "<base64 Ed25519 signature over the file's bytes>"}

Only `signature` is cryptographic proof; `sha256` lets a verifier say *that* the file changed. The embedded public
key makes a file checkable anywhere, but anyone can sign with their own key: an inspector passes the agency's
published public key (`--pubkey`) to know *who* signed. Private keys are PEM (PKCS#8), 0600, optionally encrypted
with a passphrase read from an environment variable; their bytes never go to a log, report or database.
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

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from fourlayer.errors import InputError

PASSPHRASE_ENV = "FOURLAYER_KEY_PASSPHRASE"
PRIVATE_NAME, PUBLIC_NAME = "fourlayer-signing.key", "fourlayer-signing.pub"
SIG_SUFFIX = ".sig"
SIG_FORMAT = "fourlayer-signature"
MAX_SIG_BYTES = 64 * 1024


class VerificationFailed(Exception):
    """The report does not match its signature (or was signed by another key). One line for the user."""


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(key: Ed25519PublicKey) -> str:
    """`SHA256:<unpadded base64>` of the raw public key, in the style of OpenSSH."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(_raw_public(key)).digest()).decode().rstrip("=")


def _passphrase(env_name: str) -> bytes | None:
    value = os.environ.get(env_name)
    return value.encode("utf-8") if value else None


def generate_keys(out_dir: Path, passphrase_env: str = PASSPHRASE_ENV, force: bool = False) -> tuple[Path, Path]:
    """Write a new key pair into `out_dir`; the private key is 0600 and encrypted if `$passphrase_env` is set."""
    out_dir.mkdir(parents=True, exist_ok=True)
    private_path, public_path = out_dir / PRIVATE_NAME, out_dir / PUBLIC_NAME
    for path in (private_path, public_path):
        if path.exists() and not force:
            raise InputError(str(path), None, None, "already exists; choose another --out or pass --force "
                                                    "(a replaced key cannot verify old signatures)")
    key = Ed25519PrivateKey.generate()
    secret = _passphrase(passphrase_env)
    encryption = (serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    if private_path.exists():
        private_path.unlink()
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    os.chmod(public_path, 0o644)
    return private_path, public_path


def load_private_key(path: str | os.PathLike, passphrase_env: str = PASSPHRASE_ENV) -> Ed25519PrivateKey:
    """Read a signing key. Problems are InputErrors that never quote the key's bytes."""
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
    try:
        key = serialization.load_pem_private_key(data, password=secret)
    except TypeError:
        hint = (f"it is encrypted: export {passphrase_env}" if secret is None
                else f"it is not encrypted: unset {passphrase_env}")
        raise InputError(shown, None, "--sign-key", f"cannot open the signing key; {hint}") from None
    except ValueError:
        hint = f"wrong passphrase in ${passphrase_env}, or " if secret else ""
        raise InputError(shown, None, "--sign-key", f"cannot open the signing key ({hint}not a PEM private "
                                                    "key)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(shown, None, "--sign-key", "not an Ed25519 key; create one with `fourlayer keys generate`")
    return key


def load_public_key(path: str | os.PathLike) -> Ed25519PublicKey:
    shown = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(shown, None, "--pubkey", f"cannot read the public key: {exc.strerror}") from None
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise InputError(shown, None, "--pubkey", "not a PEM public key (the .pub file written by "
                                                  "`fourlayer keys generate`)") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(shown, None, "--pubkey", "not an Ed25519 public key")
    return key


def sig_path_for(report: Path) -> Path:
    return report.with_name(report.name + SIG_SUFFIX)


def sign_file(report: Path, key: Ed25519PrivateKey) -> Path:
    """Write `<report>.sig` for the exact current bytes of `report`."""
    data = report.read_bytes()
    public = key.public_key()
    sig = {"format": SIG_FORMAT, "version": 1, "algorithm": "Ed25519", "file": report.name, "size": len(data),
           "sha256": hashlib.sha256(data).hexdigest(), "key_fingerprint": fingerprint(public),
           "public_key": base64.b64encode(_raw_public(public)).decode(),
           "signed_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
           "signature": base64.b64encode(key.sign(data)).decode()}
    path = sig_path_for(report)
    path.write_text(json.dumps(sig, indent=2) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Verified:
    report: Path
    fingerprint: str
    signed_at: str
    trusted_key: bool  # True when checked against a public key the verifier supplied


def _read_sig(path: Path) -> dict:
    shown = str(path)
    try:
        if path.stat().st_size > MAX_SIG_BYTES:
            raise InputError(shown, None, None, "too large to be a fourlayer signature")
        sig = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(shown, None, None, "signature file not found (a signed report has <report>.sig beside "
                                            "it; pass --sig if it is elsewhere)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(shown, None, None, f"not a fourlayer signature file ({type(exc).__name__})") from None
    fields = ("sha256", "key_fingerprint", "public_key", "signature")
    if not isinstance(sig, dict) or sig.get("format") != SIG_FORMAT or \
            not all(isinstance(sig.get(f), str) for f in fields):
        raise InputError(shown, None, None, "not a fourlayer signature file (missing format or fields)")
    if sig.get("algorithm") != "Ed25519":
        raise InputError(shown, None, "algorithm", f"unsupported algorithm {str(sig.get('algorithm'))[:40]!r}; "
                                                   "expected Ed25519")
    return sig


def verify_file(report: Path, sig_path: Path | None = None, public_key: Ed25519PublicKey | None = None
                ) -> Verified:
    """Check `report` against its signature; raises VerificationFailed (or InputError for unreadable input)."""
    sig_path = sig_path or sig_path_for(report)
    sig = _read_sig(sig_path)
    try:
        data = report.read_bytes()
    except OSError as exc:
        raise InputError(str(report), None, None, f"cannot read the report: {exc.strerror}") from None
    try:
        embedded = Ed25519PublicKey.from_public_bytes(base64.b64decode(sig["public_key"], validate=True))
        signature = base64.b64decode(sig["signature"], validate=True)
    except ValueError:
        raise InputError(str(sig_path), None, None, "damaged signature file (bad base64 or key)") from None
    key = public_key or embedded
    if public_key is not None and fingerprint(public_key) != sig["key_fingerprint"]:
        raise VerificationFailed(f"{report.name}: signed by key {sig['key_fingerprint']}, not by the given public "
                                 f"key {fingerprint(public_key)}")
    if fingerprint(embedded) != sig["key_fingerprint"]:
        raise VerificationFailed(f"{report.name}: the signature file is inconsistent (embedded key does not match "
                                 "its fingerprint)")
    actual = hashlib.sha256(data).hexdigest()
    if actual != sig["sha256"]:
        raise VerificationFailed(f"{report.name}: content changed since it was signed (sha256 {actual[:16]}… "
                                 f"≠ signed {sig['sha256'][:16]}…)")
    try:
        key.verify(signature, data)
    except InvalidSignature:
        raise VerificationFailed(f"{report.name}: the signature does not match the content") from None
    return Verified(report, sig["key_fingerprint"], str(sig.get("signed_at", "?")), public_key is not None)

"""Who an inspector trusts: `--pubkey FILE` or an OpenSSH `allowed_signers` file (the one `ssh-keygen -Y verify -f`
reads). Lines are parsed by the `sshsig` package; errors name the file and line, never quote it."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from fourlayer.core.errors import InputError
from fourlayer.signing.openssh import NAMESPACE

MAX_BYTES = 1024 * 1024
_FIX = 'expected `PRINCIPALS [namespaces="fourlayer-report"] ssh-ed25519 AAAA…` (see docs/signing.md)'


@dataclass(frozen=True)
class TrustedKey:
    openssh: str  # "ssh-ed25519 AAAA…", without comment
    name: str     # who it is: the principals of an allowed_signers line, or the --pubkey file
    allowed_signer: bool = False  # from --allowed-signers (else --pubkey)


def _for_namespace(patterns: str | None) -> bool:
    if patterns is None:
        return True
    listed = [p.strip() for p in patterns.split(",")]
    if any(p.startswith("!") and fnmatch.fnmatchcase(NAMESPACE, p[1:]) for p in listed):
        return False
    return any(not p.startswith("!") and fnmatch.fnmatchcase(NAMESPACE, p) for p in listed)


def load_allowed_signers(path: Path) -> list[TrustedKey]:
    """The keys of `path` that may sign fourlayer reports (lines restricted to other namespaces are left out)."""
    from sshsig import PublicKey
    from sshsig.allowed_signers import AllowedSigner

    shown = str(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(shown, None, "--allowed-signers", "too large for an allowed_signers file")
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(shown, None, "--allowed-signers", f"cannot read the file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(shown, None, "--allowed-signers", f"not a text file; {_FIX}") from None
    trusted = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            entry = AllowedSigner.parse(line.strip())
            key = PublicKey.from_openssh_str(f"{entry.key_type} {entry.base64_key}")
        except (ValueError, NotImplementedError, IndexError):
            raise InputError(shown, number, None, f"not an allowed_signers line; {_FIX}") from None
        options = entry.options or {}
        unsupported = sorted(set(options) - {"namespaces"})
        if unsupported:
            raise InputError(shown, number, unsupported[0], "not supported by fourlayer verify; remove it or "
                                                            "verify with `ssh-keygen -Y verify`")
        if _for_namespace(options.get("namespaces")):
            trusted.append(TrustedKey(key.openssh_str(), entry.principals, True))
    if not trusted:
        raise InputError(shown, None, "--allowed-signers", f"no key in it may sign namespace {NAMESPACE!r}; {_FIX}")
    return trusted

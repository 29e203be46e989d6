"""Commands for signed evidence: `keys generate` and `verify`.

`fourlayer verify REPORT...` exits 0 when every report matches its signature by a trusted key (--pubkey,
--allowed-signers), 6 when one does not (changed content or metadata, another key), 9 when all are valid but no
trusted key was given (signer not checked), 2 when a file or key cannot be read.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.group("keys")
def keys() -> None:
    """Signing keys for reports (Ed25519)."""


@keys.command("generate")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory for fourlayer-signing.key (0600) and fourlayer-signing.pub.")
@click.option("--passphrase-env", default="FOURLAYER_KEY_PASSPHRASE", show_default=True,
              help="Encrypt the private key with the passphrase in this environment variable, when it is set.")
@click.option("--force", is_flag=True, help="Replace an existing key pair.")
def keys_generate(out: Path, passphrase_env: str, force: bool) -> None:
    """Create a signing key pair. Publish the .pub file; keep the .key file private."""
    import os

    from fourlayer.signing.files import (
        fingerprint_openssh,
        generate_keys,
        load_public_key,
    )

    private, public = generate_keys(out, passphrase_env, force)
    encrypted = f"encrypted with ${passphrase_env}" if os.environ.get(passphrase_env) else \
        f"NOT encrypted (set ${passphrase_env} to encrypt it)"
    click.echo(f"private key: {private} (mode 0600, {encrypted})")
    click.echo(f"public key:  {public} (OpenSSH format)")
    click.echo(f"fingerprint: {fingerprint_openssh(load_public_key(public).openssh)} (as `ssh-keygen -l` shows it)")


@click.command("verify")
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--pubkey", type=click.Path(dir_okay=False, path_type=Path),
              help="The signer's public key (.pub, OpenSSH or PEM): only this key is trusted.")
@click.option("--allowed-signers", type=click.Path(dir_okay=False, path_type=Path),
              help="OpenSSH allowed_signers file (as for ssh-keygen -Y verify): the keys trusted to sign, by name.")
@click.option("--sig", "sig_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Signature file (fourlayer .sig or OpenSSH SSHSIG), when it is not <report>.sig (one report).")
def verify(reports: tuple[Path, ...], pubkey: Path | None, allowed_signers: Path | None,
           sig_path: Path | None) -> None:
    """Check that each REPORT is byte for byte what was signed, and by whom.

    Exit 0 valid and signed by a trusted key, 6 invalid, 9 valid but signer not checked (no --pubkey or
    --allowed-signers)."""
    from fourlayer.cli.exit_codes import (
        EXIT_INVALID_SIGNATURE,
        EXIT_SIGNER_NOT_CHECKED,
    )
    from fourlayer.core.errors import InputError
    from fourlayer.signing.allowed_signers import load_allowed_signers
    from fourlayer.signing.files import VerificationFailed, load_public_key, verify_file

    if sig_path is not None and len(reports) != 1:
        raise InputError(str(sig_path), None, "--sig", "give one report with --sig")
    trusted = ([load_public_key(pubkey)] if pubkey else []) + \
        (load_allowed_signers(allowed_signers) if allowed_signers else [])
    bad = unchecked = 0
    for report in reports:
        try:
            ok = verify_file(report, sig_path, trusted)
        except VerificationFailed as exc:
            bad += 1
            click.echo(f"INVALID {exc}", err=True)
            continue
        if ok.legacy:
            click.echo(f"warning: {report}.sig: legacy format (version 1), metadata not covered by the signature: "
                       "its date and file name are unproven; re-sign with this version", err=True)
        when = "SSHSIG signature" if ok.sshsig else \
            f"signed {ok.signed_at}{' (unproven)' if ok.legacy else ''}"
        also = f", signed as {ok.signed_as}" if ok.signed_as else ""
        if ok.signer is None:
            unchecked += 1
            click.echo(f"UNCHECKED {report}: signature valid, signer not checked ({when} by key {ok.fingerprint}"
                       f"{also}); pass --pubkey or --allowed-signers to check who signed")
        else:
            click.echo(f"OK {report}: {when} by {ok.fingerprint} ({ok.signer}{also})")
    if bad:
        raise SystemExit(EXIT_INVALID_SIGNATURE)
    if unchecked:
        raise SystemExit(EXIT_SIGNER_NOT_CHECKED)


def register(main: click.Group) -> None:
    main.add_command(keys)
    main.add_command(verify)

"""Commands for signed evidence: `keys generate` and `verify`.

`fourlayer verify REPORT...` exits 0 when every report matches its signature, 6 when one does not
(changed content, another key), 2 when a file or key cannot be read.
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

    from fourlayer.signing import fingerprint, generate_keys, load_public_key

    private, public = generate_keys(out, passphrase_env, force)
    encrypted = f"encrypted with ${passphrase_env}" if os.environ.get(passphrase_env) else \
        f"NOT encrypted (set ${passphrase_env} to encrypt it)"
    click.echo(f"private key: {private} (mode 0600, {encrypted})")
    click.echo(f"public key:  {public}")
    click.echo(f"fingerprint: {fingerprint(load_public_key(public))}")


@click.command("verify")
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--pubkey", type=click.Path(dir_okay=False, path_type=Path),
              help="The signer's public key (.pub). Without it only integrity is checked, not who signed.")
@click.option("--sig", "sig_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Signature file, when it is not <report>.sig (one report only).")
def verify(reports: tuple[Path, ...], pubkey: Path | None, sig_path: Path | None) -> None:
    """Check that each REPORT is byte for byte what was signed. Exit 0 valid, 6 invalid."""
    from fourlayer.errors import InputError
    from fourlayer.scan_session import EXIT_INVALID_SIGNATURE
    from fourlayer.signing import VerificationFailed, load_public_key, verify_file

    if sig_path is not None and len(reports) != 1:
        raise InputError(str(sig_path), None, "--sig", "give one report with --sig")
    key = load_public_key(pubkey) if pubkey else None
    bad = 0
    for report in reports:
        try:
            ok = verify_file(report, sig_path, key)
        except VerificationFailed as exc:
            bad += 1
            click.echo(f"INVALID {exc}", err=True)
            continue
        who = "the given public key" if ok.trusted_key else \
            "the key embedded in the signature (pass --pubkey to check who signed)"
        click.echo(f"OK {report}: signed {ok.signed_at} by {ok.fingerprint}, checked with {who}")
    if bad:
        raise SystemExit(EXIT_INVALID_SIGNATURE)


def register(main: click.Group) -> None:
    main.add_command(keys)
    main.add_command(verify)

"""`fourlayer audit-account`: the sudoers drop-in and authorized_keys line of the audit account a fleet needs.

Printed, never installed: the administrator (or docs/audit-account.yml, the Ansible playbook) puts them in place.
`--sudoers-only` prints the drop-in alone, e.g. for the playbook's `sudoers_file`.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("audit-account")
@click.option("--user", default="fl-audit", show_default=True, help="Name of the audit account on the targets.")
@click.option("--from", "sources", default=None,
              help="The scanner's address(es) for authorized_keys from=, comma-separated (address, CIDR or name).")
@click.option("--key", "key_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The scanner's public key (.pub) to authorise.")
@click.option("--sysroot", default="/", show_default=True,
              help="ssh.sysroot of the hosts (the rights follow the exact paths a scan uses).")
@click.option("--sshd-config", default=None, help="ssh.sshd_config of the hosts, when not <sysroot>/etc/ssh/sshd_config.")
@click.option("--sudoers-only", is_flag=True, help="Print only the sudoers drop-in.")
def audit_account(user: str, sources: str | None, key_file: Path | None, sysroot: str, sshd_config: str | None,
                  sudoers_only: bool) -> None:
    """Print the minimal sudoers drop-in (generated from the read-only allowlist) and the authorized_keys line
    (from= and restrict) of the audit account; inventory the hosts with `ssh: {user: USER, sudo: true}`."""
    from fourlayer import __version__
    from fourlayer.collectors.allowlist import safe_path
    from fourlayer.collectors.audit_account import authorized_keys_line, public_key_line, sudoers_dropin
    from fourlayer.config.inventory import SSHSettings
    from fourlayer.core.errors import CollectorError, InputError

    try:
        ssh = SSHSettings(sysroot=safe_path(sysroot, "sysroot"),
                          sshd_config=safe_path(sshd_config, "sshd_config") if sshd_config else None, sudo=True)
    except CollectorError as exc:
        raise InputError("--sysroot" if "sysroot" in str(exc) else "--sshd-config", None, None, str(exc)) from None
    dropin = sudoers_dropin(ssh, user, __version__)
    if sudoers_only:
        click.echo(dropin, nl=False)
        return
    key_line = "<the scanner's public key: ssh-ed25519 AAAA...>"
    if key_file is not None:
        try:
            text = key_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(str(key_file), None, "key", f"cannot read the public key ({type(exc).__name__}); "
                                                        "give the scanner's .pub file") from None
        key_line = public_key_line(text, str(key_file))
    line = authorized_keys_line(key_line, sources) if sources else \
        f'from="<the scanner\'s address>",restrict {key_line}'
    click.echo("# ---- /etc/sudoers.d/fourlayer-audit (root:root 0440; check: visudo -c -f FILE) ----")
    click.echo(dropin)
    click.echo(f"# ---- ~{user}/.ssh/authorized_keys ({user}:{user} 0600, ~/.ssh 0700) ----")
    click.echo(line)
    click.echo(f"# ---- inventory: ssh: {{user: {user}, sudo: true, key_file: <private key>}} ----")
    if key_file is None or not sources:
        click.echo("note: give --key SCANNER.pub and --from ADDRESS to fill in the authorized_keys line", err=True)


def register(main: click.Group) -> None:
    main.add_command(audit_account)

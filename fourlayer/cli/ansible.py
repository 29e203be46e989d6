"""`fourlayer inventory import-ansible`: reuse the Ansible inventory IT staff already keep."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("import-ansible")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--agency", "agency_id", required=True, help="Agency id for the imported systems.")
@click.option("--agency-name", help="The agency's full name (default: the id).")
@click.option("--level", type=click.IntRange(1, 5), required=True,
              help="Classification level (Decree 85/2016) given to every imported system; review it per system.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default: standard output).")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def import_ansible_cmd(source: str, agency_id: str, agency_name: str | None, level: int, out: Path | None,
                       force: bool) -> None:
    """Convert an Ansible inventory (INI or YAML) into a validated fourlayer inventory: groups become systems."""
    from fourlayer.config.ansible_import import import_ansible
    from fourlayer.core.errors import InputError

    if out is not None and out.exists() and not force:
        raise InputError(str(out), None, "--out", "already exists; pass --force to overwrite it")
    result = import_ansible(source, agency_id, level, agency_name, out)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if out is None:
        click.echo(result.text, nl=False)
    else:
        click.echo(f"wrote {out}: {result.systems} systems, {result.hosts} hosts — validated; review the levels "
                   "and declared facts, then `fourlayer inventory validate` it again after editing")


def register(main: click.Group) -> None:
    main.commands["inventory"].add_command(import_ansible_cmd)

"""`fourlayer vulndb`: the offline vulnerability data a scan uses — the banner table and imported advisories.

The table ages in users' hands: older than policy `vulns.max_table_age_days` (on the clock of the machine that
scans), the version checks say so and a clean result becomes WARN. `status` shows the table in force;
`check FILE` validates a newer table before it is put in place with $FOURLAYER_VULN_TABLE.

`import FILE...` validates distribution advisory files (Debian Security Tracker JSON, OSV JSON or .zip) and stores
them in the advisory database (fourlayer/advisories/store.py) that the package checks L3-PKG-* read; `status`
lists those sets and their age against policy `advisories.max_age_days`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

REFRESH = ("to refresh: install a newer fourlayer release (it ships a newer table), or validate a table you keep "
           "with `fourlayer vulndb check FILE` and set FOURLAYER_VULN_TABLE=FILE for the scans")


@click.group("vulndb")
def vulndb() -> None:
    """Offline vulnerability data: the banner version table and imported distribution advisories."""


@vulndb.command("status")
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False), help="Policy file whose limit applies.")
def vulndb_status(policy_path: str | None) -> None:
    """Show the table in force, its date, its age today and the policy's limit (exit 1 when too old)."""
    from fourlayer.advisories.banner_table import (
        DEFAULT_TABLE_PATH,
        TABLE_ENV,
        load_table,
        table_path,
    )
    from fourlayer.config.policy import load_policy

    table = load_table()
    max_age = int(load_policy(policy_path)["vulns"]["max_table_age_days"])
    age = table.age_days(dt.datetime.now(dt.timezone.utc).date())
    source = "shipped with fourlayer" if table_path() == DEFAULT_TABLE_PATH else f"from ${TABLE_ENV}"
    click.echo(f"table:    {table.path} ({source})")
    click.echo(f"updated:  {table.updated.isoformat()} — {age} days ago (policy vulns.max_table_age_days: {max_age})")
    click.echo(f"entries:  {len(table.entries)} ({len(set(table.products.values()))} products)")
    stale_sets = _advisory_status(load_policy(policy_path))
    if age > max_age:
        click.echo(f"STALE: version checks WARN until the table is refreshed; {REFRESH}", err=True)
        raise SystemExit(1)
    click.echo(REFRESH)
    if stale_sets:
        raise SystemExit(1)


def _advisory_status(policy: dict) -> bool:
    """List the imported advisory sets with their age; True when one is older than advisories.max_age_days."""
    from fourlayer.advisories.store import advisory_db_path, list_sets

    path = advisory_db_path()
    max_age = int(policy["advisories"]["max_age_days"])
    sets = list_sets(path)
    click.echo(f"advisories: {path} (policy advisories.max_age_days: {max_age})")
    if not sets:
        click.echo("  none imported: package checks (L3-PKG-*) are NOT_APPLICABLE; download the distribution's data "
                   "and run `fourlayer vulndb import FILE`")
    today = dt.datetime.now(dt.timezone.utc).date()
    stale = False
    for s in sets:
        old = s.age_days(today) > max_age
        stale |= old
        click.echo(f"  {'STALE ' if old else ''}{s.describe(today)}; date from {s.date_from}; imported {s.imported_at}")
    return stale


@vulndb.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--data-date", type=click.DateTime(["%Y-%m-%d"]),
              help="The day the data was downloaded (the Debian tracker's JSON carries no date; default: the file's "
                   "modification time; OSV: its newest `modified`).")
def vulndb_import(paths: tuple[Path, ...], data_date) -> None:
    """Validate advisory files and store them for the package checks (exit 2 on the first bad file, nothing stored)."""
    from fourlayer.advisories.store import advisory_db_path, import_files

    today = dt.datetime.now(dt.timezone.utc).date()
    for info in import_files(list(paths), data_date.date() if data_date else None):
        click.echo(f"imported {info.describe(today)} into {advisory_db_path()}")


@vulndb.command("check")
@click.argument("path", type=click.Path(dir_okay=False, exists=True))
def vulndb_check(path: str) -> None:
    """Validate a table file (exit 2 with file:line on the first problem)."""
    from fourlayer.advisories.banner_table import parse_table

    table = parse_table(path)
    click.echo(f"{path}: valid, updated {table.updated.isoformat()}, {len(table.entries)} entries")


def register(main: click.Group) -> None:
    main.add_command(vulndb)

"""`fourlayer vulndb`: which offline table of known-vulnerable versions a scan uses, how old it is, how to refresh.

The table ages in users' hands: older than policy `vulns.max_table_age_days` (on the clock of the machine that
scans), the version checks say so and a clean result becomes WARN. `status` shows the table in force;
`check FILE` validates a newer table before it is put in place with $FOURLAYER_VULN_TABLE.
"""

from __future__ import annotations

import datetime as dt

import click

REFRESH = ("to refresh: install a newer fourlayer release (it ships a newer table), or validate a table you keep "
           "with `fourlayer vulndb check FILE` and set FOURLAYER_VULN_TABLE=FILE for the scans")


@click.group("vulndb")
def vulndb() -> None:
    """The offline table of known-vulnerable service versions."""


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
    if age > max_age:
        click.echo(f"STALE: version checks WARN until the table is refreshed; {REFRESH}", err=True)
        raise SystemExit(1)
    click.echo(REFRESH)


@vulndb.command("check")
@click.argument("path", type=click.Path(dir_okay=False, exists=True))
def vulndb_check(path: str) -> None:
    """Validate a table file (exit 2 with file:line on the first problem)."""
    from fourlayer.advisories.banner_table import parse_table

    table = parse_table(path)
    click.echo(f"{path}: valid, updated {table.updated.isoformat()}, {len(table.entries)} entries")


def register(main: click.Group) -> None:
    main.add_command(vulndb)

"""Commands over the history database: `history`, `diff`, `report` (re-render a stored run) and `prune`.

Run references: a run id, a unique prefix of one, `latest` (newest complete run) or `previous` (the complete
run before it). The database is `--db PATH`, else $FOURLAYER_DB, else ~/.local/share/fourlayer/history.sqlite.
Reading commands never take the scan lock (WAL lets them read while a scan writes); `prune` does.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import click

DB_OPTION = click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
                         help="History database (default $FOURLAYER_DB or ~/.local/share/fourlayer/history.sqlite).")
# <run>, or <run>-<agency id> for the per-agency reports of --split agency (in agencies/<agency id>/)
REPORT_NAME = re.compile(r"^fourlayer-(\d{8}T\d{6}Z)-[0-9a-f]+(?:-[A-Za-z0-9][A-Za-z0-9._-]*)?\.")


def _store(db: Path | None):
    from fourlayer.history.storage import HistoryStore, default_db_path

    return HistoryStore(db or default_db_path(), create=False)


def _pct(value) -> str:
    return "–" if value is None else f"{value:g}"


def _signed(value) -> str:
    return "" if value is None or value == 0 else f" ({value:+g})"


@click.command("history")
@click.option("--agency", help="Only runs that covered this agency, with its scores per layer.")
@click.option("--limit", type=click.IntRange(1, 100000), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@DB_OPTION
def history_cmd(agency: str | None, limit: int, fmt: str, db: Path | None) -> None:
    """Stored scans, newest first, with their scores."""
    with _store(db) as store:
        runs = store.runs(agency=agency, limit=limit)
        scores = store.scores(r.id for r in runs)
    if fmt == "json":
        click.echo(json.dumps([{**r.to_dict(), "scores": scores[r.id]} for r in runs], ensure_ascii=False,
                              indent=2))
        return
    if not runs:
        click.echo("no stored runs" + (f" for agency {agency}" if agency else ""))
        return
    for r in runs:
        state = r.status if r.complete else f"{r.status}: {r.stop_reason}"
        click.echo(f"{r.id}  {r.started[:19].replace('T', ' ')}  {r.hosts_done}/{r.hosts_planned} hosts  {state}")
        for aid, s in sorted(scores[r.id].items()):
            if agency and aid != agency:
                continue
            layers = " ".join(f"L{n}:{_pct(s['layers'].get(n))}" for n in ("1", "2", "3", "4"))
            click.echo(f"    {aid}: score {_pct(s['score'])} coverage {_pct(s['coverage'])}% — {layers}")


def _target(r: dict) -> str:
    return "/".join(x for x in (r["agency"], r.get("system"), r.get("host")) if x)


@click.command("diff")
@click.argument("run_a")
@click.argument("run_b")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@DB_OPTION
def diff_cmd(run_a: str, run_b: str, fmt: str, db: Path | None) -> None:
    """What changed from RUN_A to RUN_B: new failures, fixed findings, scores per agency and layer."""
    from fourlayer.history.diff import diff_runs

    with _store(db) as store:
        diff = diff_runs(store, store.resolve(run_a), store.resolve(run_b))
    if fmt == "json":
        click.echo(json.dumps(diff, ensure_ascii=False, indent=2))
        return
    a, b = diff["from"], diff["to"]
    click.echo(f"{a['id']} ({a['started'][:19]}, {a['status']}) → {b['id']} ({b['started'][:19]}, {b['status']})")
    for agency, rows in diff["scores"].items():
        parts = [f"score {_pct(rows['all']['before'])} → {_pct(rows['all']['after'])}{_signed(rows['all']['delta'])}"]
        parts += [f"L{n} {_pct(rows[n]['before'])} → {_pct(rows[n]['after'])}{_signed(rows[n]['delta'])}"
                  for n in ("1", "2", "3", "4")]
        click.echo(f"{agency}: " + "; ".join(parts))
    click.echo(f"new failures: {len(diff['new'])}")
    for r in diff["new"]:
        was = f" (was {r['previous_status']})" if r["previous_status"] else " (new target)"
        click.echo(f"  + {r['status']:<5} {r['severity']:<8} {r['check_id']:<11} {_target(r)}{was}: {r['reason']}")
    click.echo(f"fixed: {len(diff['fixed'])}")
    for r in diff["fixed"]:
        click.echo(f"  - FIXED {r['severity']:<8} {r['check_id']:<11} {_target(r)}: was: {r['previous_reason']}")
    click.echo(f"still failing: {len(diff['still_failing'])}")


@click.command("report")
@click.argument("run_ref", metavar="RUN")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("fourlayer-reports"),
              show_default=True, help="Directory for the reports.")
@click.option("--format", "fmt", default="html,json", show_default=True, help="Comma-separated output formats.")
@click.option("--lang", type=click.Choice(["vi", "en", "both"]), default="vi", show_default=True)
@click.option("--sign-key", type=click.Path(dir_okay=False, path_type=Path),
              help="Ed25519 private key: write <report>.sig and <report>.sshsig beside every file.")
@click.option("--split", type=click.Choice(["agency"]), default=None,
              help="agency: a province overview plus one report per agency (that agency's data only).")
@DB_OPTION
def report_cmd(run_ref: str, out: Path, fmt: str, lang: str, sign_key: Path | None, split: str | None,
               db: Path | None) -> None:
    """Re-render the report of a stored run (exactly as the scan wrote it) in any format."""
    from fourlayer.cli.main import _formats
    from fourlayer.core.errors import InputError
    from fourlayer.reports.split import write_split
    from fourlayer.reports.writers import write_all
    from fourlayer.signing.files import load_private_key, sign_files

    formats = _formats(fmt)
    key = load_private_key(sign_key) if sign_key else None
    with _store(db) as store:
        run = store.resolve(run_ref)
        doc = store.document(run.id)
    if doc is None:
        raise InputError(str(store.path), None, "RUN", f"run {run.id} has no stored report: the scan process "
                                                             "was killed before it finished; `fourlayer diff` and "
                                                             "`history` still use its stored results")
    started = dt.datetime.fromisoformat(doc["run"]["started"])
    stem = f"fourlayer-{started.strftime('%Y%m%dT%H%M%SZ')}-{run.id}"
    langs = ["vi", "en"] if lang == "both" else [lang]
    written = write_split(doc, out, stem, formats, langs, split) if split else write_all(doc, out, stem, formats,
                                                                                         langs)
    if key is not None:
        written += sign_files(written, key)
    for p in written:
        click.echo(f"wrote {p}")


def report_files_older_than(directory: Path, cutoff: dt.datetime) -> list[Path]:
    """Files fourlayer wrote (fourlayer-<UTC time>-<run>.*, signatures included, and those of --split agency in
    agencies/<id>/) older than `cutoff`, by the scan time in their name; other files are never touched."""
    old = []
    split = sorted((directory / "agencies").glob("*/*")) if (directory / "agencies").is_dir() else []
    for path in (sorted(directory.iterdir()) if directory.is_dir() else []) + split:
        m = REPORT_NAME.match(path.name)
        if m and path.is_file():
            when = dt.datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
            if when < cutoff:
                old.append(path)
    return old


@click.command("prune")
@click.option("--keep-days", type=click.IntRange(1, 100000), required=True,
              help="Keep reports and runs of the last N days.")
@click.option("--reports", "report_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="Report directory to prune (repeatable).")
@click.option("--no-history", is_flag=True, help="Leave the history database alone.")
@click.option("--lock-timeout", type=click.FloatRange(0, 86400), default=30.0, show_default=True)
@click.option("--dry-run", is_flag=True, help="Only say what would be deleted.")
@DB_OPTION
def prune_cmd(keep_days: int, report_dirs: tuple[Path, ...], no_history: bool, lock_timeout: float,
              dry_run: bool, db: Path | None) -> None:
    """Delete reports and stored runs older than --keep-days (the newest complete run is always kept)."""
    from fourlayer.cli.exit_codes import EXIT_BUSY
    from fourlayer.history.storage import ScanLock, StoreBusy, default_db_path

    cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=keep_days)
    for directory in report_dirs:
        old = report_files_older_than(directory, cutoff)
        for path in old:
            if not dry_run:
                path.unlink()
        click.echo(f"{directory}: {'would delete' if dry_run else 'deleted'} {len(old)} report file(s)")
    path = db or default_db_path()
    if no_history or not path.exists():
        return
    with _store(path) as store:
        try:
            lock = ScanLock(path, lock_timeout).acquire("prune")
        except StoreBusy as exc:
            click.echo(f"error: {exc}", err=True)
            raise SystemExit(EXIT_BUSY) from None
        try:
            newest = store.runs(complete_only=True, limit=1)
            old = [r for r in store.runs(before=cutoff.isoformat()) if r.status != "running"
                   and r.id not in {n.id for n in newest}]
            n = len(old) if dry_run else store.delete_runs_before(cutoff.isoformat(), keep=[r.id for r in newest])
        finally:
            lock.release()
    click.echo(f"{path}: {'would delete' if dry_run else 'deleted'} {n} run(s) older than {keep_days} days")


def register(main: click.Group) -> None:
    for command in (history_cmd, diff_cmd, report_cmd, prune_cmd):
        main.add_command(command)

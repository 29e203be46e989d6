"""Command-line interface.

Exit codes (docs/exit-codes.md; constants in fourlayer.cli.scan_session):
  0 done (scan completed, report written, signature valid)     1 internal error (a bug; --debug shows it)
  2 bad input (inventory, policy, options, keys; one line)     3 an agency scored below --fail-under
  4 a check of --fail-on severity or higher FAILed             5 the history database is busy (another scan)
  6 a report does not match its signature (fourlayer verify)   7 a report could not be written (disk full)
  8 the history database could not store the run (reports written)   130 interrupted (Ctrl-C)   143 SIGTERM
  9 fourlayer verify: signatures valid, signer not checked (no --pubkey / --allowed-signers)
An interrupted scan still stores and writes what it finished, marked incomplete.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import logging
import math
import signal
import sys
from pathlib import Path

import click

from fourlayer import __version__
from fourlayer.cli.exit_codes import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_REPORTS_NOT_WRITTEN,
)
from fourlayer.core import defaults
from fourlayer.core.constants import SEVERITIES
from fourlayer.core.errors import InputError


class Cli(click.Group):
    """Turns user errors into one line and exit 2; never a traceback unless --debug."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InputError as exc:
            click.echo(f"error: {exc.one_line()}", err=True)
            sys.exit(EXIT_INPUT)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:
            from fourlayer.reports.writers import ReportWriteError

            if isinstance(exc, ReportWriteError):  # e.g. `fourlayer report` onto a full disk: nothing truncated
                click.echo(f"error: {exc}", err=True)
                sys.exit(EXIT_REPORTS_NOT_WRITTEN)
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)", err=True)
            sys.exit(EXIT_INTERNAL)


class FiniteFloatRange(click.FloatRange):
    """A FloatRange that also refuses nan and inf (nan compares false with both bounds, so it passed)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def refuse_unknown(option: str, values, known, what: str, hint: str = "") -> None:
    """InputError for the first of `values` that is not in `known`, suggesting the closest known one."""
    known = sorted(set(known))
    for value in values:
        if value not in known:
            close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
            suggestion = f"did you mean {close[0]}?" if close else hint
            raise InputError(option, None, None, f"no {what} {value!r}" + (f"; {suggestion}" if suggestion else ""))


@click.group(cls=Cli)
@click.version_option(__version__, prog_name="fourlayer")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """fourlayer — audit information systems against Vietnam's 4-layer protection model."""
    ctx.obj = {"debug": debug}
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("paramiko").setLevel(logging.DEBUG if debug else logging.CRITICAL)


def _all_checks(rule_paths: tuple[str, ...] = ()):
    """Every registered check (built-in, YAML rules, plugins) plus the user rules at `rule_paths`."""
    from fourlayer.rules.engine import load_rules

    reg = _registry()
    return sorted(reg.all() + load_rules(rule_paths, reg), key=lambda c: (c.meta.layer, c.meta.id))


def _registry():
    from fourlayer.core.discovery import discover

    reg = discover()
    for problem in reg.load_errors:
        click.echo(f"warning: {problem}", err=True)
    return reg


# ---------------------------------------------------------------- inventory
@main.group()
def inventory() -> None:
    """Inventory files: validate."""


@inventory.command("validate")
@click.argument("path", type=click.Path(dir_okay=False))
def inventory_validate(path: str) -> None:
    """Validate an inventory file (and its policy) without sending any traffic."""
    from fourlayer.config.inventory_load import load_inventory
    from fourlayer.config.policy import load_policy

    inv = load_inventory(path)
    load_policy(inv.policy_path)
    hosts = sum(1 for _ in inv.iter_hosts())
    devices = sum(1 for _, _, h in inv.iter_hosts() if h.device is not None)
    systems = sum(len(a.systems) for a in inv.agencies)
    zones = f", {len(inv.zones)} zones" if inv.zones else ""
    click.echo(f"{path}: OK — {len(inv.agencies)} agencies, {systems} systems, {hosts - devices} hosts"
               + (f", {devices} network devices" if devices else "") + zones)


# ---------------------------------------------------------------- checks
@main.group()
def checks() -> None:
    """The check catalogue."""


@checks.command("list")
@click.option("--layer", type=click.IntRange(1, 4), multiple=True, help="Only these layers.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="en")
@click.option("--rules", "rule_paths", multiple=True, metavar="DIR|FILE", help="Also list (and validate) these rules.")
def checks_list(layer: tuple[int, ...], fmt: str, lang: str, rule_paths: tuple[str, ...]) -> None:
    """List checks (Python, YAML rules, plugins) with layer, severity and minimum level."""
    items = [c.meta for c in _all_checks(rule_paths) if not layer or c.meta.layer in layer]
    if fmt == "json":
        click.echo(json.dumps([m.to_dict() for m in items], ensure_ascii=False, indent=2))
        return
    click.echo(f"{'ID':<12} {'L':<2} {'SEVERITY':<9} {'LVL':<4} TITLE")
    for m in items:
        click.echo(f"{m.id:<12} {m.layer:<2} {m.severity.value:<9} {'≥' + str(m.min_level):<4} {m.title[lang]}")
    click.echo(f"{len(items)} checks")


@checks.command("show")
@click.argument("check_id")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="en")
@click.option("--framework", default=None, metavar="ID|FILE", help="Framework whose clauses to show (default Decree 85).")
@click.option("--rules", "rule_paths", multiple=True, metavar="DIR|FILE", help="Also look among these rules.")
def checks_show(check_id: str, lang: str, framework: str | None, rule_paths: tuple[str, ...]) -> None:
    """Show the full metadata of one check, with the framework clauses it evidences."""
    from fourlayer.cli.frameworks import clause_lines
    from fourlayer.config.frameworks import load_framework

    found = {c.meta.id: c for c in _all_checks(rule_paths)}
    if check_id not in found:
        raise click.UsageError(f"no check {check_id!r}; `fourlayer checks list` shows the ids")
    m = found[check_id].meta
    click.echo(f"{m.id} — {m.title[lang]}")
    click.echo(f"layer {m.layer} · severity {m.severity.value} · min level {m.min_level} · scope {m.scope}"
               f" · needs {', '.join(m.needs) or 'declared facts'}"
               f"{' · roles ' + ', '.join(m.applies_to) if m.applies_to else ''}")
    click.echo(f"\n{m.rationale[lang]}\n\n{'Remediation' if lang == 'en' else 'Khắc phục'}: {m.remediation[lang]}")
    click.echo(f"\n{'References' if lang == 'en' else 'Căn cứ'}:")
    for ref in m.references:
        click.echo(f"  - {ref}")
    fw = load_framework(framework)
    click.echo(f"\n{fw.name[lang]} ({fw.id} {fw.version}):")
    for line in clause_lines(fw, m.id, m.min_level, lang):
        click.echo(line)


# ---------------------------------------------------------------- scan
def _formats(value: str) -> list[str]:
    from fourlayer.reports.writers import WRITERS

    formats = [f.strip() for f in value.split(",") if f.strip()]
    if not formats:
        raise InputError("--format", None, None, f"no report format given; choose from {', '.join(WRITERS)}")
    refuse_unknown("--format", formats, WRITERS, "report format", f"choose from {', '.join(WRITERS)}")
    return formats


def _scan_inputs(inv, framework: str | None, rules: tuple[str, ...], waivers: str | None):
    """(framework, checks as it applies them, waivers): user rules, framework and waivers validated before traffic."""
    from fourlayer.advisories.banner_table import load_table
    from fourlayer.config.frameworks import load_framework
    from fourlayer.config.waivers import load_waivers
    from fourlayer.rules.engine import load_rules

    load_table()  # a table given with $FOURLAYER_VULN_TABLE is validated before traffic, like every input
    reg = _registry()
    extra = load_rules(rules, reg) if rules else []
    known = [c.meta.id for c in reg.all()] + [c.meta.id for c in extra]
    fw = load_framework(framework, known)
    for warning in fw.warnings:
        click.echo(f"warning: {warning}", err=True)
    return fw, fw.apply_levels(reg.all() + extra), load_waivers(waivers, known, inv) if waivers else []


def _after_scan(run, fw, waivers) -> dict | None:
    """Clauses on each result, then waivers (warnings to stderr); the report's `waivers` section, if any.

    The results are a spool (fourlayer.core.spool; on disk past its memory budget): one pass finds the few
    results a waiver names and waives them as `apply_waivers` would over all of them (it touches no other), a
    second rewrites the spool with every result's clauses and those changes; a spool on disk is never read into
    memory whole."""
    from fourlayer.config.waivers import apply_waivers

    today = dt.date.fromisoformat(run.options["as_of"])
    if not hasattr(run.results, "rewrite"):  # a list (a run built in memory)
        fw.annotate(run.results)
        report = apply_waivers(run.results, waivers, today) if waivers else None
    else:
        waived: dict[int, object] = {}
        if waivers:
            waived = {i: r for i, r in enumerate(run.results) if any(w.matches(r) for w in waivers)}
            report = apply_waivers(list(waived.values()), waivers, today)
        else:
            report = None

        clauses: dict[str, list[str]] = {}

        def change(results):
            for i, r in enumerate(results):
                r = waived.get(i, r)
                if r.check_id not in clauses:
                    clauses[r.check_id] = fw.clauses_for(r.check_id)
                r.clauses = list(clauses[r.check_id])  # as fw.annotate
                yield r

        run.results.rewrite(change)
    if report is None:
        return None
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    return report.to_dict()


def run_and_write(inventory_path: str, out: Path, formats: list[str], langs: list[str], options,
                  quiet: bool = False, session=None, framework: str | None = None, rules: tuple[str, ...] = (),
                  waivers: str | None = None, split: str | None = None, broker: str | None = None,
                  zone_timeout: float = defaults.ZONE_TIMEOUT) -> tuple[dict, list[Path]]:
    """Load, scan and render; shared by `scan` and `demo`. Returns the report document and files written.
    The document's `results` are read from the run's spool on disk (fourlayer.core.spool) when iterated; the
    spool is removed when the document is dropped or the process exits, at once when this raises.

    `broker` (an AMQP URL) scans each host on its zone's worker (fourlayer.dispatch) instead of in-process;
    storing and rendering stay exactly the same.

    `session` (fourlayer.cli.scan_session.ScanSession) stores the run in the history database while it runs,
    adds the report's history section, signs the files and handles SIGINT/SIGTERM; None = none of that.
    """
    from fourlayer.cli.progress import Progress
    from fourlayer.cli.scan_session import ScanSession
    from fourlayer.config.inventory_load import load_inventory
    from fourlayer.config.policy import load_policy
    from fourlayer.core.runner import run_scan
    from fourlayer.reports.document import build_document
    from fourlayer.reports.writers import ensure_writable

    session = session or ScanSession()
    inv = load_inventory(inventory_path)
    fw, checks_, waivers_ = _scan_inputs(inv, framework, rules, waivers)
    policy = load_policy(inv.policy_path, base=fw.base_policy)
    ids = [a.id for a in inv.agencies]
    refuse_unknown("--agency", options.agencies, ids, "agency",
                   f"the agencies of {inventory_path} are {', '.join(ids[:10])}{', …' if len(ids) > 10 else ''}")
    for option, ids in (("--check", options.check_ids), ("--skip", options.skip_ids)):
        refuse_unknown(option, ids, [c.meta.id for c in checks_], "check", "`fourlayer checks list` shows the ids")
    _refuse_bad_zone(inventory_path, inv, getattr(options, "from_zone", None))
    hosts = [h for a, _, h in inv.iter_hosts() if not options.agencies or a.id in options.agencies]
    ensure_writable(out)  # before any traffic: an --out that cannot take a file is bad input (exit 2)
    conn = None
    if broker:  # every host has a zone and the broker answers, before anything is stored or sent (exit 2)
        from fourlayer.cli.zones import require_zones
        from fourlayer.dispatch.coordinator import open_broker

        require_zones(inv, options.agencies)
        conn = open_broker(broker)
    with session.open(inv, policy, options, len(hosts)), \
            Progress(len(hosts), enabled=not quiet, log_format=session.log_format) as progress:
        hosts_via = None
        if conn is not None:
            import uuid

            from fourlayer.core.planner import selected
            from fourlayer.dispatch.coordinator import ZoneDispatcher

            options.run_id = options.run_id or uuid.uuid4().hex[:12]
            hosts_via = ZoneDispatcher(broker, options.run_id, policy, options, zone_timeout,
                                       on_zone=progress.zone, conn=conn)
            if inv.zones and any("reachability" in c.meta.needs for c in selected(checks_, options)):
                progress.phase("segmentation probes")
                options.segmentation = hosts_via.probe_zones(inv)  # from inside every zone, before the hosts
        run = run_scan(inv, policy, checks_, options, on_results=session.recorder(progress), stop=session.stop,
                       hosts_via=hosts_via)
        session.temporaries.append(run.close)  # the results' spool, also when a signal ends it by os._exit
        try:
            if hosts_via is not None and not quiet:
                for line in hosts_via.summary():
                    click.echo(f"fourlayer: {line}", err=True)
            waiver_report = _after_scan(run, fw, waivers_)
            doc = build_document(run, inv, framework=fw.evidence(run.results))
            if waiver_report is not None:
                doc["waivers"] = waiver_report
            session.finish(run, doc)  # keep last before rendering: it stores the document exactly as rendered
            progress.phase("writing reports")
            stem = f"fourlayer-{run.started.strftime('%Y%m%dT%H%M%SZ')}-{run.id}"
            written = session.write_reports(doc, out, stem, formats, langs, split)  # + signatures; never truncated
        except BaseException:
            run.close()
            raise
    return doc, written


def _refuse_bad_zone(inventory_path: str, inv, from_zone: str | None) -> None:
    """--from-zone names a declared zone (exit 2 before any traffic otherwise)."""
    if from_zone is None:
        return
    if not inv.zones:
        raise InputError("--from-zone", None, None, f"{inventory_path} declares no zones:; remove --from-zone "
                                                    "or add a zones: list to the inventory")
    zone_ids = [z.id for z in inv.zones]
    refuse_unknown("--from-zone", [from_zone], zone_ids, "zone", f"the zones are {', '.join(zone_ids)}")


def _scan_options(**kw):
    from fourlayer.core.runner import ScanOptions

    return ScanOptions(**kw)


def _echo_summary(doc: dict, written: list[Path], agencies_dir: Path | None = None) -> None:
    """Scores per agency and the files written; with --split agency (`agencies_dir`), the agencies' files as one
    line (a province is hundreds of them)."""
    for a in doc["agencies"]:
        s = a["summary"]
        layers = " ".join(f"L{n}:{'met' if s['layers'][n]['met'] else 'NOT met'}({s['layers'][n]['score']})"
                          for n in ("1", "2", "3", "4"))
        click.echo(f"{a['id']}: score {s['score']} coverage {s['coverage']}% — {layers}")
    per_agency = [p for p in written if agencies_dir is not None and p.parent.parent == agencies_dir]
    for p in written:
        if p not in per_agency:
            click.echo(f"wrote {p}")
    if per_agency:
        folders = {p.parent for p in per_agency}
        click.echo(f"wrote {len(per_agency)} files of {len(folders)} agencies in {agencies_dir}/<agency id>/")


@main.command()
@click.argument("inventory_path", metavar="INVENTORY", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("fourlayer-reports"),
              show_default=True, help="Directory for the reports.")
@click.option("--format", "fmt", default="html,json", show_default=True, help="Comma-separated: html,json,csv,sarif,junit.")
@click.option("--lang", type=click.Choice(["vi", "en", "both"]), default="vi", show_default=True)
@click.option("--layer", type=click.IntRange(1, 4), multiple=True, help="Only checks of this layer (repeatable).")
@click.option("--agency", multiple=True, help="Only this agency id (repeatable).")
@click.option("--check", "check_ids", multiple=True, help="Only this check id (repeatable).")
@click.option("--skip", "skip_ids", multiple=True, help="Skip this check id (repeatable).")
@click.option("--concurrency", type=click.IntRange(1, 512), default=defaults.CONCURRENCY, show_default=True,
              help="Hosts scanned in parallel.")
@click.option("--timeout", type=FiniteFloatRange(0.5, 120), default=defaults.TIMEOUT, show_default=True,
              help="Seconds for one network operation.")
@click.option("--host-timeout", type=FiniteFloatRange(1, 3600), default=defaults.HOST_TIMEOUT, show_default=True,
              help="Seconds for everything on one host.")
@click.option("--accept-new-host-keys", is_flag=True,
              help="Trust SSH host keys seen for the first time and save them (changed keys are still refused).")
@click.option("--discovery-batch", type=click.IntRange(1, 1024), default=defaults.DISCOVERY_BATCH, show_default=True,
              help="Hosts per nmap port sweep, run ahead of the per-host collectors (1 = one nmap per host).")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]),
              help="Judge declared facts (contracts, assessments, remediation and connection dates, waivers) as of "
                   "this day (default: the scan's day). Observed evidence (certificate validity, the age of update "
                   "information and of the vulnerability table) is always judged on the scan's own clock; the "
                   "report shows both dates.")
@click.option("--framework", default=None, metavar="ID|FILE",
              help="Regulatory framework: a built-in id (`fourlayer frameworks list`; default vn-decree85-tcvn11930) "
                   "or a framework .yaml file.")
@click.option("--rules", "rule_paths", multiple=True, metavar="DIR|FILE",
              help="Declarative YAML rules to add to the built-in checks (repeatable).")
@click.option("--waivers", "waivers_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Waiver file: accepted exceptions with justification, approver and expiry.")
@click.option("--split", type=click.Choice(["agency"]), default=None,
              help="agency: a small province overview plus one self-contained report per agency, holding that "
                   "agency's data only (in agencies/<id>/), instead of one report of everything.")
@click.option("--quiet", is_flag=True, help="No progress display.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="History database (default $FOURLAYER_DB or ~/.local/share/fourlayer/history.sqlite).")
@click.option("--no-history", is_flag=True, help="Do not store this scan (no trend, diff or L3-PER-001).")
@click.option("--lock-timeout", type=FiniteFloatRange(0, 86400), default=defaults.LOCK_TIMEOUT, show_default=True,
              help="Seconds to wait while another scan uses the database, then exit 5.")
@click.option("--fail-under", type=FiniteFloatRange(0, 100), help="Exit 3 if any agency's score is below this.")
@click.option("--fail-on", type=click.Choice(SEVERITIES),
              help="Exit 4 if any check of this severity or higher FAILs.")
@click.option("--sign-key", type=click.Path(dir_okay=False, path_type=Path),
              help="Ed25519 private key: write <report>.sig and .sshsig beside every report (passphrase in "
                   "$FOURLAYER_KEY_PASSPHRASE).")
@click.option("--log-format", type=click.Choice(["auto", "json", "text"]), default="auto", show_default=True,
              help="Progress: auto = a bar on a terminal, silent otherwise; json/text = one line per host on stderr.")
@click.option("--from-zone", "from_zone", metavar="ID",
              help="With zones declared: the zone this machine sits in, where the segmentation probe runs from "
                   "(default: the zone whose networks hold one of this machine's addresses).")
@click.option("--broker", default=None, metavar="URL", envvar="FOURLAYER_BROKER_URL",
              help="Scan each host on a worker inside its zone (`fourlayer worker`), through this RabbitMQ broker "
                   "(AMQP URL; also $FOURLAYER_BROKER_URL). Without it everything runs in this process.")
@click.option("--zone-timeout", type=FiniteFloatRange(5, 86400), default=defaults.ZONE_TIMEOUT, show_default=True,
              help="With --broker: seconds a zone may stay silent before its hosts get ERROR.")
def scan(inventory_path, out, fmt, lang, layer, agency, check_ids, skip_ids, concurrency, timeout, host_timeout,
         accept_new_host_keys, discovery_batch, as_of, framework, rule_paths, waivers_path, split, quiet, db,
         no_history, lock_timeout, fail_under, fail_on, sign_key, log_format, from_zone=None, broker=None,
         zone_timeout=defaults.ZONE_TIMEOUT) -> None:
    """Scan the hosts of INVENTORY and write reports. Exit codes: see docs/exit-codes.md."""
    from fourlayer.cli.scan_session import ScanSession
    from fourlayer.history.storage import default_db_path

    session = ScanSession(db=None if no_history else (db or default_db_path()), lock_timeout=lock_timeout,
                          sign_key=sign_key, handle_signals=True, log_format=log_format)
    formats = _formats(fmt)
    options = _scan_options(concurrency=concurrency, timeout=timeout, host_timeout=host_timeout,
                            accept_new_host_keys=accept_new_host_keys, discovery_batch=discovery_batch,
                            layers=tuple(layer), check_ids=tuple(check_ids), skip_ids=tuple(skip_ids),
                            agencies=tuple(agency), as_of=as_of.date() if as_of else None, from_zone=from_zone)
    doc, written = run_and_write(inventory_path, out, formats, ["vi", "en"] if lang == "both" else [lang],
                                 options, quiet=quiet, session=session, framework=framework, rules=rule_paths,
                                 waivers=waivers_path, split=split, broker=broker,
                                 zone_timeout=zone_timeout)
    from fourlayer.reports.split import AGENCY_DIR

    _echo_summary(doc, written, out / AGENCY_DIR if split else None)
    session.exit(session.exit_code(doc, fail_under, fail_on))


def _raise_terminated(signum, frame) -> None:
    raise SystemExit(143)


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-report"),
              show_default=True)
@click.option("--quiet", is_flag=True)
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="Store the demo scan in this history database (not stored by default).")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]),
              help="Judge the demo inventory's declared facts as of this day (default: the day its story is "
                   "told, 2026-11-01); the lab's hosts are always judged on the scan's clock.")
def demo(out: Path, quiet: bool, db: Path | None, as_of) -> None:
    """Start the loopback demo lab, scan it with inventory/demo.yaml, write reports, stop the lab."""
    from fourlayer.cli.scan_session import ScanSession
    from fourlayer.config import inventory_load  # noqa: F401 -- its models (pydantic) load before the lab starts
    from fourlayer.lab.demo import DEMO_AS_OF, DemoLab, demo_inventory_path
    from fourlayer.reports.writers import DEFAULT_FORMATS

    # SIGTERM while the lab starts or reports are written must still stop the lab (`with` cleanup); during the
    # scan itself the session's handler takes over and stops gracefully.
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        with DemoLab() as lab:
            click.echo(f"demo lab up: {', '.join(lab.describe())}")
            options = _scan_options(concurrency=defaults.DEMO_CONCURRENCY, timeout=defaults.TIMEOUT,
                                    host_timeout=defaults.DEMO_HOST_TIMEOUT,
                                    as_of=as_of.date() if as_of else DEMO_AS_OF)
            session = ScanSession(db=db, handle_signals=True)
            session.cleanups.append(lab.stop)
            doc, written = run_and_write(str(demo_inventory_path()), out, list(DEFAULT_FORMATS), ["vi", "en"],
                                         options, quiet=quiet, session=session)
    finally:
        signal.signal(signal.SIGTERM, previous)
    _echo_summary(doc, written)
    html = [p for p in written if p.suffix == ".html"]
    click.echo(f"open the report: {html[0].resolve()}" if html else "")
    if session.signal_code is not None:
        click.echo("demo interrupted: the report covers the hosts finished; the lab is stopped", err=True)
        sys.exit(session.signal_code)
    if session.reports_error or session.history_error:
        sys.exit(session.exit_code(doc, None, None))


# Further command groups live in their own modules; each defines `register(main)`.
COMMAND_MODULES: tuple[str, ...] = ("fourlayer.cli.frameworks", "fourlayer.cli.history", "fourlayer.cli.keys",
                                   "fourlayer.cli.ansible", "fourlayer.cli.vulndb", "fourlayer.cli.audit_account",
                                   "fourlayer.cli.zones")


def _register_command_modules() -> None:
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(main)


_register_command_modules()

if __name__ == "__main__":  # pragma: no cover
    main()

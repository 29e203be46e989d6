"""Command-line interface. Exit codes: 0 scan completed, 2 bad input, 1 internal error, 130 interrupted."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from pathlib import Path

import click

from fourlayer import __version__
from fourlayer.errors import InputError

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


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
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)", err=True)
            sys.exit(EXIT_INTERNAL)


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


def _registry():
    from fourlayer.registry import discover

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
    from fourlayer.inventory_load import load_inventory
    from fourlayer.policy import load_policy

    inv = load_inventory(path)
    load_policy(inv.policy_path)
    hosts = sum(1 for _ in inv.iter_hosts())
    systems = sum(len(a.systems) for a in inv.agencies)
    click.echo(f"{path}: OK — {len(inv.agencies)} agencies, {systems} systems, {hosts} hosts")


# ---------------------------------------------------------------- checks
@main.group()
def checks() -> None:
    """The check catalogue."""


@checks.command("list")
@click.option("--layer", type=click.IntRange(1, 4), multiple=True, help="Only these layers.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="en")
def checks_list(layer: tuple[int, ...], fmt: str, lang: str) -> None:
    """List checks with layer, severity and minimum level."""
    items = [c.meta for c in _registry().all() if not layer or c.meta.layer in layer]
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
def checks_show(check_id: str, lang: str) -> None:
    """Show the full metadata of one check."""
    reg = _registry()
    if check_id not in reg:
        raise click.UsageError(f"no check {check_id!r}; `fourlayer checks list` shows the ids")
    m = reg.get(check_id).meta
    click.echo(f"{m.id} — {m.title[lang]}")
    click.echo(f"layer {m.layer} · severity {m.severity.value} · min level {m.min_level} · scope {m.scope}"
               f" · needs {', '.join(m.needs) or 'declared facts'}"
               f"{' · roles ' + ', '.join(m.applies_to) if m.applies_to else ''}")
    click.echo(f"\n{m.rationale[lang]}\n\n{'Remediation' if lang == 'en' else 'Khắc phục'}: {m.remediation[lang]}")
    click.echo(f"\n{'References' if lang == 'en' else 'Căn cứ'}:")
    for ref in m.references:
        click.echo(f"  - {ref}")


# ---------------------------------------------------------------- scan
def _formats(value: str) -> list[str]:
    from fourlayer.reports.writers import WRITERS

    formats = [f.strip() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in WRITERS]
    if unknown:
        raise click.BadParameter(f"unknown format(s) {unknown}; choose from {', '.join(WRITERS)}")
    return formats


def run_and_write(inventory_path: str, out: Path, formats: list[str], langs: list[str], options,
                  quiet: bool = False) -> tuple[dict, list[Path]]:
    """Load, scan and render; shared by `scan` and `demo`. Returns the report document and files written."""
    from fourlayer.inventory_load import load_inventory
    from fourlayer.policy import load_policy
    from fourlayer.progress import Progress
    from fourlayer.reports.document import build_document
    from fourlayer.reports.writers import write_all
    from fourlayer.runner import run_scan

    inv = load_inventory(inventory_path)
    policy = load_policy(inv.policy_path)
    unknown = [a for a in options.agencies if a not in {x.id for x in inv.agencies}]
    if unknown:
        raise InputError(inventory_path, None, "--agency", f"no agency {unknown[0]!r} in the inventory")
    checks_ = _registry().all()
    hosts = [h for a, _, h in inv.iter_hosts() if not options.agencies or a.id in options.agencies]
    with Progress(len(hosts), enabled=not quiet) as progress:
        run = run_scan(inv, policy, checks_, options, progress=progress.update)
    doc = build_document(run, inv)
    stem = f"fourlayer-{run.started.strftime('%Y%m%dT%H%M%SZ')}-{run.id}"
    return doc, write_all(doc, out, stem, formats, langs)


def _scan_options(**kw):
    from fourlayer.runner import ScanOptions

    return ScanOptions(**kw)


def _echo_summary(doc: dict, written: list[Path]) -> None:
    for a in doc["agencies"]:
        s = a["summary"]
        layers = " ".join(f"L{n}:{'met' if s['layers'][n]['met'] else 'NOT met'}({s['layers'][n]['score']})"
                          for n in ("1", "2", "3", "4"))
        click.echo(f"{a['id']}: score {s['score']} coverage {s['coverage']}% — {layers}")
    for p in written:
        click.echo(f"wrote {p}")


@main.command()
@click.argument("inventory_path", metavar="INVENTORY", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("fourlayer-reports"),
              show_default=True, help="Directory for the reports.")
@click.option("--format", "fmt", default="html,json", show_default=True, help="Comma-separated: html,json.")
@click.option("--lang", type=click.Choice(["vi", "en", "both"]), default="vi", show_default=True)
@click.option("--layer", type=click.IntRange(1, 4), multiple=True, help="Only checks of this layer (repeatable).")
@click.option("--agency", multiple=True, help="Only this agency id (repeatable).")
@click.option("--check", "check_ids", multiple=True, help="Only this check id (repeatable).")
@click.option("--skip", "skip_ids", multiple=True, help="Skip this check id (repeatable).")
@click.option("--concurrency", type=click.IntRange(1, 512), default=16, show_default=True,
              help="Hosts scanned in parallel.")
@click.option("--timeout", type=click.FloatRange(0.5, 120), default=5.0, show_default=True,
              help="Seconds for one network operation.")
@click.option("--host-timeout", type=click.FloatRange(1, 3600), default=180.0, show_default=True,
              help="Seconds for everything on one host.")
@click.option("--accept-new-host-keys", is_flag=True,
              help="Trust SSH host keys seen for the first time and save them (changed keys are still refused).")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="Judge dates as of this day (default today).")
@click.option("--quiet", is_flag=True, help="No progress display.")
def scan(inventory_path, out, fmt, lang, layer, agency, check_ids, skip_ids, concurrency, timeout, host_timeout,
         accept_new_host_keys, as_of, quiet) -> None:
    """Scan the hosts of INVENTORY and write reports."""
    formats = _formats(fmt)
    options = _scan_options(concurrency=concurrency, timeout=timeout, host_timeout=host_timeout,
                            accept_new_host_keys=accept_new_host_keys, layers=tuple(layer),
                            check_ids=tuple(check_ids), skip_ids=tuple(skip_ids), agencies=tuple(agency),
                            today=as_of.date() if as_of else None)
    doc, written = run_and_write(inventory_path, out, formats, ["vi", "en"] if lang == "both" else [lang],
                                 options, quiet=quiet)
    _echo_summary(doc, written)


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-report"),
              show_default=True)
@click.option("--quiet", is_flag=True)
def demo(out: Path, quiet: bool) -> None:
    """Start the loopback demo lab, scan it with inventory/demo.yaml, write reports, stop the lab."""
    from fourlayer.lab.demo import DemoLab, demo_inventory_path
    from fourlayer.reports.writers import DEFAULT_FORMATS

    with DemoLab() as lab:
        click.echo(f"demo lab up: {', '.join(lab.describe())}")
        options = _scan_options(concurrency=8, timeout=5.0, host_timeout=120.0)
        doc, written = run_and_write(str(demo_inventory_path()), out, list(DEFAULT_FORMATS), ["vi", "en"],
                                     options, quiet=quiet)
    _echo_summary(doc, written)
    html = [p for p in written if p.suffix == ".html"]
    click.echo(f"open the report: {html[0].resolve()}" if html else "")


# Further command groups live in their own modules; each defines `register(main)`.
COMMAND_MODULES: tuple[str, ...] = ()


def _register_command_modules() -> None:
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(main)


_register_command_modules()

if __name__ == "__main__":  # pragma: no cover
    main()

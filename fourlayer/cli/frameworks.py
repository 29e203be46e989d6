"""`fourlayer frameworks list|show`: the regulatory frameworks shipped as data (fourlayer/data/frameworks)."""

from __future__ import annotations

import json

import click

LABELS = {
    "en": {"unverified": "unverified", "provisional": "provisional", "levels": "levels", "checks": "checks",
           "from": "this check from level", "unmapped": "not mapped to a requirement of this framework",
           "manual": "(none: evidence is reviewed by hand)", "sources": "Sources", "levels_h": "Levels",
           "unmapped_h": "Unmapped checks", "default": "default"},
    "vi": {"unverified": "chưa xác minh", "provisional": "tạm thời", "levels": "cấp độ", "checks": "kiểm tra",
           "from": "kiểm tra này áp dụng từ cấp độ", "unmapped": "chưa ánh xạ tới yêu cầu nào của khung này",
           "manual": "(không có: bằng chứng được xem xét thủ công)", "sources": "Nguồn", "levels_h": "Cấp độ",
           "unmapped_h": "Kiểm tra chưa ánh xạ", "default": "mặc định"},
}


def register(main: click.Group) -> None:
    main.add_command(frameworks)


def _flags(lang: str, *pairs: tuple[str, bool]) -> str:
    shown = [LABELS[lang][name] for name, on in pairs if on]
    return f" [{', '.join(shown)}]" if shown else ""


def clause_lines(fw, check_id: str, own_level: int, lang: str) -> list[str]:
    """What `checks show` prints about one check under a framework."""
    t = LABELS[lang]
    lines = [f"  - {r.id} {r.clause}{_flags(lang, ('unverified', not r.verified), ('provisional', r.provisional))}: "
             f"{r.title[lang]} ({t['levels']} {', '.join(map(str, r.levels))}; "
             f"{t['from']} {fw.min_level(check_id, own_level)})" for r in fw.requirements_for(check_id)]
    return lines or [f"  - {fw.unmapped.get(check_id, t['unmapped'])}"]


def _known_checks() -> list[str]:
    from fourlayer.core.discovery import discover

    return [c.meta.id for c in discover().all()]


@click.group()
def frameworks() -> None:
    """Regulatory frameworks: which requirement each check evidences."""


@frameworks.command("list")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="en")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def frameworks_list(lang: str, fmt: str) -> None:
    """List the built-in frameworks (the default is used by `scan` unless --framework says otherwise)."""
    from fourlayer.config.frameworks import DEFAULT_FRAMEWORK, available, load_framework

    items = [load_framework(fid, _known_checks()) for fid in available()]
    if fmt == "json":
        click.echo(json.dumps([{"id": f.id, "version": f.version, "status": f.status, "name": f.name,
                                "requirements": len(f.requirements), "default": f.id == DEFAULT_FRAMEWORK}
                               for f in items], ensure_ascii=False, indent=2))
        return
    for f in items:
        mark = "*" if f.id == DEFAULT_FRAMEWORK else " "
        click.echo(f"{mark} {f.id:<24} {f.version:<12} {f.status:<10} {len(f.requirements):>3} requirements  "
                   f"{f.name[lang]}")
    click.echo(f"* {LABELS[lang]['default']}")


@frameworks.command("show")
@click.argument("framework_id", metavar="ID|FILE")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="en")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def frameworks_show(framework_id: str, lang: str, fmt: str) -> None:
    """Show a framework: legal status, sources, levels, requirements and the checks that evidence them."""
    from fourlayer.config.frameworks import load_framework

    f = load_framework(framework_id, _known_checks())
    for warning in f.warnings:
        click.echo(f"warning: {warning}", err=True)
    if fmt == "json":
        click.echo(json.dumps(f.summary(), ensure_ascii=False, indent=2))
        return
    t = LABELS[lang]
    click.echo(f"{f.id} {f.version} ({f.status}) — {f.name[lang]}\n\n{f.in_force[lang]}\n\n{t['sources']}:")
    for s in f.sources:
        click.echo(f"  - {s['title']}{_flags(lang, ('unverified', not s['verified']))}")
    click.echo(f"\n{t['levels_h']}:")
    for n, lv in sorted(f.levels.items()):
        click.echo(f"  {n}: {lv['section']}{_flags(lang, ('unverified', not lv['verified']))}")
    for area, names in f.areas.items():
        click.echo(f"\n{names[lang]}:")
        for r in (r for r in f.requirements if r.area == area):
            click.echo(f"  {r.id} {r.clause}{_flags(lang, ('unverified', not r.verified), ('provisional', r.provisional))}")
            click.echo(f"      {r.title[lang]} — {t['levels']} {', '.join(map(str, r.levels))}")
            click.echo(f"      {t['checks']}: {', '.join(m.check for m in r.checks) or t['manual']}")
    if f.unmapped:
        click.echo(f"\n{t['unmapped_h']}:")
        for check_id, reason in f.unmapped.items():
            click.echo(f"  {check_id}: {reason}")

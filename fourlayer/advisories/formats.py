"""Importers of the advisory files a user downloads on a connected machine and carries into the air-gapped network.

- Debian Security Tracker JSON (https://security-tracker.debian.org/tracker/data/json): `{source package: {issue
  id: {"description", "scope", "releases": {codename: {"status", "repositories", "fixed_version", "urgency"}}}}}`.
  The file carries no date of its own: the user says it (`--data-date`), else the file's modification time counts.
- OSV JSON (https://ossf.github.io/osv-schema/), as Debian, Ubuntu, AlmaLinux and Rocky Linux publish it: one
  record, a JSON array of records, or a .zip of record files (osv.dev's `<ecosystem>/all.zip`). Its date is the
  newest `modified` of its records.

Every problem is one `InputError` naming the file, the line (and column) or the JSON path, never the content.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from fourlayer.advisories.versions import valid
from fourlayer.core.constants import ADVISORY_SEVERITIES
from fourlayer.core.errors import InputError

MAX_BYTES = 1 << 30  # the whole Debian tracker is ~70 MB; refuse anything absurd
SEVERITIES = ADVISORY_SEVERITIES
DEBIAN_RELEASES = {"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14",
                   "duke": "15", "stretch": "9", "jessie": "8"}
# distribution -> package manager whose version order applies
KIND = {"debian": "dpkg", "ubuntu": "dpkg", "almalinux": "rpm", "rocky": "rpm", "rhel": "rpm"}
_OSV_ECOSYSTEMS = {"debian": "debian", "ubuntu": "ubuntu", "almalinux": "almalinux", "rocky linux": "rocky"}
_TRACKER_STATUS = ("resolved", "open", "undetermined")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$")
_PACKAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+_~:-]{0,199}$")
_RELEASE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


@dataclass(frozen=True)
class Record:
    """One advisory for one source package in one release: affected from `introduced` (inclusive, None = always)
    until `fixed` (exclusive; None = no fix released) or up to `last_affected` (inclusive)."""

    release: str
    package: str
    vuln_id: str
    severity: str
    fixed: str | None
    introduced: str | None = None
    last_affected: str | None = None
    note: str = ""  # e.g. "end-of-life" (the release gets no fix), "undetermined"


@dataclass
class AdvisorySet:
    format: str  # "debian-tracker" | "osv"
    distro: str
    records: list[Record]
    data_date: dt.date
    date_from: str  # where the date came from: "--data-date", "file modification time", "OSV modified"


def _fail(path: str, message: str, line: int | None = None) -> InputError:
    return InputError(path, line, None, message)


def _line_of(text: str, keys: list[str]) -> int | None:
    """The line of the JSON path `keys` (each key found after the previous one), None when not found."""
    pos = 0
    for k in keys:
        found = text.find(json.dumps(k), pos)
        if found < 0:
            return None
        pos = found
    return text.count("\n", 0, pos) + 1


def _json_path(keys: list[str]) -> str:
    return "$" + "".join(f"[{json.dumps(k)}]" for k in keys)


def _parse_json(path: str, raw: bytes) -> tuple[Any, str]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(path, f"not UTF-8 text (byte offset {exc.start}); download the file again") from None
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise _fail(path, f"column {exc.colno} (offset {exc.pos}): not valid JSON ({exc.msg}); the download is "
                          "damaged or cut short: download it again", exc.lineno) from None
    except RecursionError:
        raise _fail(path, "JSON nested too deeply; this is not an advisory file") from None


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _fail(str(path), f"file is {size} bytes, more than the {MAX_BYTES} an advisory file may have")
        return path.read_bytes()
    except OSError as exc:
        raise _fail(str(path), f"cannot read the file ({exc.strerror or exc}); check the path") from None


def detect(path: str, doc: Any) -> str:
    if isinstance(doc, list) or (isinstance(doc, dict) and "affected" in doc and "id" in doc):
        return "osv"
    if isinstance(doc, dict) and doc and all(isinstance(v, dict) for v in list(doc.values())[:50]):
        return "debian-tracker"
    raise _fail(path, "neither Debian Security Tracker JSON (an object of source packages) nor OSV JSON (a record "
                      "with `id` and `affected`, or an array of them); download one of those formats")


def load(path: Path, data_date: dt.date | None, clock: dt.datetime) -> AdvisorySet:
    """Parse and validate one advisory file. `data_date` overrides the file's own date (the tracker has none)."""
    raw = _read(path)
    if zipfile.is_zipfile(io.BytesIO(raw)):
        return _osv_zip(path, raw, data_date, clock)
    doc, text = _parse_json(str(path), raw)
    kind = detect(str(path), doc)
    if kind == "osv":
        records, distro, newest = _osv_doc(str(path), doc, text)
        return _finish(str(path), "osv", distro, records, data_date, newest, clock)
    records = list(_tracker(str(path), doc, text))
    mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).date()
    return _finish(str(path), "debian-tracker", "debian", records, data_date, mtime, clock,
                   own_date="file modification time")


def _finish(path: str, fmt: str, distro: str, records: list[Record], data_date: dt.date | None,
            own: dt.date, clock: dt.datetime, own_date: str = "newest OSV `modified`") -> AdvisorySet:
    if not records:
        raise _fail(path, "holds no advisory for any package; download the distribution's full data")
    date, date_from = (data_date, "--data-date") if data_date else (own, own_date)
    today = clock.astimezone(dt.timezone.utc).date()
    if date > today + dt.timedelta(days=1):
        raise _fail(path, f"data dated {date.isoformat()}, after today ({today.isoformat()}, {date_from}); "
                          "check the date (or this machine's clock)")
    return AdvisorySet(fmt, distro, records, date, date_from)


# ---- Debian Security Tracker JSON ------------------------------------------------------------------------------

def _severity_from_urgency(urgency: str) -> str:
    word = urgency.strip().rstrip("*").lower()
    return {"high": "high", "medium": "medium", "low": "low", "unimportant": "low"}.get(word, "unknown")


def _tracker(path: str, doc: dict, text: str) -> Iterator[Record]:
    def bad(keys: list[str], what: str) -> InputError:
        return _fail(path, f"{_json_path(keys)}: {what} (Debian Security Tracker JSON); download the file again",
                     _line_of(text, keys))

    for package, issues in doc.items():
        if not _PACKAGE.fullmatch(package):
            raise bad([package], "not a Debian source package name")
        if not isinstance(issues, dict):
            raise bad([package], "expected an object of issues")
        for vuln_id, issue in issues.items():
            if not _ID.fullmatch(vuln_id):
                raise bad([package, vuln_id], "not an issue id such as CVE-2024-6387")
            releases = issue.get("releases") if isinstance(issue, dict) else None
            if not isinstance(releases, dict):
                raise bad([package, vuln_id], "expected an object with `releases`")
            for codename, info in releases.items():
                keys = [package, vuln_id, "releases", codename]
                if not _RELEASE.fullmatch(codename) or not isinstance(info, dict):
                    raise bad(keys, "expected a release codename and an object")
                status, fixed, urgency = info.get("status"), info.get("fixed_version"), info.get("urgency", "")
                if status not in _TRACKER_STATUS:
                    raise bad(keys + ["status"], f"status must be one of {', '.join(_TRACKER_STATUS)}")
                if not isinstance(urgency, str):
                    raise bad(keys + ["urgency"], "urgency must be text")
                if status == "resolved":
                    if not isinstance(fixed, str) or not (fixed == "0" or valid("dpkg", fixed)):
                        raise bad(keys + ["fixed_version"], "a resolved issue needs a dpkg fixed_version")
                    if fixed == "0":  # not affected in this release
                        continue
                eol = urgency.strip() == "end-of-life"
                yield Record(release=DEBIAN_RELEASES.get(codename, codename), package=package, vuln_id=vuln_id,
                             severity=_severity_from_urgency(urgency),
                             fixed=fixed if status == "resolved" else None,
                             note="end-of-life" if eol else ("undetermined" if status == "undetermined" else ""))


# ---- OSV ---------------------------------------------------------------------------------------------------------

def _ecosystem(value: Any) -> tuple[str, str] | None:
    """"Debian:12" -> ("debian", "12"); "Ubuntu:22.04:LTS" / "Ubuntu:Pro:18.04:LTS" -> ("ubuntu", "22.04");
    "AlmaLinux:9" -> ("almalinux", "9"); other ecosystems (PyPI, npm...) -> None."""
    if not isinstance(value, str) or ":" not in value:
        return None
    name, *rest = value.split(":")
    distro = _OSV_ECOSYSTEMS.get(name.strip().lower())
    rest = [r for r in rest if r and r[0].isdigit()]
    return (distro, rest[0]) if distro and rest else None


def _osv_severity(rec: dict, affected: dict) -> str:
    for item in rec.get("severity") or []:
        if isinstance(item, dict) and str(item.get("type", "")).lower() in ("ubuntu", "debian"):
            return _word(item.get("score"))
    for source in (affected.get("ecosystem_specific"), affected.get("database_specific"),
                   rec.get("database_specific")):
        if isinstance(source, dict):
            for field in ("severity", "urgency", "priority"):
                if isinstance(source.get(field), str):
                    return _word(source[field])
    return "unknown"


def _word(value: Any) -> str:
    word = str(value or "").strip().rstrip("*").lower()
    word = {"important": "high", "moderate": "medium", "negligible": "low", "unimportant": "low"}.get(word, word)
    return word if word in SEVERITIES else "unknown"


def _modified(path: str, rec: dict, where: list[str], text: str) -> dt.date:
    value = rec.get("modified")
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        raise _fail(path, f"{_json_path(where + ['modified'])}: OSV requires an RFC 3339 `modified` time",
                    _line_of(text, where + ["modified"])) from None


def _osv_doc(path: str, doc: Any, text: str) -> tuple[list[Record], str, dt.date]:
    recs = doc if isinstance(doc, list) else [doc]
    records: list[Record] = []
    distros: set[str] = set()
    newest: dt.date | None = None
    for i, rec in enumerate(recs):
        rid = rec.get("id") if isinstance(rec, dict) else None
        if not isinstance(rid, str) or not _ID.fullmatch(rid) or not isinstance(rec.get("affected"), list):
            raise _fail(path, f"record {i + 1}: an OSV record needs an `id` and an `affected` list",
                        _line_of(text, ["id"] * (i + 1)) if isinstance(doc, list) else 1)
        day = _modified(path, rec, [rid], text)
        newest = day if newest is None or day > newest else newest
        aliases = [a for a in rec.get("aliases") or [] if isinstance(a, str) and a.startswith("CVE-")]
        vuln_id = rid if rid.startswith("CVE-") or not aliases else f"{aliases[0]} ({rid})"
        for affected in rec["affected"]:
            pkg = affected.get("package") if isinstance(affected, dict) else None
            eco = _ecosystem(pkg.get("ecosystem")) if isinstance(pkg, dict) else None
            if eco is None:
                continue
            distro, release = eco
            name = pkg.get("name")
            if not isinstance(name, str) or not _PACKAGE.fullmatch(name):
                raise _fail(path, f"record {rid}: affected package name is missing or not a package name",
                            _line_of(text, [rid, "name"]))
            distros.add(distro)
            records += _osv_ranges(path, rid, vuln_id, affected, distro, release, name,
                                   _osv_severity(rec, affected), text)
    if not records:
        raise _fail(path, "no OSV record names a Debian, Ubuntu, AlmaLinux or Rocky Linux package; download the "
                          "distribution's OSV data")
    if len(distros) > 1:
        raise _fail(path, f"mixes distributions ({', '.join(sorted(distros))}); import one distribution per file")
    return records, distros.pop(), newest


def _osv_ranges(path: str, rid: str, vuln_id: str, affected: dict, distro: str, release: str, name: str,
                severity: str, text: str) -> list[Record]:
    kind = KIND[distro]
    out = []
    for rng in affected.get("ranges") or []:
        if not isinstance(rng, dict) or rng.get("type") != "ECOSYSTEM":
            continue
        events = rng.get("events")
        if not isinstance(events, list) or not events:
            raise _fail(path, f"record {rid}: an ECOSYSTEM range needs `events`", _line_of(text, [rid, "events"]))
        introduced = None
        for event in events:
            if not isinstance(event, dict) or len(event) != 1:
                raise _fail(path, f"record {rid}: each event is one of introduced, fixed, last_affected",
                            _line_of(text, [rid, "events"]))
            (what, version), = event.items()
            if what not in ("introduced", "fixed", "last_affected", "limit") or not isinstance(version, str) or \
                    not (version == "0" or valid(kind, version)):
                raise _fail(path, f"record {rid}: event `{what}` needs a {kind} version",
                            _line_of(text, [rid, "events", what]))
            if what == "introduced":
                introduced = None if version == "0" else version
                out.append(Record(release, name, vuln_id, severity, None, introduced))
            elif what in ("fixed", "last_affected") and out and out[-1].fixed is None and not out[-1].last_affected:
                last = out.pop()
                out.append(Record(release, name, vuln_id, severity, version if what == "fixed" else None,
                                  last.introduced, version if what == "last_affected" else None))
    return out


def _osv_zip(path: Path, raw: bytes, data_date: dt.date | None, clock: dt.datetime) -> AdvisorySet:
    records: list[Record] = []
    distros: set[str] = set()
    newest: dt.date | None = None
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        members = [m for m in archive.infolist() if m.filename.endswith(".json")]
        if sum(m.file_size for m in members) > MAX_BYTES:
            raise _fail(str(path), f"unpacks to more than {MAX_BYTES} bytes; this is not an OSV archive")
        for member in members:
            name = f"{path}:{member.filename}"
            doc, text = _parse_json(name, archive.read(member))
            if detect(name, doc) != "osv":
                raise _fail(name, "not an OSV record")
            try:
                recs, distro, day = _osv_doc(name, doc, text)
            except InputError as exc:
                if "no OSV record names" in exc.message:
                    continue  # another ecosystem's record in a mixed archive
                raise
            records += recs
            distros.add(distro)
            newest = day if newest is None or day > newest else newest
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise _fail(str(path), f"damaged zip archive ({type(exc).__name__}); download it again") from None
    if len(distros) > 1:
        raise _fail(str(path), f"mixes distributions ({', '.join(sorted(distros))}); import one per file")
    if not records or newest is None:
        raise _fail(str(path), "no OSV record names a Debian, Ubuntu, AlmaLinux or Rocky Linux package")
    return _finish(str(path), "osv", distros.pop(), records, data_date, newest, clock)

"""The local advisory database: `advisories.sqlite` beside the history database ($FOURLAYER_ADVISORY_DB overrides).

One row per imported set (source file, its sha256, format, distribution, the data's date and where that date came
from, the import time, a note such as "demo data") and one row per advisory record. Importing a file of the same
name for the same distribution and format again replaces the set it imported before. Scans only read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from fourlayer.advisories.formats import AdvisorySet, Record
from fourlayer.history.storage import default_db_path

ENV_ADVISORY_DB = "FOURLAYER_ADVISORY_DB"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sets (
  id INTEGER PRIMARY KEY, format TEXT NOT NULL, distro TEXT NOT NULL, source_file TEXT NOT NULL,
  sha256 TEXT NOT NULL, imported_at TEXT NOT NULL, data_date TEXT NOT NULL, date_from TEXT NOT NULL,
  records INTEGER NOT NULL, releases TEXT NOT NULL, note TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS advisories (
  set_id INTEGER NOT NULL REFERENCES sets(id) ON DELETE CASCADE, release TEXT NOT NULL, package TEXT NOT NULL,
  vuln_id TEXT NOT NULL, severity TEXT NOT NULL, fixed TEXT, introduced TEXT, last_affected TEXT,
  note TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS advisories_by_set ON advisories(set_id);
"""


def advisory_db_path() -> Path:
    if os.environ.get(ENV_ADVISORY_DB):
        return Path(os.path.expanduser(os.environ[ENV_ADVISORY_DB]))
    return default_db_path().parent / "advisories.sqlite"


@dataclass(frozen=True)
class SetInfo:
    id: int
    format: str
    distro: str
    source_file: str
    sha256: str
    imported_at: str
    data_date: dt.date
    date_from: str
    records: int
    releases: tuple[str, ...]
    note: str

    def age_days(self, day: dt.date) -> int:
        return (day - self.data_date).days

    def describe(self, day: dt.date) -> str:
        note = f", {self.note}" if self.note else ""
        return (f"{self.format} {Path(self.source_file).name} ({self.distro} {','.join(self.releases)}; "
                f"sha256 {self.sha256[:12]}; data of {self.data_date.isoformat()}, {self.age_days(day)} days old; "
                f"{self.records} records{note})")


def _connect(path: Path, create: bool) -> sqlite3.Connection:
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path)
        conn.executescript(_SCHEMA)
    else:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def save(path: Path, source: Path, raw_sha256: str, data: AdvisorySet, note: str = "") -> SetInfo:
    """Store one validated set, replacing the set imported before from a file of the same name."""
    releases = sorted({r.release for r in data.records})
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    conn = _connect(path, create=True)
    try:
        with conn:
            conn.execute("DELETE FROM sets WHERE format = ? AND distro = ? AND source_file LIKE ?",
                         (data.format, data.distro, f"%/{source.name}"))
            cur = conn.execute(
                "INSERT INTO sets (format, distro, source_file, sha256, imported_at, data_date, date_from, records,"
                " releases, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (data.format, data.distro, str(source.resolve()), raw_sha256, now, data.data_date.isoformat(),
                 data.date_from, len(data.records), ",".join(releases), note))
            set_id = cur.lastrowid
            conn.executemany(
                "INSERT INTO advisories (set_id, release, package, vuln_id, severity, fixed, introduced,"
                " last_affected, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(set_id, r.release, r.package, r.vuln_id, r.severity, r.fixed, r.introduced, r.last_affected,
                  r.note) for r in data.records])
    finally:
        conn.close()
    return next(s for s in list_sets(path) if s.id == set_id)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _info(row: tuple) -> SetInfo:
    return SetInfo(row[0], row[1], row[2], row[3], row[4], row[5], dt.date.fromisoformat(row[6]), row[7], row[8],
                   tuple(r for r in row[9].split(",") if r), row[10])


def list_sets(path: Path) -> list[SetInfo]:
    """Every imported set, oldest import first; [] when nothing was imported."""
    if not path.exists():
        return []
    return [_info(r) for r in _rows(path, "SELECT id, format, distro, source_file, sha256, imported_at, data_date,"
                                          " date_from, records, releases, note FROM sets ORDER BY id")]


def _rows(path: Path, sql: str) -> list[tuple]:
    conn = _connect(path, create=False)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def load_records(path: Path) -> tuple[list[SetInfo], list[tuple[int, str, Record]]]:
    """(sets, [(set id, distro, record)]) — everything, read once."""
    sets = list_sets(path)
    if not sets:
        return [], []
    distro_of = {s.id: s.distro for s in sets}
    rows = _rows(path, "SELECT set_id, release, package, vuln_id, severity, fixed, introduced, last_affected, note"
                       " FROM advisories")
    return sets, [(r[0], distro_of[r[0]], Record(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8])) for r in rows]


def import_files(paths: list[Path], data_date: dt.date | None = None, note: str = "",
                 db: Path | None = None) -> list[SetInfo]:
    """Validate every file first (InputError on the first problem, nothing written), then store each set."""
    from fourlayer.advisories.formats import load
    from fourlayer.core.errors import InputError

    clock = dt.datetime.now(dt.timezone.utc)
    parsed = [(p, sha256_of(p), load(p, data_date, clock)) for p in paths]
    target = db or advisory_db_path()
    try:
        return [save(target, p, digest, data, note) for p, digest, data in parsed]
    except sqlite3.Error as exc:
        raise InputError(str(target), None, None, f"cannot write the advisory database ({exc}); remove the "
                                                   f"damaged file or set ${ENV_ADVISORY_DB}") from None

"""Scan history in SQLite: runs, every result, evidence digests and the report document of each run.

- One file (default `~/.local/share/fourlayer/history.sqlite`, or `$FOURLAYER_DB`, or `--db PATH`), mode 0600,
  WAL journal (readers never block the scan that writes), schema versioned by `PRAGMA user_version` and
  upgraded by the ordered `MIGRATIONS` list.
- Results are written while the scan runs, one transaction per finished host, so an interrupted or killed scan
  keeps what it finished; its run stays `incomplete` with the reason.
- Evidence excerpts are not kept in the results table, only their SHA-256 (to see that evidence changed).
  The report document (which holds the bounded, secret-free excerpts the report showed) is stored
  zlib-compressed so that `fourlayer report RUN` re-renders the exact report.
- One scan at a time per database: `ScanLock` is an advisory `fcntl` lock on `<db>.lock`; a second scan waits
  up to its lock timeout, then refuses with `StoreBusy`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import hashlib
import json
import os
import sqlite3
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, TypeVar

from fourlayer.core.errors import InputError
from fourlayer.core.json_stream import Streamed, iter_json
from fourlayer.core.model import Result

ENV_DB = "FOURLAYER_DB"
APPLICATION_ID = 0x464C3452  # "FL4R": marks the file as a fourlayer history database
LOCK_SUFFIX = ".lock"
STALE_REASON = "the scan process ended before finishing (killed, or the machine stopped)"

# Ordered schema migrations: MIGRATIONS[i] takes a database from version i to i + 1. Never edit a released
# step; append a new one.
MIGRATIONS: list[tuple[str, ...]] = [
    (
        f"PRAGMA application_id = {APPLICATION_ID}",
        """CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            started TEXT NOT NULL,                  -- ISO 8601, UTC
            finished TEXT,
            status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'incomplete')),
            stop_reason TEXT,
            inventory TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            options TEXT NOT NULL,                  -- JSON
            agencies TEXT NOT NULL,                 -- JSON list of the agency ids in scope
            hosts_planned INTEGER NOT NULL,
            hosts_done INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX runs_started ON runs (started)",
        """CREATE TABLE hosts (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            agency TEXT NOT NULL, system TEXT NOT NULL, host TEXT NOT NULL, address TEXT NOT NULL,
            seconds REAL, collectors TEXT NOT NULL,  -- JSON: name -> {ok, error, seconds}
            PRIMARY KEY (run_id, agency, system, host))""",
        """CREATE TABLE results (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            check_id TEXT NOT NULL, layer INTEGER NOT NULL, severity TEXT NOT NULL, status TEXT NOT NULL,
            agency TEXT NOT NULL, system TEXT, host TEXT, scope TEXT NOT NULL,
            reason TEXT NOT NULL,
            evidence_sha256 TEXT,                   -- digest of the evidence excerpt; the excerpt is not kept here
            waiver TEXT,                            -- JSON or NULL
            duration_ms REAL)""",
        "CREATE INDEX results_run ON results (run_id)",
        """CREATE TABLE scores (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            agency TEXT NOT NULL,
            layer TEXT NOT NULL,                    -- 'all' or '1'..'4'
            score REAL, coverage REAL, met INTEGER,
            PRIMARY KEY (run_id, agency, layer))""",
        """CREATE TABLE documents (
            run_id TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
            encoding TEXT NOT NULL,                 -- 'json+zlib'
            sha256 TEXT NOT NULL,                   -- of the uncompressed JSON
            size INTEGER NOT NULL,
            data BLOB NOT NULL)""",
    ),
]
SCHEMA_VERSION = len(MIGRATIONS)


class StoreBusy(Exception):
    """Another scan holds the database; the message is one line for the user."""


# What a damaged file raises while it is read: SQLite's own errors (malformed pages, bytes that are not UTF-8),
# and a stored report that no longer decompresses or parses. A bug (ProgrammingError) is not among them.
_DAMAGE = (sqlite3.DatabaseError, zlib.error, UnicodeDecodeError, json.JSONDecodeError)
_BUGS = (sqlite3.ProgrammingError, sqlite3.InterfaceError)
_F = TypeVar("_F", bound=Callable[..., Any])


def damaged(path: Path, exc: BaseException) -> InputError:
    """The one-line error for a history database that cannot be read; SQLite's message is not shown, as it
    may quote the file's content (a damaged schema is echoed whole)."""
    code = (getattr(exc, "sqlite_errorname", None) or ("a stored report does not decompress"
            if isinstance(exc, zlib.error) else "a stored value does not decode" if isinstance(exc, ValueError)
            else type(exc).__name__))
    return InputError(str(path), None, "--db", f"not a usable fourlayer history database: damaged, or not one "
                                               f"({code}); restore it from a backup, or move it away (or pass "
                                               "another --db) to start a new history")


# Operational faults (and their extended codes, e.g. SQLITE_IOERR_WRITE) that say nothing about the file's
# content: the callers handle them (a busy database waits
# or exits 5; a full or failing disk mid-scan still leaves the reports, exit 8).
_NOT_DAMAGE = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN")


def _guarded(method: _F) -> _F:
    """`method`, with a damaged database turned into `damaged(...)` (exit 2) instead of an internal error."""
    @functools.wraps(method)
    def wrapper(self: "HistoryStore", *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except _BUGS:
            raise
        except _DAMAGE as exc:
            if isinstance(exc, sqlite3.OperationalError) and str(getattr(exc, "sqlite_errorname", "")).startswith(_NOT_DAMAGE):
                raise  # busy, full, read-only, I/O: the database is sound, its disk or its users are not
            raise damaged(self.path, exc) from None
    return wrapper  # type: ignore[return-value]


def default_db_path() -> Path:
    """$FOURLAYER_DB, else $XDG_DATA_HOME/fourlayer/history.sqlite (default ~/.local/share/...)."""
    if os.environ.get(ENV_DB):
        return Path(os.path.expanduser(os.environ[ENV_DB]))
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "fourlayer" / "history.sqlite"


def digest(text: str | bytes | None) -> str | None:
    if not text:
        return None
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


class ScanLock:
    """Advisory exclusive lock on `<db>.lock` held for a whole scan (or prune). Released when the process dies."""

    def __init__(self, db_path: Path, timeout: float):
        self.path = Path(str(db_path) + LOCK_SUFFIX)
        self.timeout = timeout
        self._fd: int | None = None

    def acquire(self, label: str = "scan", cancel: Any = None) -> "ScanLock":
        """Take the lock, waiting up to the timeout; `cancel` (a threading.Event) set meanwhile gives up at once."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if cancel is not None and cancel.is_set():
                    os.close(fd)
                    raise StoreBusy("interrupted while waiting for the history database") from None
                if time.monotonic() >= deadline:
                    holder = self._holder(fd)
                    os.close(fd)
                    raise StoreBusy(f"history database {self.path.name[:-len(LOCK_SUFFIX)]} is in use by another "
                                    f"{holder}; waited {self.timeout:g} s — try again later, raise --lock-timeout, "
                                    "or use another --db") from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "what": label, "since": utc_now()}).encode(), 0)
        self._fd = fd
        return self

    @staticmethod
    def _holder(fd: int) -> str:
        try:
            info = json.loads(os.pread(fd, 4096, 0) or b"{}")
            return f"{info.get('what', 'scan')} (pid {int(info['pid'])}, since {str(info['since'])[:19]} UTC)"
        except (ValueError, KeyError, TypeError, OSError):
            return "scan"

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> "ScanLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


@dataclass(frozen=True)
class RunInfo:
    id: str
    started: str
    finished: str | None
    status: str
    stop_reason: str | None
    inventory: str
    tool_version: str
    options: dict[str, Any]
    agencies: list[str]
    hosts_planned: int
    hosts_done: int

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


_RUN_COLUMNS = ("id, started, finished, status, stop_reason, inventory, tool_version, options, agencies, "
                "hosts_planned, hosts_done")
_RESULT_COLUMNS = ("check_id, layer, severity, status, reason, evidence_sha256, agency, system, host, scope, "
                   "waiver, duration_ms")


COPY_CHUNK = 1 << 20  # bytes of the compressed document copied into its blob at a time


def _compressed_json(document: dict[str, Any], spool: BinaryIO) -> tuple[str, int, int]:
    """(SHA-256 and size of the compact JSON text, size of that text zlib-compressed). The text is encoded and
    compressed result by result and the compressed bytes go to `spool` (a file) as they come: neither the text
    nor its compressed form is ever whole in memory (at 2,000 hosts, ~80 MB and ~8 MB)."""
    sha, size, packer, packed = hashlib.sha256(), 0, zlib.compressobj(6), 0
    # the two long lists, item by item: the results, and the agencies (2,000 hosts' nodes are ~5 MB of text,
    # which as one piece of the skeleton would be built, sliced and encoded whole)
    streamed = {**document, **{k: Streamed(document[k] or []) for k in ("agencies", "results") if k in document}}
    for piece in iter_json(streamed, default=str):
        data = piece.encode("utf-8")
        sha.update(data)
        size += len(data)
        packed += spool.write(packer.compress(data))
    packed += spool.write(packer.flush())
    return sha.hexdigest(), size, packed


def _run(row: tuple) -> RunInfo:
    values = list(row)
    values[7], values[8] = json.loads(values[7]), json.loads(values[8])
    return RunInfo(*values)


class HistoryStore:
    """A fourlayer history database. `HistoryStore(path)` creates and migrates it if needed."""

    def __init__(self, path: str | os.PathLike, create: bool = True):
        self.path = Path(path)
        shown = str(self.path)
        if not self.path.exists():
            if not create:
                raise InputError(shown, None, "--db", "no history database here; run a scan first "
                                                      "(scans store their results by default) or pass --db PATH")
            self._create_file()
        try:
            self.conn = sqlite3.connect(shown, isolation_level=None, timeout=30.0, check_same_thread=False)
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: never corrupt, last commit may be lost
        except (sqlite3.DatabaseError, InputError) as exc:
            with contextlib.suppress(Exception):
                self.conn.close()
            if isinstance(exc, InputError):
                raise
            if isinstance(exc, sqlite3.OperationalError):  # full, read-only, I/O error: not the file's fault
                raise InputError(str(self.path), None, "--db", f"cannot open and write the history database ({exc}); "
                                                               "free space there, choose another --db, or use "
                                                               "--no-history") from None
            raise damaged(self.path, exc) from None

    def _create_file(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        except OSError as exc:
            raise InputError(str(self.path), None, "--db", f"cannot create the history database: "
                                                           f"{exc.strerror}") from None

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            self._check_application_id()
            return
        with self.transaction():
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
            if version > SCHEMA_VERSION:
                raise InputError(str(self.path), None, "--db",
                                 f"written by a newer fourlayer (schema {version}; this one knows up to "
                                 f"{SCHEMA_VERSION}); upgrade fourlayer or use another --db")
            if version == 0 and self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise InputError(str(self.path), None, "--db", "an SQLite file that is not a fourlayer history "
                                                               "database; choose another --db path")
            for step in MIGRATIONS[version:]:
                for statement in step:
                    self.conn.execute(statement)
                version += 1
                self.conn.execute(f"PRAGMA user_version = {version}")
        self._check_application_id()

    def _check_application_id(self) -> None:
        app = self.conn.execute("PRAGMA application_id").fetchone()[0]
        if app != APPLICATION_ID:
            raise InputError(str(self.path), None, "--db", "an SQLite file that is not a fourlayer history "
                                                           "database; choose another --db path")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            if self.conn.in_transaction:  # SQLite ends the transaction itself on some errors (disk full)
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "HistoryStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- writing (under ScanLock)
    @_guarded
    def mark_stale_runs(self) -> int:
        """Runs left 'running' by a process that died; call while holding the ScanLock."""
        with self.transaction() as c:
            return c.execute("UPDATE runs SET status = 'incomplete', stop_reason = ? WHERE status = 'running'",
                             (STALE_REASON,)).rowcount

    @_guarded
    def begin_run(self, run_id: str, started: str, inventory: str, tool_version: str, options: dict[str, Any],
                  agencies: Iterable[str], hosts_planned: int) -> None:
        with self.transaction() as c:
            c.execute(f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES (?, ?, NULL, 'running', NULL, ?, ?, ?, ?, ?, 0)",
                      (run_id, started, inventory, tool_version, json.dumps(options, default=str),
                       json.dumps(list(agencies)), hosts_planned))

    @_guarded
    def add_results(self, run_id: str, results: list[Result], host: Any | None = None) -> None:
        """Store one finished batch (a host's results, or the agency/system checks) in one transaction."""
        with self.transaction() as c:
            self._insert_results(c, run_id, results)
            if host is not None:
                c.execute("INSERT OR REPLACE INTO hosts VALUES (?, ?, ?, ?, ?, ?, ?)",
                          (run_id, host.agency, host.system, host.host, host.address, host.seconds,
                           json.dumps(host.collectors, default=str)))
                c.execute("UPDATE runs SET hosts_done = hosts_done + 1 WHERE id = ?", (run_id,))

    @staticmethod
    def _insert_results(c: sqlite3.Connection, run_id: str, results: Iterable[Result]) -> None:
        rows = ((run_id, r.check_id, r.layer, r.severity.value, r.status.value, r.reason, digest(r.evidence),
                 r.agency, r.system, r.host, r.scope, json.dumps(r.waiver, default=str) if r.waiver else None,
                 round(r.duration_ms, 3)) for r in results)  # one row at a time: a 2,000-host run is 160,000
        c.executemany(f"INSERT INTO results (run_id, {_RESULT_COLUMNS}) VALUES "
                      "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    @_guarded
    def finish_run(self, run_id: str, started: str, finished: str | None, complete: bool,
                   stop_reason: str | None, document: dict[str, Any], results: list[Result] | None = None) -> None:
        """Close a run: its status, the per-agency scores and the compressed report document. `results`, when
        given, replace the ones stored during the scan (waivers and other post-processing change statuses)."""
        # the compressed document is spooled beside the database (its disk, which takes the blob anyway), then
        # copied into a blob of its size chunk by chunk (SQLite's incremental blob I/O)
        try:
            with tempfile.TemporaryFile(dir=self.path.parent, prefix=".fourlayer-document-") as spool:
                self._finish_run(spool, run_id, started, finished, complete, stop_reason, document, results)
        except OSError as exc:  # the spool's disk is full or failing: an I/O fault of the store, not damage
            fault = sqlite3.OperationalError(f"cannot spool the report document: {exc.strerror or exc}")
            fault.sqlite_errorname = "SQLITE_IOERR_WRITE"
            raise fault from None

    def _finish_run(self, spool: BinaryIO, run_id: str, started: str, finished: str | None, complete: bool,
                    stop_reason: str | None, document: dict[str, Any], results: list[Result] | None) -> None:
        sha, size, packed = _compressed_json(document, spool)
        scores = []
        for agency in document.get("agencies", []):
            summary = agency["summary"]
            scores.append((run_id, agency["id"], "all", summary["score"], summary["coverage"], None))
            for layer, s in summary["layers"].items():
                scores.append((run_id, agency["id"], layer, s["score"], s["coverage"], int(bool(s.get("met")))))
        with self.transaction() as c:
            if results is not None:
                c.execute("DELETE FROM results WHERE run_id = ?", (run_id,))
                self._insert_results(c, run_id, results)
            c.execute("UPDATE runs SET started = ?, finished = ?, status = ?, stop_reason = ? WHERE id = ?",
                      (started, finished, "complete" if complete else "incomplete",
                       None if complete else (stop_reason or "interrupted"), run_id))
            c.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?, ?, ?)", scores)
            c.execute("INSERT OR REPLACE INTO documents VALUES (?, 'json+zlib', ?, ?, zeroblob(?))",
                      (run_id, sha, size, packed))
            rowid = c.execute("SELECT rowid FROM documents WHERE run_id = ?", (run_id,)).fetchone()[0]
            spool.seek(0)
            with c.blobopen("documents", "data", rowid) as blob:
                while chunk := spool.read(COPY_CHUNK):
                    blob.write(chunk)

    @_guarded
    def abandon_run(self, run_id: str, reason: str) -> None:
        """Mark a run incomplete without a document (the scan failed before it could finish)."""
        with self.transaction() as c:
            c.execute("UPDATE runs SET status = 'incomplete', finished = ?, stop_reason = ? "
                      "WHERE id = ? AND status = 'running'", (utc_now(), reason, run_id))

    @_guarded
    def mark_incomplete(self, run_id: str, reason: str) -> None:
        """A finished run whose output failed afterwards (its reports could not be written) is not complete."""
        with self.transaction() as c:
            c.execute("UPDATE runs SET status = 'incomplete', stop_reason = ? WHERE id = ?", (reason, run_id))

    @_guarded
    def delete_runs_before(self, cutoff: str, keep: Iterable[str] = ()) -> int:
        keep = list(keep)
        marks = ", ".join("?" * len(keep)) or "''"
        with self.transaction() as c:
            n = c.execute(f"DELETE FROM runs WHERE started < ? AND status != 'running' AND id NOT IN ({marks})",
                          (cutoff, *keep)).rowcount
        if n:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.conn.execute("VACUUM")
        return n

    # ---------------------------------------------------------------- reading
    @_guarded
    def runs(self, agency: str | None = None, complete_only: bool = False, before: str | None = None,
             exclude: str | None = None, limit: int | None = None) -> list[RunInfo]:
        """Runs newest first, optionally only those whose scope included `agency`."""
        where, args = ["1 = 1"], []
        if complete_only:
            where.append("status = 'complete'")
        if before is not None:
            where.append("started < ?")
            args.append(before)
        if exclude is not None:
            where.append("id != ?")
            args.append(exclude)
        rows = self.conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE {' AND '.join(where)} "
                                 "ORDER BY started DESC, id DESC", args).fetchall()
        runs = [_run(r) for r in rows]
        if agency is not None:
            runs = [r for r in runs if agency in r.agencies]
        return runs[:limit] if limit is not None else runs

    @_guarded
    def run(self, run_id: str) -> RunInfo | None:
        row = self.conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row else None

    @_guarded
    def resolve(self, ref: str) -> RunInfo:
        """A run by id, unique id prefix, `latest` (newest complete run) or `previous` (the complete one before)."""
        ref = ref.strip()
        if ref in ("latest", "previous"):
            complete = self.runs(complete_only=True, limit=2)
            index = 0 if ref == "latest" else 1
            if len(complete) <= index:
                raise InputError(str(self.path), None, "RUN", f"no {ref!r} run: the database holds "
                                                              f"{len(complete)} complete run(s)")
            return complete[index]
        found = [r for r in self.runs() if r.id.startswith(ref)] if ref else []
        if len(found) != 1:
            what = "no run" if not found else f"{len(found)} runs"
            raise InputError(str(self.path), None, "RUN", f"{what} matching {ref!r}; `fourlayer history` lists "
                                                          "the run ids (latest and previous work too)")
        return found[0]

    @_guarded
    def results(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(f"SELECT {_RESULT_COLUMNS} FROM results WHERE run_id = ? ORDER BY rowid",
                                 (run_id,)).fetchall()
        names = [c.strip() for c in _RESULT_COLUMNS.split(",")]
        out = []
        for row in rows:
            item = dict(zip(names, row))
            item["waiver"] = json.loads(item["waiver"]) if item["waiver"] else None
            out.append(item)
        return out

    @_guarded
    def hosts(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT agency, system, host, address, seconds FROM hosts WHERE run_id = ? "
                                 "ORDER BY agency, system, host", (run_id,)).fetchall()
        return [dict(zip(("agency", "system", "host", "address", "seconds"), r)) for r in rows]

    @_guarded
    def scores(self, run_ids: Iterable[str]) -> dict[str, dict[str, dict[str, Any]]]:
        """{run_id: {agency: {"score", "coverage", "layers": {"1": score, ...}, "met": {"1": bool, ...}}}}"""
        ids = list(run_ids)
        out: dict[str, dict[str, dict[str, Any]]] = {i: {} for i in ids}
        if not ids:
            return out
        rows = self.conn.execute(f"SELECT run_id, agency, layer, score, coverage, met FROM scores WHERE run_id IN "
                                 f"({', '.join('?' * len(ids))})", ids).fetchall()
        for run_id, agency, layer, score, coverage, met in rows:
            node = out[run_id].setdefault(agency, {"score": None, "coverage": None, "layers": {}, "met": {}})
            if layer == "all":
                node["score"], node["coverage"] = score, coverage
            else:
                node["layers"][layer] = score
                node["met"][layer] = bool(met)
        return out

    @_guarded
    def document(self, run_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT encoding, sha256, data FROM documents WHERE run_id = ?",
                                (run_id,)).fetchone()
        if row is None:
            return None
        encoding, sha, data = row
        raw = zlib.decompress(data)
        if encoding != "json+zlib" or digest(raw) != sha:
            raise InputError(str(self.path), None, "RUN", f"the stored report of run {run_id} is damaged "
                                                          "(checksum mismatch)")
        return json.loads(raw)

    @_guarded
    def past_statuses(self, agencies: Iterable[str], runs: int, exclude_check: str | None = None
                      ) -> list[tuple[str, str, str, str, str | None, str | None, str]]:
        """(run_id, started, check_id, agency, system, host, status) of the newest `runs` runs that covered
        any of `agencies`, newest run first."""
        agencies = list(agencies)
        if not agencies:
            return []
        wanted = [r.id for r in self.runs() if set(r.agencies) & set(agencies)][:runs]
        if not wanted:
            return []
        marks_r, marks_a = ", ".join("?" * len(wanted)), ", ".join("?" * len(agencies))
        return self.conn.execute(
            f"SELECT res.run_id, runs.started, res.check_id, res.agency, res.system, res.host, res.status "
            f"FROM results res JOIN runs ON runs.id = res.run_id "
            f"WHERE res.run_id IN ({marks_r}) AND res.agency IN ({marks_a}) AND res.check_id != ? "
            f"ORDER BY runs.started DESC, runs.id DESC", (*wanted, *agencies, exclude_check or "")).fetchall()

    @_guarded
    def integrity(self) -> str:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0]

"""The run's results on disk, not in memory: every host's results are spooled as they land, read back in order.

    spool = ResultSpool()                 # a private directory (0700) holding one JSON-lines file (0600)
    spool.add(batch)                      # a host's results (or an agency/system batch), appended at once
    for r in spool: ...                   # Result objects in the report's order: (agency, system, host, layer, check)
    spool.rewrite(fn)                     # post-processing (clauses, waivers): fn(results) yields the new ones
    spool.documents()                     # the same, as report-document dicts (a Streamed list: the writers stream it)
    spool.close()                         # the directory is removed (also when the spool is garbage-collected
                                          # and at interpreter exit, so a failed or interrupted run leaves nothing)

A 10,000-host run is ~1,000,000 results (~1 GB as objects); here only an index of byte ranges per target is kept
(one entry per host). The lines are the dispatch codec's result JSON (`result_to_json`): the fields of a Result,
which carry no secret (the codec sends the same to the broker).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import weakref
from typing import Any, Callable, Iterable, Iterator

from fourlayer.core.json_stream import Streamed
from fourlayer.core.model import Result

TargetKey = tuple[str, str, str]  # (agency, system or "", host or ""): the report's sort order, None first


def target_key(r: Result) -> TargetKey:
    return (r.agency, r.system or "", r.host or "")


def _item_order(d: dict[str, Any]) -> tuple[int, str]:
    return (int(d["layer"]), d["check_id"])


def _decode_lines(data: bytes) -> list[dict[str, Any]]:
    """The dicts of a segment's JSON lines, in one `json.loads` (a line never holds a raw line break: JSON
    escapes them), not one call per line: the results are read back once per report written."""
    return json.loads(b"[" + data.rstrip(b"\n").replace(b"\n", b",") + b"]")


def _remove(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


class ResultSpool:
    """Results of one run in a JSON-lines file; an index of (offset, length) segments per target is all that
    stays in memory. Reading gives exactly the order of `sorted(results, key=(agency, system, host, layer,
    check_id))` (a stable sort of the landing order)."""

    def __init__(self, directory: str | None = None):
        self.dir = tempfile.mkdtemp(prefix="fourlayer-spool-", dir=directory)  # mode 0700
        self._finalizer = weakref.finalize(self, _remove, self.dir)
        self._lock = threading.Lock()
        self._segments: dict[TargetKey, list[tuple[int, int]]] = {}
        self._count = 0
        self._generation = 0
        self._path, self._fh = self._open()
        self._sorted = False  # True once rewritten: the file itself is in order, one segment per target

    def _open(self) -> tuple[str, Any]:
        path = os.path.join(self.dir, f"results-{self._generation}.jsonl")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        return path, open(fd, "w+b")

    def __len__(self) -> int:
        return self._count

    def add(self, results: Iterable[Result]) -> None:
        """Append one batch; each target's results form one segment (a batch is one host, usually)."""
        from fourlayer.dispatch.codec import result_to_json

        by_target: dict[TargetKey, list[bytes]] = {}
        for r in results:
            line = json.dumps(result_to_json(r), ensure_ascii=False, separators=(",", ":"), default=str)
            by_target.setdefault(target_key(r), []).append(line.encode("utf-8") + b"\n")
        with self._lock:
            fh = self._fh
            fh.seek(0, os.SEEK_END)
            for key, lines in by_target.items():
                data = b"".join(lines)
                self._segments.setdefault(key, []).append((fh.tell(), len(data)))
                fh.write(data)
                self._count += len(lines)

    def _lines(self, keys: Iterable[TargetKey]) -> Iterator[list[dict[str, Any]]]:
        """Per target (in `keys` order), its result dicts in landing order."""
        with self._lock:
            self._fh.flush()
            segments = {k: list(self._segments.get(k, ())) for k in keys}
        with open(self._path, "rb") as fh:
            for key, parts in segments.items():
                items = []
                for offset, length in parts:
                    fh.seek(offset)
                    items.extend(_decode_lines(fh.read(length)))
                yield items

    def _targets(self, agency: str | None = None) -> list[TargetKey]:
        with self._lock:
            keys = list(self._segments)
        return sorted(k for k in keys if agency is None or k[0] == agency)

    def _items(self, agency: str | None = None) -> Iterator[dict[str, Any]]:
        """The spooled dicts in order (of one agency, or all)."""
        for items in self._lines(self._targets(agency)):
            if not self._sorted:
                items.sort(key=_item_order)
            yield from items

    def _results(self, agency: str | None = None) -> Iterator[Result]:
        from fourlayer.dispatch.codec import result_from_json

        return map(result_from_json, self._items(agency))

    def __iter__(self) -> Iterator[Result]:
        return self._results()

    def rewrite(self, change: Callable[[Iterable[Result]], Iterable[Result]]) -> None:
        """Replace the results by `change(results in order)` (which must keep their targets and order), written
        to a new file in order; the old one is removed."""
        old_path, old_fh = self._path, self._fh
        self._generation += 1
        path, fh = self._open()
        count, segments = 0, {}
        try:
            from fourlayer.dispatch.codec import result_to_json

            key, start = None, 0
            for r in change(iter(self)):
                k = target_key(r)
                if k != key:
                    if key is not None:
                        segments.setdefault(key, []).append((start, fh.tell() - start))
                    key, start = k, fh.tell()
                line = json.dumps(result_to_json(r), ensure_ascii=False, separators=(",", ":"), default=str)
                fh.write(line.encode("utf-8") + b"\n")
                count += 1
            if key is not None:
                segments.setdefault(key, []).append((start, fh.tell() - start))
        except BaseException:
            fh.close()
            os.unlink(path)
            raise
        with self._lock:
            self._path, self._fh, self._segments, self._count = path, fh, segments, count
            self._sorted = all(len(v) == 1 for v in segments.values())
        old_fh.close()
        os.unlink(old_path)

    def documents(self, agency: str | None = None) -> "SpooledDocuments":
        """The results as the report document's `results` items (Result.to_dict()), read when iterated."""
        return SpooledDocuments(self, agency)

    def by_agency(self) -> dict[str, "SpooledDocuments"]:
        return {a: self.documents(a) for a in dict.fromkeys(k[0] for k in self._targets())}

    def close(self) -> None:
        with self._lock:
            self._fh.close()
        self._finalizer()

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def __enter__(self) -> "ResultSpool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def document_item(d: dict[str, Any]) -> dict[str, Any]:
    """`Result.to_dict()` of a spooled line (`result_to_json`: the same keys in the same order, plus `extra`)."""
    d.pop("extra", None)
    d["duration_ms"] = round(float(d.get("duration_ms") or 0.0), 3)
    return d


class SpooledDocuments(Streamed):
    """The report's `results` list, read from the spool each time it is iterated (never held): a `Streamed`, so
    the JSON writers and the history store encode it item by item. `len()` is the number of results."""

    def __init__(self, spool: ResultSpool, agency: str | None = None):
        super().__init__(lambda: map(document_item, spool._items(agency)))
        self.spool, self.agency = spool, agency
        self._len: int | None = None

    def __len__(self) -> int:
        if self.agency is None:
            return len(self.spool)
        if self._len is None:
            self._len = sum(1 for _ in self)
        return self._len

    def __bool__(self) -> bool:
        return len(self) > 0 if self.agency is None else any(True for _ in self._targets())

    def _targets(self) -> list[TargetKey]:
        return self.spool._targets(self.agency)

"""Bench: 2,000 installed packages matched against a full-size synthetic advisory set (issue #15).

Writes a Debian Security Tracker JSON file of `--records` CVE x package x release records (default 30,000 for
bookworm, plus as many for bullseye, as the real tracker carries several releases), imports it with the real
importer into a throwaway database, builds the index once (as a scan does) and times the per-host match.

    .venv/bin/python bench/advisory_match.py [--records 30000] [--packages 2000] [--hosts 50]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from fourlayer.advisories.match import Index
from fourlayer.resources.packages import Installed, Platform
from fourlayer.advisories.store import import_files, load_records


def synthetic_tracker(records: int, sources: int, rng: random.Random) -> dict:
    doc: dict = {}
    for n in range(records):
        pkg = f"src{rng.randrange(sources):05d}"
        fixed = (f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}-{rng.randint(1, 5)}"
                 f"+deb12u{rng.randint(1, 9)}")
        status = rng.choice(("resolved",) * 8 + ("open",))
        release = {"status": status, "repositories": {"bookworm": fixed},
                   "urgency": rng.choice(("high", "medium", "low", "not yet assigned"))}
        if status == "resolved":
            release["fixed_version"] = fixed
        old = dict(release, repositories={"bullseye": fixed.replace("deb12", "deb11")})
        if status == "resolved":
            old["fixed_version"] = fixed.replace("deb12", "deb11")
        doc.setdefault(pkg, {})[f"CVE-{2000 + n // 10000}-{n % 10000:05d}"] = {
            "description": "synthetic", "scope": "remote", "releases": {"bookworm": release, "bullseye": old}}
    return doc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=30000, help="CVE x package records per release")
    ap.add_argument("--sources", type=int, default=6000, help="distinct source packages in the data")
    ap.add_argument("--packages", type=int, default=2000, help="installed packages per host")
    ap.add_argument("--hosts", type=int, default=50, help="hosts matched (different package sets)")
    args = ap.parse_args()
    rng = random.Random(15)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "debian-security-tracker.json"
        src.write_text(json.dumps(synthetic_tracker(args.records, args.sources, rng)), encoding="utf-8")
        t0 = time.perf_counter()
        [info] = import_files([src], dt.date.today(), db=Path(tmp) / "advisories.sqlite")
        t_import = time.perf_counter() - t0
        t0 = time.perf_counter()
        index = Index(*load_records(Path(tmp) / "advisories.sqlite"))
        t_index = time.perf_counter() - t0
        plat = Platform("debian", "12", "Debian 12 (synthetic)")
        times, findings = [], []
        for _ in range(args.hosts):
            installed = [Installed(f"bin{i}", v, f"src{rng.randrange(args.sources):05d}", v)
                         for i, v in ((i, f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}-"
                                          f"{rng.randint(1, 5)}") for i in range(args.packages))]
            t0 = time.perf_counter()
            found = index.match(plat, installed)
            times.append(time.perf_counter() - t0)
            findings.append(len(found))
        size = src.stat().st_size
    print(f"data: {info.records} records ({args.records} per release x 2 releases, {args.sources} source packages), "
          f"tracker JSON {size / 1e6:.1f} MB")
    print(f"import (parse, validate, store): {t_import:.2f} s; index built once per scan: {t_index:.2f} s")
    print(f"match {args.packages} installed packages, {args.hosts} hosts: "
          f"median {statistics.median(times) * 1e3:.1f} ms,"
          f" max {max(times) * 1e3:.1f} ms per host; median {statistics.median(findings):.0f} findings per host")


if __name__ == "__main__":
    main()

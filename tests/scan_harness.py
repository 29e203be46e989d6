"""Harness for the layer 2-4 check tests: a real inventory (and policy) file, scanned by the real runner.

Declared facts go in as a Python mapping dumped to YAML and loaded by `load_inventory`; hosts point at a real
lab sshd with a fake sysroot; agency endpoints at real TCP sinks; agents are real processes (`AgentProcesses`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import yaml

from fourlayer.config.inventory_load import load_inventory
from fourlayer.lab.sshd import SshdInstance
from fourlayer.core.model import Result
from fourlayer.config.policy import load_policy
from fourlayer.core.registry import REGISTRY
from fourlayer.core.discovery import discover
from fourlayer.core.runner import ScanOptions, run_scan

TODAY = dt.date(2026, 11, 1)


def unique_name(tag: str) -> str:
    """A process name nothing else on this machine uses (15 characters at most, as `ps -o comm` keeps)."""
    return f"fl{uuid.uuid4().hex[:5]}-{tag}"[:15]


def lab_host(sshd: SshdInstance, known_hosts: Path, sysroot: Path | None, host_id: str = "h1",
             roles: tuple[str, ...] = ("linux",)) -> dict[str, Any]:
    """An inventory host entry that logs in to `sshd` and reads files below `sysroot`."""
    ssh: dict[str, Any] = {"port": sshd.port, "user": sshd.user, "key_file": str(sshd.client_key),
                           "known_hosts": str(known_hosts)}
    if sysroot is not None:
        ssh["sysroot"] = str(sysroot)
    return {"address": sshd.address, "id": host_id, "roles": list(roles), "ssh": ssh}


def agency(agency_id: str = "a1", level: int = 3, hosts: list[dict] | None = None,
           system: dict | None = None, **facts: Any) -> dict[str, Any]:
    """One agency with one system `s1` of `level`; `facts` are agency keys (soc, national_monitoring, ...)."""
    sys_entry = {"id": "s1", "name": "Hệ thống thử nghiệm", "level": level, **(system or {})}
    if hosts:
        sys_entry["hosts"] = hosts
    return {"id": agency_id, "name": "Cơ quan thử nghiệm", **facts, "systems": [sys_entry]}


def write_inventory(tmp_path: Path, agencies: list[dict], policy: dict | None = None) -> Path:
    doc: dict[str, Any] = {"version": 1, "agencies": agencies}
    if policy is not None:
        (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
        doc["policy"] = "policy.yaml"
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def scan(path: Path, check_ids: list[str], today: dt.date = TODAY) -> dict[str, dict[str, Result]]:
    """target id (host, system or agency) -> check id -> Result, for the chosen checks only."""
    discover()
    inventory = load_inventory(path)
    policy = load_policy(inventory.policy_path)
    checks = [c for c in REGISTRY.all() if c.meta.id in check_ids]
    assert {c.meta.id for c in checks} == set(check_ids), "unknown check id"
    run = run_scan(inventory, policy, checks, ScanOptions(check_ids=tuple(check_ids), as_of=today, timeout=3.0))
    out: dict[str, dict[str, Result]] = {}
    for r in run.results:
        out.setdefault(r.host or r.system or r.agency, {})[r.check_id] = r
    return out

"""The network device checks, data-driven: every `tests/data/devices/<vendor>/<name>.<ext>` configuration that has
a sidecar `<name>.expected.yaml` ({check id: PASS|FAIL|WARN|NA|ERROR}) is audited through the real pipeline — an
inventory file whose `devices:` entry points at the configuration, the inventory loader, the planner, the
`device_config` collector, the vendor parser and the checks — and each listed verdict is asserted.

The configurations are written in each vendor's real syntax (commented in the files). The inventory declares the
SOC's log collector 127.0.0.1:1514 (L2-DEV-001) and a level 3 system (so that L1-DEV-005, from level 3, applies).
`vulns.max_table_age_days` is raised so that the firmware verdicts do not depend on the date (the table's age is
tested on its own below, on a clock moved past the policy's limit).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from fourlayer.core.discovery import discover
from fourlayer.core.model import Status
from fourlayer.core.registry import REGISTRY
from tests.scan_harness import agency, scan, write_inventory

DATA = Path(__file__).parents[1] / "data" / "devices"
SOC = {"provider": "SOC thử nghiệm", "log_collector": "127.0.0.1:1514"}
VERDICTS = {"PASS": Status.PASS, "FAIL": Status.FAIL, "WARN": Status.WARN, "NA": Status.NOT_APPLICABLE,
            "ERROR": Status.ERROR}
AGELESS = {"vulns": {"max_table_age_days": 100000}}


def fixtures() -> list[tuple[str, Path, Path]]:
    """(vendor, configuration, expectations) for every configuration with a sidecar."""
    found = []
    for sidecar in sorted(DATA.glob("*/*.expected.yaml")):
        name = sidecar.name[: -len(".expected.yaml")]
        configs = [p for p in sidecar.parent.glob(f"{name}.*") if not p.name.endswith(".expected.yaml")]
        assert len(configs) == 1, f"{sidecar}: expected exactly one {name}.<ext> beside it, found {configs}"
        found.append((sidecar.parent.name, configs[0], sidecar))
    return found


def device_checks() -> list[str]:
    discover()
    return sorted(c.meta.id for c in REGISTRY.all() if "device_config" in c.meta.needs)


def audit(tmp_path: Path, vendor: str, config: Path, policy: dict | None = AGELESS, soc: dict | None = SOC,
          today: dt.date | None = None) -> dict:
    device = {"id": "dev", "vendor": vendor, "role": "edge router", "config": str(config)}
    facts = {"soc": soc} if soc else {}
    path = write_inventory(tmp_path, [agency(level=3, system={"devices": [device]}, **facts)], policy)
    kwargs = {"today": today} if today else {}
    return scan(path, device_checks(), **kwargs)["dev"]


@pytest.mark.parametrize("vendor,config,sidecar", fixtures(), ids=lambda v: getattr(v, "name", v))
def test_fixture_verdicts(tmp_path, vendor, config, sidecar):
    expected = yaml.safe_load(sidecar.read_text(encoding="utf-8"))
    assert expected and set(expected) <= set(device_checks()), f"{sidecar}: unknown check ids"
    results = audit(tmp_path, vendor, config)
    wrong = {cid: (want, results[cid].status.value, results[cid].reason) for cid, want in expected.items()
             if results[cid].status is not VERDICTS[want]}
    assert not wrong, wrong
    for cid in expected:  # every verdict says why, in both languages
        assert results[cid].reason and results[cid].reason_vi and results[cid].reason != results[cid].reason_vi


def test_every_device_check_is_seen_pass_and_fail_on_ios():
    seen: dict[str, set[str]] = {}
    for vendor, _, sidecar in fixtures():
        if vendor == "cisco_ios":
            for cid, verdict in yaml.safe_load(sidecar.read_text(encoding="utf-8")).items():
                seen.setdefault(cid, set()).add(verdict)
    missing = {cid: sorted({"PASS", "FAIL"} - seen.get(cid, set())) for cid in device_checks()
               if not {"PASS", "FAIL"} <= seen.get(cid, set())}
    assert not missing, missing


def test_stale_firmware_table_turns_a_clean_result_into_warn(tmp_path):
    """The table's age counts on the scan's clock, not --as-of: the hardened router's clean firmware verdict is
    PASS on a clock within vulns.max_table_age_days of the table's date and WARN (saying how old) past it."""
    from fourlayer.collectors.base import CollectContext
    from fourlayer.collectors.device_config import collect
    from fourlayer.config.inventory_load import load_inventory
    from fourlayer.config.policy import load_policy
    from fourlayer.core.runner import evaluate
    from fourlayer.core.target import Target
    from fourlayer.advisories.banner_table import load_table
    from fourlayer.checks.layer3.device_firmware import TABLE

    device = {"id": "dev", "vendor": "cisco_ios", "config": str(DATA / "cisco_ios" / "hardened.conf")}
    inv = load_inventory(write_inventory(tmp_path, [agency(system={"devices": [device]})]))
    a, s = inv.agencies[0], inv.agencies[0].systems[0]
    policy = load_policy(None)
    check = next(c for c in REGISTRY.all() if c.meta.id == "L3-DEV-001")
    limit = int(policy["vulns"]["max_table_age_days"])
    updated = dt.datetime.combine(load_table(TABLE).updated, dt.time(12), dt.timezone.utc)
    verdicts = {}
    for days in (0, limit + 1):
        t = Target(a, s, s.hosts[0], policy, dt.date(2026, 11, 1),
                   evidence={"device_config": collect(s.hosts[0], CollectContext())},
                   clock=updated + dt.timedelta(days=days))
        verdicts[days] = evaluate(check, t, {})
    assert verdicts[0].status is Status.PASS
    assert verdicts[limit + 1].status is Status.WARN and f"{limit + 1} days old" in verdicts[limit + 1].reason


def test_without_a_declared_soc_collector_logging_is_warn(tmp_path):
    results = audit(tmp_path, "cisco_ios", DATA / "cisco_ios" / "hardened.conf", soc=None)
    assert results["L2-DEV-001"].status is Status.WARN
    assert "soc.log_collector" in results["L2-DEV-001"].reason


def test_reasons_name_lines_and_defaults(tmp_path):
    results = audit(tmp_path, "cisco_ios", DATA / "cisco_ios" / "weak.conf")
    telnet = results["L1-DEV-001"]
    assert "by default" in telnet.reason and "line 52" in telnet.reason and "dòng 52" in telnet.reason_vi
    assert "line 17" in results["L1-DEV-006"].reason  # enable password 7
    assert "access-list 101 entry 1 (line 39)" in results["L1-DEV-008"].reason


def test_unreadable_configuration_is_error_not_pass(tmp_path):
    binary = tmp_path / "backup.conf"
    binary.write_bytes(b"hostname X\n\x00\x01\x02 enable secret 0 FAKEbinarySecret\n")
    results = audit(tmp_path, "cisco_ios", binary)
    assert {r.status for r in results.values()} == {Status.ERROR}
    assert all("FAKEbinarySecret" not in r.reason and "NUL" in r.reason for r in results.values())


def test_saved_file_over_the_bound_is_error_and_not_shown(tmp_path, monkeypatch):
    from fourlayer.collectors import device_config

    big = tmp_path / "big.conf"
    big.write_text("hostname BIG\nenable secret 0 FAKEneverShown\n" + "!\n" * 2000)
    monkeypatch.setattr(device_config, "MAX_CONFIG_BYTES", 1000)
    results = audit(tmp_path, "cisco_ios", big)
    assert {r.status for r in results.values()} == {Status.ERROR}
    assert all("over the 1000 byte limit" in r.reason and "FAKEneverShown" not in r.reason for r in results.values())

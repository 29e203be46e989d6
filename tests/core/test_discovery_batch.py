"""Discovery batched across hosts (fourlayer.core.discovery_stage): one real nmap run over many real loopback
hosts (listeners on 127.0.0.210-211, nothing on 127.0.0.212), each host keeping its own ports and its own ERROR.

The host nmap gives up on (per-host timeout) and the host that answers on no port need packets dropped, which
only a network namespace of the test's own can do: that part runs in `unshare -n` with an nftables rule there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fourlayer.collectors import nmap_scan
from fourlayer.config.inventory_load import load_inventory
from fourlayer.config.policy import default_policy
from fourlayer.core.discovery import discover
from fourlayer.core.errors import CollectorError
from fourlayer.core.registry import REGISTRY
from fourlayer.core.runner import ScanOptions, run_scan
from fourlayer.lab.serve import ListenerProcess
from fourlayer.lab.servers import ListenerSpec
from tests.scan_harness import write_inventory

A, B, DEAD, DROPPED = "127.0.0.210", "127.0.0.211", "127.0.0.212", "127.0.0.213"
PORTS = "7950-8049"  # 100 ports: nmap lists more than 25 in one state as a count
CHECK = "L1-NET-001"  # needs only the nmap collector; its evidence names the open ports


@pytest.fixture(scope="module")
def listeners():
    with ListenerProcess([ListenerSpec("sink", A, 8000, name="batch-a"),
                          ListenerSpec("sink", B, 8001, name="batch-b")]) as process:
        yield process


def _policy(ports: str = PORTS) -> dict:
    policy = default_policy()
    policy["network"]["scan_ports"] = ports
    policy["network"]["service_detection"] = False
    return policy


def _scan(tmp_path: Path, policy: dict, batch: int, hosts=((A, 8000), (B, 8001), (DEAD, None))):
    """A real inventory with one host per address, scanned by the real runner for CHECK."""
    entries = [{"id": f"h{i}", "address": address, "roles": ["linux"], **({"services": [port]} if port else {})}
               for i, (address, port) in enumerate(hosts)]
    path = write_inventory(tmp_path, [{"id": "a1", "name": "Cơ quan thử nghiệm", "systems": [
        {"id": "s1", "name": "Hệ thống", "level": 2, "hosts": entries}]}])
    discover()
    checks = [c for c in REGISTRY.all() if c.meta.id == CHECK]
    return run_scan(load_inventory(path), policy, checks,
                    ScanOptions(check_ids=(CHECK,), timeout=3.0, discovery_batch=batch, concurrency=4))


def test_one_nmap_run_gives_each_host_its_own_ports(listeners):
    found = nmap_scan.sweep([A, B, DEAD], nmap_scan.compact_ports(range(7950, 8050)), 10)
    assert found[A]["swept_with"] == 3
    assert {p for p, i in found[A]["ports"].items() if i["state"] == "open"} == {"8000"}
    assert {p for p, i in found[B]["ports"].items() if i["state"] == "open"} == {"8001"}
    assert not any(i["state"] == "open" for i in found[DEAD]["ports"].values())
    # the dead address answered with resets: its ports are known closed, and counted for it alone
    assert found[DEAD]["unlisted"] == {"closed": 100} and found[A]["unlisted"] == {"closed": 99}
    alone = nmap_scan._run(A, PORTS, nmap_scan.sweep_arguments(10), 10)
    assert alone["ports"] == found[A]["ports"] and alone["unlisted"] == found[A]["unlisted"]


def test_the_runner_sweeps_in_batches_and_judges_every_host(listeners, tmp_path):
    batched = _scan(tmp_path, _policy(), batch=8)
    assert batched.discovery["nmap_runs"] == 1 and batched.discovery["hosts"] == 3
    one_by_one = _scan(tmp_path, _policy(), batch=1)
    assert one_by_one.discovery == {}
    for run in (batched, one_by_one):
        by_host = {r.host: r for r in run.results}
        assert run.complete and set(by_host) == {"h0", "h1", "h2"}
        assert "open: 8000" in by_host["h0"].evidence and "8001" not in by_host["h0"].evidence
        assert "open: 8001" in by_host["h1"].evidence
        assert by_host["h2"].status.value != "ERROR" and "8000" not in by_host["h2"].evidence
    assert [(r.host, r.status, r.evidence) for r in batched.results] == \
        [(r.host, r.status, r.evidence) for r in one_by_one.results]


def test_nmap_failing_errs_every_host_of_the_batch_and_the_scan_goes_on(listeners, tmp_path):
    found = nmap_scan.sweep([A, B], "70000", 10)  # a real nmap run that refuses its port list
    assert set(found) == {A, B}
    for error in found.values():
        assert isinstance(error, CollectorError) and "between 0 and 65535" in str(error), error
        assert str(error).startswith("nmap failed") and "2 hosts" in str(error)
    run = _scan(tmp_path, _policy("70000"), batch=8)
    assert run.complete and len(run.results) == 3
    for r in run.results:
        assert r.status.value == "ERROR" and "nmap failed" in r.reason, r.reason


NAMESPACE_SCRIPT = textwrap.dedent("""
    import json, subprocess, sys
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for rule in (["add", "table", "ip", "fl"],
                 ["add", "chain", "ip", "fl", "out", "{ type filter hook output priority 0; }"],
                 ["add", "rule", "ip", "fl", "out", "ip", "daddr", sys.argv[1], "drop"]):
        subprocess.run(["nft", *rule], check=True)
    from fourlayer.collectors.nmap_scan import sweep
    from fourlayer.lab.serve import ListenerProcess
    from fourlayer.lab.servers import ListenerSpec
    with ListenerProcess([ListenerSpec("sink", sys.argv[2], 22, name="ns-sink")]):
        slow = sweep([sys.argv[1], sys.argv[2], sys.argv[3]], "1-3000", 2)
        quiet = sweep([sys.argv[1], sys.argv[2]], "20-25", 10)
    show = lambda found: {a: v if isinstance(v, dict) else "ERROR: " + str(v) for a, v in found.items()}
    print(json.dumps({"slow": show(slow), "quiet": show(quiet)}))
""")


def test_a_host_nmap_gives_up_on_errs_alone(tmp_path):
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("nft"):
        pytest.skip("needs root, unshare and nft to drop packets in a private network namespace")
    env = {**os.environ, "FOURLAYER_LOOPBACK_ONLY": "1",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run(["unshare", "-n", sys.executable, "-c", NAMESPACE_SCRIPT, DROPPED, A, DEAD],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    slow, quiet = out["slow"], out["quiet"]
    # 3,000 dropped ports take nmap far longer than its 2 s per-host limit: that host alone is ERROR
    assert slow[DROPPED].startswith("ERROR") and "host timeout (2s)" in slow[DROPPED]
    assert slow[A]["ports"]["22"]["state"] == "open" and slow[A]["swept_with"] == 3
    assert slow[DEAD]["unlisted"] == {"closed": 3000}
    # six dropped ports finish within the limit, but nothing answered: no evidence, ERROR for that host only
    assert quiet[DROPPED].startswith("ERROR") and "no TCP port answered" in quiet[DROPPED]
    assert quiet[A]["ports"]["22"]["state"] == "open"

#!/usr/bin/env python3
"""fourlayer and OpenSCAP side by side over SSH: the same loopback hosts, the host-configuration rules both have.

    .venv/bin/python bench/oscap_compare.py [--hosts 20] [--concurrency 16] [--out DIR]

Needs Debian's `openscap-scanner`, `openscap-utils` (oscap-ssh) and `ssg-debian` (bench only: not installed by
setup.sh). Each lab host is a real sshd on 127.0.x.y (bench/lab.py), logged into as the lab's unprivileged audit
user, as both tools would be on a real estate.

- OpenSCAP: `oscap-ssh USER@HOST PORT xccdf eval --profile standard --rule R ...` with the SCAP Security
  Guide's Debian content, one process per host, `--concurrency` hosts at a time. oscap-ssh copies the data
  stream to the host, runs `oscap` there and copies the results back: that is the tool as its users run it.
  ssg-debian in Debian 12 ships content up to Debian 11 only, so a copy of the Debian 11 data stream is used
  with its platform check widened to Debian 12, and its container test (/.dockerenv, which this sandbox has)
  pointed at a path that does not exist, so every rule is evaluated as on a machine.
- fourlayer: `fourlayer scan --check ID ...` (the counterparts below) over the same hosts, `--concurrency` hosts
  at a time, one process, the collectors those checks need (one SSH session per host).

The two read different things for sshd: OpenSCAP reads /etc/ssh/sshd_config; fourlayer asks the daemon on
the port (`sshd -T -f` its own configuration). File, audit and logging rules read the same machine's files
for OpenSCAP and each host's sysroot for fourlayer. So the verdicts are listed, not compared; the figure is
the time per host.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.lab import BenchLab  # noqa: E402
from bench.monitor import run_watched  # noqa: E402
from bench.run_bench import child_env  # noqa: E402

SSG = Path("/usr/share/xml/scap/ssg/content/ssg-debian11-ds.xml")
PROFILE = "xccdf_org.ssgproject.content_profile_standard"
# OpenSCAP rule (SSG id suffix) -> fourlayer check that judges the same thing
COUNTERPARTS = {
    "sshd_disable_root_login": "L1-SSH-010",
    "sshd_disable_empty_passwords": "L1-SSH-012",
    "sshd_allow_only_protocol2": "L1-SSH-007",
    "sshd_set_idle_timeout": "L1-SSH-015",
    "sshd_set_keepalive_0": "L1-SSH-015",
    "file_permissions_etc_shadow": "L1-PRM-001",
    "file_owner_etc_shadow": "L1-PRM-001",
    "file_groupowner_etc_shadow": "L1-PRM-001",
    "package_audit_installed": "L2-AUD-001",
    "service_auditd_enabled": "L2-AUD-001",
    "package_rsyslog_installed": "L2-LOG-001",
    "service_rsyslog_enabled": "L2-LOG-001",
}


def patched_content(out: Path) -> Path:
    text = SSG.read_text()
    text = text.replace("^11.[0-9]+$", "^1[12].[0-9]+$")  # the platform check: Debian 11 or 12
    text = text.replace('<unix:filepath datatype="string">/.dockerenv</unix:filepath>',
                        '<unix:filepath datatype="string">/nonexistent/.dockerenv</unix:filepath>')
    path = out / "ssg-debian11-for-12-ds.xml"
    path.write_text(text)
    return path


def oscap_host(host, inst, content: Path, work: Path, known_hosts: Path) -> dict:
    rules = [arg for rule in COUNTERPARTS for arg in ("--rule", f"xccdf_org.ssgproject.content_rule_{rule}")]
    results = work / f"{host.id}-results.xml"
    env = {**os.environ, "SSH_ADDITIONAL_OPTIONS": " ".join(shlex.quote(a) for a in (
        "-i", str(inst.client_key), "-o", f"UserKnownHostsFile={known_hosts}", "-o", "StrictHostKeyChecking=yes",
        "-o", "BatchMode=yes"))}
    cmd = ["oscap-ssh", f"{inst.user}@{host.address}", str(host.ports["ssh"]), "xccdf", "eval", "--profile",
           PROFILE, *rules, "--results", str(results), str(content)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    seconds = time.perf_counter() - start
    text = results.read_text() if results.exists() else ""
    verdicts = dict(re.findall(r'<rule-result idref="xccdf_org\.ssgproject\.content_rule_([^"]+)"[^>]*>.*?'
                               r'<result>(\w+)</result>', text, re.S))
    verdicts = {rule: verdict for rule, verdict in verdicts.items() if verdict != "notselected"}
    # oscap exits 2 when a rule failed: that is a result, not an error
    error = None if proc.returncode in (0, 2) and verdicts else f"exit {proc.returncode}: {proc.stderr[-300:]}"
    return {"seconds": round(seconds, 3), "verdicts": verdicts, "error": error}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    out = args.out or ROOT / "bench" / "out" / dt.datetime.now().strftime("oscap-%Y%m%dT%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    content = patched_content(out)
    report: dict = {"command": " ".join([Path(sys.executable).name, *sys.argv]),
                    "oscap": subprocess.run(["oscap", "--version"], capture_output=True, text=True
                                            ).stdout.splitlines()[0],
                    "content": f"{SSG.name} (ssg-debian), platform widened to Debian 12", "rules": COUNTERPARTS,
                    "load_average_before": os.getloadavg()}
    # oscap-ssh copies its content with scp, which speaks SFTP since OpenSSH 9: the lab's sshd gets the subsystem
    with BenchLab(args.hosts, dead=0, tarpits=0, sshd_directives={"Subsystem": "sftp internal-sftp"}) as lab:
        live = [h for h in lab.hosts if h.id in lab.sshd]
        start = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            per_host = list(pool.map(lambda h: oscap_host(h, lab.sshd[h.id], content, out, lab.known_hosts), live))
        oscap_wall = time.perf_counter() - start
        checks = sorted(set(COUNTERPARTS.values()))
        cmd = [sys.executable, str(ROOT / "bench" / "scan_child.py"), str(out / "timings.json"), "scan",
               str(lab.compare_inventory), "--out", str(out / "reports"), "--format", "json", "--quiet",
               "--concurrency", str(args.concurrency), "--db", str(out / "history.sqlite"),
               *[a for c in checks for a in ("--check", c)]]
        usage = run_watched(cmd, env=child_env())
        timings = json.loads((out / "timings.json").read_text())
    fl_hosts = timings.get("host_seconds", {})
    oscap_times = sorted(h["seconds"] for h in per_host)
    fl_times = sorted(fl_hosts.values())
    report.update({
        "hosts": len(live), "concurrency": args.concurrency,
        "oscap": {"wall_seconds": round(oscap_wall, 2), "per_host_median": oscap_times[len(oscap_times) // 2],
                  "per_host_max": oscap_times[-1], "errors": [h["error"] for h in per_host if h["error"]][:3],
                  "verdicts_of_first_host": per_host[0]["verdicts"] if per_host else {}},
        "fourlayer": {"wall_seconds": usage.wall_seconds, "exit": usage.returncode,
                      "per_host_median": fl_times[len(fl_times) // 2] if fl_times else None,
                      "per_host_max": fl_times[-1] if fl_times else None,
                      "cpu_seconds": round(usage.cpu_user_seconds + usage.cpu_system_seconds, 2),
                      "statuses": timings.get("statuses")},
        "load_average_after": os.getloadavg()})
    if fl_times and oscap_times:
        report["speedup_per_host_median"] = round(report["oscap"]["per_host_median"] /
                                                  report["fourlayer"]["per_host_median"], 1)
        report["speedup_wall"] = round(oscap_wall / usage.wall_seconds, 1)
    (out / "report.json").write_text(json.dumps(report, indent=1))
    print(json.dumps({k: report[k] for k in ("hosts", "oscap", "fourlayer", "speedup_per_host_median",
                                             "speedup_wall", "load_average_before", "load_average_after")
                      if k in report}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

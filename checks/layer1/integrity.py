"""Layer 1 (on-site force): a file-integrity tool (AIDE, Tripwire or samhain) installed, initialised and scheduled.

An integrity checker finds changed system files only if it has a baseline database and runs on its own. Evidence
is metadata only: the tool and database files (`stat`), the names of the cron files that mention the tool
(`grep -l`), and the systemd timers enabled at boot. No database or configuration content is read.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from fourlayer.checks import refs
from fourlayer.checks.util import command_out
from fourlayer.core.model import Unevaluable, failed, passed
from fourlayer.core.registry import check
from fourlayer.resources.parse import below_root, enabled_units, file_modes

_FIM = dict(layer=1, needs=("ssh_shell",), applies_to=("linux",))


@dataclass(frozen=True)
class Tool:
    name: str
    binaries: tuple[str, ...]
    databases: tuple[str, ...]  # globs
    daily_jobs: tuple[str, ...]  # /etc/cron.daily scripts
    units: tuple[str, ...]  # systemd timers or services that run it
    database_dir: str


TOOLS = (
    Tool("AIDE", ("/usr/bin/aide", "/usr/sbin/aide"), ("/var/lib/aide/aide.db", "/var/lib/aide/aide.db.gz"),
         ("/etc/cron.daily/aide",), ("aidecheck.timer", "dailyaidecheck.timer"), "/var/lib/aide"),
    Tool("Tripwire", ("/usr/sbin/tripwire",), ("/var/lib/tripwire/*.twd",), ("/etc/cron.daily/tripwire",), (),
         "/var/lib/tripwire"),
    Tool("samhain", ("/usr/sbin/samhain", "/usr/local/sbin/samhain"), ("/var/lib/samhain/samhain_file",), (),
         ("samhain.service",), "/var/lib/samhain"),
)


def _cron_mentions(t, sysroot: str) -> dict[str, list[str]]:
    """{tool (lower case): cron files that mention it}."""
    found: dict[str, list[str]] = {}
    tool = None
    for line in command_out(t, "integrity_cron")[1].splitlines():
        if line.startswith("@@"):
            tool = line[2:].strip()
            found.setdefault(tool, [])
        elif tool and line.startswith("/"):
            found[tool].append(below_root(line.strip(), sysroot))
    return found


@check(id="L1-FIM-001", severity="medium", min_level=2, **_FIM,
       title={"en": "A file-integrity checker (AIDE) is installed, initialised and scheduled",
              "vi": "Có công cụ kiểm tra toàn vẹn tệp (AIDE) được cài đặt, khởi tạo và chạy định kỳ"},
       rationale={"en": "Replaced binaries, new set-user-id files and edited configuration are the traces an "
                        "intruder leaves. An integrity checker finds them only with a baseline database taken on a "
                        "clean system and a regular run that reports the differences.",
                  "vi": "Tệp chương trình bị thay thế, tệp set-user-id mới và cấu hình bị sửa là dấu vết kẻ xâm nhập "
                        "để lại. Công cụ kiểm tra toàn vẹn chỉ phát hiện được khi có cơ sở dữ liệu gốc lập trên hệ "
                        "thống sạch và được chạy định kỳ để báo cáo khác biệt."},
       remediation={"en": "Install AIDE (`apt install aide aide-common` / `dnf install aide`), build the baseline "
                          "(`aideinit`, or `aide --init` and move aide.db.new to aide.db), and schedule it "
                          "(`systemctl enable --now dailyaidecheck.timer`, or the package's /etc/cron.daily/aide).",
                    "vi": "Cài AIDE (`apt install aide aide-common` / `dnf install aide`), lập cơ sở dữ liệu gốc "
                          "(`aideinit`, hoặc `aide --init` rồi đổi tên aide.db.new thành aide.db), và lập lịch chạy "
                          "(`systemctl enable --now dailyaidecheck.timer`, hoặc /etc/cron.daily/aide của gói)."},
       references=(refs.TCVN_SRV_HARDEN, refs.CIS_INTEGRITY, refs.LYNIS_INTEGRITY))
def file_integrity(t):
    sysroot = (t.host.ssh.sysroot if t.host and t.host.ssh else "/") or "/"
    rc, out = command_out(t, "integrity_files")
    stats = {m.path: m for m in file_modes(out, sysroot)}
    cron = _cron_mentions(t, sysroot)
    units = enabled_units(command_out(t, "enabled_units")[1])
    evidence = "\n".join(str(m) for m in stats.values()) or "no integrity tool files found"
    installed = [tool for tool in TOOLS if any(b in stats for b in tool.binaries)]
    if not installed:
        return failed({"en": "no file-integrity tool (AIDE, Tripwire, samhain) is installed",
                       "vi": "chưa cài công cụ kiểm tra toàn vẹn tệp nào (AIDE, Tripwire, samhain)"}, evidence)
    gaps = []
    for tool in installed:
        databases = [p for p in stats if any(fnmatch.fnmatchcase(p, g) for g in tool.databases)]
        runs = [p for p in tool.daily_jobs if p in stats] + cron.get(tool.name.lower(), []) + \
            [u for u in tool.units if u in units]
        evidence += f"\n{tool.name}: database {', '.join(databases) or 'none'}; runs from {', '.join(runs) or 'nothing'}"
        directory = stats.get(tool.database_dir)
        if not databases and directory is not None and not directory.mode & 0o001:
            raise Unevaluable(f"{tool.database_dir} ({directory}) cannot be searched by the audit account, so "
                              f"whether {tool.name} has a database is unknown")
        if databases and runs:
            return passed({"en": f"{tool.name} has its database ({databases[0]}) and runs from {runs[0]}",
                           "vi": f"{tool.name} có cơ sở dữ liệu ({databases[0]}) và được chạy định kỳ từ {runs[0]}"},
                          evidence)
        gaps.append({"en": f"{tool.name} is installed but "
                           + ("has no baseline database" if not databases else "")
                           + (" and " if not databases and not runs else "")
                           + ("is not scheduled (no daily job, cron entry or timer)" if not runs else ""),
                     "vi": f"{tool.name} đã được cài nhưng "
                           + ("chưa có cơ sở dữ liệu gốc" if not databases else "")
                           + (" và " if not databases and not runs else "")
                           + ("chưa được lập lịch chạy (không có tác vụ hằng ngày, mục cron hay timer)"
                              if not runs else "")})
    return failed({lang: "; ".join(g[lang] for g in gaps) for lang in ("en", "vi")}, evidence)

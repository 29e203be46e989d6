"""Layer 1 (on-site force): host hygiene of Linux hosts — updates, firewall, anti-malware, services, permissions.

Everything is read with allowlisted read-only commands over SSH: files below `ssh.sysroot` and, for running
processes, the live `ps -eo comm=`. No package manager is ever run.
"""

from __future__ import annotations

import re

from fourlayer.checks import refs
from fourlayer.checks.util import command_out

from fourlayer.core.model import (
    Status,
    Unevaluable,
    bi_join,
    failed,
    not_applicable,
    passed,
    warned,
)
from fourlayer.core.registry import check
from fourlayer.collectors.base import clean_text
from fourlayer.resources import firewall as firewall_conf
from fourlayer.resources.updates import PARSERS as UPDATE_PARSERS
from fourlayer.resources.updates import Pending, UnreadableOutput, tool_sections
from fourlayer.resources.host_files import config_files, running, shown
from fourlayer.resources.parse import (
    FileMode,
    age_days,
    enabled_units,
    excerpt,
    file_modes,
    below_root,
    mtimes,
    update_notice,
)
from fourlayer.resources.sshd import sshd
from fourlayer.rules.engine import parse_keyvalue

UPDATES_AVAILABLE = "/var/lib/update-notifier/updates-available"
REBOOT_FLAG, REBOOT_PKGS = "/run/reboot-required", "/run/reboot-required.pkgs"
# files whose presence shows that the host records pending reboots (update-notifier-common, unattended-upgrades)
REBOOT_RECORDERS = ("/usr/share/update-notifier/notify-reboot-required", "/etc/kernel/postinst.d/unattended-upgrades")
UNATTENDED_UPGRADE = "/usr/bin/unattended-upgrade"
DEBIAN_LIKE, RHEL_LIKE = ("debian", "ubuntu"), ("rhel", "fedora", "centos")
APT_OFF = ("", "0", "false", "no", "off")

_HOST = dict(layer=1, needs=("ssh_shell",), applies_to=("linux",))


def _sysroot(t) -> str:
    return (t.host.ssh.sysroot if t.host and t.host.ssh else "/") or "/"


def _units(t) -> dict[str, str]:
    return enabled_units(command_out(t, "enabled_units")[1])


def _existing(t) -> dict[str, int]:
    """Update-related files that exist on the host -> modification time."""
    return mtimes(command_out(t, "update_files")[1], _sysroot(t))


def _os_family(t) -> set[str]:
    release = parse_keyvalue(command_out(t, "os_release")[1])
    return {release.get("id", "").lower(), *release.get("id_like", "").lower().split()} - {""}


# ---- updates ---------------------------------------------------------------------------------------------------

@check(id="L1-UPD-001", severity="high", min_level=1, **_HOST,
       title={"en": "No security updates are pending", "vi": "Không còn bản cập nhật bảo mật chờ cài đặt"},
       rationale={"en": "Published security fixes are what attackers weaponise first. The host's own package manager "
                        "says what an upgrade would install, read-only over the metadata already on the host and "
                        "never refreshing it: `apt-get -s dist-upgrade` (the candidate's archive tells security "
                        "updates apart), `dnf`/`yum updateinfo list --security` from the cache, `zypper "
                        "list-patches`; update-notifier's count where no simulation ran. Metadata nobody refreshes "
                        "lists nothing, so its age is judged too.",
                  "vi": "Các bản vá bảo mật đã công bố là thứ kẻ tấn công khai thác đầu tiên. Chính trình quản lý gói "
                        "của máy chủ cho biết một lần nâng cấp sẽ cài những gì, ở chế độ chỉ đọc trên siêu dữ liệu "
                        "đã có và không bao giờ làm mới: `apt-get -s dist-upgrade` (kho của phiên bản ứng viên cho "
                        "biết bản cập nhật nào là bảo mật), `dnf`/`yum updateinfo list --security` từ bộ nhớ đệm, "
                        "`zypper list-patches`; số liệu của update-notifier khi không mô phỏng được. Siêu dữ liệu "
                        "không được làm mới thì không liệt kê gì, nên tuổi của nó cũng được đánh giá."},
       remediation={"en": "Install the pending security updates (`apt-get update && apt-get upgrade`, `dnf upgrade "
                          "--security`, `zypper patch --category security`) and enable automatic security updates "
                          "and the daily metadata refresh (apt-daily.timer, dnf-makecache.timer).",
                    "vi": "Cài các bản cập nhật bảo mật đang chờ (`apt-get update && apt-get upgrade`, `dnf upgrade "
                          "--security`, `zypper patch --category security`) và bật cập nhật bảo mật tự động cùng "
                          "việc làm mới siêu dữ liệu hằng ngày (apt-daily.timer, dnf-makecache.timer)."},
       references=(refs.TCVN_SRV_INTRUSION, refs.CIS_UPDATES, refs.CIS_CONTROLS_PATCH, refs.CIRCULAR_12))
def pending_security_updates(t):
    files = {f.path: f for f in config_files(t, "update_notices")}
    notice_file = files.get(UPDATES_AVAILABLE)
    simulated = _simulated_upgrade(t)
    if simulated is not None:
        outcome = _judge_simulation(t, simulated)
        esm = update_notice(notice_file.text).esm if notice_file and update_notice(notice_file.text) else 0
        if esm and outcome.status is Status.PASS:  # apt cannot see what only Ubuntu Pro would install
            return warned({"en": f"{outcome.reason['en']}, but update-notifier lists {esm} security updates that "
                                 "need Ubuntu Pro (ESM) to install",
                           "vi": f"{outcome.reason['vi']}, nhưng update-notifier liệt kê {esm} bản cập nhật bảo mật "
                                 "cần Ubuntu Pro (ESM) mới cài đặt được"}, outcome.evidence)
        return outcome
    if notice_file is None:
        family = ", ".join(sorted(_os_family(t))) or "unknown"
        raise Unevaluable(f"no read-only record of pending updates (OS: {family}): no apt-get, dnf, yum or zypper "
                          f"metadata to simulate an upgrade over, and {UPDATES_AVAILABLE} is absent")
    notice = update_notice(notice_file.text)
    evidence = excerpt(notice_file.text)
    if notice is None:
        raise Unevaluable(f"{UPDATES_AVAILABLE} has no update count: {evidence[:200]!r}")
    allowed = int(t.policy.updates.max_pending_security)
    max_age = int(t.policy.updates.notice_max_age_days)
    stamp = _existing(t).get(UPDATES_AVAILABLE)
    age = age_days(stamp, t.clock_day) if stamp is not None else None
    if notice.security > allowed:
        return failed({"en": f"{notice.security} security updates pending ({notice.total} updates in all)",
                       "vi": f"{notice.security} bản cập nhật bảo mật đang chờ cài đặt (tổng cộng {notice.total} "
                             "bản cập nhật)"}, evidence)
    if notice.esm:
        return warned({"en": f"{notice.esm} security updates need Ubuntu Pro (ESM) to install",
                       "vi": f"{notice.esm} bản cập nhật bảo mật cần Ubuntu Pro (ESM) mới cài đặt được"}, evidence)
    if notice.stale or (age is not None and age > max_age):
        shown_age = f"{age} days old" if age is not None else "more than a week old"
        age_vi = f"đã cũ {age} ngày" if age is not None else "đã cũ hơn một tuần"
        return warned({"en": f"no security update listed, but the update information is {shown_age} "
                             f"(apt's package lists are not being refreshed)",
                       "vi": f"không có bản cập nhật bảo mật nào được liệt kê, nhưng thông tin cập nhật {age_vi} "
                             "(danh sách gói của apt không được làm mới)"}, evidence)
    return passed({"en": f"no security update pending ({notice.total} updates in all"
                         f"{f', information {age} days old' if age is not None else ''})",
                   "vi": f"không có bản cập nhật bảo mật nào đang chờ (tổng cộng {notice.total} bản cập nhật"
                         f"{f', thông tin được làm mới cách đây {age} ngày' if age is not None else ''})"},
                  evidence)


SIMULATIONS = ("updates_apt", "updates_rpm", "updates_zypper")
# where each tool keeps the metadata it simulates over (update_metadata_age paths)
METADATA_PATHS = {"apt-get": "/var/lib/apt/", "dnf": "/var/cache/dnf/", "yum": "/var/cache/yum/",
                  "zypper": "/var/cache/zypp/"}
TOOL_OK_RC = {"zypper": (0, 100, 101)}  # zypper's "patches/security patches available" exit codes


def _simulated_upgrade(t) -> tuple[Pending, str, int | None] | None:
    """(what the package manager would upgrade, its output excerpt, newest metadata mtime), or None when no
    package manager with metadata is on the host. Unevaluable when one is there but could not answer."""
    for command in SIMULATIONS:
        rc, out = command_out(t, command)
        sections = tool_sections(out)
        if not sections:
            continue
        tool, text = next(iter(sections.items()))
        if rc not in TOOL_OK_RC.get(tool, (0,)):
            err = str(t.ev("ssh_shell")["commands"].get(command, {}).get("err", "")).strip().splitlines()
            hint = "" if tool == "apt-get" else "; dnf, yum and zypper read their cache as root: set ssh.sudo: true"
            raise Unevaluable(f"`{tool}` could not simulate the upgrade (rc={rc})"
                              f"{': ' + clean_text(err[-1], 160) if err else ''}{hint}")
        try:
            pending = UPDATE_PARSERS[tool](text)
        except UnreadableOutput as exc:
            raise Unevaluable(str(exc)) from None
        metadata = mtimes(command_out(t, "update_metadata_age")[1], _sysroot(t))
        stamps = [m for path, m in metadata.items() if path.startswith(METADATA_PATHS[tool])]
        if tool == "apt-get" and not any(path.endswith("Release") for path in metadata):
            raise Unevaluable("apt's package lists (/var/lib/apt/lists) hold no Release file: `apt-get update` "
                              "has never succeeded, so nothing is known about pending updates; refresh the lists "
                              "on the host (apt-daily.timer) and scan again")
        return pending, excerpt(text, 16), max(stamps) if stamps else None
    return None


def _judge_simulation(t, simulated: tuple[Pending, str, int | None]):
    pending, evidence, stamp = simulated
    allowed = int(t.policy.updates.max_pending_security)
    max_age = int(t.policy.updates.lists_max_age_days)
    age = age_days(stamp, t.clock_day) if stamp is not None else None
    unit_vi = "bản vá" if pending.unit == "patches" else "gói"
    source = f"{pending.tool} simulation" + (f", metadata refreshed {age} days ago" if age is not None else "")
    source_vi = f"mô phỏng bằng {pending.tool}" + (f", siêu dữ liệu được làm mới cách đây {age} ngày"
                                                  if age is not None else "")
    evidence = f"{source}\n{evidence}"
    if pending.security > allowed:
        return failed({"en": f"{pending.security} security updates pending ({pending.total} {pending.unit} "
                             f"upgradable in all; {source}): {pending.describe()}",
                       "vi": f"{pending.security} bản cập nhật bảo mật đang chờ cài đặt (tổng cộng {pending.total} "
                             f"{unit_vi} có thể nâng cấp; {source_vi}): {pending.describe()}"}, evidence)
    if age is not None and age > max_age:
        return warned({"en": f"no security update listed, but the package metadata was last refreshed {age} days "
                             f"ago (policy updates.lists_max_age_days: {max_age}): newer fixes are not seen",
                       "vi": f"không có bản cập nhật bảo mật nào được liệt kê, nhưng siêu dữ liệu gói được làm mới "
                             f"lần cuối cách đây {age} ngày (chính sách updates.lists_max_age_days: {max_age}): "
                             "các bản vá mới hơn không được thấy"}, evidence)
    return passed({"en": f"no security update pending ({pending.total} {pending.unit} upgradable in all; {source})",
                   "vi": f"không có bản cập nhật bảo mật nào đang chờ (tổng cộng {pending.total} {unit_vi} có thể "
                         f"nâng cấp; {source_vi})"}, evidence)


def _apt_periodic(files) -> dict[str, tuple[str, str]]:
    """APT::Periodic::<key> -> (value, file) in apt's reading order (file name order; the last setting wins)."""
    found: dict[str, tuple[str, str]] = {}
    for f in sorted(files, key=lambda f: f.path.rsplit("/", 1)[-1]):
        for key, value in re.findall(r'^\s*APT::Periodic::([\w-]+)\s+"([^"]*)"\s*;', f.text, re.M | re.I):
            found[key.lower()] = (value.strip(), f.path)
    return found


def _apt_auto(files, existing: dict[str, int]) -> tuple[bool, dict[str, str]] | None:
    apt = [f for f in files if f.path.startswith("/etc/apt/")]
    if not apt:
        return None
    periodic = _apt_periodic(apt)
    shown_settings = ", ".join(f"{k}={v[0]!r}" for k, v in periodic.items())
    missing = [name for name in ("update-package-lists", "unattended-upgrade")
               if periodic.get(name, ("0", ""))[0].lower() in APT_OFF]
    if periodic.get("enable", ("1", ""))[0].lower() in APT_OFF:
        missing.insert(0, "enable")
    if missing:
        return False, {"en": f"unattended-upgrades off: APT::Periodic {', '.join(missing)} is 0 or unset "
                             f"({shown_settings})",
                       "vi": f"unattended-upgrades đang tắt: APT::Periodic {', '.join(missing)} bằng 0 hoặc chưa "
                             f"được đặt ({shown_settings})"}
    if UNATTENDED_UPGRADE not in existing:
        return False, {"en": f"APT::Periodic is on ({shown_settings}) but {UNATTENDED_UPGRADE} is not installed",
                       "vi": f"APT::Periodic đã bật ({shown_settings}) nhưng {UNATTENDED_UPGRADE} chưa được cài đặt"}
    return True, {"en": f"unattended-upgrades on ({shown_settings})",
                  "vi": f"unattended-upgrades đang bật ({shown_settings})"}


def _dnf_auto(files, units: dict[str, str]) -> tuple[bool, dict[str, str]] | None:
    conf = next((f for f in files if f.path in ("/etc/dnf/automatic.conf", "/etc/yum/yum-cron.conf")), None)
    if conf is None:
        return None
    apply = parse_keyvalue(conf.text).get("apply_updates", "no").lower() in ("yes", "true", "1")
    timers = [u for u in ("dnf-automatic-install.timer", "dnf-automatic.timer", "yum-cron.service") if u in units]
    on = "dnf-automatic-install.timer" in timers or (apply and bool(timers))
    setting = f"{conf.path}: apply_updates={'yes' if apply else 'no'}"
    return on, {"en": f"{setting}; enabled: {', '.join(timers) or 'no timer'}",
                "vi": f"{setting}; đã kích hoạt: {', '.join(timers) or 'không có timer nào'}"}


@check(id="L1-UPD-002", severity="medium", min_level=1, **_HOST,
       title={"en": "Security updates are installed automatically",
              "vi": "Bản cập nhật bảo mật được cài đặt tự động"},
       rationale={"en": "Manual patching lags weeks behind exploits. unattended-upgrades (Debian/Ubuntu) or "
                        "dnf-automatic/yum-cron (RHEL family) install security fixes daily; the check reads their "
                        "configuration and whether they are installed and enabled.",
                  "vi": "Vá thủ công thường chậm hàng tuần so với mã khai thác. unattended-upgrades (Debian/Ubuntu) "
                        "hoặc dnf-automatic/yum-cron (họ RHEL) cài bản vá bảo mật hằng ngày; kiểm tra đọc cấu hình "
                        "của chúng và xem chúng đã được cài đặt, kích hoạt hay chưa."},
       remediation={"en": "Debian/Ubuntu: `apt-get install unattended-upgrades` and `dpkg-reconfigure -plow "
                          "unattended-upgrades` (writes APT::Periodic::Unattended-Upgrade \"1\"). RHEL: install "
                          "dnf-automatic, set `apply_updates = yes` and `systemctl enable --now dnf-automatic.timer`.",
                    "vi": "Debian/Ubuntu: `apt-get install unattended-upgrades` và `dpkg-reconfigure -plow "
                          "unattended-upgrades` (ghi APT::Periodic::Unattended-Upgrade \"1\"). RHEL: cài "
                          "dnf-automatic, đặt `apply_updates = yes` và `systemctl enable --now dnf-automatic.timer`."},
       references=(refs.TCVN_SRV_INTRUSION, refs.CIS_UPDATES, refs.CIS_CONTROLS_PATCH))
def automatic_updates(t):
    files = config_files(t, "auto_updates")
    verdicts = [v for v in (_apt_auto(files, _existing(t)), _dnf_auto(files, _units(t))) if v is not None]
    evidence = "\n".join(f"{f.path}: {excerpt(f.text, 8)}" for f in files)
    if any(on for on, _ in verdicts):
        return passed(bi_join([d for on, d in verdicts if on]), evidence)
    if verdicts:
        return failed(bi_join([d for _, d in verdicts]), evidence)
    family = _os_family(t)
    if family & set(DEBIAN_LIKE + RHEL_LIKE):
        tool = "unattended-upgrades" if family & set(DEBIAN_LIKE) else "dnf-automatic"
        return failed({"en": f"no automatic update configuration ({tool} is not set up)",
                       "vi": f"không có cấu hình cập nhật tự động ({tool} chưa được thiết lập)"},
                      "no APT::Periodic, dnf-automatic or yum-cron configuration found")
    raise Unevaluable(f"automatic updates on this OS ({', '.join(sorted(family)) or 'unknown'}) are not "
                      "recognised (unattended-upgrades, dnf-automatic, yum-cron)")


@check(id="L1-UPD-003", severity="medium", min_level=1, **_HOST,
       title={"en": "No reboot is pending after updates",
              "vi": "Không có yêu cầu khởi động lại còn treo sau khi cập nhật"},
       rationale={"en": "Kernel and core-library fixes take effect only after a restart; until then the host runs "
                        "the vulnerable code. Debian and Ubuntu flag this in /run/reboot-required; hosts without "
                        "that mechanism are not applicable.",
                  "vi": "Bản vá nhân hệ điều hành và thư viện lõi chỉ có hiệu lực sau khi khởi động lại; trước đó "
                        "máy chủ vẫn chạy mã có lỗ hổng. Debian và Ubuntu đánh dấu việc này bằng /run/reboot-required; "
                        "máy chủ không có cơ chế này thì không áp dụng."},
       remediation={"en": "Schedule a maintenance window and reboot the host (see /run/reboot-required.pkgs for "
                          "the packages that asked for it); consider Unattended-Upgrade::Automatic-Reboot.",
                    "vi": "Lên lịch bảo trì và khởi động lại máy chủ (xem /run/reboot-required.pkgs để biết các gói "
                          "yêu cầu); cân nhắc Unattended-Upgrade::Automatic-Reboot."},
       references=(refs.TCVN_SRV_INTRUSION, refs.CIS_UPDATES, refs.CIS_CONTROLS_PATCH))
def reboot_pending(t):
    files = {f.path: f for f in config_files(t, "update_notices")}
    if REBOOT_FLAG in files:
        pkgs = [ln.strip() for ln in (files[REBOOT_PKGS].text if REBOOT_PKGS in files else "").splitlines()
                if ln.strip()]
        return failed({"en": f"a reboot is pending to activate updates{' of ' + shown(pkgs) if pkgs else ''}",
                       "vi": "máy chủ đang chờ khởi động lại để kích hoạt các bản cập nhật"
                             f"{' của gói ' + shown(pkgs, lang='vi') if pkgs else ''}"},
                      "\n".join([REBOOT_FLAG, *pkgs]))
    recorders = [p for p in REBOOT_RECORDERS if p in _existing(t)]
    if not recorders:
        return not_applicable({"en": "this host does not record pending reboots (no update-notifier-common or "
                                     "unattended-upgrades hook); on RHEL use `needs-restarting -r`",
                               "vi": "máy chủ này không ghi nhận yêu cầu khởi động lại (không có "
                                     "update-notifier-common hoặc hook của unattended-upgrades); trên RHEL hãy dùng "
                                     "`needs-restarting -r`"})
    return passed({"en": f"no reboot pending ({REBOOT_FLAG} absent)",
                   "vi": f"không có yêu cầu khởi động lại nào đang chờ (không có {REBOOT_FLAG})"},
                  f"recorded by: {', '.join(recorders)}")


# ---- firewall, anti-malware, services ------------------------------------------------------------------------------

@check(id="L1-FW-001", severity="high", min_level=1, **_HOST,
       title={"en": "A host firewall denies inbound traffic by default",
              "vi": "Tường lửa trên máy chủ mặc định chặn lưu lượng vào"},
       rationale={"en": "A default-deny input policy limits exposure to the services deliberately allowed, even when "
                        "a new daemon starts listening. The check reads the configuration the host loads at boot "
                        "(nftables, ufw, firewalld, saved iptables rules) and whether its service is enabled — not "
                        "the live ruleset, which needs root.",
                  "vi": "Chính sách mặc định chặn lưu lượng vào giới hạn bề mặt tấn công ở các dịch vụ được cho phép "
                        "có chủ đích, kể cả khi có tiến trình mới mở cổng. Kiểm tra đọc cấu hình được nạp khi khởi "
                        "động (nftables, ufw, firewalld, quy tắc iptables đã lưu) và dịch vụ tương ứng có được kích "
                        "hoạt không — không đọc bộ quy tắc đang chạy vì cần quyền root."},
       remediation={"en": "Enable a host firewall with an input policy of drop and explicit allow rules: e.g. "
                          "`ufw default deny incoming && ufw allow 22/tcp && ufw enable`, or `policy drop;` in the "
                          "input chain of /etc/nftables.conf and `systemctl enable nftables`.",
                    "vi": "Bật tường lửa máy chủ với chính sách input là drop và các quy tắc cho phép cụ thể: ví dụ "
                          "`ufw default deny incoming && ufw allow 22/tcp && ufw enable`, hoặc `policy drop;` trong "
                          "chain input của /etc/nftables.conf và `systemctl enable nftables`."},
       references=(refs.CIRCULAR_12, refs.TCVN_SRV_INTRUSION, refs.CIS_FIREWALL, refs.CIS_CONTROLS_FIREWALL))
def host_firewall(t):
    files = config_files(t, "firewall_conf")
    found = firewall_conf.backends(files)
    units = _units(t)
    if not found:
        return failed({"en": "no host firewall configuration found (nftables, ufw, firewalld, saved iptables rules)",
                       "vi": "không tìm thấy cấu hình tường lửa máy chủ (nftables, ufw, firewalld, quy tắc iptables "
                             "đã lưu)"},
                      f"{len(units)} units enabled at boot")
    lines, active = [], []
    for backend in found:
        boot = [u for u in firewall_conf.BOOT_UNITS[backend.name] if u in units]
        loaded = bool(boot) or not units  # without unit information (no systemd, no SysV links) assume loaded
        state = f"enabled: {', '.join(boot)}" if boot else "not enabled at boot" if units else "boot state unknown"
        state_vi = (f"đã kích hoạt: {', '.join(boot)}" if boot else "không được kích hoạt khi khởi động" if units
                    else "không rõ trạng thái khi khởi động")
        lines.append({"en": f"{backend.name}: {backend.detail} ({state})",
                      "vi": f"{backend.name}: {backend.detail_vi or backend.detail} ({state_vi})"})
        if backend.deny and loaded:
            active.append(backend.name)
    evidence = "\n".join(line["en"] for line in lines)
    if active:
        return passed({"en": f"default-deny inbound firewall: {', '.join(active)}",
                       "vi": f"tường lửa mặc định chặn lưu lượng vào: {', '.join(active)}"}, evidence)
    return failed(bi_join(lines, head=("no firewall denies inbound traffic by default: ",
                                       "không có tường lửa nào mặc định chặn lưu lượng vào: ")), evidence)


@check(id="L1-AV-001", severity="high", min_level=1, **_HOST,
       title={"en": "An anti-malware agent runs and starts at boot",
              "vi": "Tác tử phòng chống mã độc đang chạy và tự khởi động cùng hệ thống"},
       rationale={"en": "Circular 12/2022 requires anti-malware on servers at every level. One of the configured "
                        "agents must run (live process list), and on a systemd host its service must be enabled so "
                        "that protection comes back after the next reboot.",
                  "vi": "Thông tư 12/2022 yêu cầu phòng chống mã độc trên máy chủ ở mọi cấp độ. Một trong các tác tử "
                        "đã cấu hình phải đang chạy (danh sách tiến trình thực tế), và trên máy dùng systemd, dịch vụ "
                        "của nó phải được kích hoạt để bảo vệ tiếp tục sau lần khởi động lại."},
       remediation={"en": "Install the agency's anti-malware agent (e.g. ClamAV `clamav-daemon`, or the centrally "
                          "managed product), `systemctl enable --now` its service, and list its process and unit "
                          "names under `antimalware:` in the policy if they are not there.",
                    "vi": "Cài tác tử phòng chống mã độc của đơn vị (ví dụ ClamAV `clamav-daemon`, hoặc sản phẩm quản "
                          "lý tập trung), chạy `systemctl enable --now` cho dịch vụ của nó, và khai báo tên tiến "
                          "trình, tên unit trong mục `antimalware:` của chính sách nếu chưa có."},
       references=(refs.CIRCULAR_12, refs.TCVN_SRV_MALWARE, refs.CIS_CONTROLS_MALWARE))
def antimalware_agent(t):
    names = list(t.policy.antimalware.process_names)
    unit_names = list(t.policy.antimalware.unit_names)
    found, procs = running(t, names)
    if not found:
        return failed({"en": f"no anti-malware agent is running (looked for {shown(names)})",
                       "vi": f"không có tác tử phòng chống mã độc nào đang chạy (đã tìm: {shown(names, lang='vi')})"},
                      f"{len(procs)} processes, none named {shown(names)}")
    units = _units(t)
    enabled = [u for u in unit_names if u in units]
    evidence = f"running: {', '.join(found)}\nenabled at boot: {', '.join(enabled) or 'none of ' + shown(unit_names)}"
    if units and unit_names and not enabled:
        return failed({"en": f"{', '.join(found)} runs, but no anti-malware service is enabled at boot "
                             f"(looked for {shown(unit_names)})",
                       "vi": f"{', '.join(found)} đang chạy nhưng không có dịch vụ phòng chống mã độc nào được kích "
                             f"hoạt khi khởi động (đã tìm: {shown(unit_names, lang='vi')})"}, evidence)
    return passed({"en": f"anti-malware agent running: {', '.join(found)}"
                         f"{'; enabled at boot: ' + ', '.join(enabled) if enabled else ''}",
                   "vi": f"tác tử phòng chống mã độc đang chạy: {', '.join(found)}"
                         f"{'; được kích hoạt khi khởi động: ' + ', '.join(enabled) if enabled else ''}"}, evidence)


@check(id="L1-SVC-001", severity="high", min_level=1, **_HOST,
       title={"en": "No risky legacy services run or start at boot",
              "vi": "Không chạy hoặc tự khởi động các dịch vụ cũ rủi ro"},
       rationale={"en": "Telnet, r-services, TFTP and FTP send credentials in clear; inetd/xinetd start them on "
                        "demand; Avahi and CUPS add discovery and printing attack surface a server does not need. "
                        "Seen from the host itself, even when a firewall hides them from the network scan.",
                  "vi": "Telnet, r-services, TFTP và FTP truyền thông tin đăng nhập không mã hóa; inetd/xinetd khởi "
                        "chạy chúng theo yêu cầu; Avahi và CUPS thêm bề mặt tấn công (khám phá dịch vụ, in ấn) mà máy "
                        "chủ không cần. Kiểm tra từ bên trong máy chủ, kể cả khi tường lửa che chúng khỏi quét mạng."},
       remediation={"en": "Stop and disable the services (`systemctl disable --now <unit>`), then remove their "
                          "packages (e.g. `apt-get purge telnetd vsftpd avahi-daemon cups`); use SSH/SFTP instead.",
                    "vi": "Dừng và vô hiệu hóa dịch vụ (`systemctl disable --now <unit>`), rồi gỡ gói (ví dụ "
                          "`apt-get purge telnetd vsftpd avahi-daemon cups`); dùng SSH/SFTP thay thế."},
       references=(refs.TCVN_SRV_INTRUSION, refs.CIS_SERVICES, refs.CIRCULAR_12, "CIS Controls v8 4.8"))
def risky_services(t):
    risky_procs = list(t.policy.services.risky_processes)
    risky_units = list(t.policy.services.risky_units)
    found, procs = running(t, risky_procs)
    units = _units(t)
    enabled = [f"{u} ({units[u]})" for u in risky_units if u in units]
    problems = ([{"en": f"running: {', '.join(found)}", "vi": f"đang chạy: {', '.join(found)}"}] if found else []) + \
               ([{"en": f"enabled at boot: {shown(enabled)}",
                  "vi": f"được kích hoạt khi khởi động: {shown(enabled, lang='vi')}"}] if enabled else [])
    evidence = "\n".join(p["en"] for p in problems) or f"{len(procs)} processes and {len(units)} enabled units checked"
    if problems:
        return failed(bi_join(problems, head=("risky services ", "phát hiện dịch vụ rủi ro — ")), evidence)
    return passed({"en": "no risky service runs or is enabled at boot",
                   "vi": "không có dịch vụ rủi ro nào đang chạy hoặc được kích hoạt khi khởi động"}, evidence)


# ---- file permissions --------------------------------------------------------------------------------------------

SHADOW_MAX_MODE = 0o640  # rw-r----- : root writes, the shadow group (Debian) reads, nobody else
SHADOW_GROUPS = ("root", "shadow")
HOST_KEY_MAX_MODE = 0o640  # private host keys: owner, and at most the key group (RHEL ssh_keys) may read
HOST_KEY_READ_GROUPS = ("ssh_keys",)  # the only group that may read a host key (RHEL's ssh-keysign)


def _modes(t, command: str, what: str) -> list[FileMode]:
    rc, out = command_out(t, command)
    rows = file_modes(out, _sysroot(t))
    if rc != 0 or not rows:
        err = str(t.ev("ssh_shell")["commands"].get(command, {}).get("err", "")).strip().splitlines()
        raise Unevaluable(f"{what} could not be examined (rc={rc}){': ' + err[0][:160] if err else ''}")
    return rows


def _file_verdict(f: FileMode, problems: list[dict[str, str]]):
    """FAIL listing bilingual `problems` (plus a non-root owner), else PASS with the file's mode and owner."""
    problems = problems + ([{"en": f"owned by {f.owner}", "vi": f"thuộc sở hữu của {f.owner}"}]
                           if f.owner != "root" else [])
    if problems:
        return failed(bi_join(problems, ", ", head=(f"{f.path}: ", f"{f.path}: ")), str(f))
    return passed({"en": f"{f.path} is {f.mode:o} {f.owner}:{f.group}",
                   "vi": f"{f.path} có quyền {f.mode:o}, chủ sở hữu {f.owner}:{f.group}"}, str(f))


@check(id="L1-PRM-001", severity="high", min_level=1, **_HOST,
       title={"en": "/etc/shadow is readable only by root (and the shadow group)",
              "vi": "/etc/shadow chỉ root (và nhóm shadow) đọc được"},
       rationale={"en": "/etc/shadow holds the password hashes; readable by others they can be cracked offline. "
                        "The check looks at its mode and owner only (stat) — the content is never read.",
                  "vi": "/etc/shadow chứa giá trị băm của mật khẩu; nếu người khác đọc được, chúng có thể bị bẻ khóa "
                        "ngoại tuyến. Kiểm tra chỉ xem quyền và chủ sở hữu (stat) — không bao giờ đọc nội dung."},
       remediation={"en": "Run `chown root:shadow /etc/shadow && chmod 640 /etc/shadow` (Debian/Ubuntu) or "
                          "`chown root:root /etc/shadow && chmod 000 /etc/shadow` (RHEL).",
                    "vi": "Chạy `chown root:shadow /etc/shadow && chmod 640 /etc/shadow` (Debian/Ubuntu) hoặc "
                          "`chown root:root /etc/shadow && chmod 000 /etc/shadow` (RHEL)."},
       references=(refs.TCVN_SRV_ACCESS, refs.CIS_FILE_PERMS))
def shadow_permissions(t):
    shadow = _modes(t, "shadow_perms", "/etc/shadow")[0]
    problems = []
    if shadow.mode & ~SHADOW_MAX_MODE:
        extra = f"{shadow.mode & ~SHADOW_MAX_MODE:03o}"
        problems.append({"en": f"mode {shadow.mode:o} grants {extra} beyond {SHADOW_MAX_MODE:o}",
                         "vi": f"quyền {shadow.mode:o} cấp thêm {extra} vượt quá {SHADOW_MAX_MODE:o}"})
    if shadow.group not in SHADOW_GROUPS:
        problems.append({"en": f"group {shadow.group} may read it", "vi": f"nhóm {shadow.group} có thể đọc tệp"})
    return _file_verdict(shadow, problems)


@check(id="L1-PRM-002", severity="medium", min_level=1, **_HOST,
       title={"en": "sshd_config is owned by root and not writable by others",
              "vi": "sshd_config thuộc sở hữu root và người khác không ghi được"},
       rationale={"en": "Whoever can write the SSH server configuration can let themselves in as root at the next "
                        "reload. Owner, group and mode are judged together: root:root, writable by root only.",
                  "vi": "Ai ghi được cấu hình máy chủ SSH có thể tự cho phép mình đăng nhập bằng root ở lần nạp lại "
                        "tiếp theo. Chủ sở hữu, nhóm và quyền được đánh giá cùng nhau: root:root, chỉ root ghi được."},
       remediation={"en": "Run `chown root:root /etc/ssh/sshd_config && chmod 600 /etc/ssh/sshd_config` (and the "
                          "same for /etc/ssh/sshd_config.d/*.conf).",
                    "vi": "Chạy `chown root:root /etc/ssh/sshd_config && chmod 600 /etc/ssh/sshd_config` (và làm "
                          "tương tự cho /etc/ssh/sshd_config.d/*.conf)."},
       references=(refs.TCVN_SRV_ACCESS, refs.CIS_SSH, refs.CIS_FILE_PERMS))
def sshd_config_permissions(t):
    conf = _modes(t, "sshd_config_perms", "sshd_config")[0]
    writers = [who for bit, who in ((0o020, ("its group", "nhóm sở hữu")), (0o002, ("every user", "mọi người dùng")))
               if conf.mode & bit]
    problems = [{"en": f"mode {conf.mode:o} lets {' and '.join(w[0] for w in writers)} write it",
                 "vi": f"quyền {conf.mode:o} cho phép {' và '.join(w[1] for w in writers)} ghi tệp"}] if writers else []
    if conf.group != "root":  # a group other than root is one more way in (CIS: root:root)
        problems.append({"en": f"group {conf.group}, not root", "vi": f"thuộc nhóm {conf.group}, không phải root"})
    return _file_verdict(conf, problems)


@check(id="L1-PRM-003", severity="high", min_level=1, **_HOST,
       title={"en": "SSH host private keys are not readable by other users",
              "vi": "Khóa bí mật máy chủ SSH không để người dùng khác đọc được"},
       rationale={"en": "A copied host key lets an attacker impersonate the server and intercept administrators' "
                        "sessions. Every private key beside the sshd configuration counts, whatever its name: keys "
                        "are found by content (a PEM/OpenSSH private-key header, file names only, never a line of "
                        "the key), by sshd's HostKey lines and by the ssh_host_*_key names. Each must be owned by "
                        "root, group root (or ssh_keys on RHEL, which may read it: 640), mode 600 at most.",
                  "vi": "Khóa máy chủ bị sao chép cho phép kẻ tấn công giả mạo máy chủ và nghe lén phiên quản trị. "
                        "Mọi khóa bí mật nằm cạnh cấu hình sshd đều được tính, bất kể tên tệp: khóa được nhận biết "
                        "theo nội dung (phần đầu khóa bí mật PEM/OpenSSH, chỉ lấy tên tệp, không bao giờ đọc ra một "
                        "dòng nào của khóa), theo các dòng HostKey của sshd và theo tên ssh_host_*_key. Mỗi khóa "
                        "phải thuộc sở hữu root, nhóm root (hoặc ssh_keys trên RHEL, được phép đọc: 640), quyền tối "
                        "đa 600."},
       remediation={"en": "`chown root:root` and `chmod 600` every private key in /etc/ssh (RHEL: `chgrp ssh_keys` "
                          "and `chmod 640`); if one was readable by others, regenerate it and tell users the new "
                          "fingerprints; move private keys that are not host keys out of /etc/ssh.",
                    "vi": "`chown root:root` và `chmod 600` cho mọi khóa bí mật trong /etc/ssh (RHEL: `chgrp "
                          "ssh_keys` và `chmod 640`); nếu khóa đã từng để người khác đọc được, hãy tạo lại và thông "
                          "báo dấu vân tay mới cho người dùng; chuyển các khóa bí mật không phải khóa máy chủ ra khỏi "
                          "/etc/ssh."},
       references=(refs.TCVN_SRV_ACCESS, refs.CIS_SSH, refs.CIS_FILE_PERMS))
def host_key_permissions(t):
    files = {f.path: f for f in _modes(t, "ssh_host_key_perms", "the files beside sshd_config")}
    keys, how = _private_keys(t, files)
    owners, groups = list(t.policy.files.host_key_owners), list(t.policy.files.host_key_groups)
    if not keys:
        raise Unevaluable(f"no SSH host private key found beside sshd_config ({len(files)} files examined, none "
                          "named ssh_host_*_key, named by HostKey or holding a private key)")
    evidence = "\n".join(f"{files[k]} ({', '.join(how[k])})" for k in keys)
    loose = []
    for k in keys:
        f = files[k]
        problems = [f"mode {f.mode:o}"] if f.mode & ~HOST_KEY_MAX_MODE or (
            f.mode & 0o040 and f.group not in HOST_KEY_READ_GROUPS) else []
        problems += [f"owner {f.owner}"] if f.owner not in owners else []
        problems += [f"group {f.group}"] if f.group not in groups else []
        if problems:
            loose.append((f, problems))
    if loose:
        listed = "; ".join(f"{f.path.rsplit('/', 1)[-1]} {f.mode:o} {f.owner}:{f.group}" for f, _ in loose)
        return failed({"en": f"host private keys readable, writable or owned beyond root: {listed} (allowed: owner "
                             f"{'/'.join(owners)}, group {'/'.join(groups)}, mode 600, 640 for group "
                             f"{'/'.join(HOST_KEY_READ_GROUPS)})",
                       "vi": f"khóa bí mật máy chủ để người khác đọc, ghi được hoặc không thuộc root: {listed} (cho "
                             f"phép: chủ sở hữu {'/'.join(owners)}, nhóm {'/'.join(groups)}, quyền 600, 640 với nhóm "
                             f"{'/'.join(HOST_KEY_READ_GROUPS)})"}, evidence)
    outside = [p for p, found in how.items() if p not in files and "HostKey" in found]
    if outside:
        raise Unevaluable(f"HostKey {shown(outside)} lies outside the sshd configuration's directory and was not "
                          "examined; the other keys are fine")
    modes = "/".join(sorted({f"{files[k].mode:o}" for k in keys}))
    who = "/".join(sorted({f"{files[k].owner}:{files[k].group}" for k in keys}))
    return passed({"en": f"{len(keys)} host private keys are {modes} {who}",
                   "vi": f"{len(keys)} khóa bí mật máy chủ có quyền {modes}, chủ sở hữu {who}"}, evidence)


def _private_keys(t, files: dict[str, FileMode]) -> tuple[list[str], dict[str, list[str]]]:
    """The private keys among `files` and how each was recognised: its content (grep -l, names only), a HostKey
    line (`sshd -T`, else the configuration files), or its ssh_host_*_key name."""
    how: dict[str, list[str]] = {}
    rc, out = command_out(t, "ssh_private_keys")
    if rc in (0, 1, 2):  # 1: no match; 2: some files could not be read (unprivileged), the readable ones are listed
        for path in out.splitlines():
            how.setdefault(below_root(path.strip(), _sysroot(t)), []).append("private-key content")
    by_name = {path.rsplit("/", 1)[-1]: path for path in files}
    try:  # sshd -T, else the configuration files (fourlayer.resources.sshd)
        host_keys = (sshd(t).get("hostkey") or "").split()
    except Unevaluable:
        host_keys = []
    if host_keys:
        for path in host_keys:
            path = below_root(path, _sysroot(t))
            # sshd prints the path as configured; the directory may be reached through a symbolic link
            # (/etc/ssh -> /srv/ssh), so a key of that name beside sshd_config is taken to be the same file
            how.setdefault(path if path in files else by_name.get(path.rsplit("/", 1)[-1], path), []).append("HostKey")
    for path in files:
        if re.fullmatch(r"ssh_host_\w+_key", path.rsplit("/", 1)[-1]):
            how.setdefault(path, []).append("name")
    return sorted(p for p in how if p in files), how


# the account databases and their `-` backups: most permissive mode and the groups allowed (CIS 7.1.x)
ACCOUNT_FILES = {"/etc/passwd": (0o644, ("root",)), "/etc/group": (0o644, ("root",)),
                 "/etc/shadow": (0o640, SHADOW_GROUPS), "/etc/gshadow": (0o640, SHADOW_GROUPS)}
REQUIRED_ACCOUNT_FILES = ("/etc/passwd", "/etc/group")


@check(id="L1-PRM-004", severity="high", min_level=1, **_HOST,
       title={"en": "Account databases and their backups have safe owner, group and mode",
              "vi": "Cơ sở dữ liệu tài khoản và bản sao lưu có chủ sở hữu, nhóm và quyền an toàn"},
       rationale={"en": "Whoever can write /etc/passwd or /etc/group makes themselves root; whoever can read "
                        "/etc/shadow, /etc/gshadow or their `-` backups (left by every account change) cracks the "
                        "hashes offline. Owner, group and mode are judged together, from `stat` only: passwd and "
                        "group root:root 644 at most, shadow and gshadow root:root or root:shadow 640 at most, the "
                        "backups like their originals.",
                  "vi": "Ai ghi được /etc/passwd hoặc /etc/group có thể tự biến mình thành root; ai đọc được "
                        "/etc/shadow, /etc/gshadow hoặc các bản sao lưu `-` (được tạo mỗi lần thay đổi tài khoản) có "
                        "thể bẻ khóa giá trị băm ngoại tuyến. Chủ sở hữu, nhóm và quyền được đánh giá cùng nhau, chỉ "
                        "qua `stat`: passwd và group tối đa root:root 644, shadow và gshadow tối đa root:root hoặc "
                        "root:shadow 640, bản sao lưu như tệp gốc."},
       remediation={"en": "`chown root:root /etc/passwd* /etc/group*; chmod 644 /etc/passwd* /etc/group*`; "
                          "`chown root:shadow /etc/shadow* /etc/gshadow*; chmod 640 /etc/shadow* /etc/gshadow*` "
                          "(RHEL: root:root and 000).",
                    "vi": "`chown root:root /etc/passwd* /etc/group*; chmod 644 /etc/passwd* /etc/group*`; "
                          "`chown root:shadow /etc/shadow* /etc/gshadow*; chmod 640 /etc/shadow* /etc/gshadow*` "
                          "(RHEL: root:root và 000)."},
       references=(refs.TCVN_SRV_ACCESS, refs.CIS_FILE_PERMS, refs.CIS_USERS))
def account_file_permissions(t):
    rc, out = command_out(t, "account_file_perms")
    files = {f.path: f for f in file_modes(out, _sysroot(t))}
    absent = [p for p in REQUIRED_ACCOUNT_FILES if p not in files]
    if absent:
        raise Unevaluable(f"{', '.join(absent)} could not be examined (rc={rc}): no account database to judge")
    problems, lines = [], []
    for path, f in sorted(files.items()):
        limit, groups = ACCOUNT_FILES[path.rstrip("-")]
        wrong = ([f"mode {f.mode:o} > {limit:o}"] if f.mode & ~limit else []) + \
                ([f"owner {f.owner}"] if f.owner != "root" else []) + \
                ([f"group {f.group}"] if f.group not in groups else [])
        lines.append(f"{f}{' — ' + ', '.join(wrong) if wrong else ''}")
        if wrong:
            problems.append(f"{path} {f.mode:o} {f.owner}:{f.group} ({', '.join(wrong)})")
    evidence = "\n".join(lines)
    if problems:
        listed = "; ".join(problems)
        return failed({"en": f"account files with unsafe owner, group or mode: {listed}",
                       "vi": f"tệp tài khoản có chủ sở hữu, nhóm hoặc quyền không an toàn: {listed}"}, evidence)
    return passed({"en": f"{len(files)} account files have safe owner, group and mode: {', '.join(sorted(files))}",
                   "vi": f"{len(files)} tệp tài khoản có chủ sở hữu, nhóm và quyền an toàn: "
                         f"{', '.join(sorted(files))}"}, evidence)

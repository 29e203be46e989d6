"""Layer 1 (on-site force): security updates of Linux hosts — pending updates, automatic updates, pending reboot.

Read with allowlisted read-only commands over SSH (files below `ssh.sysroot`); the package manager runs only in
simulation where the host allows it.
"""

from __future__ import annotations

import re

from fourlayer.checks import refs
from fourlayer.checks.util import boot_units, command_out
from fourlayer.core.model import Status, Unevaluable, bi_join, failed, not_applicable, passed, warned
from fourlayer.core.registry import check
from fourlayer.collectors.base import clean_text
from fourlayer.resources.updates import PARSERS as UPDATE_PARSERS
from fourlayer.resources.updates import Pending, UnreadableOutput, tool_sections
from fourlayer.resources.host_files import config_files, shown, sysroot
from fourlayer.resources.parse import age_days, excerpt, mtimes, update_notice
from fourlayer.rules.engine import parse_keyvalue

UPDATES_AVAILABLE = "/var/lib/update-notifier/updates-available"
REBOOT_FLAG, REBOOT_PKGS = "/run/reboot-required", "/run/reboot-required.pkgs"
# files whose presence shows that the host records pending reboots (update-notifier-common, unattended-upgrades)
REBOOT_RECORDERS = ("/usr/share/update-notifier/notify-reboot-required", "/etc/kernel/postinst.d/unattended-upgrades")
UNATTENDED_UPGRADE = "/usr/bin/unattended-upgrade"
DEBIAN_LIKE, RHEL_LIKE = ("debian", "ubuntu"), ("rhel", "fedora", "centos")
APT_OFF = ("", "0", "false", "no", "off")

_HOST = dict(layer=1, needs=("ssh_shell",), applies_to=("linux",))


def _existing(t) -> dict[str, int]:
    """Update-related files that exist on the host -> modification time."""
    return mtimes(command_out(t, "update_files")[1], sysroot(t))


def _os_family(t) -> set[str]:
    release = parse_keyvalue(command_out(t, "os_release")[1])
    return {release.get("id", "").lower(), *release.get("id_like", "").lower().split()} - {""}


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
            err = t.ev("ssh_shell").command(command).err.strip().splitlines()
            hint = "" if tool == "apt-get" else "; dnf, yum and zypper read their cache as root: set ssh.sudo: true"
            raise Unevaluable(f"`{tool}` could not simulate the upgrade (rc={rc})"
                              f"{': ' + clean_text(err[-1], 160) if err else ''}{hint}")
        try:
            pending = UPDATE_PARSERS[tool](text)
        except UnreadableOutput as exc:
            raise Unevaluable(str(exc)) from None
        metadata = mtimes(command_out(t, "update_metadata_age")[1], sysroot(t))
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
    verdicts = [v for v in (_apt_auto(files, _existing(t)), _dnf_auto(files, boot_units(t))) if v is not None]
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

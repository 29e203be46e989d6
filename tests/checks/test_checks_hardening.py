"""System hardening (issue #13): kernel parameters judged live (a stand-in /proc/sys below the
sysroot) and persisted (sysctl.d precedence), core dumps, temporary mounts, file integrity, banners; real sysroot
files read over a real loopback sshd."""

from __future__ import annotations

import os

import pytest

from fourlayer.collectors import allowlist, ssh_shell
from fourlayer.config.inventory import SSHSettings
from fourlayer.core.model import Status
from fourlayer.lab.sysroots import GOOD_ROOT, HARDENED_SYSCTL, WEAK_ROOT, File, proc_sys, sysctl_conf
from tests.host_lab import CTX, host_target, judge

KERNEL_FILES = {k: v for k, v in GOOD_ROOT.items() if k.startswith(("proc/sys/", "etc/sysctl", "usr/lib/sysctl"))}
LIVE = proc_sys(HARDENED_SYSCTL)
ALL = sysctl_conf(HARDENED_SYSCTL)


@pytest.fixture
def kscan(sshd_hardened, ssh_known_hosts, host_root):
    def run(files: dict, check_id: str = "L1-KRN-001", roles: tuple[str, ...] = ("linux",)):
        host = sshd_hardened.host(known_hosts=ssh_known_hosts, sysroot=str(host_root(files)), roles=roles)
        return judge(check_id, host_target({"host": host, "ssh_shell": ssh_shell.collect(host, CTX)}))
    return run


def test_the_lab_good_host_passes_every_parameter(kscan) -> None:
    result = kscan(KERNEL_FILES)
    assert result.status is Status.PASS, result.reason
    assert result.reason == "all 16 kernel parameters are set live and persisted"
    assert "kernel.randomize_va_space: live 2; persisted 2 (/etc/sysctl.d/60-hardening.conf:2)" in result.evidence
    assert "fs.protected_hardlinks: live 1; persisted 1 (/usr/lib/sysctl.d/50-default.conf:1)" in result.evidence


@pytest.mark.parametrize("files, said, said_vi", [
    # right live, nothing persisted: lost at reboot
    ({**LIVE, "etc/sysctl.d/60-h.conf": ALL.replace("kernel.randomize_va_space = 2\n", "")},
     "1 of 16 kernel parameters wrong: kernel.randomize_va_space=2 is not persisted (lost at reboot)",
     "kernel.randomize_va_space=2 chưa được lưu trong cấu hình (mất khi khởi động lại)"),
    # persisted, never applied
    ({**LIVE, **proc_sys({"net.ipv4.conf.all.accept_redirects": "1"}), "etc/sysctl.d/60-h.conf": ALL},
     "net.ipv4.conf.all.accept_redirects=1 live: 0 in /etc/sysctl.d/60-h.conf:9 is not applied (required 0)",
     "giá trị 0 trong /etc/sysctl.d/60-h.conf:9 chưa được áp dụng"),
    # a later file wins: the next boot turns forwarding back on
    ({**LIVE, "etc/sysctl.d/60-h.conf": ALL, "etc/sysctl.d/99-docker.conf": "net.ipv4.ip_forward=1\n"},
     "net.ipv4.ip_forward=0 but /etc/sysctl.d/99-docker.conf:1 sets 1 at boot (required 0)",
     "khi khởi động (yêu cầu 0)"),
    # the /etc file of one name hides the /usr/lib one: its settings are not persisted
    ({**LIVE, "usr/lib/sysctl.d/60-h.conf": ALL, "etc/sysctl.d/60-h.conf": ALL.replace("kernel.dmesg_restrict = 1\n", "")},
     "kernel.dmesg_restrict=1 is not persisted", "kernel.dmesg_restrict=1 chưa được lưu"),
    # at_least: kptr_restrict 0 live and persisted
    ({**LIVE, **proc_sys({"kernel.kptr_restrict": "0"}),
      "etc/sysctl.d/60-h.conf": ALL.replace("kernel.kptr_restrict = 1", "kernel.kptr_restrict = 0")},
     "kernel.kptr_restrict=0 (required at least 1; 0 in /etc/sysctl.d/60-h.conf:3)", "yêu cầu tối thiểu 1"),
])
def test_live_and_persisted_values_are_both_judged(kscan, files: dict, said: str, said_vi: str) -> None:
    result = kscan(files)
    assert result.status is Status.FAIL, result.reason
    assert said in result.reason and said_vi in result.reason_vi, (result.reason, result.reason_vi)


def test_slash_keys_globs_and_sysctl_conf_count_as_persisted(kscan) -> None:
    conf = ALL.replace("net.ipv4.conf.all.rp_filter = 1\n", "net/ipv4/conf/all/rp_filter = 1\n") \
              .replace("net.ipv4.conf.default.rp_filter = 1\n", "").replace("net.ipv4.tcp_syncookies = 1\n", "")
    files = {**LIVE, "etc/sysctl.d/60-h.conf": conf, "usr/lib/sysctl.d/10-glob.conf": "-net.ipv4.conf.*.rp_filter = 2\n",
             "etc/sysctl.conf": "; sysctl.conf\nnet.ipv4.tcp_syncookies=1\n"}
    result = kscan(files)
    assert result.status is Status.PASS, result.reason
    assert "net.ipv4.conf.default.rp_filter: live 1; persisted 2 (/usr/lib/sysctl.d/10-glob.conf:1)" in result.evidence
    assert "net.ipv4.conf.all.rp_filter: live 1; persisted 1 (/etc/sysctl.d/60-h.conf:" in result.evidence  # by name


def test_a_router_may_forward(kscan) -> None:
    files = {**LIVE, **proc_sys({"net.ipv4.ip_forward": "1"}),
             "etc/sysctl.d/60-h.conf": ALL.replace("ip_forward = 0", "ip_forward = 1")}
    assert kscan(files).status is Status.FAIL
    result = kscan(files, roles=("linux", "router"))
    assert result.status is Status.PASS, result.reason
    assert result.reason.endswith("all 15 kernel parameters are set live and persisted; net.ipv4.ip_forward not "
                                  "judged (forwarding role)")


def test_missing_live_values_are_an_error_never_a_pass(kscan) -> None:
    assert kscan({"etc/sysctl.d/60-h.conf": ALL}).status is Status.ERROR
    partial = {k: v for k, v in LIVE.items() if "tcp_syncookies" not in k}
    result = kscan({**partial, "etc/sysctl.d/60-h.conf": ALL})
    assert result.status is Status.ERROR and "net.ipv4.tcp_syncookies could not be read" in result.reason


def test_the_weak_demo_host_fails(kscan) -> None:
    result = kscan({k: v for k, v in WEAK_ROOT.items() if k.startswith(("proc/sys/", "usr/lib/sysctl"))})
    assert result.status is Status.FAIL, result.reason
    for said in ("kernel.randomize_va_space=2 is not persisted", "net.ipv4.ip_forward=1 live",
                 "net.ipv4.conf.all.accept_redirects=1 live", "kernel.kptr_restrict=0 (required at least 1"):
        assert said in result.reason, result.reason


def test_kernel_commands_pass_the_read_only_guard() -> None:
    for name in ("sysctl_live", "sysctl_conf", "core_dump_conf"):
        command = allowlist.render(name, SSHSettings(sysroot="/srv/img"))
        assert allowlist.read_only_problems(command) == (), name
        assert "/srv/img/" in command
    assert "/proc/sys/kernel/randomize_va_space" in allowlist.render("sysctl_live", SSHSettings())


SUID_OK = {**proc_sys({"fs.suid_dumpable": "0"}), "etc/sysctl.d/60-h.conf": "fs.suid_dumpable = 0\n"}


@pytest.mark.parametrize("files, status, said", [
    ({**SUID_OK, "etc/security/limits.d/60-core.conf": "*  hard  core  0  # none\n"}, Status.PASS,
     "core dumps are off: `* hard core 0` (/etc/security/limits.d/60-core.conf:1), fs.suid_dumpable=0"),
    ({**SUID_OK, "etc/systemd/coredump.conf.d/60-none.conf": "[Coredump]\nStorage=none\nProcessSizeMax=0\n"},
     Status.PASS, "systemd-coredump Storage=none (/etc/systemd/coredump.conf.d/60-none.conf:2)"),
    # limits.d overrides limits.conf (later line wins); coredump keeps its default external storage
    ({**SUID_OK, "etc/security/limits.conf": "* hard core 0\n", "etc/security/limits.d/90-dev.conf": "* - core unlimited\n"},
     Status.FAIL, "ordinary core dumps are allowed (`* hard core` unlimited, systemd-coredump Storage=external)"),
    ({**proc_sys({"fs.suid_dumpable": "2"}), "etc/sysctl.d/60-h.conf": "fs.suid_dumpable = 2\n",
      "etc/security/limits.d/60-core.conf": "* hard core 0\n"}, Status.FAIL,
     "fs.suid_dumpable=2 (required 0; 2 in /etc/sysctl.d/60-h.conf:1)"),
    ({**proc_sys({"fs.suid_dumpable": "0"}), "etc/security/limits.d/60-core.conf": "* hard core 0\n"}, Status.FAIL,
     "fs.suid_dumpable=0 is not persisted (lost at reboot)"),
])
def test_core_dumps(kscan, files: dict, status: Status, said: str) -> None:
    result = kscan(files, "L1-KRN-002")
    assert result.status is status and said in result.reason, result.reason
    assert "kết xuất" in result.reason_vi or "fs.suid_dumpable=" in result.reason_vi, result.reason_vi


def test_core_dumps_without_live_values_are_an_error(kscan) -> None:
    assert kscan({"etc/security/limits.conf": "* hard core 0\n"}, "L1-KRN-002").status is Status.ERROR


def test_the_lab_good_host_restricts_core_dumps(kscan) -> None:
    result = kscan({k: v for k, v in GOOD_ROOT.items() if k.startswith(("proc/sys/", "etc/sysctl", "usr/lib/sysctl",
                                                                          "etc/security/limits"))}, "L1-KRN-002")
    assert result.status is Status.PASS, result.reason


# ---- mount options of the temporary file systems (L1-MNT-001) ------------------------------------------------

ROOT_FS = "/dev/vda1 / ext4 rw,relatime 0 0\n"
GOOD_MOUNTS = GOOD_ROOT["proc/mounts"]


@pytest.fixture
def mscan(sshd_hardened, ssh_known_hosts, host_root):
    def run(mounts: str, level: int = 3):
        host = sshd_hardened.host(known_hosts=ssh_known_hosts, sysroot=str(host_root({"proc/mounts": mounts})))
        evidence = {"host": host, "ssh_shell": ssh_shell.collect(host, CTX)}
        return judge("L1-MNT-001", host_target(evidence, level=level))
    return run


@pytest.mark.parametrize("mounts, level, status, said", [
    (GOOD_MOUNTS, 3, Status.PASS, "/tmp, /dev/shm, /var/tmp mounted nodev,nosuid,noexec"),
    (GOOD_MOUNTS.replace("/var/tmp ext4 rw,nosuid,nodev,noexec", "/var/tmp ext4 rw,nodev"), 3, Status.FAIL,
     "/var/tmp lacks nosuid, noexec"),
    (ROOT_FS + "tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n", 1, Status.FAIL,
     "/dev/shm lacks noexec; not separate mounts (not judged): /tmp, /var/tmp"),
    (ROOT_FS + "tmpfs /dev/shm tmpfs rw,nosuid,nodev,noexec 0 0\n", 1, Status.PASS,
     "/dev/shm mounted nodev,nosuid,noexec; not separate mounts (not judged): /tmp, /var/tmp"),
    (ROOT_FS + "tmpfs /dev/shm tmpfs rw,nosuid,nodev,noexec 0 0\n", 2, Status.FAIL,
     "/tmp is not a separate file system (required from level 2; this system is level 2)"),
    # the last mount on a point is the one in force
    (GOOD_MOUNTS + "/dev/vda4 /tmp ext4 rw,relatime 0 0\n", 3, Status.FAIL, "/tmp lacks nodev, nosuid, noexec"),
    ("", 3, Status.ERROR, "mount table (/proc/mounts) could not be read"),
])
def test_temporary_mount_options(mscan, mounts: str, level: int, status: Status, said: str) -> None:
    result = mscan(mounts, level)
    assert result.status is status and said in result.reason, result.reason


# ---- file integrity (L1-FIM-001) ----------------------------------------------------------------------------

AIDE = {"usr/bin/aide": File("#!/bin/sh\n", 0o755), "var/lib/aide/aide.db": File("baseline\n", 0o600)}


@pytest.mark.parametrize("files, status, said", [
    ({k: v for k, v in GOOD_ROOT.items() if k.startswith(("usr/bin/aide", "var/lib/aide", "etc/systemd"))},
     Status.PASS, "AIDE has its database (/var/lib/aide/aide.db) and runs from dailyaidecheck.timer"),
    ({**AIDE, "etc/cron.d/aide": "0 5 * * * root /usr/bin/aide --check\n"}, Status.PASS, "runs from /etc/cron.d/aide"),
    ({**AIDE, "etc/cron.daily/aide": File("#!/bin/sh\n", 0o755)}, Status.PASS, "runs from /etc/cron.daily/aide"),
    ({"usr/sbin/tripwire": File("", 0o755), "var/lib/tripwire/lab.twd": File("", 0o600),
      "etc/crontab": "17 * * * * root cd / && run-parts /etc/cron.hourly\n0 3 * * * root /usr/sbin/tripwire --check\n"},
     Status.PASS, "Tripwire has its database (/var/lib/tripwire/lab.twd) and runs from /etc/crontab"),
    ({"usr/bin/aide": File("", 0o755), "etc/cron.daily/aide": File("", 0o755)}, Status.FAIL,
     "AIDE is installed but has no baseline database"),
    (AIDE, Status.FAIL, "AIDE is installed but is not scheduled (no daily job, cron entry or timer)"),
    ({"etc/cron.d/backup": "0 1 * * * root /usr/local/bin/backup\n"}, Status.FAIL,
     "no file-integrity tool (AIDE, Tripwire, samhain) is installed"),
])
def test_file_integrity_tool(kscan, files: dict, status: Status, said: str) -> None:
    result = kscan(files, "L1-FIM-001")
    assert result.status is status and said in result.reason, result.reason
    assert "baseline\n" not in result.evidence  # metadata only


# ---- login banners (L1-BAN-001) -----------------------------------------------------------------------------

LEGAL = "Authorised use only. Activity is monitored and recorded.\n"


@pytest.mark.parametrize("files, status, said, said_vi", [
    ({k: v for k, v in GOOD_ROOT.items() if k.startswith("etc/issue")}, Status.PASS,
     "/etc/issue and /etc/issue.net carry a warning", "có thông báo cảnh báo"),
    ({k: v for k, v in WEAK_ROOT.items() if k.startswith("etc/issue")}, Status.FAIL,
     "/etc/issue discloses the word(s) 'debian', 'gnu/linux'", "/etc/issue tiết lộ từ 'debian', 'gnu/linux'"),
    ({"etc/issue": "Ubuntu 22.04.4 LTS \\n \\l\n", "etc/issue.net": LEGAL + "\\r \\m\n"}, Status.FAIL,
     "/etc/issue.net discloses escape \\r (kernel release), escape \\m (machine type)", "mã \\r (phiên bản nhân)"),
    ({"etc/issue": LEGAL, "etc/issue.net": " \n"}, Status.FAIL, "/etc/issue.net is empty", "/etc/issue.net để trống"),
    ({"etc/issue.net": LEGAL}, Status.FAIL, "/etc/issue is missing", "/etc/issue không có"),
])
def test_login_banners(kscan, files: dict, status: Status, said: str, said_vi: str) -> None:
    result = kscan(files, "L1-BAN-001")
    assert result.status is status and said in result.reason and said_vi in result.reason_vi, result.reason
    for text in (result.reason, result.reason_vi, result.evidence):
        assert "22.04" not in text and "monitored and recorded" not in text  # never the banner's text


# ---- world-writable entries in system paths (L1-PRM-005) ----------------------------------------------------

@pytest.fixture
def wscan(sshd_hardened, ssh_known_hosts, host_root):
    def run(files: dict, modes: dict[str, int] | None = None):
        root = host_root(files)
        for path, mode in (modes or {}).items():
            os.chmod(root / path, mode)
        host = sshd_hardened.host(known_hosts=ssh_known_hosts, sysroot=str(root))
        return judge("L1-PRM-005", host_target({"host": host, "ssh_shell": ssh_shell.collect(host, CTX)}))
    return run


SYSTEM_TREE = {"etc/hostname": "lab\n", "usr/bin/tool": File("#!/bin/sh\n", 0o755), "usr/share/shared/.keep": "",
               "opt/app/run.sh": File("#!/bin/sh\n", 0o750)}


def test_sticky_shared_directories_pass(wscan) -> None:
    result = wscan(SYSTEM_TREE, {"usr/share/shared": 0o1777})
    assert result.status is Status.PASS, result.reason
    assert result.reason.startswith("no world-writable file or non-sticky world-writable directory in /etc, /usr")


def test_world_writable_files_and_non_sticky_directories_fail(wscan) -> None:
    result = wscan({**SYSTEM_TREE, "etc/cron.daily/backup": File("#!/bin/sh\n", 0o777)},
                   {"usr/share/shared": 0o777})
    assert result.status is Status.FAIL, result.reason
    assert result.reason.startswith("2 world-writable entries without protection in system paths: ")
    assert "/etc/cron.daily/backup" in result.reason and "/usr/share/shared" in result.reason
    assert str(result.evidence).count("/usr/bin/tool") == 0 and "lab-" not in result.reason  # below the sysroot


def test_a_cut_list_is_said_never_complete(wscan) -> None:
    files = {**SYSTEM_TREE, **{f"opt/drop/f{i:03}": File("", 0o666) for i in range(230)}}
    result = wscan(files)
    assert result.status is Status.FAIL, result.reason
    assert result.reason.startswith("at least 200 world-writable entries") and "the list was cut" in result.reason
    assert "danh sách bị cắt" in result.reason_vi


def test_without_a_sysroot_the_live_kernel_is_read(sshd_hardened, ssh_known_hosts) -> None:
    # the real /proc/sys of this machine, over SSH: every key fourlayer asks for exists in a Linux kernel's tree
    from fourlayer.resources.sysctl import live_values
    host = sshd_hardened.host(known_hosts=ssh_known_hosts)
    out = ssh_shell.collect(host, CTX).command("sysctl_live").out
    values = live_values(out)
    assert set(values) == set(allowlist.SYSCTL_KEYS), set(allowlist.SYSCTL_KEYS) ^ set(values)
    assert all(v.isdigit() for v in values.values()), values

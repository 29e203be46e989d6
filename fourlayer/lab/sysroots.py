"""What the lab's hosts look like from inside: file trees for `ssh.sysroot`, and real agent processes.

`GOOD_ROOT` is a well-run Debian 12 server (portal-web in the demo), `WEAK_ROOT` a neglected Debian 11 one
(his-app); both list their installed packages in a dpkg status file, and proc/sys/kernel/osrelease stands for
`uname -r`. A tree maps a relative path to its text (written 0644), a `File(text, mode)`, or a `Link(target)`
(e.g. systemd's enablement links, which may dangle inside a sysroot). `write_tree` materialises one.

Processes cannot live in a file tree: `AgentProcesses` starts real processes under given names (copies of
`sleep`) so that `ps -eo comm=` on the lab machine shows them. Every lab host shares that one process table.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Union

from fourlayer.lab.sshd import SshdInstance, is_root


@dataclass(frozen=True)
class File:
    """A file with an explicit mode (e.g. /etc/shadow 0640)."""

    text: str
    mode: int = 0o644


@dataclass(frozen=True)
class Link:
    """A symbolic link; the target is written as given (absolute targets dangle inside a sysroot)."""

    target: str


Entry = Union[str, bytes, File, Link]

_UNIT_DIR = "/lib/systemd/system/"
_WANTS = "etc/systemd/system/multi-user.target.wants/"
_TIMERS = "etc/systemd/system/timers.target.wants/"


def _enabled(*units: str, wants: str = _WANTS) -> dict[str, Entry]:
    """`systemctl enable` links for these units."""
    return {wants + unit: Link(_UNIT_DIR + unit) for unit in units}


def dpkg_status(packages: Iterable[tuple[str, str, str]], status: str = "install ok installed") -> str:
    """A dpkg status database (var/lib/dpkg/status) listing (package, source package, version) entries; the
    source version is the package's (`Source: name` without a version). dpkg-query reads it with --admindir."""
    stanzas = []
    for name, source, version in packages:
        source_line = f"Source: {source}\n" if source != name else ""
        stanzas.append(f"Package: {name}\nStatus: {status}\nPriority: optional\nSection: misc\n"
                       f"Maintainer: fourlayer lab <lab@fourlayer.invalid>\nArchitecture: amd64\n{source_line}"
                       f"Version: {version}\nDescription: lab package {name}\n")
    return "\n".join(stanzas)


def apt_archive(suite: str, label: str, version: str, archive: str, packages: Iterable[tuple[str, str]],
                mirror: str = "deb.lab.invalid/debian") -> dict[str, Entry]:
    """An apt source as `apt-get update` leaves it on a host: its sources.list.d line and, in var/lib/apt/lists,
    the Release file (its Label/Version/Suite become the candidate's archive in `apt-get -s` output, e.g.
    `Debian-Security:12/stable-security`) and the Packages index listing (package, version) entries."""
    stem = f"var/lib/apt/lists/{mirror.replace('/', '_')}_dists_{suite}"
    index = "\n".join(f"Package: {name}\nVersion: {ver}\nArchitecture: amd64\nPriority: optional\nSection: misc\n"
                      f"Maintainer: fourlayer lab <lab@fourlayer.invalid>\nFilename: pool/{name}_{ver}_amd64.deb\n"
                      f"Size: 1024\nDescription: lab package {name}\n" for name, ver in packages)
    return {
        f"etc/apt/sources.list.d/{suite}.list": f"deb [trusted=yes] http://{mirror} {suite} main\n",
        f"{stem}_Release": (f"Origin: Debian\nLabel: {label}\nSuite: {archive}\nVersion: {version}\n"
                            f"Codename: {suite}\nArchitectures: amd64\nComponents: main\n"),
        f"{stem}_main_binary-amd64_Packages": index,
    }


_GROUP = "root:x:0:\nadm:x:4:\nshadow:x:42:\nsudo:x:27:admin\nadmin:x:1000:\n"
_GSHADOW = "root:*::\nadm:*::\nshadow:*::\nsudo:*::admin\nadmin:!::\n"
_SHADOW = "".join(f"{name}:*:20000:0:99999:7:::\n" for name in ("root", "daemon", "sshd", "admin"))
_PASSWD = ("root:x:0:0:root:/root:/bin/bash\n"
           "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
           "sshd:x:105:65534::/run/sshd:/usr/sbin/nologin\n"
           "admin:x:1000:1000:Quản trị hệ thống:/home/admin:/bin/bash\n")

GOOD_ROOT: dict[str, Entry] = {
    "etc/rsyslog.conf": "module(load=\"imuxsock\")\n$IncludeConfig /etc/rsyslog.d/*.conf\n",
    "etc/rsyslog.d/60-soc.conf": ('action(type="omfwd" target="127.0.0.13" port="1514" protocol="tcp"\n'
                                  '       StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name")\n'),
    "etc/login.defs": "PASS_MAX_DAYS 90\nPASS_MIN_DAYS 1\nPASS_WARN_AGE 7\nUMASK 027\nENCRYPT_METHOD YESCRYPT\n",
    "etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
    # installed packages (L3-PKG-*): up to date against the demo advisories, booted into the newest kernel
    "var/lib/dpkg/status": dpkg_status([("openssh-server", "openssh", "1:9.2p1-2+deb12u3"),
                                        ("libssl3", "openssl", "3.0.15-1~deb12u1"), ("bash", "bash", "5.2.15-2+b7"),
                                        ("sudo", "sudo", "1.9.13p3-1+deb12u1"),
                                        ("linux-image-6.1.0-28-amd64", "linux", "6.1.119-1")]),
    "proc/sys/kernel/osrelease": "6.1.0-28-amd64\n",
    # accounts and password policy
    "etc/passwd": _PASSWD,
    "etc/shadow": File(_SHADOW, 0o640),
    "etc/group": _GROUP,
    "etc/gshadow": File(_GSHADOW, 0o640),
    "etc/passwd-": _PASSWD,
    "etc/pam.d/common-password": (
        "password\trequisite\t\t\tpam_pwquality.so retry=3\n"
        "password\trequired\t\t\tpam_pwhistory.so remember=24 enforce_for_root use_authtok\n"
        "password\t[success=1 default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt\n"
        "password\trequisite\t\t\tpam_deny.so\n"
        "password\trequired\t\t\tpam_permit.so\n"),
    "etc/pam.d/common-auth": (
        "auth\trequired\t\t\tpam_faillock.so preauth\n"
        "auth\t[success=1 default=ignore]\tpam_unix.so\n"
        "auth\t[default=die]\t\t\tpam_faillock.so authfail\n"
        "auth\trequisite\t\t\tpam_deny.so\n"
        "auth\trequired\t\t\tpam_permit.so\n"
        "auth\tsufficient\t\t\tpam_faillock.so authsucc\n"),
    "etc/security/pwquality.conf": ("# pam_pwquality\nminlen = 14\nminclass = 3\nmaxrepeat = 3\ndifok = 4\n"
                                    "dictcheck = 1\nenforce_for_root\n"),
    "etc/security/faillock.conf": "deny = 5\nunlock_time = 900\nfail_interval = 900\n",
    # updates: unattended-upgrades installed and on, update-notifier's view of pending updates
    "etc/apt/apt.conf.d/20auto-upgrades": ('APT::Periodic::Update-Package-Lists "1";\n'
                                           'APT::Periodic::Unattended-Upgrade "1";\n'),
    "usr/bin/unattended-upgrade": File("#!/usr/bin/python3\n# lab stand-in for the unattended-upgrades program\n",
                                       0o755),
    "var/lib/update-notifier/updates-available": "\n0 updates can be applied immediately.\n\n",
    "usr/share/update-notifier/notify-reboot-required": File(
        "#!/bin/sh\n# lab stand-in: writes /run/reboot-required when an update needs a restart\n", 0o755),
    # host firewall: nftables with a default-deny input chain, loaded at boot
    "etc/nftables.conf": (
        "#!/usr/sbin/nft -f\nflush ruleset\n\n"
        "table inet filter {\n"
        "\tchain input {\n"
        "\t\ttype filter hook input priority filter; policy drop;\n"
        "\t\tct state established,related accept\n"
        "\t\tiif lo accept\n"
        "\t\ttcp dport { 22, 443, 8080, 8443 } accept\n"
        "\t}\n"
        "\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n\t}\n"
        "\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n\t}\n"
        "}\n"),
    **_enabled("nftables.service", "clamav-daemon.service", "rsyslog.service", "ssh.service", "cron.service"),
    **_enabled("apt-daily.timer", "apt-daily-upgrade.timer", wants=_TIMERS),
}

WEAK_ROOT: dict[str, Entry] = {
    "etc/rsyslog.conf": "module(load=\"imuxsock\")\n*.* /var/log/syslog\n",
    "etc/login.defs": "PASS_MAX_DAYS 99999\nPASS_MIN_DAYS 0\nUMASK 022\n",
    "etc/os-release": ('PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nID=debian\nVERSION_ID="11"\n'
                       'VERSION_CODENAME=bullseye\n'),
    # a second UID 0 account, /etc/shadow readable by everyone, no password quality or lockout module
    "etc/passwd": _PASSWD + "toor:x:0:0:maintenance:/root:/bin/bash\n",
    "etc/shadow": File(_SHADOW + "toor:*:20000:0:99999:7:::\n", 0o644),
    "etc/group": _GROUP,
    "etc/shadow-": File(_SHADOW, 0o644),
    "etc/pam.d/common-password": (
        "password\t[success=1 default=ignore]\tpam_unix.so obscure sha512\n"
        "password\trequisite\t\t\tpam_deny.so\n"
        "password\trequired\t\t\tpam_permit.so\n"),
    "etc/pam.d/common-auth": (
        "auth\t[success=1 default=ignore]\tpam_unix.so nullok_secure\n"
        "auth\trequisite\t\t\tpam_deny.so\n"
        "auth\trequired\t\t\tpam_permit.so\n"),
    # installed packages (L3-PKG-*): openssh, openssl and sudo behind their fixes, a newer kernel installed but the
    # old one still running
    "var/lib/dpkg/status": dpkg_status([("openssh-server", "openssh", "1:8.4p1-5+deb11u1"),
                                        ("libssl1.1", "openssl", "1.1.1n-0+deb11u3"), ("bash", "bash", "5.1-2+deb11u1"),
                                        ("sudo", "sudo", "1.9.5p2-3"),
                                        ("linux-image-5.10.0-26-amd64", "linux", "5.10.197-1"),
                                        ("linux-image-5.10.0-30-amd64", "linux", "5.10.218-1")]),
    "proc/sys/kernel/osrelease": "5.10.0-26-amd64\n",
    # apt's lists as `apt-get update` left them: the security archive has fixes for openssh and sudo, which the
    # real `apt-get -s dist-upgrade` of L1-UPD-001 finds (update-notifier's count below is the older fallback)
    **apt_archive("bullseye-security", "Debian-Security", "11", "oldstable-security",
                  [("openssh-server", "1:8.4p1-5+deb11u3"), ("sudo", "1.9.5p2-3+deb11u1")],
                  mirror="deb.lab.invalid/debian-security"),
    **apt_archive("bullseye", "Debian", "11.11", "oldstable", [("bash", "5.1-2+deb11u1")]),
    # package lists refreshed, but nothing installed automatically; security updates and a reboot pending
    "etc/apt/apt.conf.d/20auto-upgrades": ('APT::Periodic::Update-Package-Lists "1";\n'
                                           'APT::Periodic::Unattended-Upgrade "0";\n'),
    "var/lib/update-notifier/updates-available": "\n142 packages can be updated.\n87 updates are security updates.\n\n",
    "usr/share/update-notifier/notify-reboot-required": File(
        "#!/bin/sh\n# lab stand-in: writes /run/reboot-required when an update needs a restart\n", 0o755),
    "run/reboot-required": "*** System restart required ***\n",
    "run/reboot-required.pkgs": "linux-image-4.4.0-210-generic\nlibc6\n",
    # ufw installed but never enabled
    "etc/ufw/ufw.conf": "# /etc/ufw/ufw.conf\nENABLED=no\nLOGLEVEL=low\n",
    "etc/default/ufw": 'IPV6=yes\nDEFAULT_INPUT_POLICY="DROP"\nDEFAULT_OUTPUT_POLICY="ACCEPT"\n',
    # legacy services enabled at boot, no anti-malware service
    **_enabled("ufw.service", "vsftpd.service", "openbsd-inetd.service", "avahi-daemon.service", "cups.service",
               "rsyslog.service", "ssh.service", "cron.service"),
    **_enabled("apt-daily.timer", wants=_TIMERS),
}

# Anti-malware agents the demo runs (names from the default policy's antimalware.process_names).
DEMO_AGENTS = ("clamd",)

# ---- monitoring and national connection (layers 2 and 4: L2-LOG/AUD/NTP/EDR, L4-NAT/AMW) ------------------------
# portal-web forwards its logs to the SOC (127.0.0.13:1514) and to the national collector (127.0.0.13:5514), keeps
# them 90 days, audits account, sudoers and clock changes, follows a time server and runs the SOC's Wazuh agent.
# his-app keeps logs local with Debian's 28-day rotation, loads no audit rule, names no time server, and its agent
# still points at a retired manager. The daemons below run as real processes (one process table for every lab
# host, so the weak host's failures come from its files).
_AUDIT_RULES = """\
## fourlayer lab: CIS-style audit rules
-D
-b 8192
-f 1
-w /etc/passwd -p wa -k identity
-w /etc/shadow -p wa -k identity
-w /etc/group -p wa -k identity
-w /etc/gshadow -p wa -k identity
-w /etc/security/opasswd -p wa -k identity
-w /etc/sudoers -p wa -k scope
-w /etc/sudoers.d/ -p wa -k scope
-a always,exit -F arch=b64 -S adjtimex,settimeofday,clock_settime -k time-change
-a always,exit -F arch=b32 -S adjtimex,settimeofday,stime,clock_settime -k time-change
-w /etc/localtime -p wa -k time-change
-w /var/log/lastlog -p wa -k logins
-w /var/run/faillock -p wa -k logins
-w /var/run/utmp -p wa -k session
-w /var/log/wtmp -p wa -k session
-w /var/log/btmp -p wa -k session
-a always,exit -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=unset -k privileged
-a always,exit -F path=/usr/bin/su -F perm=x -F auid>=1000 -F auid!=unset -k privileged
-a always,exit -F path=/usr/bin/passwd -F perm=x -F auid>=1000 -F auid!=unset -k privileged
-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -F auid>=1000 -F auid!=unset -k modules
-a always,exit -F arch=b64 -S unlink,unlinkat,rename,renameat -F auid>=1000 -F auid!=unset -k delete
-a always,exit -F arch=b64 -S sethostname,setdomainname -k system-locale
-w /etc/hosts -p wa -k system-locale
-w /etc/issue -p wa -k system-locale
-w /etc/issue.net -p wa -k system-locale
"""
_LOGROTATE_CONF = "# see \"man logrotate\"\nweekly\nrotate 4\ncreate\ninclude /etc/logrotate.d\n"


def _ossec_conf(manager: str) -> str:
    return (f"<ossec_config>\n  <client>\n    <server>\n      <address>{manager}</address>\n      <port>1514</port>\n"
            "      <protocol>tcp</protocol>\n    </server>\n  </client>\n</ossec_config>\n")


GOOD_ROOT.update({
    "etc/rsyslog.d/70-national.conf": ("# national monitoring system (Circular 31/2017), over TLS\n"
                                       "$DefaultNetstreamDriver gtls\n$ActionSendStreamDriverMode 1\n"
                                       "$ActionSendStreamDriverAuthMode x509/name\n*.* @@127.0.0.13:5514\n"),
    "etc/audit/auditd.conf": ("log_file = /var/log/audit/audit.log\nmax_log_file_action = keep_logs\n"
                              "space_left_action = email\nadmin_space_left_action = single\ndisk_full_action = halt\n"),
    "var/log/syslog": File("", 0o640),
    "var/log/auth.log": File("", 0o640),
    "etc/audit/rules.d/audit.rules": _AUDIT_RULES,
    "etc/chrony/chrony.conf": ("# agency time servers\nserver ntp1.stttt.demo.test iburst\n"
                               "server ntp2.stttt.demo.test iburst\ndriftfile /var/lib/chrony/chrony.drift\n"
                               "makestep 1 3\nrtcsync\n"),
    "etc/logrotate.conf": _LOGROTATE_CONF,
    "etc/logrotate.d/rsyslog": ("/var/log/syslog\n/var/log/messages\n/var/log/auth.log\n{\n\tdaily\n\trotate 90\n"
                                "\tmissingok\n\tcompress\n\tdelaycompress\n\tpostrotate\n"
                                "\t\t/usr/lib/rsyslog/rsyslog-rotate\n\tendscript\n}\n"),
    "etc/systemd/journald.conf": "[Journal]\nStorage=persistent\nMaxRetentionSec=3month\n",
    "var/ossec/etc/ossec.conf": _ossec_conf("127.0.0.13"),
    **_enabled("auditd.service", "chrony.service", "wazuh-agent.service"),
})
WEAK_ROOT.update({
    "etc/audit/rules.d/audit.rules": "## First rule - delete all\n-D\n-b 320\n-f 1\n",
    "etc/audit/auditd.conf": "log_file = /var/log/audit/audit.log\nmax_log_file_action = ROTATE\n",
    "var/log/syslog": File("", 0o644),
    "etc/systemd/timesyncd.conf": "[Time]\n#NTP=\n#FallbackNTP=ntp.ubuntu.com\n",
    "etc/logrotate.conf": _LOGROTATE_CONF,
    "etc/logrotate.d/rsyslog": ("/var/log/syslog\n/var/log/messages\n{\n\trotate 4\n\tweekly\n\tmissingok\n"
                                "\tcompress\n}\n"),
    "var/ossec/etc/ossec.conf": _ossec_conf("127.0.0.99"),
})
DEMO_AGENTS += ("auditd", "chronyd", "wazuh-agentd")

# kernel parameters (L1-KRN-001): the values /proc/sys shows stand in files below the sysroot
HARDENED_SYSCTL = {"kernel.randomize_va_space": "2", "kernel.kptr_restrict": "1", "kernel.dmesg_restrict": "1",
                   "fs.protected_hardlinks": "1", "fs.protected_symlinks": "1", "fs.suid_dumpable": "0",
                   "net.ipv4.ip_forward": "0", "net.ipv4.conf.all.accept_redirects": "0",
                   "net.ipv4.conf.default.accept_redirects": "0", "net.ipv4.conf.all.send_redirects": "0",
                   "net.ipv4.conf.default.send_redirects": "0", "net.ipv4.conf.all.accept_source_route": "0",
                   "net.ipv4.conf.default.accept_source_route": "0", "net.ipv4.conf.all.rp_filter": "1",
                   "net.ipv4.conf.default.rp_filter": "1", "net.ipv4.tcp_syncookies": "1"}


def proc_sys(values: dict[str, str]) -> dict[str, Entry]:
    """Files of a stand-in /proc/sys holding `values` ({sysctl key: value})."""
    return {"proc/sys/" + key.replace(".", "/"): f"{value}\n" for key, value in values.items()}


def sysctl_conf(values: dict[str, str], comment: str = "hardening") -> str:
    """A sysctl.d file setting `values`."""
    return f"# {comment}\n" + "".join(f"{key} = {value}\n" for key, value in values.items())


GOOD_ROOT.update({
    **proc_sys(HARDENED_SYSCTL),
    "usr/lib/sysctl.d/50-default.conf": "fs.protected_hardlinks = 1\nfs.protected_symlinks = 1\n",
    "etc/sysctl.d/60-hardening.conf": sysctl_conf({k: v for k, v in HARDENED_SYSCTL.items()
                                                   if not k.startswith("fs.protected_")}),
    "etc/security/limits.d/60-core.conf": "# no core dumps (L1-KRN-002)\n*  hard  core  0\n",
    # login banners (L1-BAN-001)
    "etc/issue": "Hệ thống của cơ quan nhà nước. Chỉ người được phép mới được truy cập; mọi hoạt động đều được "
                 "giám sát.\n",
    "etc/issue.net": "Authorised use only. Activity is monitored and recorded.\n",
    # AIDE with its baseline, checked daily by its timer (L1-FIM-001)
    "usr/bin/aide": File("#!/bin/sh\n# lab stand-in for AIDE\n", 0o755),
    "var/lib/aide/aide.db": File("lab baseline\n", 0o600),
    **_enabled("dailyaidecheck.timer", wants=_TIMERS),
    "proc/mounts": ("/dev/vda1 / ext4 rw,relatime,errors=remount-ro 0 0\n"
                    "tmpfs /dev/shm tmpfs rw,nosuid,nodev,noexec 0 0\n"
                    "tmpfs /tmp tmpfs rw,nosuid,nodev,noexec,relatime,size=1048576k 0 0\n"
                    "/dev/vda3 /var/tmp ext4 rw,nosuid,nodev,noexec,relatime 0 0\n"),
})
# the weak host forwards packets and accepts redirects; its good ASLR value is only live, never persisted
WEAK_ROOT.update(proc_sys({**HARDENED_SYSCTL, "net.ipv4.ip_forward": "1", "net.ipv4.conf.all.accept_redirects": "1",
                           "kernel.kptr_restrict": "0"}))
WEAK_ROOT["usr/lib/sysctl.d/50-default.conf"] = sysctl_conf(
    {k: v for k, v in HARDENED_SYSCTL.items() if k not in ("kernel.randomize_va_space", "kernel.kptr_restrict")},
    "distribution defaults")
# the distribution's stock banners
WEAK_ROOT["etc/issue"] = "Debian GNU/Linux 11 \\n \\l\n\n"
WEAK_ROOT["etc/issue.net"] = "Debian GNU/Linux 11\n"
# /dev/shm as systemd mounts it (no noexec), /tmp on the root file system
WEAK_ROOT["proc/mounts"] = ("/dev/sda1 / ext4 rw,relatime,errors=remount-ro 0 0\n"
                            "tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n")


def write_tree(root: Path, files: dict[str, Entry]) -> None:
    """Create `files` below `root`: directories 0755, plain files 0644, `File` with its mode, `Link` as a symlink.

    File times come from this process's clock (`time.time()`), the clock that judges them: under a shifted clock
    (libfaketime) the kernel would stamp them with the real date and a fresh file would look a year old.
    """
    now = time.time()
    for rel, entry in files.items():
        path = root / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(entry, Link):
            if path.is_symlink() or path.exists():
                path.unlink()
            os.symlink(entry.target, path)
            continue
        content, mode = (entry.text, entry.mode) if isinstance(entry, File) else (entry, 0o644)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        os.chmod(path, mode)
        os.utime(path, (now, now))
    for directory in [root, *(p for p in root.rglob("*") if p.is_dir() and not p.is_symlink())]:
        os.chmod(directory, 0o755)


def loosen_sshd_files(instance: SshdInstance) -> None:
    """Give a (weak) lab sshd the loose permissions of a neglected host: a group-writable sshd_config and host
    keys handed to another owner and readable by a group (`nobody`:<audit group> 0640).

    OpenSSH refuses a private key with group/other bits only when the reader owns it, so with `nobody` as owner
    both the root sshd and the audit user's `sshd -T` still load it. Keys are left alone when not root."""
    os.chmod(instance.config_path, 0o664)
    if not is_root():
        return
    try:
        nobody = pwd.getpwnam("nobody").pw_uid
    except KeyError:
        return
    for key in instance.host_key_paths:
        os.chown(key, nobody, os.stat(key).st_gid)
        os.chmod(key, 0o640)


def _die_with_parent() -> None:  # runs in the child before exec
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class AgentProcesses:
    """Real processes named like agents (`ps -eo comm=` shows `names`): copies of sleep, stopped by `stop()`
    and, on Linux, when the process that started them dies."""

    def __init__(self, names: Iterable[str], directory: Path):
        self.names = tuple(names)
        self.directory = directory
        self.procs: list[subprocess.Popen] = []

    def start(self) -> "AgentProcesses":
        sleep = shutil.which("sleep") or "/bin/sleep"
        self.directory.mkdir(parents=True, exist_ok=True)
        for name in self.names:
            program = self.directory / name
            shutil.copy2(sleep, program)
            self.procs.append(subprocess.Popen([str(program), "infinity"], stdin=subprocess.DEVNULL,
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                               preexec_fn=_die_with_parent))
        return self

    def stop(self) -> None:
        procs, self.procs = self.procs, []
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def __enter__(self) -> "AgentProcesses":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

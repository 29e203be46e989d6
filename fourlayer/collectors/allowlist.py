"""The only commands a scan may run on a target. All read-only.

Each entry is a fixed template. Its only parameters are absolute paths that pass `safe_path` (and are
shell-quoted anyway): `{root}` is the sysroot prefix ("" for "/"); `{sshd_config}` is the file given to
`sshd -T -f` (default <sysroot>/etc/ssh/sshd_config) and `{sshd_config_dir}` its directory. `{sudo}`
becomes `sudo -n ` for the privileged entries when the inventory asks for sudo. Commands write nothing
(no `>` at all: stderr is captured by the collector, not redirected).

Files are read below `SSHSettings.sysroot`, so a lab host (or a mounted image) can have its own /etc.
Live-system commands (`processes`, `listening`, `sshd_T` without a config path) ignore the sysroot.
"""

from __future__ import annotations

import functools
import itertools
import re
import posixpath
import shlex

from fourlayer.core.errors import CollectorError
from fourlayer.config.inventory import SSHSettings

SAFE_PATH = re.compile(r"^/[A-Za-z0-9._/+-]*$")
SBIN_PATH = 'PATH=/usr/sbin:/sbin:/usr/local/sbin:"$PATH"; export PATH; '


# host hygiene: helpers for the templates below (paths may be globs; a glob that matches nothing prints nothing)
def _cat_each(*paths: str) -> str:
    """Each existing regular file as a blank line, `### <path>` and its text."""
    return f"for f in {' '.join(paths)}; do if [ -f \"$f\" ]; then printf '\\n### %s\\n' \"$f\"; cat \"$f\"; fi; done"


# Files read by ONE program run per command (`_read_each`), not a `cat` per file (a fork and an exec each on the
# target: 39-43 per host). The output is "@@files", then one line per regular file from shell builtins, in order:
# `@@file <path>` (its lines follow), `@@empty <path>` (size 0) or `@@denied <path>` (not readable by the audit
# account), then `grep -ahn` over the `@@file` ones: every line of every file as `<line number>:<line>`, so a file's
# text can never pass for a header or for another file's line (a `### path` line inside a file could, in the old
# `### <path>` framing); line 1 starts the next `@@file`. fourlayer.resources.host_files.config_files reads both.
FILES_MARK = "@@files"
READ_FILES = "grep -ahn -e '' -- \"$@\""  # -a: a file with a NUL byte is text too (GNU grep; busybox ignores -a)


def _read_each(*paths: str) -> str:
    """The regular files among `paths` (globs), framed as above. Only for files whose size the kernel reports
    (`[ -s ]`): not /proc, whose files all have size 0."""
    return (f"printf '{FILES_MARK}\\n'; set --; for f in {' '.join(paths)}; do if [ -f \"$f\" ]; then "
            "if [ ! -r \"$f\" ]; then printf '@@denied %s\\n' \"$f\"; elif [ -s \"$f\" ]; then "
            "printf '@@file %s\\n' \"$f\"; set -- \"$@\" \"$f\"; else printf '@@empty %s\\n' \"$f\"; fi; fi; done; "
            f"if [ $# -gt 0 ]; then {READ_FILES}; fi")


def _existing(*paths: str) -> str:
    """Set the shell's positional parameters to the paths that exist (in order), for ONE program run over all
    of them: a `stat` per path was a fork and an exec each on the target (12-15 per host)."""
    return f"set --; for f in {' '.join(paths)}; do if [ -e \"$f\" ]; then set -- \"$@\" \"$f\"; fi; done; "


def _mtime_each(*paths: str) -> str:
    """`<modification time, epoch s> <path>` of each path that exists."""
    return _existing(*paths) + "if [ $# -gt 0 ]; then stat -c '%Y %n' \"$@\"; fi"


def _links_each(*paths: str) -> str:
    """The path of each symbolic link (dangling ones too: inside a sysroot, absolute targets need not exist)."""
    return f"for f in {' '.join(paths)}; do if [ -L \"$f\" ]; then printf '%s\\n' \"$f\"; fi; done"


def _stat_each(*paths: str) -> str:
    """`<mode> <owner> <group> <path>` of each path that exists (metadata only: the content is never read)."""
    return _existing(*paths) + "if [ $# -gt 0 ]; then stat -c '%a %U %G %n' \"$@\"; fi"


# kernel parameters (L1-KRN-001/002): the live values of these sysctl keys, read from /proc/sys (below the sysroot,
# so a lab tree can stand for the kernel), and the persisted configuration systemd-sysctl and `sysctl --system` apply
SYSCTL_KEYS = ("kernel.randomize_va_space", "kernel.kptr_restrict", "kernel.dmesg_restrict", "fs.protected_hardlinks",
               "fs.protected_symlinks", "fs.suid_dumpable", "net.ipv4.ip_forward",
               "net.ipv4.conf.all.accept_redirects", "net.ipv4.conf.default.accept_redirects",
               "net.ipv4.conf.all.send_redirects", "net.ipv4.conf.default.send_redirects",
               "net.ipv4.conf.all.accept_source_route", "net.ipv4.conf.default.accept_source_route",
               "net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter", "net.ipv4.tcp_syncookies")
# directories of sysctl.d(5), highest precedence first (a same-named file in an earlier one hides the later ones)
SYSCTL_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d")


WORLD_WRITABLE_DIRS = ("/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/boot", "/opt")
WORLD_WRITABLE_SECONDS, WORLD_WRITABLE_LIMIT = 10, 200


def _values_each(*paths: str) -> str:
    """`<path>:<line>` of each line of each readable file (one-line kernel parameter files): one `grep -aH` over
    them all, not a `cat` each (16 per host). Recorded evidence has the old `<path>=<content>` form."""
    return (f"set --; for f in {' '.join(paths)}; do if [ -r \"$f\" ]; then set -- \"$@\" \"$f\"; fi; done; "
            "if [ $# -gt 0 ]; then grep -aH -e '' -- \"$@\"; fi")


_APT_SIM = "apt-get -s -o Debug::NoLocking=1 -o Dir={root}/ dist-upgrade"
_APT_SIM_NO_CACHE = ("apt-get -s -o Debug::NoLocking=1 -o Dir={root}/ -o Dir::Cache::pkgcache= "
                     "-o Dir::Cache::srcpkgcache= dist-upgrade")

# name -> (template, privileged)
TEMPLATES: dict[str, tuple[str, bool]] = {
    "sshd_T": (SBIN_PATH + "{sudo}sshd -T{sshd_config_opt}", True),
    "sshd_config_perms": ("{sudo}stat -c '%a %U %G %n' {sshd_config}", True),
    # every file beside the sshd config (/etc/ssh on a standard system): private keys are found by content, not
    # by name; stat needs only search permission on the directory (0755 on stock systems), so no sudo
    "ssh_host_key_perms": (_stat_each("{sshd_config_dir}/*", "{sshd_config_dir}/*/*"), False),
    # the names (-l: never a line of content) of the files there that hold a private key; unprivileged it sees
    # only the files the audit account can read, which are exactly the exposed ones; -r, not -R: symbolic links
    # below the directory are not followed
    "ssh_private_keys": ("{sudo}grep -lsr -e 'PRIVATE KEY-----' {sshd_config_dir}", True),
    "os_release": ("if [ -f {root}/etc/os-release ]; then cat {root}/etc/os-release; "
                   "else cat {root}/usr/lib/os-release; fi", False),
    "login_defs": ("cat {root}/etc/login.defs", False),
    # name:uid:gid:shell only; field 2 (a legacy hash on some systems) is never read out
    "passwd": ("cut -d: -f1,3,4,7 {root}/etc/passwd", False),
    # metadata only: /etc/shadow content is never read
    "shadow_perms": ("stat -c '%a %U %G %n' {root}/etc/shadow", False),
    # the account databases and their `-` backups (metadata only)
    "account_file_perms": (_stat_each(*(f"{{root}}/etc/{name}{suffix}" for name in ("passwd", "group", "shadow",
                                                                                     "gshadow")
                                        for suffix in ("", "-"))), False),
    # each account's password status (P, L, NP: set, locked, none) without any hash; needs root on the target
    "password_status": ("{sudo}passwd{passwd_root_opt} -S -a", True),
    "processes": ("ps -eo comm=", False),
    "listening": (SBIN_PATH + "ss -Hltn", False),
    "rsyslog_conf": (_read_each("{root}/etc/rsyslog.conf", "{root}/etc/rsyslog.d/*.conf"), False),
    "journald_conf": (_read_each("{root}/etc/systemd/journald.conf", "{root}/etc/systemd/journald.conf.d/*.conf"),
                      False),
    "auditd_conf": (_read_each("{root}/etc/audit/auditd.conf", "{root}/etc/audit/audit.rules",
                               "{root}/etc/audit/rules.d/*.rules") + "; "
                    # /etc/audit and its rules.d are 0750 root on some systems: an unreadable directory hides its
                    # files, so it is marked instead of looking empty
                    "for d in {root}/etc/audit {root}/etc/audit/rules.d; do if [ -d \"$d\" ]; then "
                    "if [ -r \"$d\" ]; then printf ''; else printf '@@unreadable %s\\n' \"$d\"; fi; fi; done",
                    False),
    # auditd.conf alone (0640 root on Debian, so under sudo) and the rules the kernel has loaded (auditctl -l:
    # what is in force, whatever the files say); the live kernel's rules only when no sysroot is set
    "auditd_settings": ("{sudo}cat {root}/etc/audit/auditd.conf", True),
    "audit_rules_loaded": ("if [ -x {root}/usr/sbin/auditctl ]; then if [ -d {root}/proc/self ]; then "
                           "printf '@@tool auditctl\\n'; {sudo}auditctl -l; fi; fi", True),
    "time_sync": (_read_each("{root}/etc/chrony/chrony.conf", "{root}/etc/chrony.conf",
                             "{root}/etc/systemd/timesyncd.conf", "{root}/etc/ntp.conf", "{root}/etc/ntpsec/ntp.conf"),
                  False),
    "pwquality": (_read_each("{root}/etc/security/pwquality.conf", "{root}/etc/security/pwquality.conf.d/*.conf"),
                  False),
    "faillock": ("if [ -f {root}/etc/security/faillock.conf ]; then cat {root}/etc/security/faillock.conf; fi",
                 False),
    "pwhistory": (_read_each("{root}/etc/security/pwhistory.conf"), False),
    "pam_password": (_read_each("{root}/etc/pam.d/common-password", "{root}/etc/pam.d/common-auth",
                                "{root}/etc/pam.d/system-auth", "{root}/etc/pam.d/password-auth"), False),
    # monitoring and national connection (layers 2 and 4): log shippers, log rotation, agent configuration
    "syslog_ng_conf": (_read_each("{root}/etc/syslog-ng/syslog-ng.conf", "{root}/etc/syslog-ng/conf.d/*.conf"),
                       False),
    "journal_upload_conf": (_read_each("{root}/etc/systemd/journal-upload.conf",
                                       "{root}/etc/systemd/journal-upload.conf.d/*.conf"), False),
    # the system log files (metadata only) and whether journald has a persistent directory
    "log_file_perms": (_stat_each(*(f"{{root}}/var/log/{name}" for name in (
        "syslog", "messages", "auth.log", "secure", "kern.log", "daemon.log", "user.log", "cron", "maillog",
        "mail.log", "audit/audit.log", "journal"))), False),
    "logrotate_conf": (_read_each("{root}/etc/logrotate.conf", "{root}/etc/logrotate.d/*"), False),
    # the Wazuh/OSSEC agent's configuration (manager <address>/<port>); root:wazuh 0640 on a real host, so sudo
    "edr_agent_conf": ("{sudo}cat {root}/var/ossec/etc/ossec.conf", True),
    # host hygiene (layer 1): update state, automatic updates, host firewall, services enabled at boot
    "update_notices": (_read_each("{root}/var/lib/update-notifier/updates-available", "{root}/run/reboot-required",
                                 "{root}/run/reboot-required.pkgs"), False),
    "update_files": (_mtime_each("{root}/var/lib/update-notifier/updates-available",
                                 "{root}/usr/share/update-notifier/notify-reboot-required",
                                 "{root}/etc/kernel/postinst.d/unattended-upgrades",
                                 "{root}/usr/bin/unattended-upgrade", "{root}/usr/bin/dnf-automatic",
                                 "{root}/usr/sbin/yum-cron"), False),
    # only the APT::Periodic files: other apt.conf.d files may hold proxy credentials
    "auto_updates": (_read_each("{root}/etc/apt/apt.conf.d/*periodic*", "{root}/etc/apt/apt.conf.d/*auto-upgrades*",
                               "{root}/etc/dnf/automatic.conf", "{root}/etc/yum/yum-cron.conf"), False),
    "firewall_conf": (_read_each("{root}/etc/nftables.conf", "{root}/etc/sysconfig/nftables.conf",
                                "{root}/etc/nftables/*.nft", "{root}/etc/ufw/ufw.conf", "{root}/etc/default/ufw",
                                "{root}/etc/firewalld/firewalld.conf", "{root}/etc/firewalld/zones/*.xml",
                                "{root}/etc/iptables/rules.v4", "{root}/etc/sysconfig/iptables"), False),
    "enabled_units": (_links_each("{root}/etc/systemd/system/*.wants/*", "{root}/etc/rc2.d/S*",
                                  "{root}/etc/rc3.d/S*", "{root}/etc/rc5.d/S*"), False),
    # installed packages (layer 3 advisories): the package databases below the sysroot, queried, never refreshed
    "packages_dpkg": ("if [ -d {root}/var/lib/dpkg ]; then dpkg-query --admindir={root}/var/lib/dpkg -W "
                      "-f='${{Package}}\\t${{Version}}\\t${{source:Package}}\\t${{source:Version}}"
                      "\\t${{Status}}\\n'; fi", False),
    "packages_rpm": ("if [ -d {root}/var/lib/rpm ]; then rpm --dbpath {root}/var/lib/rpm -qa "
                     "--qf '%{{NAME}}\\t%{{EPOCHNUM}}\\t%{{VERSION}}\\t%{{RELEASE}}\\t%{{ARCH}}"
                     "\\t%{{SOURCERPM}}\\n'; fi", False),
    # pending updates (L1-UPD-001): what an upgrade would install, simulated over the metadata already on the host,
    # never refreshed (no update, no makecache, -C / --no-refresh) and never locked or cached (apt); each prints
    # `@@tool <name>` first so that "no tool" and "nothing pending" differ
    # apt reads its binary cache (/var/cache/apt/pkgcache.bin, ~1 s instead of parsing every list) only when this
    # account cannot write it; an account that could (root) runs with the caches off, so nothing is ever written
    "updates_apt": ("if [ -x /usr/bin/apt-get ]; then if [ -d {root}/var/lib/apt/lists ]; then "
                    "printf '@@tool apt-get\\n'; if [ -d {root}/var/cache/apt ]; then if [ -w {root}/var/cache/apt ]; "
                    "then " + _APT_SIM_NO_CACHE + "; else " + _APT_SIM + "; fi; else " + _APT_SIM_NO_CACHE + "; fi; "
                    "fi; fi", False),
    "updates_rpm": ("if [ -x {root}/usr/bin/dnf ]; then printf '@@tool dnf\\n'; "
                    "{sudo}dnf -q -C --installroot={root}/ updateinfo list --security; "
                    "else if [ -x {root}/usr/bin/yum ]; then printf '@@tool yum\\n'; "
                    "{sudo}yum -q -C --installroot={root}/ updateinfo list security; fi; fi", True),
    "updates_zypper": ("if [ -x {root}/usr/bin/zypper ]; then printf '@@tool zypper\\n'; "
                       "{sudo}zypper --non-interactive --no-refresh --root {root}/ -x list-patches; fi", True),
    # when the package metadata was last refreshed: apt's lists (and the Release files in them), the daily job's
    # stamp, dnf/yum/zypper repository metadata
    "update_metadata_age": (_mtime_each("{root}/var/lib/apt/lists", "{root}/var/lib/apt/lists/*Release",
                                        "{root}/var/lib/apt/periodic/update-success-stamp",
                                        "{root}/var/cache/dnf/*/repodata/repomd.xml",
                                        "{root}/var/cache/yum/*/*/*/repomd.xml",
                                        "{root}/var/cache/zypp/raw/*/repodata/repomd.xml"), False),
    # the running kernel (`uname -r`); below a sysroot, the file that stands for /proc
    "kernel_release": ("if [ -f {root}/proc/sys/kernel/osrelease ]; then cat {root}/proc/sys/kernel/osrelease; fi",
                       False),
    "sysctl_live": (_values_each(*("{root}/proc/sys/" + key.replace(".", "/") for key in SYSCTL_KEYS)), False),
    "sysctl_conf": (_read_each(*(f"{{root}}{d}/*.conf" for d in SYSCTL_DIRS), "{root}/etc/sysctl.conf"), False),
    # mounted file systems and their options (L1-MNT-001): /proc/mounts, below the sysroot like /proc/sys
    "mounts": (_cat_each("{root}/proc/mounts"), False),
    # file integrity (L1-FIM-001): the tools, their databases and daily jobs (metadata only), and the names of the
    # cron files that run them (grep -l: never a line of content)
    "integrity_files": (_stat_each("{root}/usr/bin/aide", "{root}/usr/sbin/aide", "{root}/var/lib/aide",
                                   "{root}/var/lib/aide/aide.db", "{root}/var/lib/aide/aide.db.gz",
                                   "{root}/usr/sbin/tripwire", "{root}/var/lib/tripwire/*.twd",
                                   "{root}/usr/sbin/samhain", "{root}/usr/local/sbin/samhain",
                                   "{root}/var/lib/samhain/samhain_file", "{root}/etc/cron.daily/aide",
                                   "{root}/etc/cron.daily/tripwire"), False),
    # (one grep per tool over both: -r on a file argument reads that file, as the grep per path did)
    "integrity_cron": ("; ".join(f"printf '@@{tool}\\n'; grep -lsr -e {tool} {{root}}/etc/crontab {{root}}/etc/cron.d"
                                 for tool in ("aide", "tripwire", "samhain")), False),
    # local and network login banners (L1-BAN-001): public text shown before login
    "login_banners": (_read_each("{root}/etc/issue", "{root}/etc/issue.net"), False),
    # world-writable files and non-sticky world-writable directories in system paths (L1-PRM-005): names only,
    # bounded in time (timeout) and count (head -n); the target's own /dev/null, a start point taken last, is printed
    # only when the whole search finished
    "world_writable": ("timeout " + str(WORLD_WRITABLE_SECONDS) + " find " + " ".join(
        "{root}" + d for d in WORLD_WRITABLE_DIRS) + " /dev/null -xdev \\( -path /dev/null -o -type f -perm -0002 -o "
        "-type d -perm -0002 ! -perm -1000 \\) -print | head -n " + str(WORLD_WRITABLE_LIMIT + 1), False),
    # core dumps (L1-KRN-002): pam_limits core limits and systemd-coredump's storage
    "core_dump_conf": (_read_each("{root}/etc/security/limits.conf", "{root}/etc/security/limits.d/*.conf",
                                 "{root}/etc/systemd/coredump.conf", "{root}/etc/systemd/coredump.conf.d/*.conf"),
                       False),
    # the sshd configuration as files, for when `sshd -T` cannot run (fourlayer.resources.sshd_files): the main
    # file, /etc/ssh/sshd_config.d/*, then the targets of the Include lines of those files (globs; relative
    # paths below /etc/ssh, as sshd resolves them), each framed by `### <path>`. 0644 on stock systems.
    "sshd_config_files": (_cat_each("{sshd_config}", "{root}/etc/ssh/sshd_config.d/*") + "; "
                          "for s in {sshd_config} {root}/etc/ssh/sshd_config.d/*; do if [ -f \"$s\" ]; then "
                          "while read -r k a b c d; do case \"$k\" in [Ii][Nn][Cc][Ll][Uu][Dd][Ee]) "
                          "for g in $a $b $c $d; do case \"$g\" in /*) p={root}$g;; *) p={root}/etc/ssh/$g;; "
                          "esac; " + _cat_each("$p") + "; done;; esac; done < \"$s\"; fi; done", False),
}

# Network devices: the ONE read-only command per vendor that prints the running configuration, sent as it stands
# (no parameter, no shell: the device's own CLI runs it) by fourlayer.collectors.device_config. Junos's
# `| display set` is a CLI output filter, not a shell pipe; it prints the same configuration as set commands.
DEVICE_COMMANDS: dict[str, str] = {
    "cisco_ios": "show running-config",
    "fortios": "show full-configuration",
    "routeros": "/export",
    "junos": "show configuration | display set",
}


def device_command(vendor: str) -> str:
    """The allowlisted read-only command for `vendor` (CollectorError for a vendor with none)."""
    try:
        return DEVICE_COMMANDS[vendor]
    except KeyError:
        raise CollectorError(f"no read-only configuration command is allowlisted for vendor {vendor!r}") from None


# Programs the templates may start; `is_read_only` rejects anything else (defence in depth).
# dpkg-query and rpm -qa only read their databases (--admindir / --dbpath below the sysroot)
READ_ONLY_PROGRAMS = frozenset({"sshd", "stat", "cat", "cut", "ps", "ss", "printf", "[", "export", "dpkg-query", "rpm"})


def _words_after(args: list[str], *needed: str) -> bool:
    return all(word in args for word in needed)


# grep printing every line of the files gathered in "$@" (`_read_each`, `_values_each`): its only other form
_GREP_EVERY_LINE = (["-ahn", "-e", "", "--", "$@"], ["-aH", "-e", "", "--", "$@"])
# Programs that also change things, allowed only in their read-only forms: the arguments of the call (up to the
# next `;`) must pass the test. apt-get only simulates (-s first); dnf/yum only list advisories from the cache;
# zypper only lists patches without refreshing; passwd only shows status (-S); grep only names files (-l), or
# prints every line of the files `_read_each` gathered (_GREP_EVERY_LINE).
GUARDED_PROGRAMS = {
    "apt-get": lambda a: bool(a) and a[0] == "-s" and a[-1] == "dist-upgrade"
                         and all(w == "-o" or w.startswith(("Debug::NoLocking=", "Dir=", "Dir::Cache::"))
                                 for w in a[1:-1]),
    "dnf": lambda a: _words_after(a, "-C", "updateinfo", "list") and not {"--refresh", "makecache"} & set(a),
    "yum": lambda a: _words_after(a, "-C", "updateinfo", "list") and not {"--refresh", "makecache"} & set(a),
    "zypper": lambda a: _words_after(a, "--no-refresh", "list-patches") and "refresh" not in a,
    "passwd": lambda a: "-S" in a and all(w in ("-S", "-a", "-R") or w.startswith("/") for w in a),
    "auditctl": lambda a: a == ["-l"],
    "grep": lambda a: (bool(a) and a[0] in ("-l", "-ls", "-lsr") and a[1:2] == ["-e"] and len(a) >= 4
                       and all(w.startswith("/") for w in a[3:])) or a in _GREP_EVERY_LINE,
    # find only tests and prints: none of its actions that run, delete or write files
    "find": lambda a: not {"-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf",
                           "-fls"} & set(a),
    "head": lambda a: len(a) == 2 and a[0] == "-n" and a[1].isdigit(),
}
# the one pipe allowed: into `head -n N` (a count bound), checked as a command of its own below
_HEAD_PIPE = re.compile(r" \| (head -n [0-9]{1,6})(?=;|$)")
# `timeout DURATION` prefixes a command, which is checked in its turn
_DURATION = re.compile(r"^[0-9]{1,4}[smh]?$")
_SHELL_WORDS = frozenset({"if", "then", "else", "fi", "for", "in", "do", "done"})
# sshd_config_files follows Include lines: `while read ... done < FILE` and `case ... esac` (`read`, a shell
# builtin, only reads its standard input into variables; read_only_problems checks the commands inside)
READ_ONLY_PROGRAMS = READ_ONLY_PROGRAMS | {"read"}
# `set -- PATH...` (the shell builtin) only sets the shell's own positional parameters: _existing above
READ_ONLY_PROGRAMS = READ_ONLY_PROGRAMS | {"set"}
_SHELL_WORDS = _SHELL_WORDS | {"while", "esac", "elif"}  # elif: _read_each


def safe_path(path: str, field: str = "path") -> str:
    """Validate an absolute path parameter: `^/[A-Za-z0-9._/+-]*$` and no `..`."""
    if not isinstance(path, str) or not SAFE_PATH.fullmatch(path) or ".." in path:
        raise CollectorError(f"ssh.{field} {path!r} is not a plain absolute path (allowed: letters, digits, . _ / + -)")
    return path


def _root_prefix(sysroot: str) -> str:
    sysroot = safe_path(sysroot or "/", "sysroot").rstrip("/")
    return shlex.quote(sysroot) if sysroot else ""


def sshd_config_path(ssh: SSHSettings) -> str:
    """The config file `sshd -T` reads: the inventory's, else <sysroot>/etc/ssh/sshd_config."""
    if ssh.sshd_config:
        return safe_path(ssh.sshd_config, "sshd_config")
    return (safe_path(ssh.sysroot or "/", "sysroot").rstrip("/")) + "/etc/ssh/sshd_config"


def render(name: str, ssh: SSHSettings) -> str:
    """One allowlisted command with its parameters filled in."""
    template, privileged = TEMPLATES[name]
    config = sshd_config_path(ssh)
    explicit_config = bool(ssh.sshd_config) or (ssh.sysroot or "/").rstrip("/") != ""
    command = template.format(
        root=_root_prefix(ssh.sysroot),
        sshd_config=shlex.quote(config),
        sshd_config_dir=shlex.quote(posixpath.dirname(config)),
        sshd_config_opt=f" -f {shlex.quote(config)}" if explicit_config else "",
        passwd_root_opt=f" -R {_root_prefix(ssh.sysroot)}" if _root_prefix(ssh.sysroot) else "",
        sudo="sudo -n " if (privileged and ssh.sudo) else "",
    )
    problems = read_only_problems(command)
    if problems:  # cannot happen with the shipped templates; guards future edits
        raise AssertionError(f"allowlisted command {name} is not read-only: {problems}")
    return command


def build_commands(ssh: SSHSettings) -> dict[str, str]:
    """Every allowlisted command for one host, name -> shell command (the caller's own dict)."""
    return dict(_commands_for(ssh.sysroot, ssh.sshd_config, ssh.sudo))


@functools.lru_cache(maxsize=256)  # hosts share their commands: rendering and guarding all 48 was ~1 ms per host
def _commands_for(sysroot: str, sshd_config: str | None, sudo: bool) -> dict[str, str]:
    """The commands of the settings `render` reads (sysroot, sshd_config, sudo); never handed out itself."""
    ssh = SSHSettings(sysroot=sysroot, sshd_config=sshd_config, sudo=sudo)
    return {name: render(name, ssh) for name in TEMPLATES}


@functools.lru_cache(maxsize=4096)  # hosts mostly share their rendered commands; the guard is pure
def read_only_problems(command: str) -> tuple[str, ...]:
    """Why a command might not be read-only (empty list = fine): redirections, substitutions, unknown programs."""
    problems = []
    command = _HEAD_PIPE.sub(r"; \1", command)
    for bad, why in ((">", "output redirection"), ("`", "command substitution"), ("$(", "command substitution"),
                     ("&&", "chained command"), ("|", "pipe"), ("&", "background job")):
        if bad in command:
            problems.append(why)
    lexer = shlex.shlex(command, posix=True, punctuation_chars=";")
    lexer.whitespace_split = True
    expect_command = True
    skip = 0  # words that are operands, not commands: `case WORD in`, the file of `< FILE`
    words = list(lexer)
    for i, word in enumerate(words):
        if skip:
            skip -= 1
            continue
        if word == "<":  # input redirection: reads a file
            skip = 1
            continue
        if word in (";", ";;"):
            expect_command = True
            continue
        if not expect_command:
            continue
        if word == "case":
            skip = 2  # the subject and `in`; a pattern `...)` follows, then a command
            continue
        if word.endswith(")") and "(" not in word:
            continue  # a case pattern; the command after it is checked
        if word in _SHELL_WORDS:
            if word in ("for",):
                expect_command = False  # loop variable and list follow until `do`
            continue
        if "=" in word and not word.startswith("="):
            continue  # variable assignment prefix
        if word == "sudo":
            if i + 1 >= len(words) or words[i + 1] != "-n":
                problems.append("sudo without -n")
            continue
        if word == "-n" and i and words[i - 1] == "sudo":
            continue
        if word == "timeout":
            if i + 1 >= len(words) or not _DURATION.match(words[i + 1]):
                problems.append("timeout without a duration")
            skip = 1  # the duration; the command after it is checked
            continue
        if word in GUARDED_PROGRAMS:
            args = list(itertools.takewhile(lambda w: w not in (";", ";;"), words[i + 1:]))
            if not GUARDED_PROGRAMS[word](args):
                problems.append(f"program {word!r} is allowed only in its read-only form")
        elif word not in READ_ONLY_PROGRAMS:
            problems.append(f"program {word!r} is not in the read-only set")
        expect_command = False
    return tuple(problems)

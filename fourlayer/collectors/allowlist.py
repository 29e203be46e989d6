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

import re
import posixpath
import shlex

from fourlayer.errors import CollectorError
from fourlayer.inventory import SSHSettings

SAFE_PATH = re.compile(r"^/[A-Za-z0-9._/+-]*$")
SBIN_PATH = 'PATH=/usr/sbin:/sbin:/usr/local/sbin:"$PATH"; export PATH; '

# name -> (template, privileged)
TEMPLATES: dict[str, tuple[str, bool]] = {
    "sshd_T": (SBIN_PATH + "{sudo}sshd -T{sshd_config_opt}", True),
    "sshd_config_perms": ("{sudo}stat -c '%a %U %G %n' {sshd_config}", True),
    # host keys beside the sshd config (/etc/ssh/ssh_host_*_key on a standard system)
    "ssh_host_key_perms": ("{sudo}stat -c '%a %U %G %n' {sshd_config_dir}/ssh_host_*_key", True),
    "os_release": ("if [ -f {root}/etc/os-release ]; then cat {root}/etc/os-release; "
                   "else cat {root}/usr/lib/os-release; fi", False),
    "login_defs": ("cat {root}/etc/login.defs", False),
    # name:uid:gid:shell only; field 2 (a legacy hash on some systems) is never read out
    "passwd": ("cut -d: -f1,3,4,7 {root}/etc/passwd", False),
    # metadata only: /etc/shadow content is never read
    "shadow_perms": ("stat -c '%a %U %G %n' {root}/etc/shadow", False),
    "processes": ("ps -eo comm=", False),
    "listening": (SBIN_PATH + "ss -Hltn", False),
    "rsyslog_conf": ("for f in {root}/etc/rsyslog.conf {root}/etc/rsyslog.d/*.conf; do "
                     "if [ -f \"$f\" ]; then printf '### %s\\n' \"$f\"; cat \"$f\"; fi; done", False),
    "journald_conf": ("for f in {root}/etc/systemd/journald.conf {root}/etc/systemd/journald.conf.d/*.conf; do "
                      "if [ -f \"$f\" ]; then printf '### %s\\n' \"$f\"; cat \"$f\"; fi; done", False),
    "auditd_conf": ("for f in {root}/etc/audit/auditd.conf {root}/etc/audit/rules.d/*.rules; do "
                    "if [ -f \"$f\" ]; then printf '### %s\\n' \"$f\"; cat \"$f\"; fi; done", False),
    "time_sync": ("for f in {root}/etc/chrony/chrony.conf {root}/etc/chrony.conf {root}/etc/systemd/timesyncd.conf "
                  "{root}/etc/ntp.conf {root}/etc/ntpsec/ntp.conf; do "
                  "if [ -f \"$f\" ]; then printf '### %s\\n' \"$f\"; cat \"$f\"; fi; done", False),
    "pwquality": ("for f in {root}/etc/security/pwquality.conf {root}/etc/security/pwquality.conf.d/*.conf; do "
                  "if [ -f \"$f\" ]; then printf '### %s\\n' \"$f\"; cat \"$f\"; fi; done", False),
    "faillock": ("if [ -f {root}/etc/security/faillock.conf ]; then cat {root}/etc/security/faillock.conf; fi",
                 False),
    "pam_password": ("for f in {root}/etc/pam.d/common-password {root}/etc/pam.d/common-auth "
                     "{root}/etc/pam.d/system-auth {root}/etc/pam.d/password-auth; do "
                     "if [ -f \"$f\" ]; then printf '### %s\\n' \"$f\"; cat \"$f\"; fi; done", False),
}

# Programs the templates may start; `is_read_only` rejects anything else (defence in depth).
READ_ONLY_PROGRAMS = frozenset({"sshd", "stat", "cat", "cut", "ps", "ss", "printf", "[", "export"})
_SHELL_WORDS = frozenset({"if", "then", "else", "fi", "for", "in", "do", "done"})


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
        sudo="sudo -n " if (privileged and ssh.sudo) else "",
    )
    problems = read_only_problems(command)
    if problems:  # cannot happen with the shipped templates; guards future edits
        raise AssertionError(f"allowlisted command {name} is not read-only: {problems}")
    return command


def build_commands(ssh: SSHSettings) -> dict[str, str]:
    """Every allowlisted command for one host, name -> shell command."""
    return {name: render(name, ssh) for name in TEMPLATES}


def read_only_problems(command: str) -> list[str]:
    """Why a command might not be read-only (empty list = fine): redirections, substitutions, unknown programs."""
    problems = []
    for bad, why in ((">", "output redirection"), ("`", "command substitution"), ("$(", "command substitution"),
                     ("&&", "chained command"), ("|", "pipe"), ("&", "background job")):
        if bad in command:
            problems.append(why)
    lexer = shlex.shlex(command, posix=True, punctuation_chars=";")
    lexer.whitespace_split = True
    expect_command = True
    words = list(lexer)
    for i, word in enumerate(words):
        if word in (";", ";;"):
            expect_command = True
            continue
        if not expect_command:
            continue
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
        if word not in READ_ONLY_PROGRAMS:
            problems.append(f"program {word!r} is not in the read-only set")
        expect_command = False
    return problems

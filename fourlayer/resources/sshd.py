"""The SSH daemon's configuration, from the best source the target offers: `sshd(t).permit_root_login`.

1. `sshd -T` (with `sudo -n` when the inventory asks): the daemon's own effective values, defaults included.
2. When it cannot run (an unprivileged audit account: "sshd: no hostkeys available -- exiting"; a configuration
   sshd refuses: "Bad configuration option"), sshd_config and its Include'd files read as sshd reads them
   (fourlayer.resources.sshd_files) with the defaults of the OpenSSH version the server announced
   (fourlayer.resources.sshd_defaults) for what they do not set.

Either way the files, when readable, tell an explicit setting from a default ("by default" in a reason; the
policy switch `ssh.implicit_defaults: warn` makes such compliance a WARN), which later lines sshd ignores
(first value wins), and which `Match` blocks change a value for some connections. `SshdConfig.source` says
which source decided, and every reason built with `describe()` says it too.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from fourlayer.collectors.allowlist import sshd_config_path
from fourlayer.config.inventory import SSHSettings
from fourlayer.core.model import Outcome, Status, Unevaluable, bi, passed, reason_parts, warned
from fourlayer.core.target import Target
from fourlayer.resources.host_files import command_out, config_files, sysroot
from fourlayer.resources.sshd_defaults import Defaults, defaults_for, openssh_version
from fourlayer.resources.sshd_files import SSH_DIR, ParsedConfig, parse_files

SSHD_T = "sshd -T"
FILES = "sshd_config (files)"
# sshd checks the whole configuration before it loads the host keys; a fatal error names the file and line
# ("line 3: Bad configuration option: UseRoaming", "line 2: MaxAuthTries integer value invalid.", "Directive
# 'Port' is not allowed within a Match block"); "Deprecated option" lines are warnings sshd goes on after.
_CONFIG_ERROR = re.compile(r"\bline \d+: |terminating, \d+ bad configuration options|"
                           r"Too many recursive configuration includes")
_WARNING = re.compile(r"Deprecated option", re.I)
_PARSED = ("no hostkeys available", "Unable to load host key", "Could not load host key")


def parse_sshd_T(text: str) -> dict[str, str]:
    """`sshd -T` output -> {lowercase keyword: value}; a repeated keyword's values are joined by spaces."""
    config: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.strip().partition(" ")
        if not key or key.startswith("#"):
            continue
        key = key.lower()
        value = value.strip()
        config[key] = f"{config[key]} {value}" if key in config else value
    return config


@dataclass(frozen=True)
class SshdTRun:
    """How `sshd -T` ended on the target."""

    rc: int
    out: str
    err: str

    @property
    def ok(self) -> bool:
        return self.rc == 0 and bool(self.out.strip())

    @property
    def parsed(self) -> bool:
        """sshd got past its configuration and stopped at the host keys (an account that cannot read them)."""
        return any(marker in self.err for marker in _PARSED)

    @property
    def refused(self) -> list[str]:
        """The lines in which sshd refused its configuration (empty when it accepted it)."""
        if self.ok or self.parsed:
            return []
        return [line.strip() for line in self.err.splitlines()
                if _CONFIG_ERROR.search(line) and not _WARNING.search(line)][:10]

    def problem(self) -> str:
        """Why the output cannot be used, in one line (never empty)."""
        said = "; ".join(line.strip() for line in self.err.splitlines() if line.strip())[:240]
        return f"`sshd -T` failed on the target (rc={self.rc}{': ' + said if said else ', no message'})"

    def remedy(self) -> str:
        """The one thing to do so that `sshd -T` runs."""
        if self.refused:
            return "fix the configuration sshd refuses (see L1-SSH-023), then `sshd -t` must print nothing"
        if self.parsed or "Permission denied" in self.err:
            what = "the host keys" if self.parsed else "sshd_config"
            return (f"the audit account cannot read {what}: allow it `sudo -n sshd -T` and set ssh.sudo: true "
                    "in the inventory (see `fourlayer audit-account`)")
        if "sudo" in self.err and "password" in self.err:
            return "sudo asked for a password: give the audit account a NOPASSWD sudoers entry for `sshd -T`"
        if "No such file" in self.err and "host key" not in self.err.lower():
            return "sshd_config is not where the scan looked: set ssh.sshd_config in the inventory to the file sshd uses"
        if self.rc == 127 or "not found" in self.err:
            return "sshd is not installed or not in /usr/sbin:/sbin on the target; is this host an SSH server?"
        return "run `sshd -T` on the target as the audit account to see why it fails"


def sshd_T_run(t: Target) -> SshdTRun:
    rc, out = command_out(t, "sshd_T")
    return SshdTRun(rc, out, t.ev("ssh_shell").command("sshd_T").err)


@dataclass(frozen=True)
class SshdConfig:
    """The effective settings of a host's sshd: lower-case keywords to values, as `sshd -T` prints them."""

    settings: Mapping[str, str]
    source: str = SSHD_T  # SSHD_T or FILES
    files: ParsedConfig | None = None  # the configuration files as read, when they could be
    defaults: Defaults | None = None  # the release defaults used for absent keywords (source FILES)
    sshd_T: str = ""  # with source FILES: why `sshd -T` could not be used (shown in rule evidence)
    files_problem: str = ""  # why the files could not be read (empty when they were)
    server_version: str = ""

    def get(self, keyword: str, default: str | None = None) -> str | None:
        return self.settings.get(keyword.lower(), default)

    def require(self, keyword: str) -> str | None:
        """The value of `keyword` (None when sshd has none, e.g. AllowUsers unset); Unevaluable when the source
        cannot decide it (files with an Include the collector could not follow)."""
        key = keyword.lower()
        if self.source == FILES and self.defaults is None and self.files is not None and \
                key not in self.files.settings:
            raise Unevaluable(f"the files do not set {key} and the defaults of "
                              f"{self.server_version or 'this SSH server'} are not known (OpenSSH 5.1 or later "
                              "expected); allow `sshd -T` (ssh.sudo: true) or set it explicitly")
        if self.source == FILES and self.files is not None and not self.files.decided(key):
            raise Unevaluable(f"{key} is not set before `{self.files.gaps[0]}`, whose files the scan could not "
                              "read, so its effective value is unknown; allow `sshd -T` (ssh.sudo: true)")
        return self.settings.get(key)

    def explicit(self, keyword: str) -> bool | None:
        """Whether the files set `keyword` outside Match blocks (None: the files could not tell)."""
        key = keyword.lower()
        if self.files is None or not self.files.decided(key):
            return None
        return key in self.files.settings

    @property
    def label(self) -> str:
        return self.source

    def text(self) -> str:
        """The settings as `sshd -T` lines (for rules that match lines)."""
        return "\n".join(f"{k} {v}" for k, v in self.settings.items())

    def describe(self, keyword: str, value: str | None = None) -> dict[str, str]:
        """"keyword value" with what a reader must know: by default, later lines sshd ignores, Match blocks."""
        key = keyword.lower()
        value = self.settings.get(key) if value is None else value
        en, vi = (f"{key} {value}", f"{key} {value}") if value is not None else \
            (f"{key} (not set)", f"{key} (chưa đặt)")
        if self.explicit(key) is False and value is not None:
            en, vi = f"{en} by default", f"{vi} theo mặc định"
            if self.source == FILES and self.defaults is not None:
                en, vi = f"{en} of {self.defaults.label}", f"{vi} của {self.defaults.label}"
        if self.files is not None:
            first = self.files.settings.get(key)
            ignored = self.files.ignored.get(key, [])
            agrees = first is not None and (self.source == FILES or first.value.lower() == str(value).lower())
            if agrees and ignored:  # (with sshd -T, only when the daemon's value is the file's first one)
                later = ", ".join(f"{line.value} at {line.where}" for line in ignored[:3])
                later_vi = ", ".join(f"{line.value} tại {line.where}" for line in ignored[:3])
                en += f" (set first at {first.where}, which sshd uses; it ignores the later {later})"
                vi += f" (đặt lần đầu tại {first.where}, giá trị sshd dùng; sshd bỏ qua giá trị sau {later_vi})"
            for block in self.files.matches:
                if key in block.settings:
                    line = block.settings[key]
                    en += f"; Match {block.criteria} ({block.where}) sets {line.value} for the connections it matches"
                    vi += f"; khối Match {block.criteria} ({block.where}) đặt {line.value} cho các kết nối khớp"
        return bi(en, vi)

    def implicit(self, keywords: list[str]) -> list[str]:
        """Which of `keywords` hold their value only because it is the daemon's default."""
        return [k.lower() for k in keywords if self.explicit(k) is False]

    @property
    def permit_root_login(self) -> str | None:
        return self.require("permitrootlogin")

    @property
    def password_authentication(self) -> str | None:
        return self.require("passwordauthentication")

    @property
    def kbd_interactive_authentication(self) -> str | None:
        return self.require("kbdinteractiveauthentication")


@dataclass
class _Files:
    parsed: ParsedConfig | None = None
    problem: str = ""
    unreadable: list[str] = field(default_factory=list)


def _main_config(t: Target) -> str:
    """The main sshd_config as the file evidence names it (below the sysroot)."""
    path = sshd_config_path(t.host.ssh if t.host and t.host.ssh else SSHSettings())
    root = sysroot(t)
    return path[len(root):] if root and path.startswith(root + "/") else path


def read_files(t: Target) -> _Files:
    """sshd_config and its includes from the `sshd_config_files` evidence (problem set when unusable)."""
    main = _main_config(t)
    if "sshd_config_files" not in t.ev("ssh_shell").commands:
        return _Files(problem="the scan did not read sshd_config (evidence from an older collector)")
    try:
        command_out(t, "sshd_config_files")
    except Unevaluable as exc:  # cut short by the collector's output cap
        return _Files(problem=str(exc))
    err = t.ev("ssh_shell").command("sshd_config_files").err
    root = sysroot(t)
    unreadable = []  # "cat: <path>: Permission denied": framed like a file, but without its text
    for line in err.splitlines():
        m = re.match(r"cat: (/.*): Permission denied", line.strip())
        if m:
            path = m.group(1)
            unreadable.append(path[len(root):] if root and path.startswith(root + "/") else path)
    texts: dict[str, str] = {}
    for f in config_files(t, "sshd_config_files"):
        if f.path not in unreadable:
            texts.setdefault(f.path, f.text)
    if main not in texts:
        why = "not readable by the audit account" if unreadable else "absent"
        return _Files(problem=f"{main} could not be read ({why})", unreadable=unreadable)
    followed = {p for p in texts if posixpath.dirname(p) == posixpath.join(SSH_DIR, "sshd_config.d")}
    return _Files(parsed=parse_files(texts, main, followed, unreadable=set(unreadable)), unreadable=unreadable)


def server_version(t: Target) -> str:
    """The identification the SSH server sent (shell login, else the wire collector)."""
    version = t.ev("ssh_shell").server_version if "ssh_shell" in t.evidence else ""
    if not version and "ssh_transport" in t.evidence:
        version = t.ev("ssh_transport").banner
    return version


def load_sshd(t: Target) -> SshdConfig:
    run = sshd_T_run(t)
    files = read_files(t)
    version = server_version(t)
    if run.ok:
        return SshdConfig(parse_sshd_T(run.out), SSHD_T, files.parsed, files_problem=files.problem,
                          server_version=version)
    if files.parsed is None:
        raise Unevaluable(f"{run.problem()}, and {files.problem}; {run.remedy()}")
    defaults = defaults_for(openssh_version(version))
    settings = dict(defaults.values) if defaults else {}  # without defaults, require() refuses absent keywords
    settings.update(files.parsed.values())
    if defaults and defaults.version < (8, 7):
        settings["kbdinteractiveauthentication"] = _keyboard_interactive_before_8_7(files.parsed)
    return SshdConfig(settings, FILES, files.parsed, defaults, run.problem(), server_version=version)


def _keyboard_interactive_before_8_7(parsed: ParsedConfig) -> str:
    """Before OpenSSH 8.7 two options enabled keyboard-interactive login: KbdInteractiveAuthentication (default no)
    OR ChallengeResponseAuthentication (default yes; sshd.c: "challenge-response is implemented via keyboard
    interactive"). 8.7 made the second an alias of the first (release notes), which the file parser follows."""
    kbd = parsed.spelled.get("kbdinteractiveauthentication")
    challenge = parsed.spelled.get("challengeresponseauthentication")
    on = (kbd.value if kbd else "no") == "yes" or (challenge.value if challenge else "yes") == "yes"
    return "yes" if on else "no"


def sshd(t: Target) -> SshdConfig:
    """The host's sshd configuration, parsed once per target (Unevaluable when no source can be read)."""
    if "sshd" not in t.resources:
        t.resources["sshd"] = load_sshd(t)
    return t.resources["sshd"]


def by_default(t: Target, config: SshdConfig, keywords: list[str], outcome: Outcome) -> Outcome:
    """A PASS that holds only because sshd's defaults are compliant becomes a WARN when the policy asks for
    explicit settings (`ssh.implicit_defaults: warn`); the reason names the keywords to write down."""
    if outcome.status is not Status.PASS or t.policy.ssh.implicit_defaults != "warn":
        return outcome
    implicit = config.implicit(keywords)
    en, vi = reason_parts(outcome.reason)
    if not implicit:
        unknown = [k.lower() for k in keywords if config.explicit(k) is None]
        if not unknown:
            return outcome
        why = config.files_problem or "the files could not decide"
        return passed(bi(f"{en}; whether {', '.join(unknown)} is written explicitly is unknown ({why})",
                         f"{vi or en}; không xác định được {', '.join(unknown)} có được đặt tường minh hay không "
                         f"({why})"), outcome.evidence)
    named = ", ".join(implicit)
    return warned(bi(f"{en}; compliant only by default ({named}): policy ssh.implicit_defaults asks for an "
                     "explicit setting in sshd_config",
                     f"{vi or en}; chỉ đạt nhờ giá trị mặc định ({named}): chính sách ssh.implicit_defaults yêu "
                     "cầu đặt tường minh trong sshd_config"), outcome.evidence)

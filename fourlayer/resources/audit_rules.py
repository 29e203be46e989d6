"""Linux audit rules (auditctl syntax, /etc/audit/rules.d/*.rules) read as the kernel would apply them.

Why not words: `-w /etc/passwd -p w` names /etc/passwd but records no attribute change (chmod, chown), and a
`-S unlink` rule for arch=b32 only misses every 64-bit program. A requirement is met only by a rule that records
it: a file watch whose permission flags include the required ones (`-w PATH -p wa`, or its syscall form `-a
always,exit -F path=PATH -F perm=wa`), a system call in an `always,exit` rule that covers 64-bit calls (arch=b64
or no arch filter). A watch on a directory covers the files below it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fourlayer.resources.host_files import ConfigFile

DEFAULT_FILE_PERMS = "wa"  # write and attribute change: what a file requirement needs unless it says `:x` etc.


@dataclass(frozen=True)
class Watch:
    path: str
    perms: str  # subset of rwxa
    line: str


@dataclass(frozen=True)
class SyscallRule:
    arch: str  # b64, b32 or "" (any)
    syscalls: frozenset[str]
    line: str


@dataclass
class AuditRules:
    watches: list[Watch] = field(default_factory=list)
    syscalls: list[SyscallRule] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the active -w/-a lines, for the evidence


def _norm(path: str) -> str:
    return path.rstrip("/") or "/"


def parse_rules(files: list[ConfigFile]) -> AuditRules:
    """The active watches and always,exit system-call rules of the *.rules files (`-D`, `-b`, `-e`, never rules and
    comments carry no coverage)."""
    rules = AuditRules()
    for f in files:
        if not f.path.endswith(".rules"):
            continue
        for raw in f.text.splitlines():
            line = raw.split("#", 1)[0].strip()
            if line.startswith("-w "):
                _watch(line, rules)
            elif line.startswith(("-a ", "-A ")):
                _syscall(line, rules)
    return rules


def _watch(line: str, rules: AuditRules) -> None:
    words = line.split()
    path = words[1] if len(words) > 1 else ""
    perms = "rwxa"  # auditctl's default for a watch without -p
    for i, w in enumerate(words):
        if w == "-p" and i + 1 < len(words):
            perms = words[i + 1]
    if path:
        rules.watches.append(Watch(_norm(path), perms, line))
        rules.lines.append(line)


def _syscall(line: str, rules: AuditRules) -> None:
    words = line.split()
    action = words[1] if len(words) > 1 else ""
    if set(action.split(",")) != {"always", "exit"}:  # never,exit excludes; task/user/exclude lists record nothing
        return
    arch, calls, path, perm = "", set(), "", ""
    for i, w in enumerate(words[:-1]):
        nxt = words[i + 1]
        if w == "-S":
            calls.update(c for c in nxt.split(",") if c)
        elif w == "-F":
            key, _, value = nxt.partition("=")
            key = key.rstrip("!<>")
            if key == "arch":
                arch = value
            elif key in ("path", "dir"):
                path = value
            elif key == "perm":
                perm = value
    rules.lines.append(line)
    if path:  # the syscall form of a watch
        rules.watches.append(Watch(_norm(path), perm or "rwxa", line))
    if calls:
        rules.syscalls.append(SyscallRule(arch, frozenset(calls), line))


@dataclass(frozen=True)
class FamilyVerdict:
    family: str
    missing: tuple[str, ...]  # items no rule records at all
    weak: tuple[str, ...]  # items recorded too narrowly, each with why (e.g. "/etc/passwd -p w, needs wa")

    @property
    def covered(self) -> bool:
        return not self.missing and not self.weak


def _file_item(item: str) -> tuple[str, str]:
    path, _, perms = item.partition(":")
    return _norm(path), perms or DEFAULT_FILE_PERMS


def judge_family(rules: AuditRules, family: str, items: list[str]) -> FamilyVerdict:
    """Which of a family's required items (paths, `path:perms`, or system calls) the rules record."""
    missing, weak = [], []
    for item in items:
        if item.startswith("/"):
            path, need = _file_item(item)
            seen = [w for w in rules.watches if w.path == path or path.startswith(w.path + "/")]
            if not seen:
                missing.append(path)
            elif not any(set(need) <= set(w.perms) for w in seen):
                weak.append(f"{path} -p {'/'.join(sorted({w.perms for w in seen}))}, needs {need}")
        else:
            with_call = [r for r in rules.syscalls if item in r.syscalls]
            if not with_call:
                missing.append(item)
            elif not any(r.arch in ("b64", "") for r in with_call):
                weak.append(f"{item} for {'/'.join(sorted({r.arch for r in with_call}))} only, needs arch=b64")
    return FamilyVerdict(family, tuple(missing), tuple(weak))


def describe(v: FamilyVerdict, lang: str = "en") -> str:
    parts = []
    if v.missing:
        parts.append(("not recorded: " if lang == "en" else "không được ghi: ") + ", ".join(v.missing))
    if v.weak:
        parts.append(("too narrow: " if lang == "en" else "quá hẹp: ") + "; ".join(v.weak))
    return f"{v.family} ({'; '.join(parts)})"



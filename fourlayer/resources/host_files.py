"""Reading what the SSH shell collector brought back: framed config files and the live process list."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fourlayer.collectors.allowlist import FILES_MARK
from fourlayer.core.model import Unevaluable
from fourlayer.core.target import Target


def command_out(t: Target, name: str) -> tuple[int, str]:
    """(exit code, output) of one allowlisted command the shell collector ran (rc 127 when it did not run)."""
    cmd = t.ev("ssh_shell").command(name)
    if cmd.rc is None:  # the collector's output cap was reached before this command finished
        raise Unevaluable(f"output of `{name}` was truncated by the collector's size limit")
    return cmd.rc, cmd.out


COMM_LEN = 15  # the kernel keeps the first 15 characters of a process name (`ps -o comm`)


@dataclass(frozen=True)
class ConfigFile:
    """One file a multi-file command read. A file the audit account may not read (`readable` False: the output
    listed it `@@denied`) has no text: reading `text` raises Unevaluable naming it, so a check that looks into it
    is ERROR, while one that passes it by (another file of the same command) is judged on what it needs."""
    path: str  # as on the target, below the sysroot (e.g. /etc/rsyslog.conf)
    content: str
    readable: bool = True

    @property
    def text(self) -> str:
        if not self.readable:
            raise Unevaluable(f"{self.path} could not be read by the audit account (permission denied); give it "
                              "read access (or set ssh.sudo: true where the command allows it) to judge it")
        return self.content


def sysroot(t: Target) -> str:
    """The host's `ssh.sysroot` without its trailing slash ("" for the real /)."""
    root = (t.host.ssh.sysroot if t.host and t.host.ssh else "/") or "/"
    return root.rstrip("/")


_HEADS = {"@@file ": True, "@@empty ": False, "@@denied ": False}  # header -> lines of the file follow in grep's part
_NUMBERED = re.compile(r"([0-9]+):(.*)", re.S)


def config_files(t: Target, command: str) -> list[ConfigFile]:
    """The files a multi-file command printed, paths shown below the sysroot: the `@@files` framing of
    `allowlist._read_each`, or the `### <path>` framing of the `cat` per file it replaced (recorded evidence).
    A file the audit account may not read is listed without text: reading its `text` is Unevaluable (naming it).
    Split once per target and command (several checks read the same files); each caller gets its own list."""
    key = ("config_files", command)
    cached = t.resources.get(key)
    if cached is None:
        cached = t.resources[key] = tuple(split_files(command_out(t, command)[1], sysroot(t), command))
    return list(cached)


def split_files(out: str, root: str = "", command: str = "the command") -> list[ConfigFile]:
    """`config_files` of one command's output; `root` is the sysroot prefix taken off the paths."""
    files = _numbered_files(out, command)[0] if _numbered(out) else _hash_framed_files(out)
    return [ConfigFile(f.path[len(root):], f.content, f.readable) if root and f.path.startswith(root + "/") else f
            for f in files]


def _numbered(out: str) -> bool:
    return out.startswith(FILES_MARK + "\n") or out == FILES_MARK


def hash_framed(out: str, command: str = "the command") -> str:
    """A command's output in the `### <path>` framing (the `@@files` one translated), for readers of the raw
    text: operator rules (`fourlayer.rules`) match `KEY VALUE` lines and regexes over it."""
    if not _numbered(out):
        return out
    files, rest = _numbered_files(out, command)  # a denied file's `text` raises: a rule cannot judge without it
    return "".join(f"### {f.path}\n" + (f.text + "\n" if f.text else "") for f in files) + rest


def _hash_framed_files(out: str) -> list[ConfigFile]:
    """`### <path>` then the file's text, per file (a line of text that reads `### /...` passes for a header)."""
    files: list[ConfigFile] = []
    path, lines = None, []
    for line in out.splitlines():
        if line.startswith("### /"):
            if path is not None:
                files.append(ConfigFile(path, "\n".join(lines)))
            path, lines = line[4:].strip(), []
        elif path is not None:
            lines.append(line)
    if path is not None:
        files.append(ConfigFile(path, "\n".join(lines)))
    return files


def _numbered_files(out: str, command: str) -> tuple[list[ConfigFile], str]:
    """`@@files`, a header per file, then grep's `<n>:<line>` lines of the `@@file` ones (line 1 starts the next
    one); what follows them (e.g. auditd_conf's `@@unreadable <dir>` lines) is not part of any file: (the files, that
    rest). A file that changed size between its header and grep breaks the count: Unevaluable rather than its text
    given to another file."""
    rows = out.split("\n")
    heads: list[tuple[str, str]] = []
    at = 1
    while at < len(rows):
        kind = next((h for h in _HEADS if rows[at].startswith(h)), None)
        if kind is None:
            break
        heads.append((kind, rows[at][len(kind):]))
        at += 1
    texts: list[list[str]] = []
    while at < len(rows) and (m := _NUMBERED.fullmatch(rows[at])):
        number = int(m.group(1))
        if number == 1:
            texts.append([])
        elif not texts or number != len(texts[-1]) + 1:
            texts = []  # out of sequence: reported below
            break
        texts[-1].append(m.group(2))
        at += 1
    with_lines = [path for kind, path in heads if _HEADS[kind]]
    if len(texts) != len(with_lines):
        raise Unevaluable(f"the output of `{command}` does not match its file list ({len(with_lines)} files to read, "
                          f"{len(texts)} read): a file changed while it was read, or a file name holds a line break")
    read = iter(texts)
    # the text as the `### <path>` framing gave it: lines as str.splitlines cuts them, joined by \n
    return [ConfigFile(path, "\n".join("\n".join(next(read)).splitlines()) if _HEADS[kind] else "",
                       kind != "@@denied ") for kind, path in heads], "\n".join(rows[at:])


def running(t: Target, names: list[str]) -> tuple[list[str], list[str]]:
    """(which of `names` run on the host, the whole process-name list). Unevaluable if `ps` failed."""
    cached = t.resources.get("processes")
    if cached is None:  # parsed once per target: several checks look for their agents in the same list
        rc, out = command_out(t, "processes")
        procs = tuple(stripped for stripped in (line.strip() for line in out.splitlines()) if stripped)
        cached = t.resources["processes"] = (rc, procs, frozenset(procs))
    rc, procs, present = cached
    if rc != 0 or not procs:
        raise Unevaluable(f"the process list could not be read on the target (`ps` rc={rc})")
    return [n for n in names if n[:COMM_LEN] in present], list(procs)


def shown(items: list[str], limit: int = 8, lang: str = "en") -> str:
    """A short comma-separated list for a reason line (`lang` "vi" words the overflow in Vietnamese)."""
    more = f" (+{len(items) - limit} {'mục khác' if lang == 'vi' else 'more'})" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more

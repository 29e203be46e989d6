"""Reading what the SSH shell collector brought back: framed config files and the live process list."""

from __future__ import annotations

from dataclasses import dataclass

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
    path: str  # as on the target, below the sysroot (e.g. /etc/rsyslog.conf)
    text: str


def sysroot(t: Target) -> str:
    """The host's `ssh.sysroot` without its trailing slash ("" for the real /)."""
    root = (t.host.ssh.sysroot if t.host and t.host.ssh else "/") or "/"
    return root.rstrip("/")


def config_files(t: Target, command: str) -> list[ConfigFile]:
    """The files a `for f in ...; printf '### %s' "$f"; cat "$f"` template printed, paths shown below the sysroot.
    Split once per target and command (several checks read the same files); each caller gets its own list."""
    key = ("config_files", command)
    cached = t.resources.get(key)
    if cached is None:
        cached = t.resources[key] = tuple(_split_files(t, command))
    return list(cached)


def _split_files(t: Target, command: str) -> list[ConfigFile]:
    _, out = command_out(t, command)
    root = sysroot(t)
    files: list[ConfigFile] = []
    path, lines = None, []
    for line in out.splitlines():
        if line.startswith("### /"):
            if path is not None:
                files.append(ConfigFile(path, "\n".join(lines)))
            path, lines = line[4:].strip(), []
            if root and path.startswith(root + "/"):
                path = path[len(root):]
        elif path is not None:
            lines.append(line)
    if path is not None:
        files.append(ConfigFile(path, "\n".join(lines)))
    return files


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

"""Run a command in a private, empty network namespace (only `lo`, up) under strace, and read its connect()s.

Nothing the command sends can leave the machine: there is no interface but loopback. Tests that scan an
address outside 127.0.0.0/8 use this, and skip (with `NAMESPACE_SKIP`) where unshare or strace is unavailable.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

_ADDRESS = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')
NAMESPACE_SKIP = "unshare -n (a private network namespace) or strace is not available to this user"


def namespace_works() -> bool:
    if shutil.which("unshare") is None or shutil.which("strace") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def run_isolated(cmd: list[str], trace: Path, env: dict[str, str], timeout: float = 300
                 ) -> subprocess.CompletedProcess:
    """`cmd` in a new network namespace, every connect() of it and its children logged to `trace`."""
    script = 'ip link set lo up && exec strace -f -qq -e trace=connect -o "$0" "$@"'
    return subprocess.run(["unshare", "-n", "sh", "-c", script, str(trace), *cmd], capture_output=True, text=True,
                          timeout=timeout, env=env)


def outside_connects(strace_log: str) -> list[str]:
    """Every connect() to an IP address in an strace log that is not loopback (127.0.0.0/8, ::1); one whose
    address cannot be read counts as outside."""
    found = []
    for line in strace_log.splitlines():
        if "connect(" not in line or not re.search(r"sa_family=AF_INET6?,", line):
            continue
        addresses = [v4 or v6 for v4, v6 in _ADDRESS.findall(line)]
        if not addresses or not all(a.startswith("127.") or a in ("::1", "::ffff:127.0.0.1") for a in addresses):
            found.append(line)
    return found

"""Target-side cost of one POSIX audit script: processes started (execve) and CPU of the target's shell and its
children, on the lab's hardened and weak sysroots, run here by `/bin/sh -s` exactly as ssh_shell sends it.

    .venv/bin/python bench/target_execs.py [--runs 20]

Execs are counted with `strace -f -e trace=execve` (one run); CPU is the children's rusage (user + system) of
`--runs` runs without strace, reported as min-median-max. Per command: the execs each command's subshell made.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fourlayer.collectors import allowlist, ssh_shell  # noqa: E402
from fourlayer.config.inventory import SSHSettings  # noqa: E402
from fourlayer.lab.sysroots import GOOD_ROOT, WEAK_ROOT, write_tree  # noqa: E402


def script_for(root: Path) -> tuple[str, dict[str, str]]:
    commands = allowlist.build_commands(SSHSettings(sysroot=str(root)))
    return ssh_shell.build_script(commands, "0123456789abcdef"), commands


def run_cpu(script: str) -> tuple[float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(["/bin/sh", "-s"], input=script.encode(), capture_output=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000, len(done.stdout)


def count_execs(script: str, workdir: Path) -> list[str]:
    log = workdir / "strace.log"
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve", "-e", "signal=none", "-o", str(log),
                    "/bin/sh", "-s"], input=script.encode(), capture_output=True, check=True)
    return [line for line in log.read_text().splitlines() if "execve(" in line and "= 0" in line]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if not shutil.which("strace"):
        print("target_execs: strace is not installed (apt-get install strace)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="fl-execs-") as tmp:
        for name, tree in (("hardened", GOOD_ROOT), ("weak", WEAK_ROOT)):
            root = Path(tmp) / name
            write_tree(root, tree)
            script, commands = script_for(root)
            execs = count_execs(script, Path(tmp))
            programs: dict[str, int] = {}
            for line in execs[1:]:  # the first is /bin/sh itself
                m = re.search(r'execve\("([^"]+)"', line)
                prog = Path(m.group(1)).name if m else "?"
                programs[prog] = programs.get(prog, 0) + 1
            cpu, size = zip(*(run_cpu(script) for _ in range(args.runs)))
            print(f"{name}: {len(commands)} commands, {len(execs) - 1} execs besides /bin/sh "
                  f"({', '.join(f'{p} {n}' for p, n in sorted(programs.items(), key=lambda i: -i[1]))}); "
                  f"target CPU {min(cpu):.1f}-{statistics.median(cpu):.1f}-{max(cpu):.1f} ms "
                  f"over {args.runs} runs; stdout {size[0]} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

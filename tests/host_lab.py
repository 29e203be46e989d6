"""Host-hygiene lab: sysroot trees read over real loopback sshd servers, and targets for the checks.

- `host_root(files)` (fixture) / `sysroots()` (context manager): sysroot trees of fourlayer.lab.sysroots
  entries (text, File(text, mode), Link(target)).
- `loose_sshd` (127.0.0.152): (a weak-profile sshd whose sshd_config and host keys have loose permissions,
  its known_hosts file); module-scoped.
- `host_evidence(instance, known_hosts, root)`: the ssh_shell evidence of that host, collected over SSH.
- `host_target(evidence, policy=..., level=...)`: a Target for the checks; `judge(check_id, target)` a Result.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import shutil
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from fourlayer.collectors import ssh_shell
from fourlayer.collectors.base import CollectContext
from fourlayer.config.inventory import Agency, Host, System
from fourlayer.lab.sshd import SshdInstance, make_lab_dir
from fourlayer.lab.sysroots import Entry, loosen_sshd_files, write_tree
from fourlayer.core.model import Result
from fourlayer.config.policy import default_policy
from fourlayer.core.registry import REGISTRY
from fourlayer.core.discovery import discover
from fourlayer.core.runner import evaluate
from fourlayer.core.target import Target

__all__ = ["host_root", "loose_sshd"]

CTX = CollectContext(timeout=3.0)
LOOSE_SSHD_ADDRESS = "127.0.0.152"


@contextlib.contextmanager
def sysroots() -> Iterator[Callable[[dict[str, Entry]], Path]]:
    """A maker of sysroot trees the lab audit user can read; all removed on exit."""
    made: list[Path] = []

    def make(files: dict[str, Entry]) -> Path:
        root = make_lab_dir("hostroot-")
        made.append(root)
        write_tree(root, files)
        return root

    try:
        yield make
    finally:
        for root in made:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def host_root() -> Iterator[Callable[[dict[str, Entry]], Path]]:
    with sysroots() as make:
        yield make


@pytest.fixture(scope="module")
def loose_sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SshdInstance, Path]]:
    """(sshd, its known_hosts file)."""
    instance = SshdInstance(LOOSE_SSHD_ADDRESS, profile="weak").start()
    try:
        loosen_sshd_files(instance)
        yield instance, instance.write_known_hosts(tmp_path_factory.mktemp("loose") / "known_hosts")
    finally:
        instance.stop()


def host_evidence(instance: SshdInstance, known_hosts: Path, root: Path) -> dict[str, Any]:
    """Run every allowlisted command on `instance`, reading files below `root`."""
    host = instance.host(known_hosts=known_hosts, sysroot=str(root))
    return {"host": host, "ssh_shell": ssh_shell.collect(host, CTX)}


def with_command(shell: ssh_shell.ShellEvidence, name: str, rc: int | None, out: str, err: str = ""
                 ) -> ssh_shell.ShellEvidence:
    """A copy of collected shell evidence (frozen) with one command's result replaced (a recorded output)."""
    return dataclasses.replace(shell, commands={**shell.commands, name: ssh_shell.CommandOutput(rc, out, err)})


def host_target(evidence: dict[str, Any], policy: dict | None = None, level: int = 3,
                today: dt.date | None = None, clock: dt.datetime | None = None) -> Target:
    host: Host = evidence["host"]
    system = System(id="lab-system", name="Hệ thống thử nghiệm", level=level, hosts=(host,))
    agency = Agency(id="lab-agency", name="Đơn vị thử nghiệm", systems=(system,))
    return Target(agency=agency, system=system, host=host, policy=policy or default_policy(),
                  as_of=today or dt.date.today(), evidence={"ssh_shell": evidence["ssh_shell"]},
                  clock=clock or dt.datetime.now(dt.timezone.utc))


def judge(check_id: str, target: Target) -> Result:
    """The Result of one registered check on `target`, as the runner produces it."""
    discover()
    return evaluate(REGISTRY.get(check_id), target, {})

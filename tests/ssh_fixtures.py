"""Real sshd fixtures on 127.0.0.100-149: one server per profile per test session, plus factories.

- `sshd_hardened` (127.0.0.100) and `sshd_weak` (127.0.0.101): session-scoped `SshdInstance`s.
- `ssh_known_hosts`: a session known_hosts file holding both servers' host keys.
- `sshd_factory(profile=..., directives=..., banner_text=...)`: extra servers (127.0.0.110-149), stopped after the test.
- `ssh_sysroot({"etc/os-release": "...", ...})`: a fake / tree the lab audit user can read (use as ssh.sysroot).
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path
from typing import Callable, Iterator

import pytest

from fourlayer.lab.sshd import SSHD, SshdInstance, make_lab_dir

__all__ = ["sshd_hardened", "sshd_weak", "ssh_known_hosts", "sshd_factory", "ssh_sysroot"]

_factory_addresses = itertools.cycle(f"127.0.0.{n}" for n in range(110, 150))


def _start(address: str, profile: str, **kwargs) -> SshdInstance:
    if not os.path.exists(SSHD):
        pytest.skip(f"{SSHD} (OpenSSH server) is not installed")
    return SshdInstance(address, profile=profile, **kwargs).start()


@pytest.fixture(scope="session")
def sshd_hardened() -> Iterator[SshdInstance]:
    instance = _start("127.0.0.100", "hardened")
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def sshd_weak() -> Iterator[SshdInstance]:
    instance = _start("127.0.0.101", "weak")
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def ssh_known_hosts(tmp_path_factory: pytest.TempPathFactory, sshd_hardened: SshdInstance,
                    sshd_weak: SshdInstance) -> Path:
    path = tmp_path_factory.mktemp("ssh") / "known_hosts"
    sshd_hardened.write_known_hosts(path)
    sshd_weak.write_known_hosts(path)
    return path


@pytest.fixture
def sshd_factory() -> Iterator[Callable[..., SshdInstance]]:
    started: list[SshdInstance] = []

    def make(profile: str = "hardened", address: str | None = None, **kwargs) -> SshdInstance:
        instance = _start(address or next(_factory_addresses), profile, **kwargs)
        started.append(instance)
        return instance

    yield make
    for instance in started:
        instance.stop()


@pytest.fixture
def ssh_sysroot() -> Iterator[Callable[[dict[str, str | bytes]], Path]]:
    made: list[Path] = []

    def make(files: dict[str, str | bytes]) -> Path:
        root = make_lab_dir("sysroot-")
        made.append(root)
        for rel, content in files.items():
            path = root / rel.lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            for parent in path.relative_to(root).parents:
                os.chmod(root / parent, 0o755)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
            os.chmod(path, 0o644)
        return root

    yield make
    for root in made:
        shutil.rmtree(root, ignore_errors=True)

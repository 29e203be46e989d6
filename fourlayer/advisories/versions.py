"""Version order exactly as the package managers define it; no comparison of our own.

dpkg: `debian.debian_support.Version` (python-debian) implements dpkg's algorithm (epoch, upstream version and
Debian revision; `~` sorts before anything, even the end of the string). rpm: univers' `RpmVersion` implements
rpmvercmp over `epoch:version-release` (`el9_3` after `el9`, the epoch first).
"""

from __future__ import annotations

import functools
from typing import Callable

from debian.debian_support import Version as DpkgVersion
from univers.versions import RpmVersion

KINDS = ("dpkg", "rpm")


@functools.lru_cache(maxsize=65536)
def _dpkg(version: str) -> DpkgVersion:
    return DpkgVersion(version)


@functools.lru_cache(maxsize=65536)
def _rpm(version: str) -> RpmVersion:
    return RpmVersion(version)


def valid(kind: str, version: str) -> bool:
    """Whether `version` is a well-formed version of that package manager."""
    if not isinstance(version, str) or not version or any(c.isspace() for c in version):
        return False
    try:
        key(kind)(version)
    except (ValueError, TypeError):
        return False
    upstream = version.split(":", 1)[1] if ":" in version else version
    return upstream[:1].isdigit()  # dpkg and rpm versions start with a digit after the epoch


def key(kind: str) -> Callable[[str], object]:
    """A function mapping a version string to an object that orders as that package manager orders them."""
    if kind == "dpkg":
        return _dpkg
    if kind == "rpm":
        return _rpm
    raise ValueError(f"unknown package manager {kind!r}")


def compare(kind: str, a: str, b: str) -> int:
    """-1, 0 or 1 as `a` is older than, the same as or newer than `b` for that package manager."""
    k = key(kind)
    va, vb = k(a), k(b)
    return (va > vb) - (va < vb)


def rpm_evr(epoch: str | int | None, version: str, release: str) -> str:
    """`epoch:version-release` as rpm compares it (epoch 0 or none is left out)."""
    head = f"{epoch}:" if epoch not in (None, "", "0", 0, "(none)") else ""
    return f"{head}{version}-{release}" if release else f"{head}{version}"

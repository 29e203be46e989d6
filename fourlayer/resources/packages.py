"""The package inventory one host showed: `dpkg-query -W` or `rpm -qa` lines, its os-release and running kernel.

dpkg lines: `package\\tversion\\tsource package\\tsource version\\tstatus` (status "install ok installed" or
"hold ok installed" counts as installed). rpm lines: `name\\tepoch\\tversion\\trelease\\tarch\\tsource rpm`.
Advisories name source packages, so each installed package carries its source name and source version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fourlayer.advisories.formats import DEBIAN_RELEASES
from fourlayer.advisories.versions import rpm_evr

_INSTALLED = ("install ok installed", "hold ok installed")
_SRPM = re.compile(r"^(.+)-[^-]+-[^-]+\.(?:no)?src\.rpm$")
# os-release ID (or ID_LIKE) -> the distribution name advisories use
DISTRO_IDS = {"debian": "debian", "ubuntu": "ubuntu", "almalinux": "almalinux", "rocky": "rocky", "rhel": "rhel"}


@dataclass(frozen=True)
class Installed:
    name: str  # binary package
    version: str  # its version (rpm: epoch:version-release)
    source: str  # source package the advisories name
    source_version: str  # the version advisories are compared with
    arch: str = ""


@dataclass(frozen=True)
class Platform:
    distro: str  # "debian", "ubuntu", "almalinux", "rocky", "rhel"
    release: str  # "12", "22.04", "9"
    pretty: str

    def describe(self) -> str:
        return self.pretty or f"{self.distro} {self.release}"


def parse_dpkg(text: str) -> tuple[list[Installed], int]:
    """(installed packages, lines that could not be read)."""
    out, bad = [], 0
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 5:
            bad += 1
            continue
        name, version, source, source_version, status = (p.strip() for p in parts)
        if status not in _INSTALLED:
            continue
        if not name or not version:
            bad += 1
            continue
        out.append(Installed(name, version, source or name, source_version or version))
    return out, bad


def parse_rpm(text: str) -> tuple[list[Installed], int]:
    out, bad = [], 0
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) != 6 or not parts[0] or not parts[2]:
            bad += 1
            continue
        name, epoch, version, release, arch, srpm = parts
        if name == "gpg-pubkey":  # imported signing keys are listed as packages
            continue
        evr = rpm_evr(epoch, version, release)
        m = _SRPM.match(srpm)
        out.append(Installed(name, evr, m.group(1) if m else name, evr, arch))
    return out, bad


def platform(os_release: dict[str, str]) -> Platform | None:
    """The distribution and release from a parsed os-release (lower-case keys); None when not one we know."""
    ids = [os_release.get("id", "").lower(), *os_release.get("id_like", "").lower().split()]
    distro = next((DISTRO_IDS[i] for i in ids if i in DISTRO_IDS), None)
    if distro is None:
        return None
    version = os_release.get("version_id", "")
    codename = os_release.get("version_codename", "").lower()
    if distro == "debian" and os_release.get("id", "").lower() == "debian":
        release = version.split(".")[0] if version else DEBIAN_RELEASES.get(codename, codename)
    elif distro == "ubuntu":
        release = version
    elif distro in ("almalinux", "rocky", "rhel"):
        release = version.split(".")[0]
    else:  # a derivative that only says ID_LIKE=debian: its own releases are not Debian's
        return None
    if not release:
        return None
    return Platform(distro, release, os_release.get("pretty_name", ""))


def kernel_packages(installed: list[Installed], kind: str) -> dict[str, Installed]:
    """Installed kernel images by the release `uname -r` would show for them."""
    found = {}
    for p in installed:
        if kind == "dpkg" and p.name.startswith(("linux-image-", "linux-image-unsigned-")):
            release = p.name.removeprefix("linux-image-unsigned-").removeprefix("linux-image-")
            if release[:1].isdigit():  # not a meta package such as linux-image-amd64
                found[release] = p
        elif kind == "rpm" and p.name in ("kernel", "kernel-core"):
            evr = p.version.split(":", 1)[-1]
            found[f"{evr}.{p.arch}" if p.arch else evr] = p
    return found

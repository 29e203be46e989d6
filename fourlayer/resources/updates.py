"""Pending updates as the distribution's own package manager simulates them, read-only, over its existing lists.

Why a simulation: update-notifier's count (/var/lib/update-notifier/updates-available) exists only on Ubuntu and
on Debian with update-notifier-common, and never on the RHEL or SUSE families. Every package manager can tell,
without changing anything and without refreshing its metadata, what an upgrade would install:

- apt: `apt-get -s -o Debug::NoLocking=1 dist-upgrade` prints one `Inst pkg [old] (new Origin:Ver/suite [arch])`
  line per package; the candidate's archive says whether it comes from the security channel
  (`Debian-Security:12/stable-security`, `Ubuntu:22.04/jammy-security`).
- dnf / yum: `updateinfo list --security` from the cache only (`-C`): `ADVISORY Severity/Sec. NEVRA` lines
  (dnf5: `ADVISORY security Severity NEVRA date time`).
- zypper: `--no-refresh -x list-patches`: `<update kind="patch" category="security" status="needed">` elements.

The metadata's age is evidence of its own: lists that nobody refreshes report nothing pending forever.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

TOOL_MARK = "@@tool "  # the allowlisted commands print `@@tool <name>` before running a package manager


@dataclass(frozen=True)
class Pending:
    """What an upgrade would bring, as one package manager says."""

    tool: str  # apt-get, dnf, yum, zypper
    total: int  # packages (apt, dnf, yum) or patches (zypper) an upgrade would install
    security: int  # of which from the security channel / security advisories
    security_items: tuple[str, ...] = field(default=())  # their names (packages, or advisories for zypper)
    unit: str = "packages"  # what `total` and `security` count

    def describe(self, limit: int = 8) -> str:
        names = ", ".join(self.security_items[:limit])
        more = f" (+{len(self.security_items) - limit} more)" if len(self.security_items) > limit else ""
        return names + more


class UnreadableOutput(ValueError):
    """The tool's output is not what it prints: the evidence is damaged or the tool failed."""


def tool_sections(text: str) -> dict[str, str]:
    """{tool: its output} from the `@@tool <name>` framed output of an allowlisted command."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith(TOOL_MARK):
            current = sections.setdefault(line[len(TOOL_MARK):].strip(), [])
        elif current is not None:
            current.append(line)
    return {tool: "\n".join(lines) for tool, lines in sections.items()}


# ---- apt --------------------------------------------------------------------------------------------------------

# Inst libgcrypt20 [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64])
# (a trailing `[]` or `[pkg:amd64 on other:amd64] [pkg:amd64 ]` lists packages whose dependencies break meanwhile)
_INST = re.compile(r"^Inst (\S+)(?: \[([^\]]*)\])? \((\S+) ([^()]*?)(?: \[[^\]]*\])?\)(?: \[[^\]]*\])*\s*$")
_SUMMARY = re.compile(r"^(\d+) upgraded, (\d+) newly installed, (\d+) to remove and (\d+) not upgraded\.", re.M)


def is_security_origin(origin: str) -> bool:
    """An archive of apt's `Label:Version/Suite` form that is a security channel.

    Debian: label Debian-Security (suites bookworm-security, stable-security, older `stretch/updates`); Ubuntu and
    derivatives: a suite ending in `-security`."""
    label, _, rest = origin.strip().partition(":")
    suite = rest.rpartition("/")[2]
    return "security" in label.lower() or suite.lower().endswith("-security")


def parse_apt_simulation(text: str) -> Pending:
    """`apt-get -s dist-upgrade` output -> the pending upgrades (new installs pulled in as dependencies count in
    `total` only). UnreadableOutput when neither an `Inst` line nor apt's summary line is there."""
    upgrades, security = 0, []
    for line in text.splitlines():
        m = _INST.match(line.strip())
        if not m:
            continue
        name, old, origins = m.group(1), m.group(2), m.group(4)
        if old is None:  # a new package an upgrade pulls in: not a pending fix of something installed
            continue
        upgrades += 1
        if any(is_security_origin(o) for o in origins.split(",")):
            security.append(name)
    summary = _SUMMARY.search(text)
    if summary is None and upgrades == 0:
        raise UnreadableOutput("apt-get printed neither `Inst` lines nor its summary line")
    return Pending("apt-get", upgrades, len(security), tuple(security))


# ---- dnf / yum ---------------------------------------------------------------------------------------------------

_NEVRA = re.compile(r"^[A-Za-z0-9_.+:~^-]+-[^-\s]+-[^-\s]+\.[A-Za-z0-9_]+$")
_DNF_NOISE = re.compile(r"^(Last metadata expiration check|Loaded plugins|updateinfo list done|This system is|"
                        r"Updating Subscription|Name\s+Type\s+Severity|Repositories loaded|Updating and loading)", re.I)


def parse_dnf_updateinfo(text: str, tool: str = "dnf") -> Pending:
    """`dnf|yum updateinfo list --security` lines -> pending security updates (each line is an advisory for one
    package; `total` counts distinct packages). Informational lines are skipped; any other line is damage."""
    packages: dict[str, None] = {}  # one package fixed by several advisories counts once
    for raw in text.splitlines():
        line = raw.strip()
        if not line or _DNF_NOISE.match(line):
            continue
        parts = line.split()
        # dnf4 / yum: ADVISORY Severity/Sec. NEVRA ; dnf5: ADVISORY security Severity NEVRA DATE TIME
        if len(parts) == 3 and (parts[1].endswith("/Sec.") or parts[1] == "security"):
            nevra = parts[2]
        elif len(parts) >= 4 and parts[1] == "security":
            nevra = parts[3]
        else:
            raise UnreadableOutput(f"{tool} printed a line that is not an advisory row ({len(parts)} fields)")
        if not _NEVRA.match(nevra):
            raise UnreadableOutput(f"{tool} printed an advisory row without a package name-version-release.arch")
        packages[nevra] = None
    names = tuple(packages)
    return Pending(tool, len(names), len(names), names)


# ---- zypper ------------------------------------------------------------------------------------------------------

def parse_zypper_patches(text: str) -> Pending:
    """`zypper -x list-patches` XML -> needed patches (`total`) and the security ones among them."""
    body = text[text.find("<"):] if "<" in text else ""
    if "<!DOCTYPE" in body or "<!ENTITY" in body:  # no entity expansion from a target's output
        raise UnreadableOutput("zypper's XML carries a DOCTYPE or ENTITY declaration; it is not zypper's output")
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise UnreadableOutput("zypper's XML output is not well-formed") from None
    if root.find(".//update-status") is None and root.tag != "update-status":
        errors = [m.text or "" for m in root.iter("message") if m.get("type") == "error"]
        raise UnreadableOutput("zypper printed no update status" + (f": {errors[0][:160]}" if errors else ""))
    needed = [u for u in root.iter("update")
              if u.get("kind", "patch") == "patch" and u.get("status", "needed") == "needed"]
    security = tuple(u.get("name", "?") for u in needed if u.get("category") == "security")
    return Pending("zypper", len(needed), len(security), security, unit="patches")


PARSERS = {"apt-get": parse_apt_simulation, "dnf": parse_dnf_updateinfo,
           "yum": lambda text: parse_dnf_updateinfo(text, "yum"), "zypper": parse_zypper_patches}

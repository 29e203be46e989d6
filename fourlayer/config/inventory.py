"""The validated inventory as the program uses it: agencies -> information systems (level 1-5) -> hosts.

These are the runtime objects, resolved by `fourlayer.config.inventory_load` (ids defaulted, SSH defaults
merged, devices as Hosts, line numbers); the file's own shape is the pydantic models of
`fourlayer.config.inventory_model`, and a test checks that every key of the file has its field here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterator


@dataclass(frozen=True)
class SSHSettings:
    port: int = 22
    user: str | None = None
    key_file: str | None = None  # path, ~ expanded
    known_hosts: str | None = None  # path, ~ expanded
    password_env: str | None = None  # NAME of an environment variable holding the password; never the secret
    sshd_config: str | None = None  # path on the target passed to `sshd -T -f`; None = the system default
    sudo: bool = False  # prefix privileged allowlisted commands with `sudo -n`
    sysroot: str = "/"  # files are read below this directory on the target (audit of a mounted image)
    enabled: bool = True


# Network device vendors a `devices:` entry may name (parsers in fourlayer.resources.devices)
DEVICE_VENDORS = ("cisco_ios", "fortios", "routeros", "junos")


@dataclass(frozen=True)
class Device:
    """What makes a `devices:` entry a network device: its vendor, its role, and where its configuration comes
    from (`config`, a saved file on the scanning machine, or else one read-only command over the host's `ssh`)."""

    vendor: str  # one of DEVICE_VENDORS
    role: str = ""  # free text: "edge firewall", "core switch"
    config: str | None = None  # absolute path of the saved configuration; None = read it over SSH
    line: int = 0


@dataclass(frozen=True)
class Host:
    address: str
    id: str
    roles: tuple[str, ...] = ()
    ssh: SSHSettings | None = None
    tls: tuple[int, ...] = ()  # ports that speak TLS
    http: tuple[int, ...] = ()  # ports that speak plain HTTP
    services: tuple[int, ...] = ()  # TCP ports the operator declares as intended to be open
    tls_ca_file: str | None = None  # CA bundle to verify this host's certificates; None = system store
    tls_server_name: str | None = None  # name expected in the certificate; None = host id if not an IP
    tags: tuple[str, ...] = ()
    zone: str | None = None  # id of the network zone the host sits in (declared, or resolved by CIDR match)
    line: int = 0
    # A network device listed under a system's `devices:` is a Host with `device` set (kind "device"): it scores,
    # reports and is stored like any host, and only the device checks apply to it. Its address may be "" when
    # only a saved configuration is audited.
    device: Device | None = None

    @property
    def kind(self) -> str:
        return "device" if self.device is not None else "host"


# Circular 12/2022/TT-BTTTT network zone types: user/internal, edge, DMZ, server, database, management, wireless
ZONE_KINDS = ("user", "edge", "dmz", "server", "database", "management", "wireless")


@dataclass(frozen=True)
class Zone:
    """A network zone: where a scanner (worker) sits and what segmentation is judged between."""

    id: str
    name: str
    kind: str  # one of ZONE_KINDS
    networks: tuple[str, ...] = ()  # CIDRs
    description: str = ""
    line: int = 0


@dataclass(frozen=True)
class Assessment:
    date: dt.date
    assessor: str
    operator_independent: bool
    licence: str | None = None  # the assessor's licence/designation number (required from a policy level)
    findings_open: int | None = None  # findings of this assessment not yet remediated
    report: str | None = None  # reference of the assessment report (evidence for an inspector)
    remediation_plan: str | None = None  # reference of the plan that remediates the open findings
    remediation_due: dt.date | None = None  # when that plan must be done
    line: int = 0


@dataclass(frozen=True)
class Endpoint:
    """host:port declared for a collector/manager (SOC manager, national monitoring collector)."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class SOC:
    provider: str
    contract_until: dt.date | None = None
    manager: Endpoint | None = None  # where monitoring/EDR agents report
    log_collector: Endpoint | None = None  # where hosts forward logs; None = the manager
    systems: tuple[str, ...] | None = None  # ids of the systems the contract covers; None = every system
    line: int = 0

    @property
    def log_destination(self) -> Endpoint | None:
        """The declared endpoint that should receive forwarded logs."""
        return self.log_collector or self.manager

    def covers(self, system_id: str) -> bool:
        return self.systems is None or system_id in self.systems


@dataclass(frozen=True)
class NationalMonitoring:
    connected: bool
    since: dt.date | None = None
    collector: Endpoint | None = None
    antimalware_connected: bool | None = None
    line: int = 0


@dataclass(frozen=True)
class Contact:
    name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class System:
    id: str
    name: str
    level: int
    hosts: tuple[Host, ...] = ()
    last_assessment: Assessment | None = None
    line: int = 0


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    systems: tuple[System, ...] = ()
    security_officer: Contact | None = None
    soc: SOC | None = None
    national_monitoring: NationalMonitoring | None = None
    incident_contact: Contact | None = None
    organisation_assessment: Assessment | None = None  # the last assessment of the whole organisation
    line: int = 0


@dataclass(frozen=True)
class Inventory:
    path: str
    version: int
    agencies: tuple[Agency, ...]
    policy_path: str | None = None  # resolved path of the policy override file, if any
    defaults: dict[str, Any] = field(default_factory=dict)
    zones: tuple[Zone, ...] = ()  # () = no zones declared: one scanner reaches every host
    zone_policy: Any = None  # fourlayer.config.zone_policy.ZonePolicy in force when zones are declared

    def iter_hosts(self) -> Iterator[tuple[Agency, System, Host]]:
        for agency in self.agencies:
            for system in agency.systems:
                for host in system.hosts:
                    yield agency, system, host

    def filtered(self, agency_ids: set[str] | None = None) -> "Inventory":
        if not agency_ids:
            return self
        return Inventory(self.path, self.version,
                         tuple(a for a in self.agencies if a.id in agency_ids),
                         self.policy_path, self.defaults, self.zones, self.zone_policy)

"""The inventory file's shape, written once: pydantic models (`fourlayer.config.typed`) of every mapping.

`inventory/schema.json` is generated from `InventoryFile` (`scripts/gen_schemas.py`). Each value is judged by the
same check, with the same one-line message, as fourlayer's other files (`fourlayer.config.validation.as_*`);
values that depend on where the file is read — `${VAR}` expansion, paths relative to the inventory's folder,
files that must exist — take the folder and the environment from pydantic's validation context
(`{"base": Path, "env": Mapping}`). What needs the whole file (unique ids, references between agencies, systems
and zones, SSH defaults merged into each host) is `fourlayer.config.inventory_load`'s pass after validation,
which builds the runtime objects of `fourlayer.config.inventory`.

Importing this module imports pydantic: only `inventory_load` does, when a file is loaded.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, ValidationInfo, WithJsonSchema, model_validator

from fourlayer.config.inventory import DEVICE_VENDORS, ZONE_KINDS, Endpoint
from fourlayer.config.typed import Strict, required
from fourlayer.config.validation import (
    ENV_NAME_RE,
    MAX_LABELS,
    MAX_LONG_TEXT,
    as_address,
    as_bool,
    as_date,
    as_endpoint,
    as_ident,
    as_int,
    as_local_path,
    as_port,
    as_remote_path,
    as_text,
    expand_vars,
)
from fourlayer.config.yaml_lines import got, kind, show

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 .()-]{2,30}\Z")
LEVEL_MSG = "expected an integer 1–5 (the Decree 85/2016 classification level)"
_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]*$"
_HOSTNAME = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"


def _check(fn: Any, *args: Any) -> BeforeValidator:
    """Run `fn(value, *args)` (a `validation.as_*` check) before pydantic's own type check."""
    return BeforeValidator(lambda value: fn(value, *args))


def _seq(expected: str) -> BeforeValidator:
    def run(value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, list):
            raise ValueError(f"expected a list ({expected}), got {got(value)}; write {info.field_name}: [...]")
        return value

    return BeforeValidator(run)


def _context(info: ValidationInfo) -> tuple[Any, Any]:
    context = info.context or {}
    return context.get("base", os.getcwd()), context.get("env", os.environ)


def _local(value: Any, info: ValidationInfo) -> str:
    base, env = _context(info)
    return as_local_path(value, base, env)


def _remote(value: Any, info: ValidationInfo) -> str:
    return as_remote_path(value, info.field_name, _context(info)[1])


def _existing(what: str, fix: str) -> AfterValidator:
    def run(path: str) -> str:
        if not os.path.isfile(path):
            raise ValueError(f"{what} not found: {show(path, 300)} (relative paths start at the inventory's "
                             f"folder); {fix}")
        return path

    return AfterValidator(run)


def _dedup(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _choice(allowed: tuple[str, ...], what: str, listing: str) -> BeforeValidator:
    def run(value: Any) -> Any:
        if value not in allowed:
            close = difflib.get_close_matches(str(value), allowed, n=1, cutoff=0.5) if isinstance(value, str) else []
            hint = f"did you mean '{close[0]}'?" if close else f"{listing}{', '.join(allowed)}"
            raise ValueError(f"unknown {what} {show(value)}; {hint}")
        return value

    return BeforeValidator(run)


Text = Annotated[str, Field(min_length=1, max_length=500, pattern=r"\S"), _check(as_text)]
LongText = Annotated[str, Field(min_length=1, max_length=MAX_LONG_TEXT, pattern=r"\S"),
                     _check(as_text, MAX_LONG_TEXT)]
Ident = Annotated[str, Field(pattern=_ID_PATTERN, max_length=100,
                             description="Letters, digits, '.', '_' or '-', starting with a letter or digit."),
                  _check(as_ident)]
Port = Annotated[int, Field(ge=1, le=65535), _check(as_port)]
Ports = Annotated[list[Port], Field(json_schema_extra={"uniqueItems": True}),  # repeats: inventory_load
                  _seq("of port numbers, e.g. [80, 443]")]
def _few(items: list[Any]) -> list[Any]:
    if len(items) > MAX_LABELS:
        raise ValueError(f"{len(items)} items, more than the {MAX_LABELS} items allowed; keep the ones checks or "
                         "reports use")
    return items


Labels = Annotated[list[Ident], Field(max_length=MAX_LABELS), AfterValidator(_dedup), _check(_few),
                   _seq("of names, e.g. [linux, web]")]
Bool = Annotated[bool, _check(as_bool)]
Date = Annotated[dt.date, WithJsonSchema({"type": "string", "format": "date",
                                          "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}), _check(as_date)]
Address = Annotated[str, Field(description="An IPv4 or IPv6 address literal, or a hostname.", json_schema_extra={
    "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}, {"pattern": _HOSTNAME},
              {"pattern": "^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?$"}]}), _check(as_address)]
EndpointText = Annotated[Endpoint, WithJsonSchema({
    "type": "string", "description": "host:port, IPv6 in brackets: [::1]:1514",
    "pattern": r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*):[0-9]{1,5}$"}), _check(as_endpoint)]
LocalPath = Annotated[str, Field(min_length=1, description="A path on the scanning machine; ~ and ${VAR} are "
                                 "expanded, relative paths start at the inventory's folder."), BeforeValidator(_local)]
RemotePath = Annotated[str, Field(json_schema_extra={"pattern": "^(?:/|\\$)"}, description=(
    "An absolute path on the target host; ${VAR} is expanded on the scanning machine.")),
                       BeforeValidator(_remote)]


class Section(Strict):
    """A mapping of the inventory; `shape` is the hint when something else stands where it belongs."""

    shape: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"expected a mapping ({cls.shape}), got {got(data)}")
        return data


def _login(value: Any, info: ValidationInfo) -> str:
    user = expand_vars(as_text(value), _context(info)[1])
    if any(c.isspace() or ord(c) < 32 for c in user) or len(user) > 64:
        raise ValueError(f"expected a login name, got {show(user)}")
    return user


def _env_name(value: Any) -> str:
    if not isinstance(value, str) or not ENV_NAME_RE.match(value):
        raise ValueError("expected the NAME of an environment variable (letters, digits, '_'; value not shown) "
                         "that holds the password — not the password itself")
    return value


class SshIn(Section):
    shape: ClassVar[str] = "user:, key_file:, port: ..."

    port: Port | None = None
    user: Annotated[str, Field(pattern=r"^\S{1,64}$"), BeforeValidator(_login)] | None = None
    key_file: LocalPath | None = None
    known_hosts: LocalPath | None = None
    password_env: Annotated[str, Field(
        pattern="^[A-Za-z_][A-Za-z0-9_]*$",
        description="NAME of an environment variable holding the password; never the password itself."),
        _check(_env_name)] | None = None
    sshd_config: Annotated[RemotePath, Field(description="sshd config file on the target, read with sshd -T -f.")] \
        | None = None
    sudo: Annotated[Bool, Field(description="Run privileged read-only commands with sudo -n.")] | None = None
    sysroot: Annotated[RemotePath, Field(description="Read files below this directory on the target.")] | None = None
    enabled: Bool | None = None

    def given(self) -> dict[str, Any]:
        """The settings this mapping states (to merge over defaults.ssh, key by key)."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


def _host_ssh(shape: str) -> BeforeValidator:
    def run(value: Any) -> Any:
        if value is not None and not isinstance(value, (dict, bool)):
            raise ValueError(f"expected a mapping ({shape}), got {got(value)}")
        return value

    return BeforeValidator(run)


HostSsh = Annotated[Union[SshIn, bool], Field(
    description="SSH settings merged over defaults.ssh, or false to disable SSH for this host."),
    _host_ssh("port:, user:, ... — or false to disable SSH")]


def _phone(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {kind(value)}; quote the number so a leading 0 or '+' is kept: "
                         "phone: \"0238 3 000 111\"")
    phone = as_text(value)
    if not _PHONE_RE.match(phone):
        raise ValueError(f"expected a phone number (digits, spaces, + . - ( )), got {show(phone)}")
    return phone


def _email(value: Any) -> str:
    email = as_text(value)
    if not _EMAIL_RE.match(email):
        raise ValueError(f"expected an e-mail address, got {show(email)}")
    return email


class ContactIn(Section):
    shape: ClassVar[str] = "name:, email:, phone:"

    name: Annotated[Text, required("<the person's full name>")]
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), _check(_email)] | None = None
    phone: Annotated[str, Field(pattern=r"^\+?[0-9][0-9 .()-]{2,30}$",
                                description="Quote it, so a leading 0 or + is kept."), _check(_phone)] | None = None


class SocIn(Section):
    shape: ClassVar[str] = "provider:, contract_until:, manager:"

    provider: Annotated[Text, required("<the monitoring provider's name>")]
    contract_until: Date | None = None
    manager: Annotated[EndpointText, Field(description="Where monitoring/EDR agents report.")] | None = None
    log_collector: Annotated[EndpointText, Field(
        description="Where hosts forward logs; defaults to the manager.")] | None = None
    systems: Annotated[list[Ident], AfterValidator(_dedup), _seq("of the ids of the systems the contract covers"),
                       Field(description="Ids of this agency's systems the contract covers; absent = every system.")
                       ] | None = None


class NationalIn(Section):
    shape: ClassVar[str] = "connected:, since:, collector:, antimalware_connected:"

    connected: Annotated[Bool, required("true or false")]
    since: Date | None = None
    collector: EndpointText | None = None
    antimalware_connected: Bool | None = None


class AssessmentIn(Section):
    shape: ClassVar[str] = "date:, assessor:, operator_independent:"

    date: Annotated[Date, required("YYYY-MM-DD")]
    assessor: Annotated[Text, required("<the assessing organisation>")]
    operator_independent: Annotated[Bool, required("true or false")]
    licence: Annotated[Text, Field(description="Assessor's licence (required by policy from level 3).")] | None = None
    findings_open: Annotated[int, Field(ge=0, le=10**6, description="Findings of this assessment not yet remediated."),
                             _check(as_int, 0, 10**6, "expected a count of open findings (0 or more)")] | None = None
    report: Annotated[Text, Field(description="Reference of the assessment report, e.g. its document number.")] \
        | None = None
    remediation_plan: Annotated[Text, Field(
        description="Reference of the plan that remediates the open findings.")] | None = None
    remediation_due: Annotated[Date, Field(description="When the remediation plan must be done.")] | None = None


def _one_os(roles: list[str]) -> list[str]:
    if "windows" in roles and "linux" in roles:  # the shell collector runs one allowlist or the other
        raise ValueError("a host is audited either as windows or as linux; keep one of the two roles")
    return roles


class HostIn(Section):
    shape: ClassVar[str] = "address:, roles:, ssh: ... — e.g. {address: 127.0.0.11}"

    address: Annotated[Address, required("<IP address or hostname>")]
    id: Annotated[Ident, Field(description="Defaults to the address.")] | None = None
    roles: Annotated[Labels, AfterValidator(_one_os), Field(
        description="e.g. linux, web, database, mail, firewall; windows: audited over OpenSSH with read-only "
                    "PowerShell commands (never together with linux)")] | None = None
    tls: Annotated[Ports, Field(description="Ports that speak TLS.")] | None = None
    http: Annotated[Ports, Field(description="Ports that speak plain HTTP.")] | None = None
    services: Annotated[Ports, Field(description="TCP ports intended to be open.")] | None = None
    ssh: HostSsh | None = None
    tls_ca_file: Annotated[LocalPath, Field(description="CA bundle to verify this host's certificates.")] | None = None
    tls_server_name: Annotated[Address, Field(description="Name expected in the certificate.")] | None = None
    tags: Labels | None = None
    zone: Annotated[Ident, Field(description="Id of the zone the host sits in; its address must be in the zone's "
                                             "networks. Absent = the zone whose networks contain the address.")] \
        | None = None


class DeviceIn(Section):
    shape: ClassVar[str] = "id:, vendor:, role:, config: <saved configuration> — or ssh: {...}"
    model_config = ConfigDict(json_schema_extra={"oneOf": [
        {"required": ["config"], "not": {"required": ["ssh"]}},
        {"required": ["ssh", "address"], "not": {"required": ["config"]}}]})

    id: Annotated[Ident, Field(description="Unique among hosts and devices."), required("<short id, e.g. edge-fw1>")]
    vendor: Annotated[Literal[DEVICE_VENDORS], Field(  # type: ignore[valid-type]
        description="Cisco IOS / IOS-XE, Fortinet FortiOS, MikroTik RouterOS, Juniper Junos."),
        _choice(DEVICE_VENDORS, "vendor", "expected one of "), required("<one of " + ", ".join(DEVICE_VENDORS) + ">")]
    role: Annotated[Text, Field(description="Free text, e.g. edge firewall, core switch.")] | None = None
    address: Annotated[Address, Field(description="Management address; required with ssh:.")] | None = None
    config: Annotated[LocalPath, _existing("configuration file", "fix the path"), Field(
        description="A saved configuration file (relative to this file); read, never executed.")] | None = None
    ssh: Annotated[HostSsh, Field(description=(
        "Read the running configuration with one allowlisted read-only command (show running-config, show "
        "full-configuration, /export, show configuration | display set)."))] | None = None

    @model_validator(mode="after")
    def _config_xor_ssh(self) -> "DeviceIn":
        has_config, has_ssh = self.config is not None, self.ssh not in (None, False)
        if has_config == has_ssh:
            raise ValueError("give either config: <path of a saved configuration> or ssh: {...} to read the running "
                             "configuration, not " + ("both" if has_config else "neither"))
        if has_ssh and not self.address:
            raise ValueError("a device read over ssh: needs address: <IP address or hostname>")
        return self


class SystemIn(Section):
    shape: ClassVar[str] = "id:, name:, level:, hosts:"

    id: Annotated[Ident, required("<short id, e.g. dvc-portal>")]
    name: Annotated[Text, required("<the information system's name>")]
    level: Annotated[int, Field(ge=1, le=5, description="Decree 85/2016 classification level."),
                     _check(as_int, 1, 5, LEVEL_MSG), required("<1–5, the Decree 85/2016 classification level>")]
    last_assessment: AssessmentIn | None = None
    hosts: Annotated[list[HostIn], _seq("of hosts")] | None = None
    devices: Annotated[list[DeviceIn], _seq("of network devices"), Field(
        description="Network devices audited from their configuration (README, Network devices).")] | None = None


class AgencyIn(Section):
    shape: ClassVar[str] = "id:, name:, systems:"

    id: Annotated[Ident, required("<short id, e.g. stttt-nghean>")]
    name: Annotated[Text, required("<the agency's full name>")]
    security_officer: ContactIn | None = None
    soc: SocIn | None = None
    national_monitoring: NationalIn | None = None
    incident_contact: ContactIn | None = None
    organisation_assessment: Annotated[AssessmentIn, Field(
        description="The last assessment of the whole organisation (Decree 85/2016 Art. 20).")] | None = None
    systems: Annotated[list[SystemIn], _seq("of information systems")] | None = None


_NETWORKS_HINT = "[CIDR, ...] — the address ranges of this zone, e.g. [10.10.1.0/24]"


def _some_networks(value: list[Any]) -> list[Any]:
    if not value:
        raise ValueError(f"missing; add networks: {_NETWORKS_HINT}")
    return value


def _cidr_text(value: Any) -> str:
    if not isinstance(value, str):  # the network itself is parsed by zones_load, which refuses overlaps
        raise ValueError(f"expected a CIDR such as 10.10.1.0/24, got {got(value)}; quote it")
    return value


Cidr = Annotated[str, WithJsonSchema({"type": "string", "pattern": "^[0-9A-Fa-f:.]+/[0-9]{1,3}$"}), _check(_cidr_text)]


class ZoneIn(Section):
    shape: ClassVar[str] = "id:, name:, kind:, networks: [CIDR, ...]"

    id: Annotated[Ident, required("<short id, e.g. servers>")]
    name: Annotated[Text, required("<the zone's name, e.g. Vùng máy chủ>")]
    kind: Annotated[Literal[ZONE_KINDS], Field(description="Circular 12/2022 zone type."),  # type: ignore[valid-type]
                    _choice(ZONE_KINDS, "zone kind", "the Circular 12/2022 zone kinds are: "),
                    required(f"<one of {', '.join(ZONE_KINDS)}>")]
    networks: Annotated[list[Cidr], Field(min_length=1, description="CIDRs, network address only (10.10.1.0/24)."),
                        _check(_some_networks), _seq("of CIDRs, e.g. [10.10.1.0/24]"), required(_NETWORKS_HINT)]
    description: LongText | None = None




class DefaultsIn(Section):
    shape: ClassVar[str] = "ssh: {...}"

    ssh: Annotated[SshIn, Field(
        description="SSH settings every host inherits; a host's own ssh: wins key by key.")] | None = None


def _version(value: Any) -> int:
    if type(value) is not int or value != 1:
        raise ValueError(f"expected 1 (the inventory format this fourlayer reads), got {show(value)}")
    return value


def _agencies(value: Any) -> Any:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of agencies, got {got(value)}")
    if not value:
        raise ValueError("the list is empty; add at least one agency with id:, name: and systems:")
    return value


def _zones(value: Any) -> Any:
    if value is not None and (not isinstance(value, list) or not value):
        raise ValueError("expected a list of zones, each with id:, name:, kind:, networks:, "
                         f"got {got(value) if value or value == [] else 'nothing'}")
    return value


class InventoryFile(Section):
    """Agencies -> information systems (Decree 85/2016 level 1-5) -> hosts. fourlayer validates the same rules
    and more (unique ids, environment variables, files) when it loads the file; this schema is for editors and
    documentation. Dates are YYYY-MM-DD."""

    shape: ClassVar[str] = "version: 1, agencies: [...]"

    version: Annotated[Literal[1], Field(description="Inventory format version; must be 1."), _check(_version),
                       required("1")]
    policy: Annotated[LocalPath, _existing("policy file", "fix the path or remove policy:"), Field(
        description="Policy file overriding default thresholds (relative to this file).")] | None = None
    defaults: DefaultsIn | None = None
    agencies: Annotated[list[AgencyIn], Field(min_length=1), _check(_agencies),
                        required("<a list of agencies, each with id:, name:, systems:>")]
    zones: Annotated[list[ZoneIn], Field(min_length=1, description=(
        "Network zones (Circular 12/2022). When declared, every host belongs to exactly one: its zone: or the zone "
        "whose networks contain its address. Networks must not overlap.")), _check(_zones)] | None = None
    zone_policy: Annotated[Any, WithJsonSchema({"oneOf": [{"type": "string", "minLength": 1}, {"type": "object"}]}),
                           Field(description=(
        "Which zones may reach which zones on which ports: a file (relative to this file) or an inline mapping; "
        "replaces the shipped Circular 12 default (fourlayer/data/zone_policy.yaml) as a whole. Its content is "
        "checked by fourlayer/config/zone_policy.py, with the zones it names."))] = None

"""Load and validate an inventory YAML file into `fourlayer.config.inventory.Inventory`.

Every problem raises one `InputError(file, line, field, message)` before any traffic is sent, e.g.
`inv.yaml:14: agencies[0].systems[1].level: expected an integer 1–5 (...), got 7`.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any, Mapping

from fourlayer.config.inventory import (
    DEVICE_VENDORS,
    SOC,
    Agency,
    Assessment,
    Contact,
    Device,
    Host,
    Inventory,
    NationalMonitoring,
    SSHSettings,
    System,
)
from fourlayer.config.validation import ENV_NAME_RE, Validator, parse_address
from fourlayer.config.zones_load import ZoneValidation
from fourlayer.config.yaml_lines import (
    LineDict,
    LineList,
    expect_kind,
    field_path,
    got,
    item_path,
    kind,
    load_yaml,
    show,
    to_plain,
)

# Allowed keys per mapping (inventory/schema.json must list the same; a test keeps them in step).
TOP_KEYS = ("version", "policy", "defaults", "agencies", "zones", "zone_policy")
DEFAULTS_KEYS = ("ssh",)
SSH_KEYS = ("port", "user", "key_file", "known_hosts", "password_env", "sshd_config", "sudo", "sysroot",
            "enabled")
AGENCY_KEYS = ("id", "name", "security_officer", "soc", "national_monitoring", "incident_contact",
               "organisation_assessment", "systems")
CONTACT_KEYS = ("name", "email", "phone")
SOC_KEYS = ("provider", "contract_until", "manager", "log_collector", "systems")
NATIONAL_KEYS = ("connected", "since", "collector", "antimalware_connected")
SYSTEM_KEYS = ("id", "name", "level", "last_assessment", "hosts", "devices")
ASSESSMENT_KEYS = ("date", "assessor", "operator_independent", "licence", "findings_open", "report",
                   "remediation_plan", "remediation_due")
HOST_KEYS = ("address", "id", "roles", "tls", "http", "services", "ssh", "tls_ca_file", "tls_server_name", "tags",
             "zone")
DEVICE_KEYS = ("id", "vendor", "role", "address", "config", "ssh")

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 .()-]{2,30}\Z")
_LEVEL_MSG = "expected an integer 1–5 (the Decree 85/2016 classification level)"


def load_inventory(path: str | Path, env: Mapping[str, str] | None = None) -> Inventory:
    """Read, validate and resolve an inventory file. Raises InputError on the first problem.

    `env` replaces os.environ for `${VAR}` expansion in paths (tests, reproducible runs).
    """
    shown = str(path)
    data = load_yaml(path)
    base = Path(os.path.abspath(path)).parent
    return _InventoryValidator(shown, base, os.environ if env is None else env).inventory(data)


class _InventoryValidator(ZoneValidation, Validator):
    """The inventory's own shape: agencies, systems, hosts and their declared facts."""

    def inventory(self, data: Any) -> Inventory:
        if data is None:
            self.fail(1, None, "the file is empty; start with 'version: 1' and an 'agencies:' list")
        expect_kind(self.path, data, "inventory", TOP_KEYS)
        root = self.mapping(data, getattr(data, "line", 1), None, "version: 1, agencies: [...]")
        self.reject_secrets(root)
        self.keys(root, None, TOP_KEYS)
        version, line, _ = self.get(root, "version", None, "1")
        if type(version) is not int or version != 1:
            self.fail(line, "version", f"expected 1 (the inventory format this fourlayer reads), got {show(version)}")
        policy_path = self.local_path(root, "policy", None)
        if policy_path is not None and not os.path.isfile(policy_path):
            self.fail(root.value_line("policy"), "policy",
                      f"policy file not found: {policy_path} (relative paths start at the inventory's folder); "
                      "fix the path or remove policy:")
        self.ssh_defaults = self.defaults(root)
        zones = self.zones(root)  # before the hosts: each host is placed in its zone as it is read
        agencies_raw, line, where = self.get(root, "agencies", None,
                                              "<a list of agencies, each with id:, name:, systems:>")
        if not isinstance(agencies_raw, LineList):
            self.fail(line, where, f"expected a list of agencies, got {got(agencies_raw)}")
        if not agencies_raw:
            self.fail(line, where, "the list is empty; add at least one agency with id:, name: and systems:")
        agencies = tuple(self.agency(a, agencies_raw.item_line(i), item_path("agencies", i))
                         for i, a in enumerate(agencies_raw))
        return Inventory(path=self.path, version=1, agencies=agencies, policy_path=policy_path,
                         defaults={"ssh": to_plain(self.ssh_defaults)} if self.ssh_defaults else {},
                         zones=zones, zone_policy=self.zone_policy(root, zones))

    def defaults(self, root: LineDict) -> dict[str, Any]:
        value, line, where = self.get(root, "defaults", None)
        if value is None:
            return {}
        m = self.mapping(value, line, where, "ssh: {...}")
        self.keys(m, where, DEFAULTS_KEYS)
        ssh, ssh_line, ssh_where = self.get(m, "ssh", where)
        if ssh is None:
            return {}
        return self.ssh_fields(self.mapping(ssh, ssh_line, ssh_where, "user:, key_file:, port: ..."), ssh_where)

    def ssh_fields(self, m: LineDict, field: str) -> dict[str, Any]:
        self.keys(m, field, SSH_KEYS)
        out: dict[str, Any] = {}
        if "port" in m and m["port"] is not None:
            out["port"] = self.port(m["port"], m.value_line("port"), field_path(field, "port"))
        user = self.text(m, "user", field)
        if user is not None:
            user = self.expand_vars(user, m.value_line("user"), field_path(field, "user"))
            if any(c.isspace() or ord(c) < 32 for c in user) or len(user) > 64:
                self.fail(m.value_line("user"), field_path(field, "user"), f"expected a login name, got {show(user)}")
            out["user"] = user
        for key in ("key_file", "known_hosts"):
            value = self.local_path(m, key, field)
            if value is not None:
                out[key] = value
        env_name, line, where = self.get(m, "password_env", field)
        if env_name is not None:
            if not isinstance(env_name, str) or not ENV_NAME_RE.match(env_name):
                self.fail(line, where, "expected the NAME of an environment variable (letters, digits, '_'; "
                                       "value not shown) that holds the password — not the password itself")
            out["password_env"] = env_name
        for key in ("sshd_config", "sysroot"):
            value = self.remote_path(m, key, field)
            if value is not None:
                out[key] = value
        for key in ("sudo", "enabled"):
            value = self.boolean(m, key, field)
            if value is not None:
                out[key] = value
        return out

    def contact(self, m: LineDict, key: str, field: str) -> Contact | None:
        value, line, where = self.get(m, key, field)
        if value is None:
            return None
        c = self.mapping(value, line, where, "name:, email:, phone:")
        self.keys(c, where, CONTACT_KEYS)
        name = self.text(c, "name", where, "<the person's full name>")
        email = self.text(c, "email", where)
        if email is not None and not _EMAIL_RE.match(email):
            self.fail(c.value_line("email"), field_path(where, "email"),
                      f"expected an e-mail address, got {show(email)}")
        phone_raw, phone_line, phone_where = self.get(c, "phone", where)
        if phone_raw is not None and not isinstance(phone_raw, str):
            self.fail(phone_line, phone_where, f"expected text, got {kind(phone_raw)}; quote the number so a "
                                               "leading 0 or '+' is kept: phone: \"0238 3 000 111\"")
        phone = self.text(c, "phone", where)
        if phone is not None and not _PHONE_RE.match(phone):
            self.fail(phone_line, phone_where,
                      f"expected a phone number (digits, spaces, + . - ( )), got {show(phone)}")
        return Contact(name=name, email=email, phone=phone)

    def soc(self, m: LineDict, field: str) -> SOC | None:
        value, line, where = self.get(m, "soc", field)
        if value is None:
            return None
        s = self.mapping(value, line, where, "provider:, contract_until:, manager:")
        self.keys(s, where, SOC_KEYS)
        covered = self.seq(s, "systems", where, "of the ids of the systems the contract covers")
        systems = None
        if covered is not None:
            systems = tuple(dict.fromkeys(
                self.check_ident(v, covered.item_line(i), item_path(field_path(where, "systems"), i))
                for i, v in enumerate(covered)))
        return SOC(provider=self.text(s, "provider", where, "<the monitoring provider's name>"),
                   contract_until=self.date(s, "contract_until", where),
                   manager=self.endpoint(s, "manager", where),
                   log_collector=self.endpoint(s, "log_collector", where), systems=systems, line=s.line)

    def soc_systems_exist(self, m: LineDict, field: str, soc: SOC | None, systems: tuple[System, ...]) -> None:
        """Every id in soc.systems names a system of this agency."""
        if soc is None or soc.systems is None:
            return
        known = {s.id for s in systems}
        covered = m["soc"]["systems"]
        for i, system_id in enumerate(covered):
            if system_id not in known:
                close = difflib.get_close_matches(system_id, sorted(known), n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else \
                    f"this agency's systems are: {', '.join(sorted(known)) or 'none'}"
                self.fail(covered.item_line(i), item_path(field_path(field, "soc.systems"), i),
                          f"no system '{system_id}' in this agency; {hint}")

    def national(self, m: LineDict, field: str) -> NationalMonitoring | None:
        value, line, where = self.get(m, "national_monitoring", field)
        if value is None:
            return None
        n = self.mapping(value, line, where, "connected:, since:, collector:, antimalware_connected:")
        self.keys(n, where, NATIONAL_KEYS)
        return NationalMonitoring(connected=self.boolean(n, "connected", where, "true or false"),
                                  since=self.date(n, "since", where),
                                  collector=self.endpoint(n, "collector", where),
                                  antimalware_connected=self.boolean(n, "antimalware_connected", where),
                                  line=n.line)

    def assessment(self, m: LineDict, field: str, key: str = "last_assessment") -> Assessment | None:
        value, line, where = self.get(m, key, field)
        if value is None:
            return None
        a = self.mapping(value, line, where, "date:, assessor:, operator_independent:")
        self.keys(a, where, ASSESSMENT_KEYS)
        return Assessment(date=self.date(a, "date", where, "YYYY-MM-DD"),
                          assessor=self.text(a, "assessor", where, "<the assessing organisation>"),
                          operator_independent=self.boolean(a, "operator_independent", where, "true or false"),
                          licence=self.text(a, "licence", where),
                          findings_open=self.integer(a, "findings_open", where, 0, 10**6,
                                                     "expected a count of open findings (0 or more)"),
                          report=self.text(a, "report", where),
                          remediation_plan=self.text(a, "remediation_plan", where),
                          remediation_due=self.date(a, "remediation_due", where),
                          line=a.line)

    def agency(self, value: Any, line: int, field: str) -> Agency:
        m = self.mapping(value, line, field, "id:, name:, systems:")
        self.keys(m, field, AGENCY_KEYS)
        agency_id = self.ident(m, "id", field, "<short id, e.g. stttt-nghean>")
        self.unique("agency", agency_id, m.value_line("id"), field_path(field, "id"),
                    f"agency id '{agency_id}'", "agency ids must be unique; rename one")
        name = self.text(m, "name", field, "<the agency's full name>")
        officer = self.contact(m, "security_officer", field)
        soc = self.soc(m, field)
        national = self.national(m, field)
        incident = self.contact(m, "incident_contact", field)
        organisation = self.assessment(m, field, "organisation_assessment")
        items = self.seq(m, "systems", field, "of information systems")
        systems = tuple(self.system(s, items.item_line(i), item_path(field_path(field, "systems"), i))
                        for i, s in enumerate(items or ()))
        self.soc_systems_exist(m, field, soc, systems)
        return Agency(id=agency_id, name=name, systems=systems, security_officer=officer, soc=soc,
                      national_monitoring=national, incident_contact=incident,
                      organisation_assessment=organisation, line=m.line)

    def system(self, value: Any, line: int, field: str) -> System:
        m = self.mapping(value, line, field, "id:, name:, level:, hosts:")
        self.keys(m, field, SYSTEM_KEYS)
        system_id = self.ident(m, "id", field, "<short id, e.g. dvc-portal>")
        self.unique("system", system_id, m.value_line("id"), field_path(field, "id"),
                    f"system id '{system_id}'", "system ids must be unique in the inventory; rename one")
        name = self.text(m, "name", field, "<the information system's name>")
        level = self.integer(m, "level", field, 1, 5, _LEVEL_MSG, "<1–5, the Decree 85/2016 classification level>")
        assessment = self.assessment(m, field)
        items = self.seq(m, "hosts", field, "of hosts")
        hosts = tuple(self.host(h, items.item_line(i), item_path(field_path(field, "hosts"), i))
                      for i, h in enumerate(items or ()))
        listed = self.seq(m, "devices", field, "of network devices")
        hosts += tuple(self.device(d, listed.item_line(i), item_path(field_path(field, "devices"), i))
                       for i, d in enumerate(listed or ()))
        return System(id=system_id, name=name, level=level, hosts=hosts, last_assessment=assessment, line=m.line)

    def host(self, value: Any, line: int, field: str) -> Host:
        m = self.mapping(value, line, field, "address:, roles:, ssh: ... — e.g. {address: 127.0.0.11}")
        self.keys(m, field, HOST_KEYS)
        raw, addr_line, addr_where = self.get(m, "address", field, "<IP address or hostname>")
        address = self.address(raw, addr_line, addr_where)
        host_id = self.ident(m, "id", field)
        id_line = m.value_line("id") if host_id is not None else addr_line
        id_where = field_path(field, "id") if host_id is not None else addr_where
        host_id = host_id or address
        self.unique("host", host_id, id_line, id_where, f"host id '{host_id}'",
                    "host ids must be unique in the inventory; rename one" if "id" in m
                    else "a host's id defaults to its address; give each of these hosts a distinct id:")
        ssh = self.host_ssh(m, field)
        if ssh.enabled:
            key = (parse_address(address), ssh.port)
            self.unique("target", key, addr_line, addr_where, f"address {address} with SSH port {ssh.port}",
                        "list each machine once, or give this one its own ssh: {port: ...}")
        tls_name, name_line, name_where = self.get(m, "tls_server_name", field)
        if tls_name is not None:
            tls_name = self.address(tls_name, name_line, name_where)
        roles = self.ident_list(m, "roles", field)
        if "windows" in roles and "linux" in roles:  # the shell collector runs one allowlist or the other
            self.fail(m.value_line("roles"), field_path(field, "roles"),
                      "a host is audited either as windows or as linux; keep one of the two roles")
        return Host(address=address, id=host_id, roles=roles, ssh=ssh,
                    tls=self.port_list(m, "tls", field), http=self.port_list(m, "http", field),
                    services=self.port_list(m, "services", field),
                    tls_ca_file=self.local_path(m, "tls_ca_file", field), tls_server_name=tls_name,
                    tags=self.ident_list(m, "tags", field),
                    zone=self.host_zone(m, field, address, addr_line), line=m.line)

    def host_ssh(self, m: LineDict, field: str) -> SSHSettings:
        value, line, where = self.get(m, "ssh", field)
        if value is False:
            return SSHSettings(enabled=False)
        if value is None or value is True:
            return SSHSettings(**self.ssh_defaults)
        own = self.ssh_fields(self.mapping(value, line, where, "port:, user:, ... — or false to disable SSH"), where)
        return SSHSettings(**{**self.ssh_defaults, **own})

    def device(self, value: Any, line: int, field: str) -> Host:
        """A `devices:` entry: a Host whose `device` says the vendor, the role and where the configuration is read
        (a saved file, checked here to exist; or `ssh:`, one allowlisted read-only command)."""
        m = self.mapping(value, line, field, "id:, vendor:, role:, config: <saved configuration> — or ssh: {...}")
        self.keys(m, field, DEVICE_KEYS)
        device_id = self.ident(m, "id", field, "<short id, e.g. edge-fw1>")
        self.unique("host", device_id, m.value_line("id"), field_path(field, "id"), f"host id '{device_id}'",
                    "host and device ids must be unique in the inventory; rename one")
        vendor, vendor_line, vendor_where = self.get(m, "vendor", field, "<one of " + ", ".join(DEVICE_VENDORS) + ">")
        if vendor not in DEVICE_VENDORS:
            close = difflib.get_close_matches(str(vendor), DEVICE_VENDORS, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else f"expected one of {', '.join(DEVICE_VENDORS)}"
            self.fail(vendor_line, vendor_where, f"unknown vendor {show(vendor)}; {hint}")
        role = self.text(m, "role", field) or ""
        address = ""
        if m.get("address") is not None:
            address = self.address(m["address"], m.value_line("address"), field_path(field, "address"))
        has_config, has_ssh = m.get("config") is not None, m.get("ssh") not in (None, False)
        if has_config == has_ssh:
            self.fail(m.line, field, "give either config: <path of a saved configuration> or ssh: {...} to read the "
                                     "running configuration, not " + ("both" if has_config else "neither"))
        config = self.local_path(m, "config", field)
        if config is not None and not os.path.isfile(config):
            self.fail(m.value_line("config"), field_path(field, "config"),
                      f"configuration file not found: {show(config, 300)} (relative paths start at the inventory's "
                      "folder); fix the path")
        ssh = SSHSettings(enabled=False)
        if has_ssh:
            if not address:
                self.fail(m.line, field, "a device read over ssh: needs address: <IP address or hostname>")
            ssh = self.host_ssh(m, field)
            self.unique("target", (parse_address(address), ssh.port), m.value_line("address"),
                        field_path(field, "address"), f"address {address} with SSH port {ssh.port}",
                        "list each machine once, or give this one its own ssh: {port: ...}")
        return Host(address=address, id=device_id, ssh=ssh, line=m.line,
                    device=Device(vendor=vendor, role=role, config=config, line=m.line))

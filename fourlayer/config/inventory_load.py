"""Load and validate an inventory YAML file into `fourlayer.config.inventory.Inventory`.

The file's shape and each value are the models of `fourlayer.config.inventory_model` (pydantic); this module
reads the file, refuses clear-text secrets, validates it, then runs the checks that need the whole file — unique
ids and addresses, `soc.systems` naming this agency's systems, each host's zone, the zone policy — and builds
the runtime objects, line numbers included. Every problem raises one `InputError(file, line, field, message)`
before any traffic is sent, e.g. `inv.yaml:14: agencies[0].systems[1].level: expected an integer 1–5 (...), got 7`.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any, Mapping

from fourlayer.config.inventory import (
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
from fourlayer.config.inventory_model import AgencyIn, AssessmentIn, DeviceIn, HostIn, InventoryFile, SystemIn
from fourlayer.config.typed import validate
from fourlayer.config.validation import SECRET_REFUSED, Validator, parse_address, secret_key_at
from fourlayer.config.yaml_lines import LineDict, expect_kind, field_path, item_path, load_yaml
from fourlayer.config.zones_load import ZoneValidation

TOP_KEYS = tuple(InventoryFile.model_fields)


def load_inventory(path: str | Path, env: Mapping[str, str] | None = None) -> Inventory:
    """Read, validate and resolve an inventory file. Raises InputError on the first problem.

    `env` replaces os.environ for `${VAR}` expansion in paths (tests, reproducible runs).
    """
    shown = str(path)
    data = load_yaml(path)
    base = Path(os.path.abspath(path)).parent
    env = os.environ if env is None else env
    resolver = _Resolver(shown, base, env)
    if data is None:
        resolver.fail(1, None, "the file is empty; start with 'version: 1' and an 'agencies:' list")
    expect_kind(shown, data, "inventory", TOP_KEYS)
    secret = secret_key_at(data)
    if secret is not None:
        resolver.fail(*secret, SECRET_REFUSED)
    model = validate(InventoryFile, data, shown, {"base": base, "env": env})
    return resolver.inventory(model, data)


def _rows(raw: LineDict, key: str) -> list[LineDict]:
    return list(raw.get(key) or ())


class _Resolver(ZoneValidation, Validator):
    """From the validated file to the runtime objects: what needs more than one value at a time."""

    def inventory(self, model: InventoryFile, root: LineDict) -> Inventory:
        self.ssh_defaults = model.defaults.ssh.given() if model.defaults and model.defaults.ssh else {}
        zones = self.zones(root, model.zones)  # before the hosts: each host is placed in its zone as it is read
        raw_agencies = root["agencies"]
        agencies = tuple(self.agency(a, raw_agencies[i], item_path("agencies", i))
                         for i, a in enumerate(model.agencies))
        return Inventory(path=self.path, version=1, agencies=agencies, policy_path=model.policy,
                         defaults={"ssh": dict(self.ssh_defaults)} if self.ssh_defaults else {},
                         zones=zones, zone_policy=self.zone_policy(root, zones))

    def agency(self, a: AgencyIn, m: LineDict, field: str) -> Agency:
        self.unique("agency", a.id, m.value_line("id"), field_path(field, "id"),
                    f"agency id '{a.id}'", "agency ids must be unique; rename one")
        raw_systems = _rows(m, "systems")
        systems = tuple(self.system(s, raw_systems[i], item_path(field_path(field, "systems"), i))
                        for i, s in enumerate(a.systems or ()))
        soc = None
        if a.soc is not None:
            self.soc_systems_exist(m, field, a.soc.systems, systems)
            soc = SOC(provider=a.soc.provider, contract_until=a.soc.contract_until, manager=a.soc.manager,
                      log_collector=a.soc.log_collector,
                      systems=None if a.soc.systems is None else tuple(a.soc.systems), line=m["soc"].line)
        n = a.national_monitoring
        national = None if n is None else NationalMonitoring(
            connected=n.connected, since=n.since, collector=n.collector, antimalware_connected=n.antimalware_connected,
            line=m["national_monitoring"].line)
        return Agency(id=a.id, name=a.name, systems=systems, security_officer=_contact(a.security_officer), soc=soc,
                      national_monitoring=national, incident_contact=_contact(a.incident_contact),
                      organisation_assessment=_assessment(a.organisation_assessment, m, "organisation_assessment"),
                      line=m.line)

    def soc_systems_exist(self, m: LineDict, field: str, covered: list[str] | None,
                          systems: tuple[System, ...]) -> None:
        """Every id in soc.systems names a system of this agency."""
        if covered is None:
            return
        known = {s.id for s in systems}
        raw = m["soc"]["systems"]
        for i, system_id in enumerate(raw):
            if system_id not in known:
                close = difflib.get_close_matches(system_id, sorted(known), n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else \
                    f"this agency's systems are: {', '.join(sorted(known)) or 'none'}"
                self.fail(raw.item_line(i), item_path(field_path(field, "soc.systems"), i),
                          f"no system '{system_id}' in this agency; {hint}")

    def system(self, s: SystemIn, m: LineDict, field: str) -> System:
        self.unique("system", s.id, m.value_line("id"), field_path(field, "id"),
                    f"system id '{s.id}'", "system ids must be unique in the inventory; rename one")
        raw_hosts, raw_devices = _rows(m, "hosts"), _rows(m, "devices")
        hosts = tuple(self.host(h, raw_hosts[i], item_path(field_path(field, "hosts"), i))
                      for i, h in enumerate(s.hosts or ()))
        hosts += tuple(self.device(d, raw_devices[i], item_path(field_path(field, "devices"), i))
                       for i, d in enumerate(s.devices or ()))
        return System(id=s.id, name=s.name, level=s.level, hosts=hosts,
                      last_assessment=_assessment(s.last_assessment, m, "last_assessment"), line=m.line)

    def host(self, h: HostIn, m: LineDict, field: str) -> Host:
        addr_line, addr_where = m.value_line("address"), field_path(field, "address")
        host_id = h.id or h.address
        explicit = h.id is not None
        self.unique("host", host_id, m.value_line("id") if explicit else addr_line,
                    field_path(field, "id") if explicit else addr_where, f"host id '{host_id}'",
                    "host ids must be unique in the inventory; rename one" if explicit
                    else "a host's id defaults to its address; give each of these hosts a distinct id:")
        ssh = self.host_ssh(h.ssh)
        if ssh.enabled:
            self.unique("target", (parse_address(h.address), ssh.port), addr_line, addr_where,
                        f"address {h.address} with SSH port {ssh.port}",
                        "list each machine once, or give this one its own ssh: {port: ...}")
        for key in ("tls", "http", "services"):
            self.no_repeats(m, field, key)
        return Host(address=h.address, id=host_id, roles=tuple(h.roles or ()), ssh=ssh,
                    tls=tuple(h.tls or ()), http=tuple(h.http or ()), services=tuple(h.services or ()),
                    tls_ca_file=h.tls_ca_file, tls_server_name=h.tls_server_name, tags=tuple(h.tags or ()),
                    zone=self.host_zone(m, field, h.zone, h.address, addr_line), line=m.line)

    def no_repeats(self, m: LineDict, field: str, key: str) -> None:
        seen: set[int] = set()  # O(1) lookups: 65,535 ports check in linear time
        for i, port in enumerate(m.get(key) or ()):
            if port in seen:
                self.fail(m[key].item_line(i), item_path(field_path(field, key), i),
                          f"port {port} is listed twice; remove one")
            seen.add(port)

    def host_ssh(self, own: Any) -> SSHSettings:
        if own is False:
            return SSHSettings(enabled=False)
        if own is None or own is True:
            return SSHSettings(**self.ssh_defaults)
        return SSHSettings(**{**self.ssh_defaults, **own.given()})

    def device(self, d: DeviceIn, m: LineDict, field: str) -> Host:
        """A `devices:` entry: a Host whose `device` says the vendor, the role and where the configuration is read
        (a saved file, checked by the model to exist; or `ssh:`, one allowlisted read-only command)."""
        self.unique("host", d.id, m.value_line("id"), field_path(field, "id"), f"host id '{d.id}'",
                    "host and device ids must be unique in the inventory; rename one")
        ssh = SSHSettings(enabled=False)
        if d.ssh not in (None, False):
            ssh = self.host_ssh(d.ssh)
            self.unique("target", (parse_address(d.address), ssh.port), m.value_line("address"),
                        field_path(field, "address"), f"address {d.address} with SSH port {ssh.port}",
                        "list each machine once, or give this one its own ssh: {port: ...}")
        return Host(address=d.address or "", id=d.id, ssh=ssh, line=m.line,
                    device=Device(vendor=d.vendor, role=d.role or "", config=d.config, line=m.line))


def _contact(c: Any) -> Contact | None:
    return None if c is None else Contact(name=c.name, email=c.email, phone=c.phone)


def _assessment(a: AssessmentIn | None, m: LineDict, key: str) -> Assessment | None:
    if a is None:
        return None
    return Assessment(date=a.date, assessor=a.assessor, operator_independent=a.operator_independent,
                      licence=a.licence, findings_open=a.findings_open, report=a.report,
                      remediation_plan=a.remediation_plan, remediation_due=a.remediation_due, line=m[key].line)

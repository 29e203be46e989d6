"""Juniper Junos configuration (`show configuration`, curly braces, or `| display set`) -> DeviceConfig.

Junos enables nothing it is not told to: a service, an SNMP community, a syslog host or an NTP server exists
only if a statement names it (Junos OS "system services", "snmp", "system syslog", "system ntp" references),
so an absent statement is the default "off". SSH speaks version 2 only unless `protocol-version v1` is set.

Management reachability: on an SRX, a zone's (or its interface's) `host-inbound-traffic system-services`
says which services answer on the interfaces of the zone (`untrust` is the WAN by Junos convention); on any
Junos device an input filter on `lo0` restricts who reaches the routing engine, recorded as the services'
source restriction (its terms are not evaluated).

Secrets: `encrypted-password "$6$…"` (SHA-512 crypt), `"$5$…"` (SHA-256), `"$1$…"` (MD5: weak); `"$9$…"` is
Junos's reversible obfuscation (RADIUS/TACACS+ secrets, IKE keys); `"$8$…"` is reversible with the device's
master password. Only the scheme is kept.
"""

from __future__ import annotations

import re

from fourlayer.resources.device import (STORAGE_PLAIN, STORAGE_REVERSIBLE, STORAGE_STRONG_HASH, STORAGE_UNKNOWN,
                                        STORAGE_WEAK_HASH, WELL_KNOWN_COMMUNITIES, Aaa, DeviceConfig,
                                        FirewallRule, Interface, LocalUser, ManagementService, SecretRef,
                                        SnmpCommunity, fingerprint)
from fourlayer.resources.devices.junos_text import Conf, statements
from fourlayer.resources.devices.text import ANY_NETWORKS, Notes, check_text

SERVICES = ("telnet", "ftp", "ssh", "netconf", "http", "https")  # http/https: J-Web (`web-management`)
SECRET_WORDS = frozenset({"encrypted-password", "secret", "ascii-text", "hexadecimal", "authentication-key",
                          "authentication-password", "privacy-password", "plain-text-password-value"})
WAN_ZONES = frozenset({"untrust", "internet", "outside", "wan"})
LAN_ZONES = frozenset({"trust", "inside", "lan"})
_VERSION = re.compile(r"(\d+\.\d+[A-Z]\d+(?:[-.]\S+)?)")


def storage_of(value: str) -> tuple[str, str]:
    for prefix, storage, scheme in (("$9$", STORAGE_REVERSIBLE, "$9$ (reversible)"),
                                    ("$8$", STORAGE_REVERSIBLE, "$8$ (master-password encrypted)"),
                                    ("$1$", STORAGE_WEAK_HASH, "$1$ (MD5-crypt)"),
                                    ("$5$", STORAGE_STRONG_HASH, "$5$ (SHA-256-crypt)"),
                                    ("$6$", STORAGE_STRONG_HASH, "$6$ (SHA-512-crypt)")):
        if value.startswith(prefix):
            return storage, scheme
    return (STORAGE_UNKNOWN, "") if value.startswith("$") else (STORAGE_PLAIN, "clear text")


def _secrets(conf: Conf) -> list[SecretRef]:
    out = []
    for words, line in conf.stmts:
        for i, w in enumerate(words[:-1]):
            if w in SECRET_WORDS:
                context = " ".join(words[:i + 1])
                if words[0] == "snmp":
                    context = "snmp " + " ".join(words[1:2])  # the community name itself is the secret
                storage, scheme = storage_of(words[i + 1])
                out.append(SecretRef(context, storage, scheme, line))
                break
    return out


def _zones(conf: Conf) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Interface -> zone name, and interface -> host-inbound system services."""
    zone_of, inbound = {}, {}
    zone_services: dict[str, list[str]] = {}
    for rest, _ in conf.under("security", "zones", "security-zone"):
        if len(rest) >= 3 and rest[1] == "interfaces":
            zone_of.setdefault(rest[2], rest[0])
            if rest[3:5] == ("host-inbound-traffic", "system-services") and len(rest) > 5:
                inbound.setdefault(rest[2], []).append(rest[5])
        elif len(rest) >= 4 and rest[1:3] == ("host-inbound-traffic", "system-services"):
            zone_services.setdefault(rest[0], []).append(rest[3])
    for iface, zone in zone_of.items():
        if iface not in inbound:
            inbound[iface] = zone_services.get(zone, [])
    return zone_of, {k: tuple(dict.fromkeys("any" if s == "all" else s for s in v)) for k, v in inbound.items()}


def _interfaces(conf: Conf) -> list[Interface]:
    zone_of, inbound = _zones(conf)
    names: dict[str, int] = {}
    addrs: dict[str, list[str]] = {}
    disabled = set()
    for rest, line in conf.under("interfaces"):
        if len(rest) >= 5 and rest[1] == "unit" and rest[3:5] in (("family", "inet"), ("family", "inet6")):
            name = f"{rest[0]}.{rest[2]}"
            names.setdefault(name, line)
            if len(rest) > 6 and rest[5] == "address":
                addrs.setdefault(name, []).append(rest[6])
        elif rest and len(rest) >= 2 and rest[1] == "disable":
            disabled.add(rest[0])
    for iface in zone_of:
        names.setdefault(iface, 0)
    out = []
    for name, line in names.items():
        zone = zone_of.get(name, "").lower()
        role = "wan" if zone in WAN_ZONES else "lan" if zone in LAN_ZONES else "dmz" if zone == "dmz" else ""
        services = inbound.get(name, ())
        mgmt = tuple(s for s in ("telnet", "ssh", "http", "https", "snmp", "netconf", "ftp", "any")
                     if s in services)
        out.append(Interface(name, role=role, addresses=tuple(addrs.get(name, [])), management_access=mgmt,
                             enabled=name.split(".")[0] not in disabled, line=line))
    return out


def _services(conf: Conf, ifaces: list[Interface]) -> list[ManagementService]:
    lo_filter = conf.value("interfaces", "lo0", "unit", "0", "family", "inet", "filter", "input")
    allowed = (f"filter {lo_filter}",) if lo_filter else ()
    zoned = any(i.management_access or i.role for i in ifaces)
    out = []
    for name in SERVICES:
        path = ("system", "services", "web-management", name) if name in ("http", "https") else \
            ("system", "services", name)
        line = conf.has(*path)
        version = ""
        if name == "ssh":
            versions = [r[0] for r, _ in conf.under("system", "services", "ssh", "protocol-version") if r]
            version = "1.99" if "v1" in versions and "v2" in versions else "1" if "v1" in versions else "2"
        on = tuple(i.name for i in ifaces if name in i.management_access or "any" in i.management_access)
        out.append(ManagementService(name, bool(line), False, version=version, allowed_from=allowed,
                                     interfaces=(on or ("none",)) if zoned and line else (), line=line))
    snmp_line = conf.has("snmp")
    out.append(ManagementService("snmp", bool(conf.under("snmp", "community") or conf.under("snmp", "v3")),
                                 False, allowed_from=allowed, line=snmp_line))
    return out


def _snmp(conf: Conf) -> tuple[list[SnmpCommunity], list[SecretRef], bool]:
    comms: dict[str, dict] = {}
    for rest, line in conf.under("snmp", "community"):
        if not rest:
            continue
        c = comms.setdefault(rest[0], {"line": line, "clients": [], "access": "ro", "list": ""})
        if rest[1:2] == ("authorization",) and len(rest) > 2:
            c["access"] = "rw" if rest[2] == "read-write" else "ro"
        if rest[1:2] == ("clients",) and len(rest) > 2 and "restrict" not in rest:
            c["clients"].append(rest[2])
        if rest[1:2] == ("client-list-name",) and len(rest) > 2:
            c["list"] = rest[2]
    out, secrets = [], []
    for name, c in comms.items():
        clients = [x for x in c["clients"] if x not in ANY_NETWORKS]
        acl = c["list"] and f"client-list {c['list']}" or " ".join(clients)
        out.append(SnmpCommunity(fingerprint(name), name.lower() in WELL_KNOWN_COMMUNITIES, c["access"], acl,
                                 line=c["line"]))
        secrets.append(SecretRef("snmp community", STORAGE_PLAIN, "community", c["line"]))
    return out, secrets, bool(conf.under("snmp", "v3", "usm"))


def _users(conf: Conf) -> list[LocalUser]:
    users: dict[str, dict] = {}
    for rest, line in conf.under("system", "login", "user"):
        if not rest:
            continue
        u = users.setdefault(rest[0], {"line": line, "class": "", "secret": None})
        if rest[1:2] == ("class",) and len(rest) > 2:
            u["class"] = rest[2]
        if rest[1:3] == ("authentication", "encrypted-password") and len(rest) > 3:
            storage, scheme = storage_of(rest[3])
            u["secret"] = SecretRef(f"system login user {rest[0]}", storage, scheme, line)
    root = [(r, ln) for r, ln in conf.under("system", "root-authentication", "encrypted-password") if r]
    accounts = [LocalUser(n, privilege=u["class"], secret=u["secret"], line=u["line"]) for n, u in users.items()]
    if root:  # root is a local account like any other, with every right
        storage, scheme = storage_of(root[-1][0][0])
        accounts.insert(0, LocalUser("root", privilege="super-user", line=root[-1][1],
                                     secret=SecretRef("system root-authentication", storage, scheme, root[-1][1])))
    return accounts


def _aaa(conf: Conf) -> Aaa:
    order = [r[0] for r, _ in conf.under("system", "authentication-order") if r]
    servers = [r[0] for kind in ("tacplus-server", "radius-server") for r, _ in conf.under("system", kind) if r]
    remote = [m for m in order if m in ("tacplus", "radius")]
    enabled = bool(remote) and bool(servers)
    return Aaa(enabled=enabled, servers=tuple(dict.fromkeys(servers)), local_only=not enabled,
               line=conf.has("system", "authentication-order"))


def _syslog(conf: Conf) -> list[str]:
    hosts: dict[str, str] = {}
    for rest, _ in conf.under("system", "syslog", "host"):
        if rest:
            port = rest[2] if rest[1:2] == ("port",) and len(rest) > 2 else None
            if port or rest[0] not in hosts:
                hosts[rest[0]] = port or hosts.get(rest[0], "514")
    return [f"{h}:{p}" for h, p in hosts.items()]


def _policies(conf: Conf) -> list[FirewallRule]:
    policies: dict[tuple[str, ...], dict] = {}
    for rest, line in conf.under("security", "policies"):
        if rest[:1] == ("from-zone",) and len(rest) >= 6 and rest[2] == "to-zone" and rest[4] == "policy":
            key, zones, body = rest[:6], (rest[1], rest[3]), rest[6:]
        elif rest[:2] == ("global", "policy") and len(rest) >= 3:
            key, zones, body = rest[:3], ("any", "any"), rest[3:]
        else:
            continue
        p = policies.setdefault(key, {"line": line, "zones": zones, "src": [], "dst": [], "app": [],
                                      "action": "", "log": False, "inactive": False})
        if body[:2] == ("match", "source-address") and len(body) > 2:
            p["src"].append(body[2])
        elif body[:2] == ("match", "destination-address") and len(body) > 2:
            p["dst"].append(body[2])
        elif body[:2] == ("match", "application") and len(body) > 2:
            p["app"].append(body[2])
        elif body[:1] == ("then",) and len(body) > 1:
            if body[1] in ("permit", "deny", "reject"):
                p["action"] = body[1]
            elif body[1] == "log":
                p["log"] = True
    rules = []
    for key, p in policies.items():
        anyfy = lambda vals: tuple("any" if v in ("any", "any-ipv4", "any-ipv6") else v for v in vals) or ("any",)
        rules.append(FirewallRule(id=" ".join(key), action="permit" if p["action"] == "permit" else "deny",
                                  sources=anyfy(p["src"]), destinations=anyfy(p["dst"]), services=anyfy(p["app"]),
                                  src_interfaces=(p["zones"][0],), dst_interfaces=(p["zones"][1],),
                                  logged=p["log"], line=p["line"]))
    return rules


def _version(conf: Conf) -> str:
    v = conf.value("version")
    m = _VERSION.search(v)
    return m.group(1).rstrip(";") if m else v


def parse(text: str) -> DeviceConfig:
    """A Junos configuration as a DeviceConfig (ConfigTextError for binary or oversized input)."""
    check_text(text, "Junos")
    notes = Notes()
    conf = Conf(statements(text, notes))
    version = _version(conf)
    if not version:
        notes.add("no `version` statement: firmware version unknown")
    ifaces = _interfaces(conf)
    comms, comm_secrets, v3 = _snmp(conf)
    users = _users(conf)
    secrets = sorted(_secrets(conf) + comm_secrets, key=lambda r: r.line)
    return DeviceConfig(
        vendor="junos", hostname=conf.value("system", "host-name"), os_version=version,
        services=tuple(_services(conf, ifaces)), interfaces=tuple(ifaces), snmp_communities=tuple(comms),
        snmp_v3=v3, users=tuple(users), secrets=tuple(secrets), aaa=_aaa(conf),
        logging_hosts=tuple(_syslog(conf)), ntp_servers=tuple(r[0] for r, _ in conf.under("system", "ntp", "server")
                                                             if r),
        banner=conf.value("system", "login", "message"), firewall_rules=tuple(_policies(conf)),
        notes=notes.as_tuple())

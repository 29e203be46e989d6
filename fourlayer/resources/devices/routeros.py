"""MikroTik RouterOS `/export` (or `/export terse`) text -> DeviceConfig.

`/export` without `verbose` omits every value equal to its default, so an absent line means the default. The
defaults below are those of RouterOS 7 (help.mikrotik.com: "Services", "SNMP", "NTP", "Log", "User",
"Firewall filter"), unchanged since v6 for everything read here: `/ip service` has telnet, ftp, www, ssh, api,
winbox and api-ssl enabled and www-ssl disabled, with no address restriction; SNMP is off and its default
community is `public` from any address; the NTP client is off; the `remote` log action points nowhere
(0.0.0.0:514); `/user aaa use-radius=no`; the firewall filter accepts whatever no rule drops.

Whether a service is reachable on an interface is worked out from the `input` chain of `/ip firewall filter`
(IPv4 only) for a new connection from any source: the first rule that matches decides, a rule with a
narrower condition (a source address, a connection state other than new…) does not.

Passwords of local users are never in an export (RouterOS ≥ 6.45.1 keeps only a hash on the device; earlier
releases kept them reversibly in user.dat, which CVE-2018-14847 let anyone read through Winbox). RADIUS
secrets, SNMPv3 passwords and IPsec/WireGuard keys that an export holds become SecretRef; SNMP community names
a fingerprint.
"""

from __future__ import annotations

import ipaddress
import re

from fourlayer.resources.device import (STORAGE_PLAIN, STORAGE_REVERSIBLE, STORAGE_STRONG_HASH, STORAGE_UNKNOWN,
                                        WELL_KNOWN_COMMUNITIES, Aaa, DeviceConfig, FirewallRule, Interface,
                                        LocalUser, ManagementService, SecretRef, SnmpCommunity, fingerprint)
from fourlayer.resources.devices.routeros_script import Command, Script, parse_script
from fourlayer.resources.devices.text import ANY_NETWORKS, Notes, check_text

# /ip service defaults: name -> (enabled, port, protocol); names as RouterOS spells them
SERVICE_DEFAULTS = {
    "telnet": (True, 23), "ftp": (True, 21), "www": (True, 80), "ssh": (True, 22), "www-ssl": (False, 443),
    "api": (True, 8728), "winbox": (True, 8291), "api-ssl": (True, 8729),
}
MODEL_NAMES = {"www": "http", "www-ssl": "https"}  # the vendor-neutral names the checks read
SNMP_PORT = 161
SYSLOG_PORT = "514"
PASSWORDS_HASHED_SINCE = (6, 45, 1)
_HEADER = re.compile(r"#.* by RouterOS (\d+(?:\.\d+){1,2}(?:(?:rc|beta)\d+)?)")
_MODEL = re.compile(r"#\s*model\s*=\s*(\S+)")
SECRET_ARGS = frozenset({"password", "secret", "authentication-password", "encryption-password", "private-key",
                         "preshared-key", "passphrase", "wpa-pre-shared-key", "wpa2-pre-shared-key"})
_RULE_KEYS = frozenset({"chain", "action", "comment", "disabled", "log", "log-prefix", "src-address",
                        "dst-address", "src-address-list", "dst-address-list", "protocol", "dst-port",
                        "in-interface", "in-interface-list", "out-interface", "out-interface-list",
                        "place-before", "hw-offload", "jump-target", "reject-with"})
_NOT_MATCH = _RULE_KEYS | SECRET_ARGS
ACTIONS = {"accept": "permit", "fasttrack-connection": "permit", "drop": "deny", "reject": "deny",
           "tarpit": "deny"}


def _yes(value: str) -> bool:
    return value.lower() in ("yes", "true")


def _nets(value: str) -> tuple[str, ...]:
    return tuple(a for a in (x.strip() for x in value.split(",")) if a and a not in ANY_NETWORKS)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text.split("rc")[0].split("beta")[0])[:3])


class _Interfaces:
    """Interfaces named anywhere in the export, with their interface lists and addresses."""

    def __init__(self, script: Script) -> None:
        self.order: dict[str, int] = {}
        self.disabled: set[str] = set()
        self.lists: dict[str, set[str]] = {}
        self.addresses: dict[str, list[str]] = {}
        for c in script.commands:
            if c.verb not in ("add", "set"):
                continue
            if c.path.startswith("interface") and c.path not in ("interface list", "interface list member"):
                name = c.args.get("name") or c.target or c.find.get("default-name") or c.find.get("name", "")
                if name and not c.path.startswith("interface bridge port"):
                    self._see(name, c)
                    if _yes(c.args.get("disabled", "no")):
                        self.disabled.add(name)
            if c.path == "interface list member" and c.args.get("interface"):
                self._see(c.args["interface"], c)
                self.lists.setdefault(c.args.get("list", ""), set()).add(c.args["interface"])
            if c.path in ("ip address", "ip dhcp-client") and c.args.get("interface"):
                self._see(c.args["interface"], c)
                if c.args.get("address"):
                    self.addresses.setdefault(c.args["interface"], []).append(c.args["address"])

    def _see(self, name: str, c: Command) -> None:
        self.order.setdefault(name, c.line)

    def in_list(self, name: str, lst: str) -> bool:
        if lst == "all":
            return True
        if lst == "none":
            return False
        return name in self.lists.get(lst, set())

    def role(self, name: str) -> str:
        for lst, role in (("WAN", "wan"), ("LAN", "lan")):
            if any(name in members for l, members in self.lists.items() if l.upper() == lst):
                return role
        return ""


def _negatable(value: str, test) -> bool:
    if value.startswith("!"):
        return not test(value[1:])
    return test(value)


def _port_in(spec: str, port: int) -> bool:
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        if lo.isdigit() and (int(lo) == port if not hi else hi.isdigit() and int(lo) <= port <= int(hi)):
            return True
    return False


def _covers(spec: str, addresses: list[str]) -> bool:
    try:
        net = ipaddress.ip_network(spec, strict=False)
        return any(ipaddress.ip_interface(a).ip in net for a in addresses)
    except ValueError:
        return False


class _InputChain:
    """Decides whether a new connection from any source to a local port on an interface is accepted."""

    def __init__(self, rules: list[Command], ifaces: _Interfaces) -> None:
        self.chains: dict[str, list[Command]] = {}
        for r in rules:
            if not _yes(r.args.get("disabled", "no")):
                self.chains.setdefault(r.args.get("chain", ""), []).append(r)
        self.ifaces = ifaces

    def _matches(self, r: Command, iface: str, proto: str, port: int) -> bool:
        a = r.args
        if "in-interface" in a and not _negatable(a["in-interface"], lambda v: v == iface):
            return False
        if "in-interface-list" in a and not _negatable(a["in-interface-list"],
                                                        lambda v: self.ifaces.in_list(iface, v)):
            return False
        if "protocol" in a and not _negatable(a["protocol"], lambda v: v in (proto, {"tcp": "6", "udp": "17"}[proto])):
            return False
        if "dst-port" in a and not _negatable(a["dst-port"], lambda v: _port_in(v, port)):
            return False
        if "dst-address" in a and not _negatable(a["dst-address"],
                                                 lambda v: _covers(v, self.ifaces.addresses.get(iface, []))):
            return False
        state = a.get("connection-state", "")
        if state and not _negatable(state, lambda v: "new" in v.split(",")):
            return False
        narrowing = set(a) - _RULE_KEYS - {"connection-state"}
        if narrowing or "src-address" in a or "src-address-list" in a or "dst-address-list" in a:
            return False  # matches some sources or packets only: it does not decide for "any source"
        return True

    def accepts(self, iface: str, proto: str, port: int, chain: str = "input", depth: int = 0) -> bool | None:
        for r in self.chains.get(chain, []):
            if not self._matches(r, iface, proto, port):
                continue
            action = r.args.get("action", "accept")
            if action == "accept":
                return True
            if action in ("drop", "reject", "tarpit"):
                return False
            if action == "return":
                return None
            if action == "jump" and depth < 8:
                decided = self.accepts(iface, proto, port, r.args.get("jump-target", ""), depth + 1)
                if decided is not None:
                    return decided
        return True if chain == "input" else None


def _reachable_on(chain: _InputChain, ifaces: _Interfaces, proto: str, port: int) -> tuple[str, ...]:
    """Interfaces that accept the port from any source: () when all of them do (the model's "every
    interface"), ("none",) when none does."""
    names = [n for n in ifaces.order if n not in ifaces.disabled]
    ok = tuple(n for n in names if chain.accepts(n, proto, port))
    if not names or len(ok) == len(names):
        return ()
    return ok or ("none",)


def _services(script: Script, chain: _InputChain, ifaces: _Interfaces) -> list[ManagementService]:
    state = {n: {"enabled": en, "port": port, "address": "", "defaulted": True, "line": 0}
             for n, (en, port) in SERVICE_DEFAULTS.items()}
    for c in script.of("ip service", ("set", "enable", "disable")):
        name = c.target or c.find.get("name", "")
        if name not in state:
            continue
        s = state[name]
        if c.verb in ("enable", "disable"):
            s["enabled"] = c.verb == "enable"
        elif "disabled" in c.args:
            s["enabled"] = not _yes(c.args["disabled"])
        if c.args.get("port", "").isdigit():
            s["port"] = int(c.args["port"])
        if "address" in c.args:
            s["address"] = c.args["address"]
        s["defaulted"], s["line"] = s["defaulted"] and "disabled" not in c.args and c.verb == "set", c.line
    out = []
    for name, s in state.items():
        out.append(ManagementService(MODEL_NAMES.get(name, name), s["enabled"], s["defaulted"],
                                     version="2" if name == "ssh" else "", allowed_from=_nets(s["address"]),
                                     interfaces=_reachable_on(chain, ifaces, "tcp", s["port"]) if s["enabled"]
                                     else (), line=s["line"]))
    return out


def _snmp(script: Script, chain: _InputChain, ifaces: _Interfaces):
    enabled, line = False, 0
    for c in script.of("snmp", ("set",)):
        if "enabled" in c.args:
            enabled, line = _yes(c.args["enabled"]), c.line
    comms: dict[str, dict[str, str]] = {"default": {"name": "public", "addresses": "::/0", "security": "none",
                                                    "write-access": "no", "line": "0"}}
    secrets = []
    for c in script.of("snmp community", ("add", "set", "remove")):
        if c.verb == "add":
            key = c.args.get("name") or f"line{c.line}"
        elif c.find.get("default") == "yes" or c.target in ("0", "public"):
            key = "default"
        else:
            key = c.find.get("name") or c.target
        if c.verb == "remove":
            comms.pop(key, None)
            continue
        entry = comms.setdefault(key, {"addresses": "::/0", "security": "none", "write-access": "no"})
        entry.update({k: v for k, v in c.args.items() if k not in SECRET_ARGS})
        entry["line"] = str(c.line)
        for k in SECRET_ARGS & set(c.args):
            secrets.append(SecretRef(f"snmp community {k}", STORAGE_PLAIN, "shown in the export", c.line))
    out = []
    for key, e in comms.items():
        name = e.get("name", key)
        if not name:
            continue
        if int(e.get("line", 0)):  # the built-in `public` is no secret; a community the export names is
            secrets.append(SecretRef("snmp community", STORAGE_PLAIN, "community", int(e["line"])))
        if not enabled or _yes(e.get("disabled", "no")):
            continue
        v3_only = e.get("security", "none") != "none"
        acl = " ".join(_nets(e.get("addresses", "")))
        out.append(SnmpCommunity(fingerprint(name), name.lower() in WELL_KNOWN_COMMUNITIES,
                                 "rw" if _yes(e.get("write-access", "no")) else "ro", acl,
                                 ("v3",) if v3_only else ("v1", "v2c"), int(e.get("line", 0))))
    service = ManagementService("snmp", enabled, not line,
                                interfaces=_reachable_on(chain, ifaces, "udp", SNMP_PORT) if enabled else (),
                                line=line)
    return out, secrets, service, enabled and any("v3" in c.versions for c in out)


def _ntp(script: Script) -> list[str]:
    enabled, servers = False, []
    for c in script.of("system ntp client", ("set",)):
        if "enabled" in c.args:
            enabled = _yes(c.args["enabled"])
        for k in ("servers", "primary-ntp", "secondary-ntp", "server-dns-names"):
            servers.extend(s for s in c.args.get(k, "").split(",") if s and s != "0.0.0.0")
    for c in script.of("system ntp client servers", ("add",)):
        if c.args.get("address") and not _yes(c.args.get("disabled", "no")):
            servers.append(c.args["address"])
    return list(dict.fromkeys(servers)) if enabled else []


def _logging_hosts(script: Script) -> list[str]:
    actions = {"remote": {"target": "remote", "remote": "0.0.0.0", "remote-port": SYSLOG_PORT}}
    default_order = ["memory", "disk", "echo", "remote"]
    for c in script.of("system logging action", ("add", "set")):
        name = c.args.get("name") if c.verb == "add" else (
            c.find.get("name") or (default_order[int(c.target)] if c.target.isdigit() and int(c.target) < 4
                                   else c.target))
        if name:
            actions.setdefault(name, {}).update(c.args)
    used = {c.args.get("action", "memory") for c in script.of("system logging", ("add", "set"))
            if not _yes(c.args.get("disabled", "no"))}
    hosts = []
    for name in used:
        a = actions.get(name, {})
        if a.get("target") == "remote" and a.get("remote", "0.0.0.0") not in ("0.0.0.0", "", "::"):
            hosts.append(f"{a['remote']}:{a.get('remote-port', SYSLOG_PORT)}")
    return sorted(set(hosts))


def _users(script: Script, version: str, notes: Notes) -> list[LocalUser]:
    v = _version(version)
    if not v:
        storage, scheme = STORAGE_UNKNOWN, "not exported; release unknown"
    elif v >= PASSWORDS_HASHED_SINCE:
        storage, scheme = STORAGE_STRONG_HASH, "hashed on the device (RouterOS >= 6.45.1), not exported"
    else:
        storage, scheme = STORAGE_REVERSIBLE, "user.dat, reversible (RouterOS < 6.45.1), not exported"
    users: dict[str, dict] = {}
    for c in script.of("user", ("add", "set")):
        name = c.args.get("name") if c.verb == "add" else (c.find.get("name") or c.target)
        if not name:
            continue
        u = users.setdefault(name, {"line": c.line})
        u.update({k: v for k, v in c.args.items() if k != "password"})
    if not users:
        notes.add("no `/user` entries: this export does not list the local accounts, so who may log in "
                  "from where cannot be judged from it")
    return [LocalUser(name, privilege=u.get("group", ""), secret=SecretRef(f"user {name} password", storage,
                                                                           scheme, u["line"]),
                      trusted_hosts=_nets(u.get("address", "")), line=u["line"])
            for name, u in users.items() if not _yes(u.get("disabled", "no"))]


def _secrets(script: Script) -> list[SecretRef]:
    """Secrets an export holds in clear (`/export show-sensitive`, or any v6 export), by menu and key."""
    out = []
    for c in script.commands:
        if c.path == "snmp community":
            continue  # counted with the communities
        for k in SECRET_ARGS & set(c.args):
            out.append(SecretRef(f"{c.path} {k}", STORAGE_PLAIN, "shown in the export", c.line))
    return out


def _aaa(script: Script) -> Aaa:
    use, line = False, 0
    for c in script.of("user aaa", ("set",)):
        if "use-radius" in c.args:
            use, line = _yes(c.args["use-radius"]), c.line
    servers = tuple(c.args["address"] for c in script.of("radius", ("add",))
                    if c.args.get("address") and "login" in c.args.get("service", "").split(",")
                    and not _yes(c.args.get("disabled", "no")))
    enabled = use and bool(servers)
    return Aaa(enabled=enabled, servers=servers, local_only=not enabled, line=line)


def _banner(script: Script) -> str:
    note, show = "", True
    for c in script.of("system note", ("set",)):
        note = c.args.get("note", note)
        if "show-at-login" in c.args:
            show = _yes(c.args["show-at-login"])
    return note.strip() if show else ""


def _rules(script: Script) -> list[FirewallRule]:
    rules = []
    for family in ("ip", "ipv6"):
        for n, c in enumerate(script.of(f"{family} firewall filter", ("add",)), 1):
            a = c.args
            action = ACTIONS.get(a.get("action", "accept"))
            if action is None:
                continue  # jump, return, passthrough, log, add-*-to-address-list: no verdict of their own
            src = a.get("src-address") or (f"list:{a['src-address-list']}" if "src-address-list" in a else "any")
            dst = a.get("dst-address") or (f"list:{a['dst-address-list']}" if "dst-address-list" in a else "any")
            proto = a.get("protocol", "")
            service = f"{proto}/{a['dst-port']}" if proto and "dst-port" in a else (proto or "any")
            rules.append(FirewallRule(
                id=f"{family} filter {n}", action=action, sources=(src,), destinations=(dst,), services=(service,),
                src_interfaces=tuple(a[k] for k in ("in-interface", "in-interface-list") if k in a),
                dst_interfaces=tuple(a[k] for k in ("out-interface", "out-interface-list") if k in a),
                logged=_yes(a.get("log", "no")), enabled=not _yes(a.get("disabled", "no")), line=c.line,
                chain=a.get("chain", ""),
                match=tuple(f"{k}={v}" for k, v in a.items() if k not in _NOT_MATCH)))
    return rules


def _header(script: Script) -> tuple[str, str]:
    version = model = ""
    for _, text in script.comments[:10]:
        m = _HEADER.match(text)
        version = version or (m.group(1) if m else "")
        m = _MODEL.match(text)
        model = model or (m.group(1) if m else "")
    return version, model


def parse(text: str) -> DeviceConfig:
    """A RouterOS export as a DeviceConfig (ConfigTextError for binary or oversized input)."""
    check_text(text, "RouterOS")
    script = parse_script(text)
    notes = script.notes
    version, model = _header(script)
    if not version:
        notes.add("no `# … by RouterOS <release>` header: firmware version unknown")
    ifaces = _Interfaces(script)
    chain = _InputChain(script.of("ip firewall filter", ("add",)), ifaces)
    services = _services(script, chain, ifaces)
    comms, comm_secrets, snmp_service, v3 = _snmp(script, chain, ifaces)
    reach = {s.name: s.interfaces for s in services + [snmp_service] if s.enabled}
    interfaces = tuple(
        Interface(name, role=ifaces.role(name), addresses=tuple(ifaces.addresses.get(name, [])),
                  management_access=tuple(s for s, on in reach.items() if not on or name in on),
                  enabled=name not in ifaces.disabled, line=line)
        for name, line in ifaces.order.items())
    hostname = next((c.args["name"] for c in reversed(script.of("system identity", ("set",)))
                     if "name" in c.args), "MikroTik")
    users = _users(script, version, notes)
    secrets = sorted([u.secret for u in users if u.secret] + _secrets(script) + comm_secrets,
                     key=lambda r: r.line)
    return DeviceConfig(
        vendor="routeros", hostname=hostname, os_version=version, model=model,
        services=tuple(services) + (snmp_service,), interfaces=interfaces, snmp_communities=tuple(comms),
        snmp_v3=v3, users=tuple(users), secrets=tuple(secrets), aaa=_aaa(script),
        logging_hosts=tuple(_logging_hosts(script)), ntp_servers=tuple(_ntp(script)), banner=_banner(script),
        firewall_rules=tuple(_rules(script)), notes=notes.as_tuple(),
        accounts_listed=bool(script.of("user")))

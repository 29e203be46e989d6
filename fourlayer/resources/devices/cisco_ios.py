"""Cisco IOS / IOS XE configuration (`show running-config`, or a saved copy) -> `DeviceConfig`.

The configuration tree (global lines and their indented children) is read with ciscoconfparse2 (`syntax="ios"`);
each line is interpreted here. Secrets are recorded by reference only: where they are and how they are stored
(IOS type 0 plaintext, type 7 and type 6 reversible, type 4/5 weak hashes, type 8/9 strong hashes), never a value.
SNMP communities are kept as a fingerprint and a well-known flag.

Defaults where a line is absent (each marked `defaulted` in the model), with their source:
- vty lines without `transport input` accept telnet (and SSH on crypto images): `show line vty 0` prints
  "Allowed input transports are telnet ssh" on IOS 15.x and IOS XE 16.x, the long-standing behaviour described in
  Cisco's Terminal Services Configuration Guide ("transport input" command). Newer IOS XE releases may default to
  SSH only; fourlayer assumes the older, weaker default and says "by default" in the reason.
- without `ip ssh version 2` IOS runs SSH in compatibility mode 1.99, accepting SSHv1 and SSHv2 (Cisco Secure Shell
  Configuration Guide: "If you do not configure the ip ssh version command, ... compatibility mode").
- the HTTP server is on only when `ip http server` / `ip http secure-server` is present: Cisco advisory
  cisco-sa-iosxe-webui-privesc-j22SaA4z says to look for the presence of those commands in the running
  configuration; an absent line is taken as off.
- the running configuration shows only the release train (`version 17.9`); backup tools such as Oxidized and
  RANCID prepend `show version` as comments (`!Image: Software: ..., 17.9.4a, ...`, `! ... Version 17.9.4a`),
  which give the exact release when present (`os_version_partial` says which).
- SNMP communities without an ACL accept any source; syslog without a port goes to UDP 514.
Only extended ACLs (numbered 100-199/2000-2699, `ip access-list extended`, `ipv6 access-list`) become firewall
rules: standard ACLs select sources for vty, SNMP and NTP restrictions, they do not filter traffic.
"""

from __future__ import annotations

import ipaddress
import re

from ciscoconfparse2 import CiscoConfParse
from loguru import logger

from fourlayer.resources.devices.text import ConfigTextError, check_text
from fourlayer.resources.device import (
    STORAGE_PLAIN,
    STORAGE_REVERSIBLE,
    STORAGE_STRONG_HASH,
    STORAGE_UNKNOWN,
    STORAGE_WEAK_HASH,
    WELL_KNOWN_COMMUNITIES,
    Aaa,
    DeviceConfig,
    FirewallRule,
    Interface,
    LocalUser,
    ManagementService,
    SecretRef,
    SnmpCommunity,
    VtyLine,
    fingerprint,
)

logger.disable("ciscoconfparse2")  # its log lines may quote configuration lines, secrets included

MAX_BANNER = 2000
DEFAULT_VTY_TRANSPORT = ("telnet", "ssh")
_TYPES = {"0": STORAGE_PLAIN, "7": STORAGE_REVERSIBLE, "6": STORAGE_REVERSIBLE, "4": STORAGE_WEAK_HASH,
          "5": STORAGE_WEAK_HASH, "8": STORAGE_STRONG_HASH, "9": STORAGE_STRONG_HASH}
_EXTENDED_NUMBERED = re.compile(r"^access-list\s+(1\d\d|2[0-6]\d\d)\s+(permit|deny)\s+(.*)$")
_FULL_VERSION = (re.compile(r"^!\s*Image:\s*Software:\s*[^,]+,\s*([0-9][\w.()]*)"),
                 re.compile(r"^!.*\bCisco IOS(?: XE)? Software\b.*\bVersion\s+(\d+\.\d+[\w.()]*)"))
_MODEL = (re.compile(r"^!\s*Chassis type:\s*(\S+)"), re.compile(r"^!\s*[Cc]isco\s+(\S+)\s.*processor"))
_PORT_OPS = {"eq": 1, "neq": 1, "gt": 1, "lt": 1, "range": 2}


def _storage(kind: str) -> tuple[str, str]:
    """(storage, scheme) for an IOS secret type digit ("" = no type given: the value as typed, plaintext)."""
    kind = kind or "0"
    return _TYPES.get(kind, STORAGE_UNKNOWN), f"type {kind}"


def _typed(words: list[str], at: int) -> tuple[str, int]:
    """The type digit of a `secret|password|key [N] VALUE` whose N would be words[at] ("" when the value follows
    at once, i.e. plaintext as typed), and the index of the value."""
    if at + 1 < len(words) and len(words[at]) == 1 and words[at].isdigit():
        return words[at], at + 1
    return "", at


class _Reader:
    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.parse = CiscoConfParse(self.lines, syntax="ios", ignore_blank_lines=False)
        # banner text is free text: a banner line reading "username x password y" is not a command
        in_banner = {id(c) for o in self.parse.objs if o.text.startswith("banner ") for c in o.all_children}
        self.objs = [o for o in self.parse.objs if id(o) not in in_banner]
        self.secrets: list[SecretRef] = []
        self.notes: list[str] = []

    def secret(self, context: str, kind: str, line: int, admin: bool = False) -> SecretRef:
        storage, scheme = _storage(kind)
        ref = SecretRef(context=context, storage=storage, scheme=scheme, line=line, admin_login=admin)
        self.secrets.append(ref)
        return ref

    def blocks(self, pattern: str):
        """The global lines matching `pattern` (banner text excluded), with their children."""
        rx = re.compile(pattern)
        return [o for o in self.objs if o.parent is o and rx.search(o.text)]


def _line(obj) -> int:
    return obj.linenum + 1  # ciscoconfparse2 counts from 0


def parse(text: str) -> DeviceConfig:
    check_text(text, "Cisco IOS")  # binary, oversized: refused before reading (fourlayer.resources.devices.text)
    r = _Reader(text)
    top = [o for o in r.objs if o.parent is o]  # global lines; blocks hold their children
    _looks_like_ios(top)
    hostname = next((w[1] for o in top if (w := o.text.split())[:1] == ["hostname"] and len(w) > 1), "")
    version, partial = _version(r.lines)
    model = next((m.group(1) for line in r.lines for rx in _MODEL if (m := rx.match(line))), "")
    banner = _banner(r.lines)
    password_encryption = any(o.text.strip() == "service password-encryption" for o in top)

    users = _users(r, top)
    _global_secrets(r, top)
    vty = _vty_lines(r)
    communities, v3 = _snmp(r, top)
    services = _services(top, vty, communities, v3)
    aaa = _aaa(r, top)
    interfaces = _interfaces(r)
    logging_hosts = _logging(top)
    ntp = tuple(dict.fromkeys(h for o in top for h in [_ntp_server(o.text)] if h))
    rules = _acls(r, top)
    return DeviceConfig(
        vendor="cisco_ios", hostname=hostname, os_version=version, os_version_partial=partial, model=model,
        services=services, interfaces=interfaces, vty_lines=vty, snmp_communities=communities, snmp_v3=v3,
        users=users, secrets=tuple(r.secrets), password_encryption=password_encryption, aaa=aaa,
        logging_hosts=logging_hosts, ntp_servers=ntp, banner=banner, firewall_rules=rules, notes=tuple(r.notes))


# ---- version, banner ---------------------------------------------------------------------------------------

# first words of IOS global configuration lines (a saved configuration mostly consists of these)
_IOS_WORDS = frozenset({"version", "hostname", "interface", "line", "end", "service", "ip", "ipv6", "no", "boot",
                        "boot-start-marker", "boot-end-marker", "aaa", "username", "enable", "snmp-server",
                        "logging", "ntp", "router", "access-list", "banner", "crypto", "spanning-tree", "vlan",
                        "vtp", "control-plane", "license", "archive", "redundancy", "class-map", "policy-map",
                        "key", "radius", "radius-server", "tacacs", "tacacs-server", "clock", "errdisable",
                        "memory-size", "platform", "multilink", "subscriber", "diagnostic", "file", "mac",
                        "cdp", "lldp", "alias", "call-home", "transceiver", "monitor", "track", "event", "sntp",
                        "security", "login", "parser", "dot1x", "mls", "power", "system", "vrf", "object-group",
                        "route-map", "cts", "switch", "stack-mac", "hw-module", "netconf-yang", "restconf",
                        "udld", "port-channel", "flow", "device-tracking", "username", "building", "current"})


def _looks_like_ios(top) -> None:
    """Refuse text that is not an IOS configuration (another vendor's, a log, an unrelated file): it would parse to
    an empty model that passes every check. At least a hostname, version, interface or line block, and most global
    lines must start with an IOS keyword."""
    words = [o.text.split()[0].lower() for o in top if o.text.strip() and not o.text.lstrip().startswith("!")]
    anchors = {"hostname", "version", "interface", "line"} & set(words)
    known = sum(1 for w in words if w in _IOS_WORDS)
    if not anchors or known * 2 < len(words):
        raise ConfigTextError(f"{known} of {len(words)} global lines start with an IOS keyword"
                          + ("" if anchors else ", and none is a hostname, version, interface or line block")
                          + "; is the vendor right?")

def _version(lines: list[str]) -> tuple[str, bool]:
    for line in lines:
        for rx in _FULL_VERSION:
            m = rx.match(line)
            if m:
                return m.group(1).rstrip(","), False
    for line in lines:
        m = re.match(r"^version\s+(\S+)\s*$", line)
        if m:
            return m.group(1), True
    return "", False


def _banner(lines: list[str]) -> str:
    """The text of `banner login` or `banner motd` (IOS shows the delimiter as ^C; any character works)."""
    texts = []
    for i, line in enumerate(lines):
        m = re.match(r"^banner\s+(login|motd)\s+(.*)$", line)
        if not m:
            continue
        rest = m.group(2)
        delim = "^C" if rest.startswith("^C") else rest[:1]
        if not delim:
            continue
        body = rest[len(delim):]
        if delim in body:
            texts.append(body.split(delim, 1)[0])
            continue
        chunk = [body]
        for follow in lines[i + 1:i + 200]:
            if delim in follow:
                chunk.append(follow.split(delim, 1)[0])
                break
            chunk.append(follow)
        texts.append("\n".join(chunk))
    return "\n".join(t.strip() for t in texts if t.strip())[:MAX_BANNER]


# ---- accounts and secrets ----------------------------------------------------------------------------------

def _users(r: _Reader, top) -> tuple[LocalUser, ...]:
    users = []
    for o in top:
        w = o.text.split()
        if len(w) < 2 or w[0] != "username":
            continue
        name, privilege, ref = w[1], "1", None
        if "privilege" in w and w.index("privilege") + 1 < len(w):
            privilege = w[w.index("privilege") + 1]
        if "nopassword" in w[2:]:  # logs in without any password: as exposed as a plaintext one
            ref = SecretRef(f"username {name} nopassword", STORAGE_PLAIN, "no password", _line(o))
            r.secrets.append(ref)
        for keyword in ("secret", "password") if ref is None else ():
            if keyword in w[2:]:
                at = w.index(keyword, 2) + 1
                kind, _ = _typed(w, at)
                ref = r.secret(f"username {name} {keyword}", kind, _line(o))
                break
        users.append(LocalUser(name=name, privilege=privilege, secret=ref, line=_line(o)))
    return tuple(users)


def _global_secrets(r: _Reader, top) -> None:
    """Every other secret: enable, AAA server keys, IPsec pre-shared keys, NTP and routing authentication keys."""
    for o in r.objs:
        text, n = o.text.strip(), _line(o)
        w = text.split()
        if not w or w[0] in ("username", "!"):
            continue
        if w[0] == "enable" and ({"secret", "password"} & set(w)):
            # enable [algorithm-type scrypt] secret|password [level N] [TYPE] VALUE
            keyword = "secret" if "secret" in w else "password"
            at = w.index(keyword) + 1
            if w[at:at + 1] == ["level"]:
                at += 2
            kind, _ = _typed(w, at)
            r.secret(f"enable {keyword}", kind, n, admin=True)
        elif w[0] in ("tacacs-server", "radius-server") and "key" in w:
            kind, _ = _typed(w, w.index("key") + 1)
            r.secret(f"{w[0]} key", kind, n)
        elif w[0] in ("key", "pac") and o.parent is not o and o.parent.text.split()[:1] in (["tacacs"], ["radius"]):
            kind, _ = _typed(w, 1 if w[0] == "key" else 2)
            r.secret(f"{o.parent.text.split()[0]} server key", kind, n)
        elif w[:3] == ["crypto", "isakmp", "key"]:
            kind, _ = _typed(w, 3)
            r.secret("crypto isakmp key (IPsec pre-shared key)", kind, n)
        elif w[0] == "pre-shared-key":
            at = 1 + (w[1] in ("local", "remote") if len(w) > 1 else 0)
            at = w.index("key", 1) + 1 if "key" in w[1:] else at
            kind, _ = _typed(w, at)
            r.secret("keyring pre-shared-key", kind, n)
        elif w[:2] == ["ntp", "authentication-key"]:
            kind = "7" if w[-1] == "7" and len(w) > 5 else "0"
            r.secret("ntp authentication-key", kind, n)
        elif w[0] == "key-string":
            kind, _ = _typed(w, 1)
            r.secret("key chain key-string", kind, n)
        elif w[:3] == ["ip", "ospf", "authentication-key"]:
            kind, _ = _typed(w, 3)
            r.secret("ip ospf authentication-key", kind, n)
        elif w[:3] == ["ip", "ospf", "message-digest-key"] and "md5" in w:
            kind, _ = _typed(w, w.index("md5") + 1)
            r.secret("ip ospf message-digest-key", kind, n)
        elif w[0] == "neighbor" and len(w) > 3 and w[2] == "password":
            kind, _ = _typed(w, 3)
            r.secret("bgp neighbor password", kind, n)
        elif w[:2] == ["snmp-server", "user"] and ("auth" in w or "priv" in w):
            r.secret("snmp-server user (SNMPv3 auth/priv key)", "0", n)
        elif w[0] == "password" and o.parent is not o and o.parent.text.startswith("line "):
            kind, _ = _typed(w, 1)  # a line password: a login of its own on con, aux and vty lines
            r.secret(f"{' '.join(o.parent.text.split())} password", kind, n, admin=True)
        elif w[0] == "wpa-psk" and len(w) > 2:
            kind, _ = _typed(w, 2)
            r.secret("wpa-psk", kind, n)


# ---- lines, services -------------------------------------------------------------------------------------------

def _source_lists(r: _Reader) -> dict[str, list[tuple[str, str]]]:
    """ACL name -> [(action, source)] of every standard or extended ACL, in order, for vty access-class."""
    acls: dict[str, list[tuple[str, str]]] = {}
    for o in r.objs:
        w = o.text.split()
        if o.parent is o and w[:1] == ["access-list"] and len(w) >= 4 and w[2] in ("permit", "deny"):
            standard = w[1].isdigit() and (int(w[1]) < 100 or 1300 <= int(w[1]) < 2000)
            acls.setdefault(w[1], []).append((w[2], _address(w, 3 if standard else 4)[0]))
        elif o.parent is not o and o.parent.text.split()[:2] in (["ip", "access-list"], ["ipv6", "access-list"]):
            head = o.parent.text.split()
            body = w[1:] if w and w[0].isdigit() else w
            if len(body) >= 2 and body[0] in ("permit", "deny"):
                standard = head[2:3] == ["standard"]
                acls.setdefault(head[-1], []).append((body[0], _address(body, 1 if standard else 2)[0]))
    return acls


def _open_because(name: str, acls: dict[str, list[tuple[str, str]]]) -> str:
    if name not in acls:
        return "not defined (IOS then permits every source)"
    for action, src in acls[name]:
        if src == "any":
            return "" if action == "deny" else "its first entry for any source is a permit"
    return ""


def _vty_lines(r: _Reader) -> tuple[VtyLine, ...]:
    acls = _source_lists(r)
    out = []
    for o in r.blocks(r"^line\s+vty\s"):
        transport, access, login, timeout = None, "", "", None
        for child in o.children:
            w = child.text.split()
            if w[:2] == ["transport", "input"]:
                transport = tuple(w[2:]) or ("none",)
            elif w[:1] == ["access-class"] and len(w) >= 3 and w[2] == "in":  # `in [vrf-also]`
                access = w[1]  # (`ipv6 access-class` filters IPv6 only: the line stays open over IPv4)
            elif w[:1] == ["login"]:
                login = "local" if w[1:2] == ["local"] else "authentication" if w[1:2] == ["authentication"] else ""
            elif w[:2] == ["no", "login"]:
                login = "none"
            elif w[:1] == ["exec-timeout"] and len(w) >= 2 and w[1].isdigit():
                timeout = int(w[1]) * 60 + (int(w[2]) if len(w) > 2 and w[2].isdigit() else 0)
        out.append(VtyLine(name=" ".join(o.text.split()), transport_input=transport or DEFAULT_VTY_TRANSPORT,
                           access_class=access, login=login, exec_timeout_s=timeout,
                           defaulted_transport=transport is None, line=_line(o),
                           access_class_open=_open_because(access, acls) if access else ""))
    return tuple(out)


def _accepts(vty: VtyLine, proto: str) -> bool:
    return proto in vty.transport_input or "all" in vty.transport_input


def _services(top, vty: tuple[VtyLine, ...], communities, v3: bool) -> tuple[ManagementService, ...]:
    texts = {o.text.strip(): _line(o) for o in top}
    services = []
    for proto in ("telnet", "ssh"):
        lines = [v for v in vty if _accepts(v, proto)]
        restricted = bool(lines) and all(v.access_class and not v.access_class_open for v in lines)
        version = ""
        if proto == "ssh":
            version = "2" if "ip ssh version 2" in texts else "1" if "ip ssh version 1" in texts else "1.99"
        services.append(ManagementService(
            name=proto, enabled=bool(lines), defaulted=any(v.defaulted_transport for v in lines)
            or (proto == "ssh" and version == "1.99"), version=version,
            allowed_from=tuple(dict.fromkeys(v.access_class for v in lines)) if restricted else (),
            line=lines[0].line if lines else 0))
    access = next((t.split()[-1] for t in texts if re.match(r"^ip http access-class\s", t)), "")
    for name, command in (("http", "ip http server"), ("https", "ip http secure-server")):
        services.append(ManagementService(name=name, enabled=command in texts, defaulted=command not in texts
                                          and f"no {command}" not in texts,
                                          allowed_from=(access,) if access else (),
                                          line=texts.get(command) or texts.get(f"no {command}", 0)))
    if communities or v3:
        acls = [c.acl for c in communities]
        services.append(ManagementService(name="snmp", enabled=True,
                                          allowed_from=tuple(dict.fromkeys(acls)) if acls and all(acls) else (),
                                          line=min((c.line for c in communities), default=0)))
    return tuple(services)


def _snmp(r: _Reader, top) -> tuple[tuple[SnmpCommunity, ...], bool]:
    communities, v3 = [], False
    for o in top:
        w = o.text.split()
        if w[:2] == ["snmp-server", "community"] and len(w) > 2:
            name, rest = w[2], w[3:]
            if rest[:1] == ["view"]:
                rest = rest[2:]
            access = "ro"
            if rest and rest[0].lower() in ("ro", "rw"):
                access = rest.pop(0).lower()
            if rest[:1] == ["ipv6"]:
                rest = rest[2:]
            acl = rest[0] if rest else ""
            # IOS keeps community strings in clear text; the name itself is never kept
            r.secrets.append(SecretRef("snmp-server community", STORAGE_PLAIN, "community string", _line(o)))
            communities.append(SnmpCommunity(fingerprint=fingerprint(name),
                                             well_known=name.lower() in WELL_KNOWN_COMMUNITIES, access=access,
                                             acl=acl, line=_line(o)))
        elif w[:2] in (["snmp-server", "group"], ["snmp-server", "user"]) and "v3" in w:
            v3 = True
    return tuple(communities), v3


# ---- AAA, interfaces, logging, NTP ----------------------------------------------------------------------------

def _aaa(r: _Reader, top) -> Aaa:
    texts = [o.text.strip() for o in top]
    enabled = "aaa new-model" in texts
    line = next((_line(o) for o in top if o.text.strip() == "aaa new-model"), 0)
    servers = []
    for o in r.objs:
        w = o.text.split()
        if w[:2] in (["tacacs-server", "host"], ["radius-server", "host"]) and len(w) > 2:
            servers.append(f"{w[0].split('-')[0]} {w[2]}")
        elif w[:1] == ["address"] and len(w) > 2 and o.parent is not o \
                and o.parent.text.split()[:2] in (["tacacs", "server"], ["radius", "server"]):
            servers.append(f"{o.parent.text.split()[0]} {w[2]}")
    login_lists = [t.split()[4:] for t in texts if t.startswith("aaa authentication login ")]
    uses_group = any(m.startswith("group") for methods in login_lists for m in methods)
    return Aaa(enabled=enabled, servers=tuple(dict.fromkeys(servers)), local_only=not (enabled and uses_group),
               line=line)


def _interfaces(r: _Reader) -> tuple[Interface, ...]:
    out = []
    for o in r.blocks(r"^interface\s"):
        name = o.text.split(None, 1)[1].strip()
        addresses, role, enabled, description = [], "", True, ""
        for child in o.children:
            w = child.text.split()
            if w[:2] == ["ip", "address"] and len(w) >= 4:
                try:
                    addresses.append(str(ipaddress.ip_interface(f"{w[2]}/{w[3]}")))
                except ValueError:
                    addresses.append(w[2])
            elif w[:2] == ["ipv6", "address"] and len(w) >= 3:
                addresses.append(w[2])
            elif w[:3] == ["ip", "nat", "outside"]:
                role = "wan"
            elif w[:3] == ["ip", "nat", "inside"] and not role:
                role = "lan"
            elif w[:1] == ["shutdown"]:
                enabled = False
            elif w[:1] == ["description"]:
                description = " ".join(w[1:]).lower()
        if not role and re.search(r"\b(wan|internet|isp|uplink to isp)\b", description):
            role = "wan"
        out.append(Interface(name=name, role=role, addresses=tuple(addresses), enabled=enabled, line=_line(o)))
    return tuple(out)


def _logging(top) -> tuple[str, ...]:
    hosts = []
    for o in top:
        w = o.text.split()
        if w[:1] != ["logging"] or len(w) < 2:
            continue
        if w[1] == "host" and len(w) > 2:
            host, rest = w[2], w[3:]
            if host in ("ipv6",) and rest:
                host, rest = rest[0], rest[1:]
        elif _is_ip(w[1]):
            host, rest = w[1], w[2:]
        else:
            continue
        port = rest[rest.index("port") + 1] if "port" in rest and rest.index("port") + 1 < len(rest) else ""
        shown = f"[{host}]" if ":" in host else host
        hosts.append(f"{shown}:{port}" if port.isdigit() else host)
    return tuple(dict.fromkeys(hosts))


def _ntp_server(text: str) -> str:
    w = text.split()
    if w[:2] not in (["ntp", "server"], ["sntp", "server"]) or len(w) < 3:
        return ""
    rest = w[2:]
    if rest[0] == "vrf" and len(rest) > 2:
        rest = rest[2:]
    if rest[0] in ("ip", "ipv6") and len(rest) > 1:
        rest = rest[1:]
    return rest[0]


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


# ---- extended ACLs ----------------------------------------------------------------------------------------------

def _acls(r: _Reader, top) -> tuple[FirewallRule, ...]:
    rules: list[FirewallRule] = []
    counters: dict[str, int] = {}
    for o in top:
        m = _EXTENDED_NUMBERED.match(o.text.strip())
        if m:
            counters[m.group(1)] = counters.get(m.group(1), 0) + 1
            rule = _ace(f"access-list {m.group(1)} entry {counters[m.group(1)]}", m.group(2), m.group(3).split(),
                        _line(o), r)
            if rule:
                rules.append(rule)
    for o in r.blocks(r"^(ip\s+access-list\s+extended|ipv6\s+access-list)\s+\S+"):
        name = o.text.split()[-1]
        for i, child in enumerate(o.children, 1):
            w = child.text.split()
            seq = ""
            if w and w[0].isdigit():
                seq, w = w[0], w[1:]
            if len(w) < 2 or w[0] not in ("permit", "deny"):
                continue
            rule = _ace(f"{name} {'seq ' + seq if seq else 'entry ' + str(i)}", w[0], w[1:], _line(child), r)
            if rule:
                rules.append(rule)
    return tuple(rules)


def _address(words: list[str], i: int) -> tuple[str, int]:
    """An ACL address at words[i] -> (normalised, next index): any | host X | X WILDCARD | object-group N."""
    if i >= len(words):
        return "", i
    word = words[i]
    if word in ("any", "any4", "any6"):
        return "any", i + 1
    if word in ("host", "object-group", "addrgroup") and i + 1 < len(words):
        return f"{word} {words[i + 1]}", i + 2
    if i + 1 < len(words) and _is_ip(word) and _is_ip(words[i + 1]):
        return f"{word} {words[i + 1]}", i + 2
    return word, i + 1


def _ports(words: list[str], i: int) -> tuple[str, int]:
    if i < len(words) and words[i] in _PORT_OPS:
        n = _PORT_OPS[words[i]]
        return " ".join(words[i:i + 1 + n]), i + 1 + n
    return "", i


def _ace(rule_id: str, action: str, words: list[str], line: int, r: _Reader) -> FirewallRule | None:
    if not words or words[0] == "remark":
        return None
    proto = words[0]
    i = 1
    if proto == "object-group" and len(words) > 1:
        proto, i = f"object-group {words[1]}", 2
    src, i = _address(words, i)
    src_port, i = _ports(words, i)
    dst, i = _address(words, i)
    dst_port, i = _ports(words, i)
    if not src or not dst:
        r.notes.append(f"line {line}: ACL entry not understood")
        return None
    options = words[i:]
    service = "any" if proto in ("ip", "ipv4", "ipv6") and not dst_port and not src_port else \
        " ".join(x for x in (proto, dst_port or src_port) if x)
    return FirewallRule(id=rule_id, action=action, sources=(src,), destinations=(dst,), services=(service,),
                        logged=bool({"log", "log-input"} & set(options)), line=line)

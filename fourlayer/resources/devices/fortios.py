"""Fortinet FortiOS configuration (a saved backup, `show` or `show full-configuration`) -> DeviceConfig.

A backup made with `show` omits every value equal to the CLI schema default, so an absent line means the
default. The defaults below are those of the FortiOS 7.2 CLI Reference (docs.fortinet.com, "config system
global", "config system ntp", "config firewall policy", "config system snmp …", "config log syslogd setting");
`ntpsync` is `disable` in the tables of the 6.4.11 and 7.0.8 references, so a backup without `set ntpsync
enable` does not synchronise its clock, whatever a factory unit's first boot does.

Secrets: admin password hashes (`ENC SH2…`, `ENC PB2…`, `ENC AK1…`), reversibly encrypted secrets (`ENC <base64>`:
VPN pre-shared keys, RADIUS/TACACS+/LDAP keys, SNMPv3 passwords) and SNMP community names become SecretRef or a
fingerprint; the values themselves never leave this module.
"""

from __future__ import annotations

import re

from fourlayer.resources.device import (STORAGE_PLAIN, STORAGE_REVERSIBLE, STORAGE_STRONG_HASH, STORAGE_UNKNOWN,
                                        STORAGE_WEAK_HASH, WELL_KNOWN_COMMUNITIES, Aaa, DeviceConfig,
                                        FirewallRule, Interface, LocalUser, ManagementService, SecretRef,
                                        SnmpCommunity, fingerprint)
from fourlayer.resources.devices.fortios_cli import Block, Tree, parse_tree
from fourlayer.resources.devices.text import ANY_NETWORKS, check_text, cidr

# FortiOS 7.2 CLI Reference defaults for the settings this parser reads (absent line = this value)
DEFAULTS = {
    "admin-telnet": "enable",          # config system global
    "admin-https-redirect": "enable",  # config system global
    "admin-ssh-v1": "disable",         # config system global
    "pre-login-banner": "disable",     # config system global
    "ntpsync": "disable",              # config system ntp
    "ntp-type": "fortiguard",          # config system ntp `type`
    "policy-action": "deny",           # config firewall policy `action`
    "logtraffic": "utm",               # config firewall policy: log only traffic a security profile acts on
    "utm-status": "disable",           # config firewall policy
    "policy-status": "enable",         # config firewall policy
    "snmp-agent": "disable",           # config system snmp sysinfo `status`
    "query-v1-status": "enable",       # config system snmp community
    "query-v2c-status": "enable",      # config system snmp community
    "syslog-status": "disable",        # config log syslogd setting `status`
    "syslog-port": "514",              # config log syslogd setting `port`
    "faz-status": "disable",           # config log fortianalyzer setting `status`
    "remote-auth": "disable",          # config system admin
}
FAZ_PORT = "514"  # FortiAnalyzer's OFTP log channel (TCP 514)

_HEADER = re.compile(r"#config-version=([A-Za-z0-9_]+)-(\d+\.\d+\.\d+)-FW(?:-build(\d+))?")
MANAGEMENT = ("telnet", "ssh", "http", "https", "snmp", "fgfm")
# `allowaccess` values that open the administrative plane; ping, probe-response, speed-test, capwap (FortiAP),
# ftm (FortiToken push) and radius-acct do not, so they are not kept in Interface.management_access
MANAGEMENT_ACCESS = frozenset(MANAGEMENT) | {"fabric"}
# `set <key> …` lines that hold a secret; the value is never read beyond its storage prefix
SECRET_KEYS = frozenset({"password", "passwd", "psksecret", "psksecret-remote", "secret", "secondary-secret",
                         "tertiary-secret", "key", "auth-pwd", "priv-pwd", "private-key", "passphrase",
                         "pre-shared-key", "sso-password"})


def storage_of(values: tuple[str, ...], admin: bool = False) -> tuple[str, str]:
    """(storage, scheme) of a `set password …` style value, from its `ENC` prefix only."""
    if not values:
        return STORAGE_UNKNOWN, ""
    if values[0] != "ENC":
        return STORAGE_PLAIN, "clear text"
    blob = values[1] if len(values) > 1 else ""
    if blob.startswith("PB2"):
        return STORAGE_STRONG_HASH, "PB2 (PBKDF2)"
    if blob.startswith("SH2"):
        return STORAGE_WEAK_HASH, "SH2 (salted SHA-256, one round)"
    if blob.startswith("AK1"):
        return STORAGE_WEAK_HASH, "AK1 (SHA-1)"
    if admin:
        return STORAGE_UNKNOWN, "ENC"
    return STORAGE_REVERSIBLE, "ENC (reversible, fixed FortiOS key)"


def _any(values: tuple[str, ...]) -> tuple[str, ...]:
    out = tuple("any" if v.lower() == "all" else v for v in values)
    return out or ("any",)


def _enabled(blk: Block | None, key: str, default_key: str | None = None) -> tuple[bool, bool]:
    """(enabled, defaulted) of an enable/disable setting."""
    value = blk.get(key) if blk else ""
    if value:
        return value == "enable", False
    return DEFAULTS[default_key or key] == "enable", True


def _trusthosts(admin: Block) -> tuple[str, ...]:
    hosts = []
    for i in range(1, 11):
        for key in (f"trusthost{i}", f"ip6-trusthost{i}"):
            vals = admin.values(key)
            if vals:
                net = cidr(*vals[:2])
                if net not in ANY_NETWORKS and vals[0] not in ("0.0.0.0", "::/0", "::"):
                    hosts.append(net)
    return tuple(hosts)


def _walk(blk: Block, path: str):
    """Every (path, block) below `blk`, entries included (iterative: the tree depth is bounded anyway)."""
    todo = [(path, blk)]
    while todo:
        p, b = todo.pop()
        yield p, b
        todo.extend((f"{p} {n}".strip(), c) for n, c in b.blocks.items())
        todo.extend((f"{p} {n}".strip(), c) for n, c in b.entries.items())


def _secrets(tree: Tree) -> list[SecretRef]:
    found = []
    for path, blk in _walk(tree.root, ""):
        for key, s in blk.settings.items():
            if key in SECRET_KEYS:
                storage, scheme = storage_of(s.values, admin=path.startswith("system admin"))
                if key == "private-key" and storage == STORAGE_PLAIN:  # a PEM key: encrypted or not
                    pem = s.values[0][:64] if s.values else ""
                    storage, scheme = ((STORAGE_REVERSIBLE, "encrypted PEM") if "ENCRYPTED" in pem
                                       else (STORAGE_PLAIN, "PEM"))
                found.append(SecretRef(f"{path} {key}".strip(), storage, scheme, s.line))
    return sorted(found, key=lambda r: r.line)


def _interfaces(tree: Tree) -> list[Interface]:
    """Interfaces with the administrative protocols their `allowaccess` names; `http` only when HTTP is not
    redirected to HTTPS (`admin-https-redirect`, on by default): a redirect serves no login page."""
    redirect, _ = _enabled(tree.first("system global"), "admin-https-redirect")
    keep = MANAGEMENT_ACCESS - {"http"} if redirect else MANAGEMENT_ACCESS
    out = []
    for blk in tree.find("system interface"):
        for name, e in blk.entries.items():
            ip = e.values("ip")
            addr = (cidr(*ip[:2]),) if ip and ip[0] != "0.0.0.0" else ()
            out.append(Interface(name, role=e.get("role", "undefined").replace("undefined", ""),
                                 addresses=addr,
                                 management_access=tuple(a for a in e.values("allowaccess") if a in keep),
                                 enabled=e.get("status", "up") != "down", line=e.line))
    return out


def _users(tree: Tree) -> list[LocalUser]:
    out = []
    for blk in tree.find("system admin"):
        for name, e in blk.entries.items():
            pw = e.settings.get("password")
            secret = None
            if pw:
                storage, scheme = storage_of(pw.values, admin=True)
                secret = SecretRef(f"system admin {name} password", storage, scheme, pw.line)
            out.append(LocalUser(name, privilege=e.get("accprofile"), secret=secret,
                                 trusted_hosts=_trusthosts(e), line=e.line))
    return out


def _services(tree: Tree, ifaces: list[Interface], users: list[LocalUser]) -> list[ManagementService]:
    glob = tree.first("system global")
    on = {p: tuple(i.name for i in ifaces if i.enabled and p in i.management_access) for p in MANAGEMENT}
    # an admin login is restricted to trusted hosts only when every admin account has some
    allowed = tuple(dict.fromkeys(h for u in users for h in u.trusted_hosts)) \
        if users and all(u.trusted_hosts for u in users) else ()
    telnet_on, telnet_def = _enabled(glob, "admin-telnet")
    redirect, redirect_def = _enabled(glob, "admin-https-redirect")
    v1, v1_def = _enabled(glob, "admin-ssh-v1")
    snmp_on, snmp_def = _enabled(tree.first("system snmp sysinfo"), "status", "snmp-agent")
    gline = glob.line if glob else 0
    first = {p: next((i.line for i in ifaces if i.name in on[p]), 0) for p in MANAGEMENT}  # where it is allowed
    out = [
        ManagementService("telnet", bool(on["telnet"]) and telnet_on, telnet_def, allowed_from=allowed,
                          interfaces=on["telnet"], line=(glob.line_of("admin-telnet") if glob else 0) or gline),
        ManagementService("ssh", bool(on["ssh"]), v1_def, version="1.99" if v1 else "2", allowed_from=allowed,
                          interfaces=on["ssh"], line=(glob.line_of("admin-ssh-v1") if glob else 0) or gline),
        # HTTP that only redirects to HTTPS carries no credentials: plain HTTP management is "enabled" only
        # when an interface accepts http and `admin-https-redirect` is disabled (see _interfaces)
        ManagementService("http", bool(on["http"]) and not redirect, redirect_def, allowed_from=allowed,
                          interfaces=on["http"],
                          line=(glob.line_of("admin-https-redirect") if glob else 0) or first["http"]),
        ManagementService("https", bool(on["https"]), False, allowed_from=allowed, interfaces=on["https"],
                          line=first["https"]),
        ManagementService("snmp", bool(on["snmp"]) and snmp_on, snmp_def, interfaces=on["snmp"],
                          line=first["snmp"]),
        ManagementService("fgfm", bool(on["fgfm"]), False, allowed_from=allowed, interfaces=on["fgfm"],
                          line=first["fgfm"]),
    ]
    ssl = tree.first("vpn ssl settings")
    if ssl is not None:
        src = ssl.values("source-interface")
        out.append(ManagementService("sslvpn", bool(src) and ssl.get("status", "enable") != "disable",
                                     interfaces=src, line=ssl.line))
    return out


def _snmp(tree: Tree) -> tuple[list[SnmpCommunity], list[SecretRef], bool]:
    """Communities that answer queries (agent on, community on, v1 or v2c queries on); their names become
    a fingerprint and a well-known flag, and a SecretRef (FortiOS keeps community names in clear)."""
    agent, _ = _enabled(tree.first("system snmp sysinfo"), "status", "snmp-agent")
    comms, secrets = [], []
    for blk in tree.find("system snmp community"):
        for cid, e in blk.entries.items():
            name = e.get("name")
            secrets.append(SecretRef(f"system snmp community {cid}", STORAGE_PLAIN, "community", e.line))
            versions = tuple(v for v, key in (("v1", "query-v1-status"), ("v2c", "query-v2c-status"))
                             if _enabled(e, key)[0])
            if not agent or e.get("status", "enable") == "disable" or not versions or not name:
                continue
            hosts = []
            for hosts_blk in (e.block("hosts"), e.block("hosts6")):
                for h in (hosts_blk.entries.values() if hosts_blk else ()):
                    ip = h.values("ip") or h.values("ipv6")
                    if ip:
                        hosts.append(cidr(*ip[:2]))
            acl = "" if not hosts or any(h in ANY_NETWORKS for h in hosts) else " ".join(hosts)
            comms.append(SnmpCommunity(fingerprint(name), name.lower() in WELL_KNOWN_COMMUNITIES, "ro", acl,
                                       versions, e.line))
    users = [u for blk in tree.find("system snmp user") for u in blk.entries.values()]
    v3 = agent and any(u.get("status", "enable") != "disable" for u in users)
    return comms, secrets, v3


def _logging_hosts(tree: Tree) -> list[str]:
    hosts = []
    for path in ("log syslogd setting", "log syslogd2 setting", "log syslogd3 setting", "log syslogd4 setting"):
        for blk in tree.find(path):
            if blk.get("status", DEFAULTS["syslog-status"]) == "enable" and blk.get("server"):
                hosts.append(f"{blk.get('server')}:{blk.get('port', DEFAULTS['syslog-port'])}")
    for path in ("log fortianalyzer setting", "log fortianalyzer2 setting", "log fortianalyzer3 setting"):
        for blk in tree.find(path):
            if blk.get("status", DEFAULTS["faz-status"]) == "enable" and blk.get("server"):
                hosts.append(f"{blk.get('server')}:{FAZ_PORT}")
    return list(dict.fromkeys(hosts))


def _ntp(tree: Tree) -> list[str]:
    blk = tree.first("system ntp")
    if not (blk and blk.get("ntpsync", DEFAULTS["ntpsync"]) == "enable"):
        return []
    if blk.get("type", DEFAULTS["ntp-type"]) == "fortiguard":
        return ["fortiguard"]  # FortiGuard's own NTP service; the servers are not named in the configuration
    servers = blk.block("ntpserver")
    return [e.get("server") for e in (servers.entries.values() if servers else ()) if e.get("server")]


def _aaa(tree: Tree) -> Aaa:
    servers = []
    for path in ("user tacacs+", "user radius", "user ldap"):
        for blk in tree.find(path):
            for e in blk.entries.values():
                servers.extend(e.get(k) for k in ("server", "secondary-server", "tertiary-server") if e.get(k))
    admins = [e for blk in tree.find("system admin") for e in blk.entries.values()]
    remote = [e for e in admins if e.get("remote-auth", DEFAULTS["remote-auth"]) == "enable"]
    enabled = bool(remote) and bool(servers)
    return Aaa(enabled=enabled, servers=tuple(dict.fromkeys(servers)), local_only=not enabled,
               line=remote[0].line if remote else 0)


def _banner(tree: Tree) -> str:
    glob = tree.first("system global")
    if not (glob and glob.get("pre-login-banner", DEFAULTS["pre-login-banner"]) == "enable"):
        return ""
    msg = tree.first('system replacemsg admin pre_admin-disclaimer-text')
    text = msg.get("buffer") if msg else ""
    return text.strip() or "FortiOS default pre-login disclaimer"


def _policies(tree: Tree) -> list[FirewallRule]:
    rules = []
    for blk in tree.find("firewall policy"):
        for pid, e in blk.entries.items():
            action = e.get("action", DEFAULTS["policy-action"])
            log = e.get("logtraffic", DEFAULTS["logtraffic"])
            utm = e.get("utm-status", DEFAULTS["utm-status"]) == "enable"
            dst = e.values("dstaddr") or e.values("dstaddr6")
            if e.get("internet-service") == "enable":
                dst = e.values("internet-service-name") or e.values("internet-service-id") or dst
            rules.append(FirewallRule(
                id=pid, action="deny" if action == "deny" else "permit",
                sources=_any(e.values("srcaddr") or e.values("srcaddr6")), destinations=_any(dst),
                services=_any(e.values("service")),
                src_interfaces=_any(e.values("srcintf")) if e.values("srcintf") else (),
                dst_interfaces=_any(e.values("dstintf")) if e.values("dstintf") else (),
                # `utm` logs only sessions a security profile acts on: logged only when profiles apply
                logged=log == "all" or (log == "utm" and utm),
                enabled=e.get("status", DEFAULTS["policy-status"]) != "disable", line=e.line))
    return rules


def _header(tree: Tree) -> tuple[str, str]:
    for _, text in tree.comments[:20]:
        m = _HEADER.match(text)
        if m:
            return m.group(1), m.group(2)
    return "", ""


def parse(text: str) -> DeviceConfig:
    """A FortiOS configuration as a DeviceConfig (ConfigTextError for binary or oversized input)."""
    check_text(text, "FortiOS")
    tree = parse_tree(text)
    model, version = _header(tree)
    if not version:
        tree.notes.add("no `#config-version=` header: firmware version unknown")
    glob = tree.first("system global")
    ifaces, users = _interfaces(tree), _users(tree)
    comms, comm_secrets, v3 = _snmp(tree)
    secrets = sorted(_secrets(tree) + comm_secrets, key=lambda r: r.line)
    for u in users:
        if u.secret is None:
            tree.notes.add(f"line {u.line}: admin account has no `set password` line (empty password?)")
    return DeviceConfig(
        vendor="fortios", hostname=glob.get("hostname") if glob else "", os_version=version, model=model,
        services=tuple(_services(tree, ifaces, users)), interfaces=tuple(ifaces),
        snmp_communities=tuple(comms), snmp_v3=v3, users=tuple(users), secrets=tuple(secrets),
        aaa=_aaa(tree), logging_hosts=tuple(_logging_hosts(tree)), ntp_servers=tuple(_ntp(tree)),
        banner=_banner(tree), firewall_rules=tuple(_policies(tree)), notes=tree.notes.as_tuple())

"""A network device's configuration as one vendor-neutral, typed model that the device checks read.

Each vendor parser (`fourlayer.resources.devices.<vendor>`) turns a saved configuration (or the output of one
allowlisted read-only show command) into a `DeviceConfig`. The checks never see configuration text: they read
this model, so one check judges Cisco IOS, FortiOS and RouterOS alike.

Secrets: a parser records **that** a secret exists and **how** it is stored (`SecretRef`), never its value.
No field of this model may hold a password, hash, pre-shared key or SNMP community string; an SNMP community is
identified by a fingerprint and by whether it is one of the well-known defaults, nothing else.

Absent lines take the vendor's documented default (a parser fills them in and sets `defaulted`), so a check can
say "telnet is enabled by default on the vty lines" rather than "no line found".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

# how a secret is stored, weakest first
STORAGE_PLAIN = "plaintext"          # IOS type 0, FortiOS `set password` in clear (never in a saved backup)
STORAGE_REVERSIBLE = "reversible"    # IOS type 7, FortiOS ENC (reversible with a known key)
STORAGE_WEAK_HASH = "weak-hash"      # IOS type 5 (MD5-crypt), FortiOS SH2 without salt
STORAGE_STRONG_HASH = "strong-hash"  # IOS type 8 (PBKDF2) / 9 (scrypt), FortiOS PB2, RouterOS (not exported)
STORAGE_UNKNOWN = "unknown"
STORAGES = (STORAGE_PLAIN, STORAGE_REVERSIBLE, STORAGE_WEAK_HASH, STORAGE_STRONG_HASH, STORAGE_UNKNOWN)

WELL_KNOWN_COMMUNITIES = frozenset({"public", "private", "community", "cisco", "admin", "manager", "snmp"})


def fingerprint(secret: str) -> str:
    """A short, one-way label of a secret so two references to the same one can be told apart in a report;
    8 hex digits of SHA-256 (not reversible, and too short to brute-force usefully for a long secret)."""
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()[:8]


@dataclass(frozen=True)
class SecretRef:
    """A secret that exists in the configuration: where (`context`, e.g. "username admin", "enable secret") and
    how it is stored; never its value."""

    context: str
    storage: str  # one of STORAGES
    scheme: str = ""  # the vendor's own label: "type 7", "ENC", "SH2", "PB2"…
    line: int = 0
    # a credential that opens an administrative login without being a user's (IOS `enable secret`, a vty line
    # `password`); users' own secrets (`LocalUser.secret`) count as administrative logins anyway
    admin_login: bool = False


@dataclass(frozen=True)
class ManagementService:
    """A management plane service: telnet, ssh, http, https, snmp, winbox, api, ftp…"""

    name: str
    enabled: bool
    defaulted: bool = False  # True when no line set it and the vendor default decided
    version: str = ""  # e.g. "1", "2", "1.99" for SSH
    allowed_from: tuple[str, ...] = ()  # source restriction (ACL name/networks, trusted hosts); () = anyone
    interfaces: tuple[str, ...] = ()  # interfaces that accept it; () = every interface
    line: int = 0


@dataclass(frozen=True)
class Interface:
    name: str
    role: str = ""  # "wan" | "lan" | "dmz" | "mgmt" | "" (unknown); from the vendor's role/zone or a declaration
    addresses: tuple[str, ...] = ()
    management_access: tuple[str, ...] = ()  # protocols accepted on this interface (FortiOS allowaccess…)
    enabled: bool = True
    line: int = 0


@dataclass(frozen=True)
class VtyLine:
    """An IOS `line vty a b` block (or another vendor's remote CLI access)."""

    name: str
    transport_input: tuple[str, ...] = ()  # ("ssh",), ("telnet", "ssh"), ("all",), ("none",)
    access_class: str = ""  # ACL restricting who may connect; "" = none
    login: str = ""  # "local", "authentication", "" (line password)
    exec_timeout_s: int | None = None
    defaulted_transport: bool = False
    line: int = 0
    # why the access_class restricts nothing, when it does not ("" = it restricts): IOS permits every source when
    # the ACL is not defined, and an ACL whose first entry for any source is a permit lets everyone in
    access_class_open: str = ""


@dataclass(frozen=True)
class SnmpCommunity:
    """An SNMP v1/v2c community; the name itself is never kept."""

    fingerprint: str
    well_known: bool  # one of WELL_KNOWN_COMMUNITIES (case-insensitive)
    access: str = "ro"  # "ro" | "rw"
    acl: str = ""  # restricting ACL / hosts; "" = any source
    versions: tuple[str, ...] = ("v1", "v2c")
    line: int = 0


@dataclass(frozen=True)
class LocalUser:
    name: str
    privilege: str = ""  # "15", "super_admin", "full"…
    secret: SecretRef | None = None
    trusted_hosts: tuple[str, ...] = ()  # FortiOS trusthost*, RouterOS `address=`; () = from anywhere
    line: int = 0


@dataclass(frozen=True)
class Aaa:
    enabled: bool  # `aaa new-model`, FortiOS remote auth servers, RouterOS RADIUS for login
    servers: tuple[str, ...] = ()  # TACACS+/RADIUS/LDAP servers used for administrative login
    local_only: bool = True  # administrative login falls back to / uses only local accounts
    line: int = 0


@dataclass(frozen=True)
class FirewallRule:
    """One policy / ACL entry, normalised: `any` spelled "any"."""

    id: str
    action: str  # "permit" | "deny"
    sources: tuple[str, ...] = ("any",)
    destinations: tuple[str, ...] = ("any",)
    services: tuple[str, ...] = ("any",)
    src_interfaces: tuple[str, ...] = ()
    dst_interfaces: tuple[str, ...] = ()
    logged: bool = False
    enabled: bool = True
    line: int = 0
    chain: str = ""  # RouterOS/iptables chain: "input" (to the device itself), "forward" (through it); "" = n/a
    # further conditions that narrow the rule, as `key=value` (RouterOS `connection-state=established,related`,
    # `ipsec-policy=in,ipsec`): a rule with any is not "any-any", whatever its addresses say
    match: tuple[str, ...] = ()

    @property
    def any_any(self) -> bool:
        return (self.action == "permit" and "any" in self.sources and "any" in self.destinations
                and "any" in self.services and not self.match)

    @property
    def opens_new_connections(self) -> bool:
        """False for a rule that matches only packets of connections already accepted by an earlier rule
        (RouterOS `connection-state=established,related`): such a rule needs no log of its own."""
        for m in self.match:
            key, _, value = m.partition("=")
            if key == "connection-state" and not value.startswith("!") and "new" not in value.split(","):
                return False
        return True


@dataclass(frozen=True)
class DeviceConfig:
    vendor: str  # "cisco_ios" | "fortios" | "routeros" | "junos"
    hostname: str = ""
    os_version: str = ""  # "15.2(7)E4", "7.2.4", "7.11.2"; "" when the configuration does not say
    # True when the configuration names only the release train (IOS `version 17.9`), not the exact release
    os_version_partial: bool = False
    model: str = ""
    services: tuple[ManagementService, ...] = ()
    interfaces: tuple[Interface, ...] = ()
    vty_lines: tuple[VtyLine, ...] = ()
    snmp_communities: tuple[SnmpCommunity, ...] = ()
    snmp_v3: bool = False  # SNMPv3 users/groups configured
    users: tuple[LocalUser, ...] = ()
    secrets: tuple[SecretRef, ...] = ()  # every secret seen, users' included (enable, keys, PSKs, communities)
    password_encryption: bool = False  # IOS `service password-encryption` (type 7 only; not a protection)
    aaa: Aaa = Aaa(enabled=False)
    logging_hosts: tuple[str, ...] = ()  # host or host:port
    ntp_servers: tuple[str, ...] = ()
    banner: str = ""  # login/motd banner text ("" = none); text only, never a secret
    firewall_rules: tuple[FirewallRule, ...] = ()
    notes: tuple[str, ...] = field(default=())  # what the parser could not interpret (line numbers, no text)
    # False when the configuration format does not list the local accounts at all (a RouterOS `/export` never
    # does): `users == ()` then means "unknown", not "none", and a check of the accounts cannot be judged
    accounts_listed: bool = True

    def service(self, name: str) -> ManagementService | None:
        return next((s for s in self.services if s.name == name), None)

"""A Windows host as its read-only PowerShell commands showed it: `windows(t).firewall_profiles()`.

Parsed from the `ssh_shell` evidence of a `roles: [windows]` host (commands of
`fourlayer.collectors.windows_allowlist`), once per target: each section is parsed the first time a check asks
for it and kept (a broken section is kept as its error, so every check that needs it is ERROR for the same reason,
and the other sections still decide their checks).

What Windows PowerShell 5.1 `ConvertTo-Json` really prints, and is read here:
- one object where a cmdlet returned one item, an array where it returned several, nothing where it returned none;
- dates as "/Date(1700000000000)/" (milliseconds since 1970 UTC, optionally "+0700"), or as
  {"value": "/Date(...)/", "DateTime": "..."} when the date carries extra properties; PowerShell 7 writes ISO 8601;
- enumerations as numbers (service Status 4 = Running, firewall DefaultInboundAction 4 = Block), names accepted too;
- a SecurityIdentifier as {"Value": "S-1-5-...", ...}; a byte-order mark before the text.
Malformed, truncated or missing output is never read as a setting: it raises `Unevaluable`, naming the command.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from fourlayer.collectors.base import clean_text
from fourlayer.collectors.windows_allowlist import WINDOWS_COMMANDS
from fourlayer.core.model import Unevaluable
from fourlayer.core.target import Target

if TYPE_CHECKING:
    from fourlayer.collectors.ssh_shell import ShellEvidence


# ---- value shapes of Windows PowerShell JSON ----------------------------------------------------------------

_MS_DATE = re.compile(r"^/Date\((-?\d{1,15})([+-]\d{4})?\)/$")
_ISO_FRACTION = re.compile(r"(\.\d{6})\d+")


def ps_date(value: Any) -> dt.datetime | None:
    """A PowerShell date (see the module docstring) as an aware UTC datetime; None for null or unreadable."""
    if isinstance(value, dict):
        value = value.get("value", value.get("DateTime"))
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    m = _MS_DATE.match(text)
    if m:
        return dt.datetime.fromtimestamp(int(m.group(1)) / 1000, dt.timezone.utc)
    try:
        parsed = dt.datetime.fromisoformat(_ISO_FRACTION.sub(r"\1", text.replace("Z", "+00:00")))
    except ValueError:
        return None
    if parsed.tzinfo is None:  # PowerShell 7 prints local dates without an offset (DateTimeKind.Local/Unspecified)
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def ps_bool(value: Any) -> bool | None:
    """true/false, 1/0 (GpoBoolean: 2 = NotConfigured -> None), "True"/"False"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {1: True, 0: False}.get(value)
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower())
    return None


def ps_enum(value: Any, names: dict[int, str]) -> str:
    """An enumeration printed as its number (or its name) -> its name."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return names.get(value, str(value))
    return str(value) if value is not None else "null"


def ps_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,10}", value.strip()):
        return int(value.strip())
    return None


def as_items(value: Any) -> list[dict[str, Any]]:
    """One object, an array of objects or nothing -> a list of objects."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [i for i in items if isinstance(i, dict)]


SERVICE_STATUS = {1: "Stopped", 2: "StartPending", 3: "StopPending", 4: "Running", 5: "ContinuePending",
                  6: "PausePending", 7: "Paused"}
START_TYPE = {0: "Boot", 1: "System", 2: "Automatic", 3: "Manual", 4: "Disabled"}
FIREWALL_ACTION = {0: "NotConfigured", 2: "Allow", 4: "Block"}  # NetSecurity.Action
PRINCIPAL_SOURCE = {0: "Unknown", 1: "Local", 2: "ActiveDirectory", 3: "AzureAD", 4: "MicrosoftAccount"}
FIREWALL_PROFILES = ("Domain", "Private", "Public")


# ---- typed sections -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FirewallProfile:
    name: str
    enabled: bool | None  # None: NotConfigured
    inbound: str  # Block, Allow, NotConfigured

    def __str__(self) -> str:
        state = {True: "on", False: "OFF", None: "not configured"}[self.enabled]
        return f"{self.name}: {state}, default inbound {self.inbound}"


@dataclass(frozen=True)
class Defender:
    service_enabled: bool | None
    antivirus_enabled: bool | None
    realtime: bool | None
    signatures_updated: dt.datetime | None
    signature_version: str


@dataclass(frozen=True)
class LocalUser:
    name: str
    enabled: bool | None
    sid: str

    @property
    def is_guest(self) -> bool:
        """The built-in Guest account, by its well-known RID 501 (it may have been renamed)."""
        return self.sid.endswith("-501") if self.sid else self.name.lower() == "guest"


@dataclass(frozen=True)
class Member:
    name: str
    object_class: str
    source: str

    def __str__(self) -> str:
        return f"{self.name} ({self.object_class}, {self.source})"


@dataclass(frozen=True)
class HotFix:
    id: str
    description: str
    installed_on: dt.datetime | None


@dataclass(frozen=True)
class AccountPolicy:
    """`net accounts`: None for "Unlimited" (maximum age); 0 for "Never"/"None" (lockout threshold, history)."""

    min_length: int
    max_age_days: int | None
    min_age_days: int
    history: int
    lockout_threshold: int
    lockout_minutes: int | None
    window_minutes: int | None


@dataclass(frozen=True)
class AuditSetting:
    subcategory: str
    guid: str
    setting: str  # No Auditing, Success, Failure, Success and Failure


@dataclass(frozen=True)
class Service:
    name: str
    status: str
    start_type: str

    def __str__(self) -> str:
        return f"{self.name}: {self.status} ({self.start_type})"


@dataclass(frozen=True)
class RegistryKey:
    path: str  # e.g. HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa
    values: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        return self.values.get(name)


def key_ending(keys: list[RegistryKey], tail: str) -> RegistryKey | None:
    """The registry key whose path ends with `tail` (case-insensitive), or None."""
    return next((k for k in keys if k.path.lower().endswith(tail.lower())), None)


# ---- reading the commands ----------------------------------------------------------------------------------------

def shown_command(name: str) -> str:
    """How a command is named in a reason: its cmdlet or program (`Get-MpComputerStatus`, `net accounts`)."""
    script = WINDOWS_COMMANDS[name].split('-Command "', 1)[-1].rstrip('"')
    words = script.split()
    if words[0] in ("net", "auditpol"):
        return " ".join(words[:2])
    if words[0] == "Get-ItemProperty":
        return "Get-ItemProperty " + script.split("'")[1]
    return words[0]


class CommandFailed(Unevaluable):
    """The command ran and failed on the host (non-zero exit: cmdlet missing, access denied): a check may then
    turn to another source; malformed or cut-short output is never a reason to (plain `Unevaluable`)."""


_NOT_RECOGNIZED = re.compile(r"is not recognized as (?:the name of a cmdlet|an internal or external command)", re.I)


def _failure(name: str, rc: int, err: str) -> CommandFailed:
    what = shown_command(name)
    if _NOT_RECOGNIZED.search(err):
        return CommandFailed(f"`{what}` is not available on the host (\"not recognized\": the cmdlet's module or "
                           "feature is missing, or the audit account cannot load it)")
    first = next((line.strip() for line in err.splitlines() if line.strip()), "no error text")
    return CommandFailed(f"`{what}` failed on the host (exit code {rc}): {clean_text(first, 160)}")


def _parse_json(name: str, text: str) -> Any:
    text = text.lstrip("\ufeff").strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:  # the text itself is not echoed: it is the host's data
        raise Unevaluable(f"`{shown_command(name)}` printed malformed or truncated JSON ({exc.msg} at character "
                          f"{exc.pos} of {len(text)})") from None
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits, nesting deeper than Python's stack
        raise Unevaluable(f"`{shown_command(name)}` printed JSON that cannot be read ({type(exc).__name__})") from None


class WindowsView:
    """The sections of one Windows host's evidence, each parsed on first use and kept."""

    def __init__(self, evidence: ShellEvidence):
        self._evidence = evidence
        self._cache: dict[str, Any] = {}

    def _section(self, key: str, parse: Callable[[], Any]) -> Any:
        if key not in self._cache:
            try:
                self._cache[key] = parse()
            except Unevaluable as exc:
                self._cache[key] = exc
        value = self._cache[key]
        if isinstance(value, Unevaluable):
            raise value
        return value

    def output(self, name: str) -> str:
        """The text one command printed; Unevaluable when it did not run, was cut short or failed."""
        if self._evidence.platform != "windows":
            raise Unevaluable("the host was not read as a Windows host (declare `roles: [windows]`)")
        cmd = self._evidence.commands.get(name)
        if cmd is None:
            raise Unevaluable(f"`{shown_command(name)}` was not run on the host")
        if cmd.rc is None:
            raise Unevaluable(f"the output of `{shown_command(name)}` was cut short (time or size limit); "
                              "nothing was judged on part of it")
        if cmd.rc != 0:
            raise _failure(name, cmd.rc, cmd.err)
        return cmd.out

    def json(self, name: str) -> Any:
        return _parse_json(name, self.output(name))

    def _one(self, name: str) -> dict[str, Any]:
        items = as_items(self.json(name))
        if len(items) != 1:
            raise Unevaluable(f"`{shown_command(name)}` printed {len(items)} objects where one was expected")
        return items[0]

    # -- sections ----------------------------------------------------------------------------------------------
    def os_name(self) -> str:
        def parse() -> str:
            info = self._one("win_os")
            build = f"{info.get('CurrentBuild') or '?'}.{info.get('UBR') or 0}"
            return " ".join(str(x) for x in (info.get("ProductName"), info.get("DisplayVersion")) if x) + \
                f" (build {build})"
        return self._section("os", parse)

    def firewall_profiles(self) -> list[FirewallProfile]:
        def parse() -> list[FirewallProfile]:
            profiles = [FirewallProfile(str(p.get("Name")), ps_bool(p.get("Enabled")),
                                        ps_enum(p.get("DefaultInboundAction"), FIREWALL_ACTION))
                        for p in as_items(self.json("win_firewall"))]
            missing = [n for n in FIREWALL_PROFILES if n not in {p.name for p in profiles}]
            if missing:
                raise Unevaluable(f"`Get-NetFirewallProfile` did not list the {', '.join(missing)} profile(s)")
            return profiles
        return self._section("firewall", parse)

    def defender(self) -> Defender:
        def parse() -> Defender:
            s = self._one("win_defender")
            return Defender(ps_bool(s.get("AMServiceEnabled")), ps_bool(s.get("AntivirusEnabled")),
                            ps_bool(s.get("RealTimeProtectionEnabled")), ps_date(s.get("AntivirusSignatureLastUpdated")),
                            str(s.get("AntivirusSignatureVersion") or "?"))
        return self._section("defender", parse)

    def local_users(self) -> list[LocalUser]:
        def parse() -> list[LocalUser]:
            users = []
            for u in as_items(self.json("win_users")):
                sid = u.get("SID")
                sid = sid.get("Value") if isinstance(sid, dict) else sid
                users.append(LocalUser(str(u.get("Name")), ps_bool(u.get("Enabled")), str(sid or "")))
            if not users:
                raise Unevaluable("`Get-LocalUser` listed no account (a Windows host has at least Administrator)")
            return users
        return self._section("users", parse)

    def administrators(self) -> list[Member]:
        def parse() -> list[Member]:
            return [Member(str(m.get("Name")), str(m.get("ObjectClass") or "?"),
                           ps_enum(m.get("PrincipalSource"), PRINCIPAL_SOURCE))
                    for m in as_items(self.json("win_admins"))]
        return self._section("admins", parse)

    def hotfixes(self) -> list[HotFix]:
        def parse() -> list[HotFix]:
            return [HotFix(str(h.get("HotFixID")), str(h.get("Description") or ""), ps_date(h.get("InstalledOn")))
                    for h in as_items(self.json("win_hotfixes"))]
        return self._section("hotfixes", parse)

    def account_policy(self) -> AccountPolicy:
        return self._section("net_accounts", lambda: parse_net_accounts(self.output("win_net_accounts")))

    def audit_policy(self) -> list[AuditSetting]:
        return self._section("auditpol", lambda: parse_auditpol(self.output("win_auditpol")))

    def services(self) -> dict[str, Service]:
        def parse() -> dict[str, Service]:
            found = {}
            for s in as_items(self.json("win_services")):
                service = Service(str(s.get("Name")), ps_enum(s.get("Status"), SERVICE_STATUS),
                                  ps_enum(s.get("StartType"), START_TYPE))
                found[service.name.lower()] = service
            if not found:
                raise Unevaluable("`Get-Service` listed no service")
            return found
        return self._section("services", parse)

    def running(self, names: list[str]) -> list[str]:
        """Which of the service `names` are Running (Unevaluable when the service list is unreadable)."""
        services = self.services()
        return [services[n.lower()].name for n in names
                if n.lower() in services and services[n.lower()].status == "Running"]

    def smb_server(self) -> dict[str, Any]:
        return self._section("smb", lambda: self._one("win_smb"))

    def registry(self, name: str) -> list[RegistryKey]:
        """The keys a registry read found (a missing optional key is simply absent)."""
        def parse() -> list[RegistryKey]:
            keys = []
            for item in as_items(self.json(name)):
                path = str(item.get("PSPath") or "").split("::", 1)[-1]
                keys.append(RegistryKey(path, {k: v for k, v in item.items() if k != "PSPath"}))
            return keys
        return self._section(f"registry:{name}", parse)

    def registry_value(self, name: str, value: str) -> Any:
        """One value of a key that always exists (win_lsa, win_smb1_registry): None when the value is not set."""
        return self._one(name).get(value)


# ---- text outputs --------------------------------------------------------------------------------------------------

_NET_LABELS = {
    "minimum password length": "min_length",
    "maximum password age (days)": "max_age_days",
    "minimum password age (days)": "min_age_days",
    "length of password history maintained": "history",
    "lockout threshold": "lockout_threshold",
    "lockout duration (minutes)": "lockout_minutes",
    "lockout observation window (minutes)": "window_minutes",
}
_NET_WORDS = {"unlimited": None, "never": 0, "none": 0}


def parse_net_accounts(text: str) -> AccountPolicy:
    """The account policy `net accounts` prints (English labels); Unevaluable if a line is missing."""
    values: dict[str, int | None] = {}
    for line in text.splitlines():
        label, sep, value = line.partition(":")
        key = _NET_LABELS.get(label.strip().lower())
        if not sep or key is None:
            continue
        word = value.strip().lower()
        if word in _NET_WORDS:
            values[key] = _NET_WORDS[word]
        elif re.fullmatch(r"\d{1,6}", word):
            values[key] = int(word)
    missing = [label for label, key in _NET_LABELS.items() if key not in values]
    if missing:
        raise Unevaluable(f"`net accounts` printed no readable '{missing[0]}' line ({len(missing)} of "
                          f"{len(_NET_LABELS)} missing: output cut short, or labels in another display language)")
    if "completed successfully" not in text.lower():
        raise Unevaluable("`net accounts` did not print its completion line: its output may be cut short")
    for key in ("min_length", "min_age_days", "history", "lockout_threshold"):
        if values[key] is None:
            raise Unevaluable(f"`net accounts` printed an unexpected value for {key.replace('_', ' ')}")
    return AccountPolicy(**values)  # type: ignore[arg-type]


AUDIT_SETTINGS = ("No Auditing", "Success", "Failure", "Success and Failure")


def parse_auditpol(text: str) -> list[AuditSetting]:
    """`auditpol /get /category:* /r` CSV (Machine Name, Policy Target, Subcategory, Subcategory GUID,
    Inclusion Setting, Exclusion Setting) -> settings; Unevaluable when the header or the rows are missing."""
    lines = [line for line in text.lstrip("\ufeff").splitlines() if line.strip()]
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    if not rows or "Subcategory GUID" not in rows[0] or "Inclusion Setting" not in rows[0]:
        raise Unevaluable("`auditpol /get` printed no CSV header (expected Subcategory GUID, Inclusion Setting)")
    head = rows[0]
    sub, guid, setting = head.index("Subcategory"), head.index("Subcategory GUID"), head.index("Inclusion Setting")
    settings = []
    for row in rows[1:]:
        if len(row) < len(head) - 1 or row[setting].strip() not in AUDIT_SETTINGS:
            raise Unevaluable(f"`auditpol /get` printed a row this version cannot read (row {len(settings) + 2})")
        settings.append(AuditSetting(row[sub].strip(), row[guid].strip().strip("{}").upper(), row[setting].strip()))
    if not settings:
        raise Unevaluable("`auditpol /get` printed its header but no subcategory")
    return settings


def windows(t: Target) -> WindowsView:
    """The host's Windows view, made once per target (its sections parse on first use)."""
    if "windows" not in t.resources:
        t.resources["windows"] = WindowsView(t.ev("ssh_shell"))
    return t.resources["windows"]

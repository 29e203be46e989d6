"""The policy's shape, written once: the `Policy` model (pydantic, on `fourlayer.config.typed.Strict`).

`Policy` is what checks read as `t.policy`: `t.policy.ssh.max_auth_tries` is an attribute of a frozen model, a
name the policy lacks raises `PolicyKeyError` (an AttributeError) naming the path and the closest key, and the
open maps (ports, levels, sysctl keys, audit rule families) are dicts, read by item: `t.policy.network.
risky_ports[22]`. Sections also answer `section[name]`, `items()` and `values()` over their keys.

`fourlayer.config.policy` validates a user file with this model (after merging it over the defaults) and keeps the
policy as a plain dict where it is stored or sent (the report's `policy`, history, the workers' messages);
`Policy.of(plain)` gives the typed view of such a dict without validating it again. Each value type carries the
policy's own check (`expect`), so messages keep their wording; the JSON Schema comes from the annotated types
(`policy_schema()`, committed as fourlayer/data/policy.schema.json).
"""

from __future__ import annotations

import copy
import difflib
import re
from typing import Annotated, Any, Callable, ClassVar, Iterator

from pydantic import Field
from pydantic.fields import FieldInfo

from fourlayer.config.typed import Strict, expect, js_pattern, schema
from fourlayer.core.constants import VULN_SEVERITIES

Check = Callable[[Any], "str | None"]  # returns what was expected when the value is wrong


# ---- the policy's own checks (their words are the error messages) -------------------------------------------

def _number(lo: float, hi: float | None, what: str, integer: bool = True) -> Check:
    def check(v: Any) -> str | None:
        ok_type = isinstance(v, int) if integer else isinstance(v, (int, float))
        if isinstance(v, bool) or not ok_type or v < lo or (hi is not None and v > hi):
            return what
        return None
    return check


POS_INT = _number(1, None, "expected a whole number of at least 1")
NONNEG_INT = _number(0, None, "expected a whole number of at least 0")
WEIGHT = _number(0, None, "expected a weight of 0 or more", integer=False)
PERCENT = _number(0, 100, "expected a percentage 0–100", integer=False)
LEVEL = _number(1, 5, "expected a classification level 1–5")
LEVEL_OR_0 = _number(0, 5, "expected a classification level 0–5 (0 = never)")
PORT = _number(1, 65535, "expected a TCP port number 1–65535")
CHAR_CLASSES = _number(1, 4, "expected 1–4 character classes")


def _bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "expected true or false"


def _text(v: Any) -> str | None:
    return None if isinstance(v, str) and v.strip() else "expected a non-empty name"


_SYSCTL_KEY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_*-]+)+\Z")


def _sysctl_key(v: Any) -> str | None:
    return None if isinstance(v, str) and _SYSCTL_KEY.match(v) else \
        "expected a sysctl key like kernel.randomize_va_space"


def _names(v: Any) -> str | None:
    if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
        return "expected a list of algorithm names, e.g. [ssh-rsa, ssh-dss]"
    return None


_SPEC_ITEM = re.compile(r"^([0-9]{1,5})(?:-([0-9]{1,5}))?\Z")


def port_spec_ports(spec: str) -> set[int] | None:
    """The ports of an nmap-style list like '21-23,80,443', or None if it is not one."""
    ports: set[int] = set()
    for item in spec.split(","):
        m = _SPEC_ITEM.match(item)
        if not m:
            return None
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if not 1 <= lo <= hi <= 65535:
            return None
        ports.update(range(lo, hi + 1))
    return ports


def _port_spec(v: Any) -> str | None:
    if isinstance(v, str) and port_spec_ports(v) is not None:
        return None
    return "expected an nmap port list like '21-23,80,443' (ports 1–65535, no spaces)"


_PROCESS_NAME = re.compile(r"^[A-Za-z0-9._:+@-]{1,64}\Z")


def _process_names(example: str, allow_empty: bool = False) -> Check:
    """A list of process names as `ps -o comm` shows them (compared on their first 15 characters)."""
    def check(v: Any) -> str | None:
        if isinstance(v, list) and (v or allow_empty) and all(isinstance(x, str) and _PROCESS_NAME.match(x)
                                                              for x in v):
            return None
        return f"expected a{'' if allow_empty else ' non-empty'} list of process names, e.g. [{example}]"
    return check


def _rule_items(v: Any) -> str | None:
    """What a group of audit rules must name: watched paths or system calls, one word each."""
    if isinstance(v, list) and v and all(isinstance(x, str) and x.strip() and not any(c.isspace() for c in x)
                                         for x in v):
        return None
    return "expected a non-empty list of watched paths or system calls, e.g. [/etc/passwd, adjtimex]"


_UNIT_NAME = re.compile(r"^[A-Za-z0-9._:@-]{1,120}\.(service|socket|timer|path|target)\Z")
_ACCOUNT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]{0,31}\$?\Z")


def _unit_names(example: str) -> Check:
    """systemd unit names with their suffix (an empty list is allowed)."""
    def check(v: Any) -> str | None:
        if isinstance(v, list) and all(isinstance(x, str) and _UNIT_NAME.match(x) for x in v):
            return None
        return f"expected a list of systemd unit names with their suffix, e.g. [{example}]"
    return check


def _account_names(v: Any) -> str | None:
    if isinstance(v, list) and v and all(isinstance(x, str) and _ACCOUNT_NAME.match(x) for x in v):
        return None
    return "expected a non-empty list of account names, e.g. [root]"


AUDITD_ACTIONS = ("ignore", "syslog", "rotate", "email", "exec", "suspend", "single", "halt", "keep_logs")
PASSWORD_HASHES = ("yescrypt", "gost_yescrypt", "sha512", "sha256", "blowfish", "md5", "bigcrypt", "des")
CIPHER_CLASSES = ("RC4", "3DES", "DES", "EXPORT", "NULL", "aNULL", "CBC-SHA1")  # as the TLS collector names them
SIGNATURE_HASHES = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
AUDIT_REQUIREMENTS = ("Success", "Failure", "Success and Failure")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}\Z")
_SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._@$-]{0,79}\Z")


def _service_names(allow_empty: bool = False) -> Check:
    """Windows service names as `Get-Service` shows them (Name, not DisplayName)."""
    def check(v: Any) -> str | None:
        if isinstance(v, list) and (v or allow_empty) and all(isinstance(x, str) and _SERVICE_NAME.match(x)
                                                              for x in v):
            return None
        return f"expected a{'' if allow_empty else ' non-empty'} list of Windows service names, e.g. [WinDefend]"
    return check


def _choices(allowed: tuple[str, ...]) -> Check:
    """A list whose items are names from `allowed` (an empty list is allowed)."""
    def check(v: Any) -> str | None:
        if isinstance(v, list) and all(isinstance(x, str) and x in allowed for x in v):
            return None
        hint = " (quote \"NULL\": YAML reads a bare NULL as nothing)" if isinstance(v, list) and None in v else ""
        return f"expected a list of names from: {', '.join(allowed)}{hint}"
    return check


def _one_of(allowed: tuple[str, ...]) -> Check:
    return lambda v: None if v in allowed else f"expected one of {', '.join(allowed)}"


def _header_names(v: Any) -> str | None:
    if isinstance(v, list) and all(isinstance(x, str) and _HEADER_NAME.match(x) for x in v):
        return None
    return "expected a list of HTTP header names, e.g. [x-content-type-options, content-security-policy]"


def _port_list(v: Any) -> str | None:
    if isinstance(v, list) and all(PORT(x) is None for x in v):
        return None
    return "expected a list of port numbers 1–65535, e.g. [23, 513]"


def _startups(v: Any) -> str | None:
    """sshd MaxStartups: `start:rate:full` (e.g. "10:30:60") or a single number."""
    if isinstance(v, str) and re.fullmatch(r"[1-9][0-9]*(:[0-9]{1,3}:[1-9][0-9]*)?", v):
        return None
    return 'expected sshd MaxStartups syntax in quotes, e.g. "10:30:60"'


# ---- value types: the schema's type and bounds, our check and words ------------------------------------------

PosInt = Annotated[int, Field(ge=1), expect(POS_INT)]
NonNegInt = Annotated[int, Field(ge=0), expect(NONNEG_INT)]
Weight = Annotated[float, Field(ge=0), expect(WEIGHT)]
Percent = Annotated[float, Field(ge=0, le=100), expect(PERCENT)]
Level = Annotated[int, Field(ge=1, le=5), expect(LEVEL)]
LevelOr0 = Annotated[int, Field(ge=0, le=5), expect(LEVEL_OR_0)]
Port = Annotated[int, Field(ge=1, le=65535), expect(PORT)]
Name = Annotated[str, Field(min_length=1), expect(_text)]
SysctlKey = Annotated[str, Field(pattern=js_pattern(_SYSCTL_KEY)), expect(_sysctl_key)]
Algorithms = Annotated[list[Annotated[str, Field(min_length=1)]], expect(_names)]
PortList = Annotated[list[Annotated[int, Field(ge=1, le=65535)]], expect(_port_list)]
Accounts = Annotated[list[Annotated[str, Field(pattern=js_pattern(_ACCOUNT_NAME))]], Field(min_length=1),
                     expect(_account_names)]
Headers = Annotated[list[Annotated[str, Field(pattern=js_pattern(_HEADER_NAME))]], expect(_header_names)]
AuditRequirement = Annotated[str, Field(json_schema_extra={"enum": list(AUDIT_REQUIREMENTS)}),
                             expect(_one_of(AUDIT_REQUIREMENTS))]
Severity = Annotated[str, Field(json_schema_extra={"enum": list(VULN_SEVERITIES)}), expect(_one_of(VULN_SEVERITIES))]


def _choice_list(allowed: tuple[str, ...]) -> Any:
    return Annotated[list[str], Field(json_schema_extra={"items": {"enum": list(allowed)}}), expect(_choices(allowed))]


def _processes(example: str, allow_empty: bool = False) -> Any:
    return Annotated[list[Annotated[str, Field(pattern=js_pattern(_PROCESS_NAME))]], Field(min_length=0 if allow_empty
                                                                                       else 1),
                     expect(_process_names(example, allow_empty))]


def _units(example: str) -> Any:
    return Annotated[list[Annotated[str, Field(pattern=js_pattern(_UNIT_NAME))]], expect(_unit_names(example))]


def _services(allow_empty: bool = False) -> Any:
    return Annotated[list[Annotated[str, Field(pattern=js_pattern(_SERVICE_NAME))]],
                     Field(min_length=0 if allow_empty else 1), expect(_service_names(allow_empty))]


# An open map whose default entries a user removes with `key: null` (the others only change values).
NULL_REMOVES = "x-null-removes"
REMOVABLE = Field(json_schema_extra={NULL_REMOVES: True})


# ---- the model -------------------------------------------------------------------------------------------------

class PolicyKeyError(AttributeError, KeyError):
    """A check asked the policy for a key it does not have (a typo, or a key missing from policy.yaml)."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0])


class Section(Strict):
    """A section of the policy: its keys are attributes; `section[name]`, `items()`, `values()` also read them."""

    __policy_path__: ClassVar[str] = "policy"

    def __getattr__(self, name: str) -> Any:  # only reached for a name the section does not have
        if name.startswith("_"):
            return super().__getattr__(name)  # pydantic's private attributes
        if name in type(self).model_fields:  # a partial dict given to Policy.of (a test's, a plugin's)
            raise PolicyKeyError(f"{self.__policy_path__}.{name} is not set; the policy comes from load_policy()")
        close = difflib.get_close_matches(name, list(type(self).model_fields), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise PolicyKeyError(f"{self.__policy_path__} has no key {name!r}{hint}")

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name) if isinstance(name, str) else self.__getattr__(str(name))

    def __contains__(self, name: object) -> bool:
        return name in type(self).model_fields

    def keys(self) -> list[str]:
        return list(type(self).model_fields)

    def values(self) -> list[Any]:
        return [getattr(self, k) for k in type(self).model_fields]

    def items(self) -> Iterator[tuple[str, Any]]:
        return iter([(k, getattr(self, k)) for k in type(self).model_fields])


class Weights(Section):
    critical: Weight
    high: Weight
    medium: Weight
    low: Weight
    info: Weight


class Scoring(Section):
    weights: Weights
    layer_threshold: Percent
    min_coverage: Percent


class Assessment(Section):
    interval_months: dict[Level, PosInt]
    organisation_interval_months: PosInt
    licensed_from_level: Level


class Tls(Section):
    cert_warning_days: NonNegInt
    cert_critical_days: NonNegInt
    min_rsa_bits: PosInt
    min_ec_bits: PosInt
    min_dh_bits: PosInt
    weak_signature_hashes: _choice_list(SIGNATURE_HASHES)
    weak_cipher_classes: _choice_list(CIPHER_CLASSES)


class Ssh(Section):
    max_auth_tries: PosInt
    login_grace_time_max: PosInt
    client_alive_interval_max: PosInt
    client_alive_count_max: PosInt
    max_sessions: PosInt
    max_startups: Annotated[str, expect(_startups)]
    implicit_defaults: Annotated[str, Field(json_schema_extra={"enum": ["pass", "warn"]}),
                                 expect(lambda v: None if v in ("pass", "warn") else "expected pass or warn")]
    password_auth_allowed_max_level: LevelOr0
    min_rsa_bits: PosInt
    weak_kex: Algorithms
    weak_ciphers: Algorithms
    weak_macs: Algorithms
    weak_host_key_algorithms: Algorithms


class Categories(Section):
    cleartext_login: PortList
    cleartext_file_transfer: PortList
    remote_desktop_file_sharing: PortList
    datastores: PortList


class Network(Section):
    risky_ports: Annotated[dict[Port, Name], REMOVABLE]
    risky_udp_ports: Annotated[dict[Port, Name], REMOVABLE]
    categories: Categories
    scan_ports: Annotated[str, expect(_port_spec)]
    nmap_host_timeout: PosInt
    service_detection: Annotated[bool, expect(_bool)]
    service_detection_timeout: PosInt


class AccountsPolicy(Section):
    pass_min_len: PosInt
    pass_max_days: PosInt
    pass_min_days: NonNegInt
    pass_warn_age: NonNegInt
    min_char_classes: Annotated[int, Field(ge=1, le=4), expect(CHAR_CLASSES)]
    lockout_max_attempts: PosInt
    lockout_min_unlock_seconds: NonNegInt
    uid0_accounts: Accounts
    password_history: NonNegInt
    pwquality_max_retry: PosInt
    pwquality_min_difok: NonNegInt
    password_hashes: _choice_list(PASSWORD_HASHES)


class Files(Section):
    host_key_owners: Accounts
    host_key_groups: Accounts


class Kernel(Section):
    exact: Annotated[dict[SysctlKey, NonNegInt], REMOVABLE]
    at_least: Annotated[dict[SysctlKey, NonNegInt], REMOVABLE]
    forwarding_roles: Accounts


class Updates(Section):
    max_pending_security: NonNegInt
    notice_max_age_days: PosInt
    lists_max_age_days: PosInt


class Antimalware(Section):
    process_names: _processes("clamd")
    unit_names: _units("clamav-daemon.service")


class Services(Section):
    risky_processes: _processes("vsftpd", allow_empty=True)
    risky_units: _units("vsftpd.service")


class Logging(Section):
    retention_days: PosInt


class Soc(Section):
    contract_warning_days: NonNegInt


class Http(Section):
    hsts_min_max_age: NonNegInt
    required_headers: Headers
    version_headers: Headers


class Vulns(Section):
    fail_severity: Severity
    max_table_age_days: PosInt


class Advisories(Section):
    fail_severity: Severity
    max_age_days: PosInt


class Audit(Section):
    process_names: _processes("auditd")
    required_rules: Annotated[dict[Name, Annotated[list[str], Field(min_length=1), expect(_rule_items)]], REMOVABLE]
    space_left_actions: _choice_list(AUDITD_ACTIONS)
    admin_space_left_actions: _choice_list(AUDITD_ACTIONS)
    disk_full_actions: _choice_list(AUDITD_ACTIONS)


class TimeSync(Section):
    process_names: _processes("chronyd")


class Edr(Section):
    process_names: _processes("wazuh-agentd")


class National(Section):
    agent_from_level: LevelOr0
    agent_process_names: _processes("wazuh-agentd", allow_empty=True)


class History(Section):
    persistent_runs: PosInt
    trend_runs: PosInt


class Windows(Section):
    antimalware_services: _services()
    max_signature_age_days: PosInt
    max_update_age_days: PosInt
    password_history: NonNegInt
    max_local_admins: PosInt
    audit_subcategories: Annotated[dict[Name, AuditRequirement], REMOVABLE]
    soc_agent_services: _services()
    national_agent_services: _services(allow_empty=True)


class Policy(Section):
    """Every threshold and list that checks and scoring use; defaults in fourlayer/data/policy.yaml."""

    scoring: Scoring
    assessment: Assessment
    tls: Tls
    ssh: Ssh
    network: Network
    accounts: AccountsPolicy
    files: Files
    kernel: Kernel
    updates: Updates
    antimalware: Antimalware
    services: Services
    logging: Logging
    soc: Soc
    http: Http
    vulns: Vulns
    advisories: Advisories
    audit: Audit
    time_sync: TimeSync
    edr: Edr
    national: National
    history: History
    windows: Windows

    @classmethod
    def of(cls, plain: Any) -> "Policy":
        """The typed view of a policy dict that `load_policy` validated (or its JSON, as a worker receives it:
        open maps with number keys get them back as numbers). Not validated again; keys the model does not
        have are left out (e.g. a collector setting a benchmark adds), keys it has but the dict lacks raise
        PolicyKeyError when read."""
        return plain if isinstance(plain, Policy) else _build(cls, plain)


def section_of(annotation: Any) -> type[Section] | None:
    """The section model a field holds, if it holds one."""
    return annotation if isinstance(annotation, type) and issubclass(annotation, Section) else None


def open_map_key(field: FieldInfo) -> Any:
    """The key type of an open-map field (`dict[K, V]`), or None for other fields."""
    args = getattr(field.annotation, "__args__", None)
    return args[0] if getattr(field.annotation, "__origin__", None) is dict and args else None


def null_removes(field: FieldInfo) -> bool:
    extra = field.json_schema_extra
    return isinstance(extra, dict) and bool(extra.get(NULL_REMOVES))


def _int_keyed(field: FieldInfo) -> bool:
    key = open_map_key(field)
    return getattr(key, "__origin__", key) is int


def _build(model: type[Section], data: Any) -> Any:
    values = {}
    for name, field in model.model_fields.items():
        if name not in data:
            continue  # read, it raises PolicyKeyError naming it
        value = data[name]
        sub = section_of(field.annotation)
        if sub is not None:
            value = _build(sub, value)
        elif _int_keyed(field):
            value = {int(k): v for k, v in value.items()}
        values[name] = value
    return model.model_construct(**values)


def _name_sections(model: type[Section], path: str) -> None:
    model.__policy_path__ = path
    for name, field in model.model_fields.items():
        sub = section_of(field.annotation)
        if sub is not None:
            _name_sections(sub, f"{path}.{name}")


_name_sections(Policy, "policy")


def policy_schema() -> dict[str, Any]:
    """The JSON Schema of a user's policy file: the model's, with nothing required (a user file is partial,
    merged over the defaults) and `null` allowed as a value in the open maps where it removes a default entry."""
    out = schema(Policy, "fourlayer policy file (a partial policy, merged key by key over the built-in defaults)",
                 "https://fourlayer.invalid/schema/policy.schema.json")

    def partial(node: Any) -> Any:
        if isinstance(node, dict):
            node = {k: partial(v) for k, v in node.items() if k != "required"}
            if node.pop(NULL_REMOVES, False) and isinstance(node.get("additionalProperties"), dict):
                node["additionalProperties"] = {"anyOf": [node["additionalProperties"], {"type": "null"}]}
        elif isinstance(node, list):
            node = [partial(v) for v in node]
        return node

    return partial(copy.deepcopy(out))


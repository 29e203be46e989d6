"""Load and validate an inventory YAML file into `fourlayer.config.inventory.Inventory`.

Every problem raises one `InputError(file, line, field, message)` before any traffic is sent, e.g.
`inv.yaml:14: agencies[0].systems[1].level: expected an integer 1–5 (...), got 7`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import ipaddress
import os
import re
from pathlib import Path
from typing import Any, Mapping

from fourlayer.collectors.allowlist import safe_path
from fourlayer.core.errors import CollectorError, InputError
from fourlayer.config.inventory import (SOC, Agency, Assessment, Contact, Endpoint, Host, Inventory,
                                 NationalMonitoring, SSHSettings, System)
from fourlayer.config.yaml_lines import (LineDict, LineList, expect_kind, field_path, got, item_path, kind, load_yaml,
                                  show, to_plain)

# Allowed keys per mapping (inventory/schema.json must list the same; a test keeps them in step).
TOP_KEYS = ("version", "policy", "defaults", "agencies")
DEFAULTS_KEYS = ("ssh",)
SSH_KEYS = ("port", "user", "key_file", "known_hosts", "password_env", "sshd_config", "sudo", "sysroot",
            "enabled")
AGENCY_KEYS = ("id", "name", "security_officer", "soc", "national_monitoring", "incident_contact",
               "organisation_assessment", "systems")
CONTACT_KEYS = ("name", "email", "phone")
SOC_KEYS = ("provider", "contract_until", "manager", "log_collector", "systems")
NATIONAL_KEYS = ("connected", "since", "collector", "antimalware_connected")
SYSTEM_KEYS = ("id", "name", "level", "last_assessment", "hosts")
ASSESSMENT_KEYS = ("date", "assessor", "operator_independent", "licence", "findings_open", "report",
                   "remediation_plan", "remediation_due")
HOST_KEYS = ("address", "id", "roles", "tls", "http", "services", "ssh", "tls_ca_file", "tls_server_name", "tags")

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
SECRET_KEY_RE = re.compile(r"^(?:.*[_-])?(?:password|passwd|passphrase|secret)\Z", re.IGNORECASE)
_VAR_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)|(\$)|)")
_LABEL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 .()-]{2,30}\Z")
_LEVEL_MSG = "expected an integer 1–5 (the Decree 85/2016 classification level)"
# Bounds on what a file may declare (every value is also at most yaml_lines.MAX_CHARS): reports repeat names
# on every result, so an unbounded name is an output amplifier.
MAX_TEXT = 500  # a name, an assessor, a licence: one line of text
MAX_LONG_TEXT = 4000  # a rationale, a remediation, a note
MAX_ID = 100
MAX_PATH = 4096
MAX_LABELS = 100  # roles or tags of one host


def load_inventory(path: str | Path, env: Mapping[str, str] | None = None) -> Inventory:
    """Read, validate and resolve an inventory file. Raises InputError on the first problem.

    `env` replaces os.environ for `${VAR}` expansion in paths (tests, reproducible runs).
    """
    shown = str(path)
    data = load_yaml(path)
    base = Path(os.path.abspath(path)).parent
    return _Validator(shown, base, os.environ if env is None else env).inventory(data)


def parse_address(text: str) -> str | None:
    """The normalised address (IP literal or lower-case hostname), or None if it is neither."""
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        pass
    name = text[:-1] if text.endswith(".") else text
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL_RE.match(label) for label in labels):
        return None
    if labels[-1].isdigit():  # 127.0.0.256 is a bad IPv4 address, not a hostname
        return None
    return name.lower()


class _Validator:
    def __init__(self, path: str, base: Path, env: Mapping[str, str]):
        self.path = path
        self.base = base
        self.env = env
        self.first: dict[str, dict[Any, int]] = {}  # kind -> unique key -> line of first use
        self.ssh_defaults: dict[str, Any] = {}

    # -- errors and generic getters -------------------------------------------------------------

    def fail(self, line: int | None, field: str | None, message: str) -> None:
        raise InputError(self.path, line, field, message)

    def unique(self, kind_: str, key: Any, line: int, where: str, label: str, fix: str) -> None:
        table = self.first.setdefault(kind_, {})
        if key in table:
            self.fail(line, where, f"duplicate {label} (first at line {table[key]}); {fix}")
        table[key] = line

    def mapping(self, value: Any, line: int, field: str | None, expected: str) -> LineDict:
        if not isinstance(value, LineDict):
            self.fail(line, field, f"expected a mapping ({expected}), got {got(value)}")
        return value

    def keys(self, m: LineDict, field: str | None, allowed: tuple[str, ...]) -> None:
        for key in m:
            where = field_path(field, key)
            if not isinstance(key, str):
                self.fail(m.key_line(key), field, f"key {show(key)} is not text; allowed keys: {', '.join(allowed)}")
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
                self.fail(m.key_line(key), where, f"unknown key; {hint}")

    def get(self, m: LineDict, key: str, field: str | None, required: str | None = None) -> tuple[Any, int, str]:
        """(value, line, field path); a missing/null required key fails with `required` as the hint."""
        where = field_path(field, key)
        value = m.get(key)
        if value is None and required:
            self.fail(m.value_line(key), where, f"missing; add {key}: {required}")
        return value, m.value_line(key), where

    def text(self, m: LineDict, key: str, field: str | None, required: str | None = None,
             limit: int = MAX_TEXT) -> str | None:
        value, line, where = self.get(m, key, field, required)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            quoted = "; put it in quotes" if isinstance(value, (int, float, dt.date)) else ""
            self.fail(line, where, f"expected text, got {got(value)}{quoted}")
        self.bounded(value.strip(), limit, line, where)
        return value.strip()

    def bounded(self, value: str, limit: int, line: int, where: str) -> None:
        if len(value) > limit:
            self.fail(line, where, f"{len(value)} characters, longer than the {limit} characters allowed; shorten it")

    def ident(self, m: LineDict, key: str, field: str | None, required: str | None = None) -> str | None:
        value, line, where = self.get(m, key, field, required)
        if value is None:
            return None
        return self.check_ident(value, line, where)

    def check_ident(self, value: Any, line: int, where: str) -> str:
        if not isinstance(value, str) or not ID_RE.match(value):
            extra = "; quote it" if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
            self.fail(line, where, "expected an id of letters, digits, '.', '_' or '-' (starting with a letter "
                                   f"or digit), got {got(value)}{extra}")
        self.bounded(value, MAX_ID, line, where)
        return value

    def boolean(self, m: LineDict, key: str, field: str | None, required: str | None = None) -> bool | None:
        value, line, where = self.get(m, key, field, required)
        if value is not None and not isinstance(value, bool):
            self.fail(line, where, f"expected true or false, got {got(value)}")
        return value

    def integer(self, m: LineDict, key: str, field: str | None, lo: int, hi: int, expected: str,
                required: str | None = None) -> int | None:
        value, line, where = self.get(m, key, field, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            extra = "; write it without quotes" if isinstance(value, str) and value.strip().isdigit() else ""
            shown = show(value) if type(value) is int else got(value)
            self.fail(line, where, f"{expected}, got {shown}{extra}")
        return value

    def port(self, value: Any, line: int, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            shown = show(value) if type(value) is int else got(value)
            extra = "; write it without quotes" if isinstance(value, str) and value.strip().isdigit() else ""
            self.fail(line, where, f"expected a TCP port number 1–65535, got {shown}{extra}")
        return value

    def seq(self, m: LineDict, key: str, field: str | None, expected: str) -> LineList | None:
        value, line, where = self.get(m, key, field)
        if value is None:
            return None
        if not isinstance(value, LineList):
            self.fail(line, where, f"expected a list ({expected}), got {got(value)}; "
                                   f"write {key}: [...]")
        return value

    def port_list(self, m: LineDict, key: str, field: str | None) -> tuple[int, ...]:
        items = self.seq(m, key, field, "of port numbers, e.g. [80, 443]")
        if items is None:
            return ()
        out: dict[int, None] = {}  # ordered and O(1) lookups: 65,535 ports validate in linear time
        for i, value in enumerate(items):
            where = item_path(field_path(field, key), i)
            port = self.port(value, items.item_line(i), where)
            if port in out:
                self.fail(items.item_line(i), where, f"port {port} is listed twice; remove one")
            out[port] = None
        return tuple(out)

    def ident_list(self, m: LineDict, key: str, field: str | None) -> tuple[str, ...]:
        items = self.seq(m, key, field, "of names, e.g. [linux, web]")
        if items is None:
            return ()
        if len(items) > MAX_LABELS:
            self.fail(items.line, field_path(field, key), f"{len(items)} items, more than the {MAX_LABELS} items "
                                                          "allowed; keep the ones checks or reports use")
        out = [self.check_ident(v, items.item_line(i), item_path(field_path(field, key), i))
               for i, v in enumerate(items)]
        return tuple(dict.fromkeys(out))

    def date(self, m: LineDict, key: str, field: str | None, required: str | None = None) -> dt.date | None:
        value, line, where = self.get(m, key, field, required)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str) and _DATE_RE.match(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError as exc:
                self.fail(line, where, f"expected a date YYYY-MM-DD, got {show(value)} ({exc})")
        self.fail(line, where, f"expected a date YYYY-MM-DD, got {got(value)}")
        return None  # unreachable

    def address(self, value: Any, line: int, where: str) -> str:
        normal = parse_address(value.strip()) if isinstance(value, str) else None
        if normal is None:
            hint = "; write IPv6 without brackets" if isinstance(value, str) and value.startswith("[") else ""
            self.fail(line, where, "expected an IPv4/IPv6 address or a hostname, "
                                   f"got {got(value)}{hint}")
        return value.strip()

    def endpoint(self, m: LineDict, key: str, field: str | None) -> Endpoint | None:
        value, line, where = self.get(m, key, field)
        if value is None:
            return None
        bad = (f"expected 'host:port' (e.g. 127.0.0.1:1514; IPv6 as [::1]:1514), "
               f"got {got(value)}")
        if not isinstance(value, str) or ":" not in value:
            self.fail(line, where, bad)
        host, _, port_text = value.strip().rpartition(":")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
            if ":" not in host:
                self.fail(line, where, bad)
        elif ":" in host:
            self.fail(line, where, bad + "; put an IPv6 address in brackets")
        if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
            self.fail(line, where, f"port must be 1–65535 in 'host:port', got {show(value)}")
        if parse_address(host) is None:
            self.fail(line, where, bad)
        return Endpoint(host, int(port_text))

    # -- paths and environment ----------------------------------------------------------------

    def expand_vars(self, value: str, line: int, where: str) -> str:
        """${VAR}/$VAR from the environment; an unset variable is an error naming it."""

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(2)
            if match.group(3):
                return "$"
            if not name:
                self.fail(line, where, "a '$' must start $NAME or ${NAME}; write $$ for a literal '$'")
            if name not in self.env:
                self.fail(line, where, f"environment variable {name} is not set; export {name}=... "
                                       "or write the value out")
            return self.env[name]

        return _VAR_RE.sub(substitute, value.strip())

    def local_path(self, m: LineDict, key: str, field: str | None) -> str | None:
        """A path on this machine: ${VAR}/$VAR and ~ expanded, relative to the inventory's folder."""
        value, line, where = self.get(m, key, field)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip() or "\x00" in value:
            self.fail(line, where, f"expected a file path, got {got(value)}")
        text = self.expand_vars(value, line, where)
        self.bounded(text, MAX_PATH, line, where)
        if text == "~" or text.startswith("~/"):
            home = self.env.get("HOME") or os.path.expanduser("~")
            text = home + text[1:]
        elif text.startswith("~"):
            text = os.path.expanduser(text)
        return os.path.normpath(self.base / text)

    def remote_path(self, m: LineDict, key: str, field: str | None) -> str | None:
        """An absolute path on the target host; ${VAR}/$VAR expanded on this machine, ~ is not."""
        value, line, where = self.get(m, key, field)
        if value is None:
            return None
        text = self.expand_vars(value, line, where) if isinstance(value, str) else value
        if not isinstance(text, str) or not text.startswith("/") or "\x00" in text:
            self.fail(line, where, f"expected an absolute path on the target (starting with '/'), got {show(value)}")
        self.bounded(text, MAX_PATH, line, where)
        try:
            safe_path(text, key)  # the collector's own rule: what it would refuse at scan time fails here
        except CollectorError:
            self.fail(line, where, "expected a plain absolute path on the target ('/' then letters, digits, "
                                   f". _ / + - only, no '..'), got {show(text)}")
        return text

    # -- sections ------------------------------------------------------------------------------

    def reject_secrets(self, root: Any) -> None:
        seen: set[int] = set()

        def walk(node: Any, where: str | None) -> None:
            if id(node) in seen:
                return
            seen.add(id(node))
            if isinstance(node, dict):
                for key, value in node.items():
                    sub = field_path(where, key)
                    if isinstance(key, str) and SECRET_KEY_RE.match(key):
                        line = node.key_line(key) if isinstance(node, LineDict) else None
                        self.fail(line, sub, "clear-text secrets are not allowed in the inventory (value not "
                                             "shown); remove it and set password_env: NAME — the name of an "
                                             "environment variable that holds the secret")
                    walk(value, sub)
            elif isinstance(node, list):
                for i, value in enumerate(node):
                    walk(value, item_path(where, i))

        walk(root, None)

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
        agencies_raw, line, where = self.get(root, "agencies", None,
                                              "<a list of agencies, each with id:, name:, systems:>")
        if not isinstance(agencies_raw, LineList):
            self.fail(line, where, f"expected a list of agencies, got {got(agencies_raw)}")
        if not agencies_raw:
            self.fail(line, where, "the list is empty; add at least one agency with id:, name: and systems:")
        agencies = tuple(self.agency(a, agencies_raw.item_line(i), item_path("agencies", i))
                         for i, a in enumerate(agencies_raw))
        return Inventory(path=self.path, version=1, agencies=agencies, policy_path=policy_path,
                         defaults={"ssh": to_plain(self.ssh_defaults)} if self.ssh_defaults else {})

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
        return Host(address=address, id=host_id, roles=self.ident_list(m, "roles", field), ssh=ssh,
                    tls=self.port_list(m, "tls", field), http=self.port_list(m, "http", field),
                    services=self.port_list(m, "services", field),
                    tls_ca_file=self.local_path(m, "tls_ca_file", field), tls_server_name=tls_name,
                    tags=self.ident_list(m, "tags", field), line=m.line)

    def host_ssh(self, m: LineDict, field: str) -> SSHSettings:
        value, line, where = self.get(m, "ssh", field)
        if value is False:
            return SSHSettings(enabled=False)
        if value is None or value is True:
            return SSHSettings(**self.ssh_defaults)
        own = self.ssh_fields(self.mapping(value, line, where, "port:, user:, ... — or false to disable SSH"), where)
        return SSHSettings(**{**self.ssh_defaults, **own})

"""Import an Ansible inventory (INI or YAML) as a fourlayer inventory: groups become information systems.

- Every group with hosts of its own becomes a system (id and name = the group name, level = --level); hosts
  directly under `all` (or before any section in INI) go to a system `ungrouped`. A host in several groups is
  listed once, in the first group it appears in; all its groups become its `tags`.
- `ansible_host` → address (else the inventory name), `ansible_port`/`ansible_ssh_port` → ssh.port,
  `ansible_user`/`ansible_ssh_user` → ssh.user, `ansible_ssh_private_key_file` → ssh.key_file;
  `ansible_connection: local` → ssh: false; winrm/psrp → role windows and ssh: false; network_cli/netconf/httpapi
  → role network; anything else → role linux. Variables apply in Ansible's order: `all`, then parent before child
  groups, then the host's own.
- Passwords and other secrets (ansible_password, ansible_become_pass, …) are never copied; Jinja templates cannot
  be evaluated here and are left out with a warning (an `ansible_host` template is an error).
Every problem names the Ansible file and line.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fourlayer.config.validation import ID_RE, parse_address
from fourlayer.config.yaml_lines import LineDict, load_yaml
from fourlayer.core.errors import InputError

SECRET_VAR = re.compile(r"(pass|password|passphrase|secret|token|vault)", re.IGNORECASE)
_SECTION = re.compile(r"^\[([^\]:\s]+)(?::(vars|children))?\]\s*(?:[#;].*)?$")
_RANGE = re.compile(r"\[([0-9]+|[a-zA-Z]):([0-9]+|[a-zA-Z])(?::([0-9]+))?\]")
_TEMPLATE = re.compile(r"\{\{|\{%")
WINDOWS, NETWORK = ("winrm", "psrp"), ("network_cli", "netconf", "httpapi")
PORT_VARS, USER_VARS = ("ansible_port", "ansible_ssh_port"), ("ansible_user", "ansible_ssh_user")
KEY_VARS = ("ansible_ssh_private_key_file", "ansible_private_key_file")
MAX_EXPANSION = 10000


@dataclass
class _Group:
    name: str
    line: int
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    vars: dict[str, tuple[Any, int]] = field(default_factory=dict)  # name -> (value, line)


@dataclass
class _Host:
    name: str
    line: int
    vars: dict[str, tuple[Any, int]] = field(default_factory=dict)


@dataclass
class AnsibleInventory:
    path: str
    groups: dict[str, _Group] = field(default_factory=dict)
    hosts: dict[str, _Host] = field(default_factory=dict)

    def group(self, name: str, line: int) -> _Group:
        return self.groups.setdefault(name, _Group(name, line))

    def host(self, name: str, line: int) -> _Host:
        return self.hosts.setdefault(name, _Host(name, line))


@dataclass
class ImportResult:
    text: str  # the fourlayer inventory (YAML)
    systems: int
    hosts: int
    warnings: list[str]


# ---------------------------------------------------------------- reading
def expand_pattern(pattern: str, path: str, line: int) -> list[str]:
    """`web[01:03].x` → web01.x web02.x web03.x; `db-[a:c]` → db-a db-b db-c (Ansible host ranges)."""
    m = _RANGE.search(pattern)
    if not m:
        return [pattern]
    lo, hi, step = m.group(1), m.group(2), int(m.group(3) or 1)
    head, tail = pattern[:m.start()], pattern[m.end():]
    if lo.isdigit() != hi.isdigit() or step < 1:
        raise InputError(path, line, None, f"bad host range [{m.group(0)[1:-1]}]; write [01:20] or [a:f]")
    if lo.isdigit():
        width = len(lo) if lo.startswith("0") else 0
        values = [str(i).zfill(width) for i in range(int(lo), int(hi) + 1, step)]
    else:
        values = [chr(c) for c in range(ord(lo), ord(hi) + 1, step)]
    if not values or len(values) > MAX_EXPANSION:
        raise InputError(path, line, None, f"host range [{m.group(0)[1:-1]}] gives {len(values)} hosts; "
                                           "check its bounds")
    out = []
    for v in values:
        out.extend(expand_pattern(head + v + tail, path, line))
        if len(out) > MAX_EXPANSION:
            raise InputError(path, line, None, "host ranges expand to too many hosts")
    return out


def _key_values(words: list[str], path: str, line: int) -> dict[str, tuple[Any, int]]:
    out = {}
    for word in words:
        key, eq, value = word.partition("=")
        if not eq or not key:
            raise InputError(path, line, None, f"expected key=value, got {word[:60]!r}")
        out[key] = (value, line)
    return out


def parse_ini(text: str, path: str) -> AnsibleInventory:
    inv = AnsibleInventory(path)
    section, kind = "ungrouped", "hosts"
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("["):
            m = _SECTION.match(stripped)
            if not m:
                raise InputError(path, number, None, f"bad section header {stripped[:60]!r}; expected [group], "
                                                     "[group:vars] or [group:children]")
            section, kind = m.group(1), m.group(2) or "hosts"
            inv.group(section, number)
            continue
        try:
            words = shlex.split(stripped, comments=True)
        except ValueError as exc:
            raise InputError(path, number, None, f"cannot split this line ({exc}); check its quotes") from None
        if not words:
            continue
        group = inv.group(section, number)
        if kind == "vars":
            if len(words) == 3 and words[1] == "=":  # `key = value`
                words = [f"{words[0]}={words[2]}"]
            group.vars.update(_key_values(words, path, number))
        elif kind == "children":
            if len(words) != 1:
                raise InputError(path, number, None, f"expected one group name per line in [{section}:children]")
            inv.group(words[0], number)
            if words[0] not in group.children:
                group.children.append(words[0])
        else:
            host_vars = _key_values(words[1:], path, number)
            for name in expand_pattern(words[0], path, number):
                host = inv.host(name, number)
                host.vars.update(host_vars)
                if name not in group.hosts:
                    group.hosts.append(name)
    return inv


def parse_yaml(path: str) -> AnsibleInventory:
    data = load_yaml(path, check_values=False)  # values fourlayer uses are checked when the result loads
    inv = AnsibleInventory(path)
    if data is None:
        return inv
    if not isinstance(data, LineDict):
        raise InputError(path, getattr(data, "line", 1), None, "expected a mapping of groups, e.g. all: {hosts: …}")
    for name, body in data.items():
        _yaml_group(inv, str(name), body, data.key_line(name))
    return inv


def _yaml_vars(node: Any, path: str, line: int, where: str) -> dict[str, tuple[Any, int]]:
    if node is None:
        return {}
    if not isinstance(node, LineDict):
        raise InputError(path, line, where, "expected a mapping of variables")
    return {str(k): (v, node.value_line(k)) for k, v in node.items()}


def _yaml_group(inv: AnsibleInventory, name: str, body: Any, line: int) -> None:
    path = inv.path
    group = inv.group(name, line)
    if body is None:
        return
    if not isinstance(body, LineDict):
        raise InputError(path, line, name, "expected a group mapping with hosts:, vars: or children:")
    unknown = [k for k in body if k not in ("hosts", "vars", "children")]
    if unknown:
        raise InputError(path, body.key_line(unknown[0]), f"{name}.{unknown[0]}",
                         "unknown key in a group; expected hosts:, vars: or children:")
    hosts = body.get("hosts")
    if hosts is not None:
        if not isinstance(hosts, LineDict):
            raise InputError(path, body.value_line("hosts"), f"{name}.hosts",
                             "expected a mapping of host names (each followed by ':')")
        for pattern, host_vars in hosts.items():
            host_line = hosts.key_line(pattern)
            values = _yaml_vars(host_vars, path, host_line, f"{name}.hosts.{pattern}")
            for host_name in expand_pattern(str(pattern), path, host_line):
                inv.host(host_name, host_line).vars.update(values)
                if host_name not in group.hosts:
                    group.hosts.append(host_name)
    group.vars.update(_yaml_vars(body.get("vars"), path, body.value_line("vars"), f"{name}.vars"))
    children = body.get("children")
    if children is not None:
        if not isinstance(children, LineDict):
            raise InputError(path, body.value_line("children"), f"{name}.children", "expected a mapping of groups")
        for child, child_body in children.items():
            if str(child) not in group.children:
                group.children.append(str(child))
            _yaml_group(inv, str(child), child_body, children.key_line(child))


def read_ansible(path: str | Path) -> AnsibleInventory:
    """Parse an Ansible inventory file; YAML by extension (.yml/.yaml) or content, else INI."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(shown, None, None, f"cannot read the Ansible inventory: {exc}") from None
    first = next((ln.strip() for ln in text.splitlines() if ln.strip() and ln.strip()[0] not in "#;"), "")
    is_yaml = Path(path).suffix.lower() in (".yml", ".yaml") or first == "---" or \
        (first.endswith(":") and not first.startswith("["))
    return parse_yaml(shown) if is_yaml else parse_ini(text, shown)


# ---------------------------------------------------------------- converting
def _depths(inv: AnsibleInventory) -> dict[str, int]:
    depth = {name: 0 for name in inv.groups}
    for _ in range(len(inv.groups) + 1):  # longest parent chain, cycles cannot loop forever
        changed = False
        for g in inv.groups.values():
            for child in g.children:
                if depth.get(child, 0) < depth[g.name] + 1:
                    depth[child] = depth[g.name] + 1
                    changed = True
        if not changed:
            break
    return depth


def _memberships(inv: AnsibleInventory) -> dict[str, list[str]]:
    """host -> every group it belongs to, directly or through parent groups (all included)."""
    parents: dict[str, set[str]] = {}
    for g in inv.groups.values():
        for child in g.children:
            parents.setdefault(child, set()).add(g.name)
    out: dict[str, list[str]] = {}
    for g in inv.groups.values():
        for host in g.hosts:
            todo, seen = [g.name], out.setdefault(host, [])
            while todo:
                name = todo.pop()
                if name not in seen:
                    seen.append(name)
                    todo.extend(sorted(parents.get(name, ())))
    return out


def _effective_vars(inv: AnsibleInventory, host: _Host, groups: list[str], depth: dict[str, int]
                    ) -> dict[str, tuple[Any, int]]:
    merged: dict[str, tuple[Any, int]] = {}
    if "all" in inv.groups and "all" not in groups:
        merged.update(inv.groups["all"].vars)
    for name in sorted(groups, key=lambda n: (depth.get(n, 0), n)):
        merged.update(inv.groups[name].vars)
    merged.update(host.vars)
    return merged


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._")
    return slug if slug and ID_RE.match(slug) else "group"


Skipped = dict[tuple[int, str, str], list[str]]  # (line, variable, why) -> hosts


def _convert_host(inv: AnsibleInventory, host: _Host, values: dict[str, tuple[Any, int]], tags: list[str],
                  skipped: Skipped) -> dict[str, Any]:
    path = inv.path

    def value(names: tuple[str, ...]) -> tuple[Any, int] | None:
        for n in names:
            if n in values:
                v, line = values[n]
                if isinstance(v, str) and _TEMPLATE.search(v):
                    if n == "ansible_host":
                        raise InputError(path, line, n, f"host {host.name}: a Jinja template cannot be imported; "
                                                        "write the address")
                    skipped.setdefault((line, n, "a Jinja template cannot be evaluated here"), []).append(host.name)
                    return None
                return v, line
        return None

    for name, (_, line) in values.items():
        if SECRET_VAR.search(name) and not name.endswith("_file"):
            skipped.setdefault((line, name, "secrets never go into a fourlayer inventory (use ssh keys or "
                                            "ssh.password_env)"), []).append(host.name)
    addr_value = value(("ansible_host", "ansible_ssh_host"))
    raw_address, addr_line = (str(addr_value[0]), addr_value[1]) if addr_value else (host.name, host.line)
    if parse_address(raw_address.strip()) is None:
        raise InputError(path, addr_line, "ansible_host", f"host {host.name}: {raw_address[:80]!r} is not an IP "
                                                          "address or hostname")
    entry: dict[str, Any] = {"address": raw_address.strip()}
    if _slug(host.name) != raw_address.strip():
        entry["id"] = _slug(host.name)
    connection = value(("ansible_connection",))
    conn = str(connection[0]) if connection else "ssh"
    entry["roles"] = ["windows"] if conn in WINDOWS else ["network"] if conn in NETWORK else ["linux"]
    if tags:
        entry["tags"] = tags
    if conn == "local" or conn in WINDOWS:  # not reached over SSH
        entry["ssh"] = False
        return entry
    ssh: dict[str, Any] = {}
    port = value(PORT_VARS)
    if port is not None:
        text = str(port[0]).strip()
        if not text.isdigit() or not 1 <= int(text) <= 65535:
            raise InputError(path, port[1], "ansible_port", f"host {host.name}: expected a port 1–65535, "
                                                            f"got {text[:40]!r}")
        ssh["port"] = int(text)
    user = value(USER_VARS)
    if user is not None:
        ssh["user"] = str(user[0])
    key = value(KEY_VARS)
    if key is not None:
        ssh["key_file"] = str(key[0])
    if ssh:
        entry["ssh"] = ssh
    return entry


def convert(inv: AnsibleInventory, agency: str, level: int, agency_name: str | None = None) -> ImportResult:
    """The fourlayer inventory for an Ansible inventory (not yet validated: see `import_ansible`)."""
    if not ID_RE.match(agency):
        raise InputError(inv.path, None, "--agency", f"expected an id of letters, digits, '.', '_' or '-', "
                                                     f"got {agency!r}")
    if not inv.hosts:
        raise InputError(inv.path, None, None, "no hosts found in this Ansible inventory")
    depth, members = _depths(inv), _memberships(inv)
    skipped: Skipped = {}
    systems: dict[str, dict[str, Any]] = {}
    targets: dict[tuple, str] = {}
    placed: set[str] = set()
    for group in inv.groups.values():
        for host_name in group.hosts:
            if host_name in placed:
                continue
            placed.add(host_name)
            host = inv.hosts[host_name]
            groups = members.get(host_name, [])
            tags = sorted({_slug(g) for g in groups if g not in ("all", "ungrouped")})
            entry = _convert_host(inv, host, _effective_vars(inv, host, groups, depth), tags, skipped)
            ssh = entry.get("ssh")
            key = (parse_address(entry["address"]), ssh.get("port", 22) if isinstance(ssh, dict) else 22)
            if key in targets and ssh is not False:
                raise InputError(inv.path, host.line, host_name, f"same machine as {targets[key]} "
                                                                 f"({entry['address']}, ssh port {key[1]}); "
                                                                 "keep one of them")
            targets[key] = host_name
            system_name = "ungrouped" if group.name == "all" else group.name
            system = systems.setdefault(system_name, {"id": _slug(system_name), "name": system_name,
                                                      "level": level, "hosts": []})
            system["hosts"].append(entry)
    doc = {"version": 1, "agencies": [{"id": agency, "name": agency_name or agency,
                                       "systems": list(systems.values())}]}
    header = (f"# fourlayer inventory imported from the Ansible inventory {Path(inv.path).name}\n"
              f"# on {dt.date.today().isoformat()} by `fourlayer inventory import-ansible`.\n"
              "# Review before scanning: each system's classification level, its last_assessment, and the\n"
              "# agency's security_officer, soc, national_monitoring and incident_contact (not in Ansible).\n")
    text = header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=None, width=110)
    warnings = [f"{inv.path}:{line}: {name} not imported for {', '.join(hosts[:3])}"
                f"{f' and {len(hosts) - 3} more' if len(hosts) > 3 else ''}: {why}"
                for (line, name, why), hosts in sorted(skipped.items())]
    return ImportResult(text, len(systems), sum(len(s["hosts"]) for s in systems.values()), warnings)


def import_ansible(path: str | Path, agency: str, level: int, agency_name: str | None = None,
                   out: Path | None = None) -> ImportResult:
    """Read, convert and validate (with the real inventory loader); write to `out` when given."""
    import tempfile

    from fourlayer.config.inventory_load import load_inventory

    result = convert(read_ansible(path), agency, level, agency_name)
    with tempfile.TemporaryDirectory() as tmp:
        check = Path(tmp) / "inventory.yaml"
        check.write_text(result.text, encoding="utf-8")
        load_inventory(check)
    if out is not None:
        out.write_text(result.text, encoding="utf-8")
    return result

"""Where a host sends its logs and agent data: rsyslog, syslog-ng, systemd-journal-upload and the Wazuh/OSSEC agent.

Each parser returns `Destination`s with the port the software would use when the file names none, so that a
destination can be compared with an endpoint the inventory declares (`matches`). Names are compared as written
(checks never resolve names): declare the endpoint the way the hosts' configuration names it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from fourlayer.config.inventory import Endpoint
from fourlayer.core.target import Target
from fourlayer.resources.host_files import ConfigFile, command_out, config_files

SYSLOG_PORT = 514  # rsyslog omfwd/omrelp and syslog-ng network()/tcp()/udp() default
SYSLOG_NG_SYSLOG_PORT = 601  # syslog-ng syslog() driver default (RFC 5424 over TCP)
JOURNAL_UPLOAD_PORT = 19532  # systemd-journal-upload default
OSSEC_PORT = 1514  # Wazuh/OSSEC agent -> manager default


@dataclass(frozen=True)
class Destination:
    host: str
    port: int
    via: str  # what configures it, e.g. "rsyslog @@ (/etc/rsyslog.d/60-soc.conf)"

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port} via {self.via}"


def normal_host(host: str) -> str:
    host = host.strip().strip("[]").rstrip(".").lower()
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return host


def matches(dest: Destination, endpoint: Endpoint) -> bool:
    return dest.port == endpoint.port and normal_host(dest.host) == normal_host(endpoint.host)


def _strip_comments(text: str, block: bool = True) -> str:
    if block:
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _port(text: str | None, default: int) -> int:
    return int(text) if text and text.isdigit() and 0 < int(text) < 65536 else default


# ---- rsyslog ---------------------------------------------------------------------------------------------

_LEGACY = re.compile(r"(?:^|[\s;])(@@?)(?:\([^)]*\))?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d+))?", re.M)
_LEGACY_RELP = re.compile(r":omrelp:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d+)")
# RainerScript statements whose quoted text may contain an '@' that is not a forwarding action
_NOT_ACTIONS = ("$", "module(", "input(", "template(", "global(", "main_queue(", "property(", "constant(", "set ")
# bounded (an action's parameters fit in 2000 characters): `action(` repeated without `)` stays linear, not quadratic
_ACTION = re.compile(r"\baction\s*\(([^)]{0,2000})\)", re.I)
_PARAM = re.compile(r"""([A-Za-z.]+)\s*=\s*["']([^"']*)["']""")


def rsyslog(files: list[ConfigFile]) -> list[Destination]:
    """`*.* @host:port` (UDP), `@@host:port` (TCP), `:omrelp:host:port` and `action(type="omfwd"|"omrelp" ...)`."""
    found: list[Destination] = []
    for f in files:
        text = _strip_comments(f.text)
        for line in text.splitlines():
            if line.lstrip().startswith(_NOT_ACTIONS):
                continue
            for m in _LEGACY.finditer(line):
                proto = "TCP" if m.group(1) == "@@" else "UDP"
                found.append(Destination(m.group(2).strip("[]"), _port(m.group(3), SYSLOG_PORT),
                                         f"rsyslog {m.group(1)} {proto} ({f.path})"))
            for m in _LEGACY_RELP.finditer(line):
                found.append(Destination(m.group(1).strip("[]"), int(m.group(2)), f"rsyslog omrelp ({f.path})"))
        for m in _ACTION.finditer(text):
            params = {k.lower(): v for k, v in _PARAM.findall(m.group(1))}
            kind = params.get("type", "").lower()
            if kind in ("omfwd", "omrelp") and params.get("target"):
                proto = params.get("protocol", "udp" if kind == "omfwd" else "relp").upper()
                found.append(Destination(params["target"], _port(params.get("port"), SYSLOG_PORT),
                                         f"rsyslog {kind} {proto} ({f.path})"))
    return found


# ---- syslog-ng -------------------------------------------------------------------------------------------

_NG_DEST = re.compile(r"\bdestination\s+([A-Za-z0-9_]+)\s*\{(.*?)\}\s*;", re.S)
_NG_DRIVER = re.compile(r"\b(network|syslog|tcp6?|udp6?)\s*\(\s*(?:\"([^\"]+)\"|'([^']+)'|([A-Za-z0-9_.:-]+))", re.S)
_NG_LOG = re.compile(r"\blog\s*\{(.*?)\}\s*;", re.S)
_NG_USE = re.compile(r"\bdestination\s*\(\s*([A-Za-z0-9_]+)\s*\)")


def syslog_ng(files: list[ConfigFile]) -> list[Destination]:
    """Network drivers in `destination` blocks that some `log { ... destination(name); }` path uses."""
    text = "\n".join(_strip_comments(f.text, block=False) for f in files)
    where = files[0].path if len(files) == 1 else "/etc/syslog-ng"
    used = {name for block in _NG_LOG.findall(text) for name in _NG_USE.findall(block)}
    found: list[Destination] = []
    for name, body in _NG_DEST.findall(text):
        if name not in used:
            continue
        drivers = list(_NG_DRIVER.finditer(body))
        for i, m in enumerate(drivers):
            tail = body[m.end():drivers[i + 1].start() if i + 1 < len(drivers) else len(body)]
            port = re.search(r"\bport\s*\(\s*(\d+)\s*\)", tail)
            default = SYSLOG_NG_SYSLOG_PORT if m.group(1) == "syslog" else SYSLOG_PORT
            host = m.group(2) or m.group(3) or m.group(4)
            found.append(Destination(host, _port(port.group(1) if port else None, default),
                                     f"syslog-ng {m.group(1)}() in destination {name} ({where})"))
    return found


# ---- systemd-journal-upload ------------------------------------------------------------------------------

def journal_upload(files: list[ConfigFile]) -> list[Destination]:
    """`URL=` in the [Upload] section; the last setting wins, as in systemd."""
    url, where = None, ""
    for f in files:
        section = ""
        for line in _strip_comments(f.text, block=False).splitlines():
            line = line.strip()
            if line.startswith("["):
                section = line
            elif section == "[Upload]" and line.startswith("URL="):
                url, where = line[4:].strip(), f.path
    if not url:
        return []
    parts = urlsplit(url if "://" in url else f"https://{url}")
    try:
        port = parts.port or JOURNAL_UPLOAD_PORT
    except ValueError:
        return []
    return [Destination(parts.hostname, port, f"systemd-journal-upload ({where})")] if parts.hostname else []


# ---- Wazuh / OSSEC agent ---------------------------------------------------------------------------------

_XML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_CLIENT = re.compile(r"<client>(.*?)</client>", re.S)
_SERVER = re.compile(r"<server>(.*?)</server>", re.S)


def _tag(text: str, name: str) -> str | None:
    m = re.search(rf"<{name}>\s*([^<]*?)\s*</{name}>", text)
    return m.group(1) if m and m.group(1) else None


def ossec_managers(conf: str, path: str = "/var/ossec/etc/ossec.conf") -> list[Destination]:
    """Managers in `<client><server><address>..</address><port>..</port></server>` (Wazuh) or
    `<client><server-ip>`/`<server-hostname>` (OSSEC)."""
    found: list[Destination] = []
    for client in _CLIENT.findall(_XML_COMMENT.sub(" ", conf)):
        for server in _SERVER.findall(client):
            address = _tag(server, "address")
            if address:
                found.append(Destination(address, _port(_tag(server, "port"), OSSEC_PORT), f"agent ({path})"))
        for name in ("server-ip", "server-hostname"):
            address = _tag(client, name)
            if address:
                found.append(Destination(address, _port(_tag(client, "port"), OSSEC_PORT), f"agent ({path})"))
    return found


# ---- what a host's configuration forwards, and to whom --------------------------------------------------

def log_destinations(t: Target) -> list[Destination]:
    """Remote destinations configured in rsyslog, syslog-ng and systemd-journal-upload, parsed once per target
    (L2-LOG-001/002 and L4 read them; each caller gets its own list)."""
    cached = t.resources.get("log_destinations")
    if cached is None:
        cached = t.resources["log_destinations"] = tuple(
            rsyslog(config_files(t, "rsyslog_conf")) + syslog_ng(config_files(t, "syslog_ng_conf"))
            + journal_upload(config_files(t, "journal_upload_conf")))
    return list(cached)



def listed(dests: list[Destination]) -> str:
    return "\n".join(str(d) for d in dests)



def endpoints(dests: list[Destination]) -> str:
    """`host:port, host:port` of the destinations, for a reason line."""
    return ", ".join(f"{d.host}:{d.port}" for d in dests)


OSSEC_CONF = "/var/ossec/etc/ossec.conf"  # what the edr_agent_conf command reads (below the sysroot)



def agent_managers(t: Target) -> tuple[list[Destination], dict[str, str] | None]:
    """(managers named in the agent configuration, why it could not be read as {"en", "vi"} or None)."""
    rc, out = command_out(t, "edr_agent_conf")
    if rc == 0:
        return ossec_managers(out), None
    err = t.ev("ssh_shell").command("edr_agent_conf").err.strip()
    if "ermission denied" in err:
        return [], {"en": f"{OSSEC_CONF} is not readable by the audit account (set ssh.sudo: true)",
                    "vi": f"tài khoản kiểm tra không đọc được {OSSEC_CONF} (đặt ssh.sudo: true)"}
    if not err or "No such file" in err:
        return [], {"en": f"no agent configuration file ({OSSEC_CONF})",
                    "vi": f"không có tệp cấu hình tác tử ({OSSEC_CONF})"}
    last = err.splitlines()[-1][:160]
    return [], {"en": f"cannot read {OSSEC_CONF}: {last}", "vi": f"không đọc được {OSSEC_CONF}: {last}"}

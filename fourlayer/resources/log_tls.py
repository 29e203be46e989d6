"""Whether each log forwarding path is encrypted: rsyslog (gtls/ossl stream driver mode 1, RELP tls="on"),
syslog-ng (transport("tls") or a tls() block), systemd-journal-upload (https).

Why apart from `forwarding`: where a host sends its logs and how are different questions; a plain `@@collector`
delivers logs (L2-LOG-001) in clear text, readable and alterable on the way (L2-LOG-004).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fourlayer.resources.forwarding import _ACTION, _LEGACY, _NOT_ACTIONS, _PARAM, _strip_comments
from fourlayer.resources.host_files import ConfigFile

TLS_DRIVERS = ("gtls", "ossl")
_LEGACY_SET = re.compile(r"^\s*\$(DefaultNetstreamDriver|ActionSendStreamDriverMode|ActionSendStreamDriverAuthMode)"
                         r"\s+(\S+)", re.I)
# global(DefaultNetstreamDriver="gtls" ...): the parameter itself, searched in linear time
_GLOBAL_DRIVER = re.compile(r"""\bDefaultNetstreamDriver\s*=\s*["']([A-Za-z0-9_]{1,20})""", re.I)  # bounded: unclosed `global(` stays linear


@dataclass(frozen=True)
class Path:
    where: str  # e.g. "rsyslog @@ 10.0.0.5:6514 (/etc/rsyslog.d/60-soc.conf)"
    encrypted: bool
    note: str  # how it is (not) encrypted, e.g. "gtls, mode 1, auth x509/name"

    def __str__(self) -> str:
        return f"{self.where}: {self.note}"


def rsyslog_paths(files: list[ConfigFile]) -> list[Path]:
    paths: list[Path] = []
    driver, mode, auth = "ptcp", "0", "anon"  # rsyslog's defaults: plain TCP
    for f in files:
        text = _strip_comments(f.text)
        for g in _GLOBAL_DRIVER.finditer(text):
            driver = g.group(1).lower()
        for line in text.splitlines():
            legacy = _LEGACY_SET.match(line)
            if legacy:
                key, value = legacy.group(1).lower(), legacy.group(2).lower()
                if key == "defaultnetstreamdriver":
                    driver = value
                elif key == "actionsendstreamdrivermode":
                    mode = value
                else:
                    auth = value
                continue
            if line.lstrip().startswith(_NOT_ACTIONS):
                continue
            for m in _LEGACY.finditer(line):
                where = f"rsyslog {m.group(1)} {m.group(2)} ({f.path})"
                if m.group(1) == "@":
                    paths.append(Path(where, False, "UDP, never encrypted"))
                else:
                    paths.append(_stream(where, driver, mode, auth))
        for m in _ACTION.finditer(text):
            params = {k.lower(): v.lower() for k, v in _PARAM.findall(m.group(1))}
            kind = params.get("type", "")
            if kind not in ("omfwd", "omrelp") or not params.get("target"):
                continue
            where = f"rsyslog {kind} {params['target']} ({f.path})"
            if kind == "omrelp":
                on = params.get("tls", "off") == "on"
                paths.append(Path(where, on, "RELP with tls=\"on\"" if on else "RELP without tls=\"on\""))
            elif params.get("protocol", "udp") != "tcp":
                paths.append(Path(where, False, "UDP, never encrypted"))
            else:
                paths.append(_stream(where, params.get("streamdriver", driver), params.get("streamdrivermode", mode),
                                     params.get("streamdriverauthmode", auth)))
    return paths


def _stream(where: str, driver: str, mode: str, auth: str) -> Path:
    if driver in TLS_DRIVERS and mode == "1":
        if auth == "anon":
            return Path(where, False, f"TLS ({driver}) without authenticating the collector (auth mode anon)")
        return Path(where, True, f"TLS ({driver}, auth mode {auth})")
    return Path(where, False, f"plain TCP (stream driver {driver}, mode {mode})")


_NG_DEST = re.compile(r"\bdestination\s+([A-Za-z0-9_]+)\s*\{([^{}]{0,20000})\}\s*;")


def syslog_ng_paths(files: list[ConfigFile]) -> list[Path]:
    text = "\n".join(_strip_comments(f.text, block=False) for f in files)
    paths = []
    for name, body in _NG_DEST.findall(text):
        if not re.search(r"\b(network|syslog|tcp6?|udp6?)\s*\(", body):
            continue
        tls = bool(re.search(r"transport\s*\(\s*[\"']?tls", body) or re.search(r"\btls\s*\(", body))
        paths.append(Path(f"syslog-ng destination {name}", tls, "transport tls" if tls else "no TLS transport"))
    return paths


def journal_upload_paths(files: list[ConfigFile]) -> list[Path]:
    url = None
    for f in files:
        for line in f.text.splitlines():
            line = line.strip()
            if line.startswith("URL="):
                url = line[4:].strip()
    if not url:
        return []
    https = not url.lower().startswith("http://")  # journal-upload uses https when the scheme is left out
    return [Path(f"systemd-journal-upload {url}", https, "https" if https else "plain http")]

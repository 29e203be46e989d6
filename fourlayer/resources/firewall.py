"""Does a host's saved firewall configuration deny inbound traffic by default? nftables, ufw, firewalld, iptables.

Reads the configuration a host loads at boot (the live ruleset needs CAP_NET_ADMIN). Each backend gives a
`Backend` verdict; the unit that loads it at boot is named so the check can require it to be enabled.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from fourlayer.core.target import Target
from fourlayer.resources.host_files import ConfigFile, config_files
from fourlayer.rules.engine import parse_keyvalue

NFT_MAIN = ("/etc/nftables.conf", "/etc/sysconfig/nftables.conf")  # Debian, RHEL
IPTABLES_SAVED = ("/etc/iptables/rules.v4", "/etc/sysconfig/iptables")  # iptables-persistent, iptables-services
DENY = ("drop", "reject")
# unit(s) that load each backend's configuration at boot
BOOT_UNITS = {
    "nftables": ("nftables.service",),
    "ufw": ("ufw.service",),
    "firewalld": ("firewalld.service",),
    "iptables": ("netfilter-persistent.service", "iptables-persistent.service", "iptables.service"),
}


@dataclass(frozen=True)
class Backend:
    name: str  # nftables, ufw, firewalld or iptables
    deny: bool  # inbound traffic is denied unless a rule allows it
    detail: str  # what decided, e.g. "/etc/nftables.conf: inet filter input policy drop"
    detail_vi: str = ""  # the same in Vietnamese where it has words, not only settings ("" = as `detail`)


# ---- nftables ---------------------------------------------------------------------------------------------------

_FAMILY = r"(?:ip|ip6|inet|arp|bridge|netdev)"
_TABLE_OR_CHAIN = re.compile(
    rf"\b(?P<table>table)\s+(?:(?P<tfamily>{_FAMILY})\s+)?(?P<tname>[\w.-]{{1,64}})\s*\{{"
    rf"|\bchain\s+(?:(?P<cfamily>{_FAMILY})\s+(?P<cname>[\w.-]{{1,64}})\s+)?(?P<chain>[\w.-]{{1,64}})\s*\{{")
NFT_HEAD = 2000  # characters of a chain read for its type/hook/policy declaration
NFT_MAX_CHAINS = 2000  # tables and chains read per file
_INCLUDE = re.compile(r'^\s*include\s+"([^"]+)"', re.M)


def _closing_braces(text: str) -> dict[int, int]:
    """Position of each `{` -> position of its matching `}` (the end of the text if unbalanced); one pass."""
    pairs, stack = {}, []
    for m in re.finditer(r"[{}]", text):
        if m.group() == "{":
            stack.append(m.start())
        elif stack:
            pairs[stack.pop()] = m.start()
    pairs.update({i: len(text) for i in stack})
    return pairs


def nft_input_chains(text: str) -> list[tuple[str, str]]:
    """[(family table chain, policy)] of every base chain on the input hook (policy defaults to accept).

    A base chain declares `type … hook … priority …; policy …;` at its top: only the first NFT_HEAD characters
    of a chain are read, and at most NFT_MAX_CHAINS chains, so a hostile file cannot make this slow."""
    text = re.sub(r"#[^\n]*", "", text)
    closing = _closing_braces(text)
    family, table, chains = "ip", "", []
    for n, m in enumerate(_TABLE_OR_CHAIN.finditer(text)):
        if n >= NFT_MAX_CHAINS:
            break
        if m.group("table"):
            family, table = m.group("tfamily") or "ip", m.group("tname")
            continue
        head = text[m.end():min(closing[m.end() - 1], m.end() + NFT_HEAD)]
        if not re.search(r"\bhook\s+input\b", head):
            continue
        policy = re.search(r"\bpolicy\s+(\w+)", head)
        where = f"{m.group('cfamily')} {m.group('cname')}" if m.group("cfamily") else f"{family} {table}".strip()
        chains.append((f"{where} {m.group('chain')}", policy.group(1) if policy else "accept"))
    return chains


def _nft_files(main: ConfigFile, files: dict[str, ConfigFile]) -> list[ConfigFile]:
    """The main file and, transitively, what it includes (globs resolved against the collected files; each once)."""
    out, todo = [main], [main]
    while todo:
        for pattern in _INCLUDE.findall(todo.pop().text):
            for path in sorted(p for p in files if fnmatch.fnmatch(p, pattern)):
                if all(f.path != path for f in out):
                    out.append(files[path])
                    todo.append(files[path])
    return out


def nftables(files: dict[str, ConfigFile]) -> Backend | None:
    main = next((files[p] for p in NFT_MAIN if p in files), None)
    if main is None:
        return None
    chains = [(f.path, name, policy) for f in _nft_files(main, files) for name, policy in nft_input_chains(f.text)]
    deny = [c for c in chains if c[2] in DENY and c[1].split()[0] in ("inet", "ip")]
    if not chains:
        return Backend("nftables", False, f"{main.path}: no input chain", f"{main.path}: không có chain input")
    items = [f"{p}: {n} policy {pol}" for p, n, pol in deny or chains]
    head, more = "; ".join(items[:3]), len(items) - 3
    return Backend("nftables", bool(deny), head + (f" (+{more} more)" if more > 0 else ""),
                   head + (f" (+{more} mục khác)" if more > 0 else ""))


# ---- ufw, firewalld, iptables -----------------------------------------------------------------------------------

def ufw(files: dict[str, ConfigFile]) -> Backend | None:
    conf = files.get("/etc/ufw/ufw.conf")
    if conf is None:
        return None
    enabled = parse_keyvalue(conf.text).get("enabled", "no").lower()
    default = files.get("/etc/default/ufw")
    policy = parse_keyvalue(default.text).get("default_input_policy", "?").lower() if default else "?"
    detail = f"ENABLED={enabled}, DEFAULT_INPUT_POLICY={policy.upper()}"
    return Backend("ufw", enabled == "yes" and policy in DENY, detail)


def firewalld(files: dict[str, ConfigFile]) -> Backend | None:
    conf = files.get("/etc/firewalld/firewalld.conf")
    if conf is None:
        return None
    zone = parse_keyvalue(conf.text).get("defaultzone", "public")
    zone_file = files.get(f"/etc/firewalld/zones/{zone}.xml")
    m = re.search(r'<zone\b[^<>]{0,2000}?\btarget="([^"<>]{1,100})"', zone_file.text) if zone_file else None
    # built-in zones reject or drop what no service allows, except `trusted` (target ACCEPT)
    target = m.group(1) if m else ("ACCEPT" if zone == "trusted" else "default")
    return Backend("firewalld", target.upper() != "ACCEPT", f"DefaultZone={zone}, target {target}")


def iptables(files: dict[str, ConfigFile]) -> Backend | None:
    saved = next((files[p] for p in IPTABLES_SAVED if p in files), None)
    if saved is None:
        return None
    filter_table = re.search(r"^\*filter\s*$(.*?)^COMMIT\s*$", saved.text, re.S | re.M)
    body = filter_table.group(1) if filter_table else ""
    policy = re.search(r"^:INPUT\s+(\w+)", body, re.M)
    rules = re.findall(r"^-A INPUT\b(.*)$", body, re.M)
    last_denies = bool(rules) and re.fullmatch(r"\s*-j (DROP|REJECT)\b.*", rules[-1]) is not None
    chain_policy = policy.group(1) if policy else "ACCEPT"
    detail = f"{saved.path}: :INPUT {chain_policy}" + (f", last rule -A INPUT{rules[-1]}" if rules else "")
    return Backend("iptables", chain_policy.lower() in DENY or last_denies, detail)


def backends(files: list[ConfigFile]) -> list[Backend]:
    """Every firewall backend configured on the host, in the order nftables, ufw, firewalld, iptables."""
    by_path = {f.path: f for f in files}
    found = (read(by_path) for read in (nftables, ufw, firewalld, iptables))
    return [b for b in found if b is not None]


def firewall_backends(t: Target) -> list[Backend]:
    """backends() of the host's saved firewall configuration (firewall_conf), parsed once per target."""
    cached = t.resources.get("firewall")
    if cached is None:
        cached = t.resources["firewall"] = tuple(backends(config_files(t, "firewall_conf")))
    return list(cached)

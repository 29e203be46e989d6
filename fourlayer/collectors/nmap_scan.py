"""Port and service discovery with nmap (python-nmap): TCP connect scan, light version detection."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import nmap

from fourlayer.core.errors import CollectorError
from fourlayer.config.inventory import Host
from fourlayer.collectors.base import CollectContext, clean_text
from fourlayer.config.policy import port_spec_ports


def compact_ports(ports) -> str:
    """An nmap port list with runs collapsed into ranges: [22, 80, 81, 82] -> '22,80-82'."""
    runs: list[list[int]] = []
    for port in sorted(set(ports)):
        if runs and port == runs[-1][1] + 1:
            runs[-1][1] = port
        else:
            runs.append([port, port])
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in runs)


def port_spec(host: Host, policy: dict) -> str:
    """The policy's port list plus every port the inventory declares for this host, as compact ranges
    (65,535 declared ports as one list would exceed the kernel's limit on one argument)."""
    base = str(policy.get("network", {}).get("scan_ports", "1-1024"))
    declared = set(host.services) | set(host.tls) | set(host.http)
    if host.ssh is not None and host.ssh.enabled:
        declared.add(host.ssh.port)
    base_ports = port_spec_ports(base)
    if base_ports is None:  # the policy validator refuses such a list; keep it for nmap to report
        return f"{base},{compact_ports(declared)}" if declared else base
    return compact_ports(base_ports | declared)


def _timeout(ctx: CollectContext) -> int:
    return max(5, int(ctx.policy.get("network", {}).get("nmap_host_timeout", 60)))


@dataclass(frozen=True, slots=True)
class PortInfo:
    """One TCP port as nmap reported it (strings bounded; product/version only where -sV probed)."""
    state: str
    name: str = ""
    product: str = ""
    version: str = ""
    extrainfo: str = ""
    cpe: str = ""


@dataclass(frozen=True, slots=True)
class NmapEvidence:
    """What `collect` found: the host's state, its listed ports ("22" -> PortInfo), the counts of ports nmap did
    not list one by one (`unlisted`: {state: count}), and how the scan went."""
    state: str
    ports: Mapping[str, PortInfo]
    unlisted: Mapping[str, int] = field(default_factory=dict)
    version_detection: str = "off"  # "off", "done" or "incomplete: <why>"
    scanned_ports: str = ""
    open: tuple[int, ...] = ()
    version_probed: tuple[int, ...] = ()
    swept_with: int | None = None  # hosts in the discovery stage's one nmap run, None when swept alone

    def open_ports(self) -> dict[int, PortInfo]:
        return {int(p): info for p, info in self.ports.items() if info.state == "open"}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state,
                               "ports": {p: {f: getattr(i, f) for f in PortInfo.__slots__} for p, i in
                                         self.ports.items()},
                               "unlisted": dict(self.unlisted), "version_detection": self.version_detection,
                               "scanned_ports": self.scanned_ports, "open": list(self.open),
                               "version_probed": list(self.version_probed)}
        if self.swept_with is not None:
            out["swept_with"] = self.swept_with
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NmapEvidence:
        ports = {str(p): PortInfo(**{f: str(i.get(f, "")) for f in PortInfo.__slots__})
                 for p, i in dict(data.get("ports", {})).items()}
        swept = data.get("swept_with")
        return cls(str(data.get("state", "unknown")), ports, dict(data.get("unlisted") or {}),
                   str(data.get("version_detection", "off")), str(data.get("scanned_ports", "")),
                   tuple(int(p) for p in data.get("open", ())), tuple(int(p) for p in data.get("version_probed", ())),
                   None if swept is None else int(swept))


def fingerprinted_elsewhere(host: Host) -> set[int]:
    """Ports our own collectors fingerprint (SSH, TLS, HTTP): nmap version probes there would only cost time."""
    ports = set(host.tls) | set(host.http)
    if host.ssh is not None and host.ssh.enabled:
        ports.add(host.ssh.port)
    return ports


def parse_host(scan: dict) -> dict:
    """Turn python-nmap's per-host dict into fourlayer evidence (strings bounded, ports keyed as strings)."""
    ports = {}
    for port, info in sorted(scan.get("tcp", {}).items()):
        ports[str(port)] = {
            "state": info.get("state", ""),
            "name": clean_text(info.get("name", ""), 64),
            "product": clean_text(info.get("product", ""), 128),
            "version": clean_text(info.get("version", ""), 64),
            "extrainfo": clean_text(info.get("extrainfo", ""), 128),
            "cpe": clean_text(info.get("cpe", ""), 128),
        }
    return {"state": scan.get("status", {}).get("state", "unknown"), "ports": ports}


def unlisted_ports(xml_output: bytes | str) -> tuple[dict[str, int], dict[str, int], bool]:
    """From nmap's XML: ({state: count}, {reason: count}) of the ports it did not list one by one (its
    <extraports>, which python-nmap drops), and whether it gave up on the host at its host timeout."""
    per_host = unlisted_by_host(xml_output)
    states: dict[str, int] = {}
    reasons: dict[str, int] = {}
    timed_out = False
    for host_states, host_reasons, host_timed_out in per_host.values():
        for key, count in host_states.items():
            states[key] = states.get(key, 0) + count
        for key, count in host_reasons.items():
            reasons[key] = reasons.get(key, 0) + count
        timed_out = timed_out or host_timed_out
    return states, reasons, timed_out


def unlisted_by_host(xml_output: bytes | str) -> dict[str, tuple[dict[str, int], dict[str, int], bool]]:
    """`unlisted_ports` for each host of nmap's XML, keyed by its IPv4/IPv6 address: one nmap run over many
    hosts must not mix one host's ports (or its timeout) into another's evidence."""
    out: dict[str, tuple[dict[str, int], dict[str, int], bool]] = {}
    try:
        root = ET.fromstring(xml_output)
    except ET.ParseError:
        return out
    for number, host in enumerate(root.iter("host")):
        address = next((a.get("addr") for a in host.iter("address") if a.get("addrtype") in ("ipv4", "ipv6")),
                       None) or f"#{number}"
        states, reasons, _ = out.get(address, ({}, {}, False))
        timed_out = out.get(address, ({}, {}, False))[2] or host.get("timedout") == "true"
        for extra in host.iter("extraports"):
            states[extra.get("state", "?")] = states.get(extra.get("state", "?"), 0) + int(extra.get("count", 0))
            for why in extra.iter("extrareasons"):
                reasons[why.get("reason", "?")] = reasons.get(why.get("reason", "?"), 0) + int(why.get("count", 0))
        out[address] = (states, reasons, timed_out)
    return out


def _nmap(addresses: list[str], ports: str, arguments: str, timeout: int) -> nmap.PortScanner:
    """One nmap run over `addresses`; CollectorError (for all of them) when nmap fails, times out or cannot start.
    `timeout` is nmap's own per-host limit; the process gets 15 s more (hosts of one run are scanned together)."""
    scanner = nmap.PortScanner()
    try:
        scanner.scan(hosts=" ".join(addresses), ports=ports, arguments=arguments, timeout=timeout + 15)
    except (nmap.PortScannerError, nmap.PortScannerTimeout) as exc:
        raise CollectorError(f"nmap failed: {clean_text(str(exc), 200)}") from None
    except OSError as exc:  # nmap missing, or its command line refused by the kernel
        raise CollectorError(f"nmap could not start: {clean_text(exc.strerror or str(exc), 200)}") from None
    failed = nmap_error(scanner.get_nmap_last_output())
    if failed is not None:  # nmap quit (e.g. a port list it refuses): no host of the run was scanned
        raise CollectorError(f"nmap failed: {clean_text(failed, 200)}")
    return scanner


def nmap_error(xml_output: bytes | str) -> str | None:
    """nmap's own error message when it quit without scanning (<finished exit="error">), else None."""
    try:
        finished = ET.fromstring(xml_output).find("runstats/finished")
    except ET.ParseError:
        return None
    if finished is None or finished.get("exit") != "error":
        return None
    return finished.get("errormsg") or "nmap exited with an error"


def _host_evidence(address: str, scanner: nmap.PortScanner, unlisted: dict[str, tuple], timeout: int) -> dict:
    """The evidence of one host of an nmap run, or CollectorError saying why there is none for it."""
    states, reasons, timed_out = unlisted.get(address, ({}, {}, False))
    if timed_out:
        raise CollectorError(f"{address}: nmap gave up at its host timeout ({timeout}s) before the port scan "
                             "finished; raise network.nmap_host_timeout")
    if address not in scanner.all_hosts():
        raise CollectorError(f"nmap saw no answer from {address} (host down or filtered)")
    evidence = parse_host(scanner[address])
    evidence["unlisted"] = states
    listed = {info["state"] for info in evidence["ports"].values()}
    if not ({"open", "closed", "unfiltered"} & (listed | set(states))):
        # with -Pn nmap calls every host "up"; only a port that answered (open, or closed with a reset) shows
        # that the host was reached at all. "Nothing open" from a host never reached is no evidence.
        count = sum(states.values()) + len(evidence["ports"])
        why = ", ".join(sorted(reasons)) or "no-response"
        raise CollectorError(f"{address}: no TCP port answered (all {count} filtered: {why}): the host is down, "
                             "unreachable from here or filters every port, so nothing is known of its services")
    return evidence


def _run(address: str, ports: str, arguments: str, timeout: int) -> dict:
    scanner = _nmap([address], ports, arguments, timeout)
    return _host_evidence(address, scanner, unlisted_by_host(scanner.get_nmap_last_output()), timeout)


def sweep_arguments(timeout: int, hosts: int = 1) -> str:
    """nmap's arguments for the TCP connect sweep. For a batch, --min-hostgroup puts every host of it in one
    group, scanned in parallel: a slow host then costs the batch its own time once, not once per group."""
    group = f" --min-hostgroup {hosts}" if hosts > 1 else ""
    return f"-sT -Pn -n --host-timeout {timeout}s{group}"


def sweep(addresses: list[str], ports: str, timeout: int) -> dict[str, dict | CollectorError]:
    """The connect sweep of many hosts with the same port list in ONE nmap run (an nmap start costs ~40 ms of CPU,
    a host in a shared run ~15 ms): address -> evidence, or the CollectorError for that host alone (not reported,
    timed out, nothing answered). nmap failing as a whole gives every address the same error, never an exception:
    the hosts of the batch are ERROR with the reason, the scan goes on."""
    unique = list(dict.fromkeys(addresses))
    try:
        scanner = _nmap(unique, ports, sweep_arguments(timeout, len(unique)), timeout)
    except CollectorError as exc:
        return {a: CollectorError(f"{exc} (one nmap run for {len(unique)} hosts)") for a in unique}
    unlisted = unlisted_by_host(scanner.get_nmap_last_output())
    out: dict[str, dict | CollectorError] = {}
    for address in unique:
        try:
            out[address] = {**_host_evidence(address, scanner, unlisted, timeout), "swept_with": len(unique)}
        except CollectorError as exc:
            out[address] = exc
    return out


def sweep_timeout(ctx: CollectContext, host_budget: float | None = None) -> int:
    """nmap's per-host limit: the policy's, never more than the host's whole budget (--host-timeout)."""
    timeout = _timeout(ctx)
    return timeout if host_budget is None else max(1, min(timeout, int(host_budget)))


def collect(host: Host, ctx: CollectContext) -> NmapEvidence:
    """Two passes: a fast TCP connect sweep, then version detection only on open ports no other collector reads.
    The sweep is the scan's discovery stage's (one nmap run over a batch of hosts) when it swept this host."""
    timeout = _timeout(ctx)
    spec = port_spec(host, ctx.policy)
    swept = ctx.discovery.take(host.address, spec) if ctx.discovery is not None else None
    if isinstance(swept, CollectorError):  # the batch's nmap run said nothing usable about this host
        raise swept
    evidence = swept if swept is not None else _run(host.address, spec, sweep_arguments(timeout), timeout)
    open_ports = sorted(int(p) for p, i in evidence["ports"].items() if i["state"] == "open")
    probe = [p for p in open_ports if p not in fingerprinted_elsewhere(host)]
    network = ctx.policy.get("network", {})
    evidence["version_detection"] = "off"
    if probe and network.get("service_detection", True):
        budget = int(network.get("service_detection_timeout", 10))
        try:
            detail = _run(host.address, compact_ports(probe),
                          f"-sT -Pn -n -sV --version-light --host-timeout {budget}s", budget)
            evidence["ports"].update({p: i for p, i in detail["ports"].items() if p in evidence["ports"]})
            evidence["version_detection"] = "done"
        except CollectorError as exc:  # keep the port list; versions are a bonus bounded in time
            evidence["version_detection"] = f"incomplete: {exc}"
    evidence["scanned_ports"] = spec
    evidence["open"] = open_ports
    evidence["version_probed"] = probe
    return NmapEvidence.from_dict(evidence)

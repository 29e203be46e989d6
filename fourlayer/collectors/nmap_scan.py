"""Port and service discovery with nmap (python-nmap): TCP connect scan, light version detection."""

from __future__ import annotations

import xml.etree.ElementTree as ET

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
    states: dict[str, int] = {}
    reasons: dict[str, int] = {}
    timed_out = False
    try:
        root = ET.fromstring(xml_output)
    except ET.ParseError:
        return states, reasons, timed_out
    for host in root.iter("host"):
        timed_out = timed_out or host.get("timedout") == "true"
        for extra in host.iter("extraports"):
            states[extra.get("state", "?")] = states.get(extra.get("state", "?"), 0) + int(extra.get("count", 0))
            for why in extra.iter("extrareasons"):
                reasons[why.get("reason", "?")] = reasons.get(why.get("reason", "?"), 0) + int(why.get("count", 0))
    return states, reasons, timed_out


def _run(address: str, ports: str, arguments: str, timeout: int) -> dict:
    scanner = nmap.PortScanner()
    try:
        scanner.scan(hosts=address, ports=ports, arguments=arguments, timeout=timeout + 15)
    except (nmap.PortScannerError, nmap.PortScannerTimeout) as exc:
        raise CollectorError(f"nmap failed: {clean_text(str(exc), 200)}") from None
    except OSError as exc:  # nmap missing, or its command line refused by the kernel
        raise CollectorError(f"nmap could not start: {clean_text(exc.strerror or str(exc), 200)}") from None
    states, reasons, timed_out = unlisted_ports(scanner.get_nmap_last_output())
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


def collect(host: Host, ctx: CollectContext) -> dict:
    """Two passes: a fast TCP connect sweep, then version detection only on open ports no other collector reads."""
    timeout = _timeout(ctx)
    spec = port_spec(host, ctx.policy)
    evidence = _run(host.address, spec, f"-sT -Pn -n --host-timeout {timeout}s", timeout)
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
    return evidence

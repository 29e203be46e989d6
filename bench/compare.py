"""Side by side on the same hosts: ssh-audit vs fourlayer's SSH-transport audit, sslyze vs fourlayer's TLS audit.

Each tool runs as its own process (timed and watched like the scan). Findings are reduced to the same shape
per target and compared:

SSH  weak kex / ciphers / MACs / host-key algorithms (fourlayer: policy lists; ssh-audit: a `fail` note),
     host keys seen (type and bits) and small host keys (RSA < policy ssh.min_rsa_bits, DSA).
TLS  protocol versions accepted (SSLv3 .. TLSv1.3), weak suites accepted (NULL, anonymous, RC4, 3DES, DES,
     EXPORT), static-RSA key exchange, and certificate problems: expired, not yet valid, self-signed,
     weak key, SHA-1 signature, chain not trusted by the lab CA or name mismatch.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from bench.monitor import Usage, run_watched
from fourlayer.config.inventory_load import load_inventory
from fourlayer.config.policy import load_policy

BENCH_DIR = Path(__file__).resolve().parent
SSLYZE_VENV = BENCH_DIR / "out" / "venv-compare"  # sslyze pins an older `cryptography`: kept out of .venv
VERSIONS = {"SSLv2": "ssl_2_0", "SSLv3": "ssl_3_0", "TLSv1": "tls_1_0", "TLSv1.1": "tls_1_1",
            "TLSv1.2": "tls_1_2", "TLSv1.3": "tls_1_3"}
WEAK_MARKERS = {"_NULL_": "NULL", "_anon_": "aNULL", "_RC4_": "RC4", "3DES": "3DES", "_DES_": "DES",
                "_DES40_": "EXPORT", "EXPORT": "EXPORT", "_RC2_": "EXPORT"}


def tool(name: str) -> str | None:
    """Path of a comparison tool: beside the running Python, in the compare venv, or on PATH."""
    for candidate in (Path(sys.executable).parent / name, SSLYZE_VENV / "bin" / name):
        if candidate.exists():
            return str(candidate)
    return shutil.which(name)


def targets(inventory: str, kind: str) -> list[tuple[str, int]]:
    out = []
    for _, _, h in load_inventory(inventory).iter_hosts():
        if kind == "ssh" and h.ssh is not None and h.ssh.enabled:
            out.append((h.address, h.ssh.port))
        elif kind == "tls" and h.tls:
            out.append((h.address, h.tls[0]))
    return out


def _env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1", "PYTHONWARNINGS": "ignore"}


# ---- running the tools ---------------------------------------------------------------------------------------

def run_fourlayer(kind: str, inventory: str, work: Path, concurrency: int, timeout: float,
                  per_host: int) -> tuple[Usage, dict[str, Any]]:
    out = work / f"fourlayer-{kind}.json"
    usage = run_watched([sys.executable, str(BENCH_DIR / "fl_audit.py"), kind, inventory, str(out),
                         "--concurrency", str(concurrency), "--timeout", str(timeout),
                         "--per-host", str(per_host)], env=_env())
    return usage, json.loads(out.read_text())["hosts"] if out.exists() else {}


def parse_ssh_audit(text: str) -> dict[str, dict]:
    """ssh-audit -T -j prints a JSON list, with plain-text errors for unreachable targets inside it."""
    decoder, found, i = json.JSONDecoder(), {}, 0
    while (j := text.find('{"', i)) >= 0:
        try:
            obj, i = decoder.raw_decode(text, j)
        except json.JSONDecodeError:
            i = j + 2
            continue
        if isinstance(obj, dict) and "target" in obj:
            found[obj["target"]] = obj
    return found


def run_ssh_audit(hosts: list[tuple[str, int]], work: Path, concurrency: int, timeout: float
                  ) -> tuple[Usage, dict[str, dict]]:
    exe = tool("ssh-audit")
    if exe is None:
        raise RuntimeError("ssh-audit not installed: .venv/bin/pip install -r bench/requirements.txt")
    listing = work / "ssh-targets.txt"
    listing.write_text("".join(f"{a}:{p}\n" for a, p in hosts))
    # --skip-rate-test: the DHEat connection-rate probe is not part of the algorithm audit being compared.
    out = work / "ssh-audit.json"
    usage = run_watched([exe, "-T", str(listing), "--threads", str(concurrency), "-j", "--skip-rate-test",
                         "-t", str(max(1, round(timeout)))], env=_env(), timeout=3600, stdout_file=out)
    return usage, parse_ssh_audit(out.read_text(errors="replace"))


def run_sslyze(hosts: list[tuple[str, int]], work: Path, ca_file: str, sni: str | None
               ) -> tuple[Usage, dict[str, dict]]:
    exe = tool("sslyze")
    if exe is None:
        raise RuntimeError("sslyze not installed: see bench/README.md (separate venv bench/out/venv-compare)")
    out = work / "sslyze.json"
    commands = ["--certinfo", "--certinfo_ca_file", ca_file, "--sslv2", "--sslv3", "--tlsv1", "--tlsv1_1",
                "--tlsv1_2", "--tlsv1_3"]
    cmd = [exe, "--quiet", "--json_out", str(out), "--mozilla_config", "disable", *commands]
    if sni:
        cmd += ["--sni", sni]
    usage = run_watched(cmd + [f"{a}:{p}" for a, p in hosts], env=_env(), timeout=3600)
    data = json.loads(out.read_text()) if out.exists() else {"server_scan_results": []}
    results = {}
    for r in data["server_scan_results"]:
        loc = r["server_location"]
        results[f"{loc['ip_address'] or loc['hostname']}:{loc['port']}"] = r
    return usage, results


# ---- findings in one shape -----------------------------------------------------------------------------------

def _key_family(algorithm: str) -> str:
    return "ssh-rsa" if algorithm in ("ssh-rsa", "rsa-sha2-256", "rsa-sha2-512") else algorithm


def _key_label(family: str, bits: Any) -> str:
    return f"{family}:{bits}" if family in ("ssh-rsa", "ssh-dss") else family


def _pseudo(name: str) -> bool:
    return name.startswith(("ext-info-", "kex-strict-"))


def ssh_fourlayer(ev: dict, policy: dict) -> dict[str, list[str]]:
    """fourlayer's view of one SSH server (the same rules as checks L1-SSH-001..004)."""
    from fourlayer.checks.util import offered_weak

    ssh = policy["ssh"]
    min_bits = int(ssh["min_rsa_bits"])
    keys = ev.get("host_keys", [])
    return {
        "weak kex": sorted(offered_weak(ev["kex"], ssh["weak_kex"])),
        "weak ciphers": sorted(offered_weak(ev["ciphers"], ssh["weak_ciphers"])),
        "weak MACs": sorted(offered_weak(ev["macs"], ssh["weak_macs"])),
        "weak host-key algorithms": sorted(offered_weak(ev["host_key_algorithms"],
                                                        ssh["weak_host_key_algorithms"])),
        "small host keys": sorted(_key_label(k["type"], k["bits"]) for k in keys
                                  if k["type"] == "ssh-dss" or (k["type"] == "ssh-rsa" and k["bits"] < min_bits)),
        "host keys seen": sorted({_key_label(k["type"], k["bits"]) for k in keys}),
        "offered": sorted(set(ev["kex"]) | set(ev["ciphers"]) | set(ev["macs"]) | set(ev["host_key_algorithms"])),
    }


def ssh_audit_view(entry: dict) -> dict[str, list[str]]:
    """ssh-audit's view: an algorithm is weak when it carries a `fail` note; host-key size notes count apart."""
    def failing(category: str) -> list[str]:
        return sorted(a["algorithm"] for a in entry.get(category, []) if a.get("notes", {}).get("fail")
                      and not _pseudo(a["algorithm"]))

    key_alg_weak, small = [], set()
    for a in entry.get("key", []):
        notes = a.get("notes", {}).get("fail", [])
        if any("small" in n or "modulus" in n for n in notes):
            small.add(_key_label(_key_family(a["algorithm"]), a.get("keysize")))
        if any(not ("small" in n or "modulus" in n) for n in notes):
            key_alg_weak.append(a["algorithm"])
    offered = {a["algorithm"] for c in ("kex", "enc", "mac", "key") for a in entry.get(c, [])
               if not _pseudo(a["algorithm"])}
    return {
        "weak kex": failing("kex"), "weak ciphers": failing("enc"), "weak MACs": failing("mac"),
        "weak host-key algorithms": sorted(key_alg_weak), "small host keys": sorted(small),
        "host keys seen": sorted({_key_label(_key_family(a["algorithm"]), a.get("keysize"))
                                  for a in entry.get("key", []) if not a["algorithm"].endswith("-cert-v01@openssh.com")}),
        "offered": sorted(offered),
    }


def ssh_audit_contradictions(entry: dict) -> list[str]:
    """Host-key notes that contradict the key size ssh-audit itself measured, e.g. 'using small 1024-bit modulus'
    on a 3072-bit key: in -T/--threads mode ssh-audit 3.9 keeps one algorithm database per worker thread and
    never resets it between targets (thread_exit() runs once, in the main thread), so notes leak across hosts."""
    out = []
    for a in entry.get("key", []):
        for note in a.get("notes", {}).get("fail", []):
            m = re.search(r"small (\d+)-bit modulus", note)
            if m and a.get("keysize") and int(m.group(1)) != a["keysize"]:
                out.append(f"{a['algorithm']} {a['keysize']} bits: '{note}'")
        if len(a.get("notes", {}).get("fail", [])) != len(set(a.get("notes", {}).get("fail", []))):
            out.append(f"{a['algorithm']}: the same note repeated")
    return out


def ssh_audit_notes(entry: dict) -> dict[str, str]:
    """algorithm -> 'fail: ...' / 'warn: ...' (what ssh-audit said about it), for explaining differences."""
    out = {}
    for c in ("kex", "enc", "mac", "key"):
        for a in entry.get(c, []):
            notes = a.get("notes", {})
            level = "fail" if notes.get("fail") else "warn" if notes.get("warn") else "ok"
            out[a["algorithm"]] = f"{level}: {'; '.join(notes.get(level, []))}" if level != "ok" else "ok"
    return out


def _weak_class(rfc_name: str) -> str | None:
    for marker, cls in WEAK_MARKERS.items():
        if marker in rfc_name:
            return cls
    return None


def tls_fourlayer(port: dict, min_rsa_bits: int) -> dict[str, list[str]]:
    cert = port.get("cert") or {}
    return {
        "versions accepted": sorted(v for v, ok in port["protocols"].items() if ok),
        "weak suites accepted": sorted(port["weak_ciphers"]),
        "static RSA kex": [str(bool(port["rsa_kex"]))],
        "certificate problems": sorted(p for p, bad in (
            ("expired", cert.get("expired")), ("not yet valid", cert.get("not_yet_valid")),
            ("self-signed", cert.get("self_signed")),
            ("weak key", cert.get("key_type") == "RSA" and (cert.get("key_bits") or 0) < min_rsa_bits),
            ("SHA-1 signature", cert.get("signature_hash") == "sha1"),
            ("not trusted or name mismatch", cert.get("verified") is False or cert.get("hostname_match") is False),
        ) if bad),
    }


def tls_sslyze(result: dict, min_rsa_bits: int, now: dt.datetime) -> dict[str, list[str]]:
    scan = result.get("scan_result") or {}
    accepted: list[dict] = []
    versions = []
    for version, key in VERSIONS.items():
        res = (scan.get(f"{key}_cipher_suites") or {}).get("result") or {}
        suites = res.get("accepted_cipher_suites") or []
        accepted += suites
        if suites:
            versions.append(version)
    names = {s["cipher_suite"]["name"]: s["cipher_suite"]["openssl_name"] for s in accepted}
    weak = sorted({openssl for rfc, openssl in names.items() if _weak_class(rfc)})
    rsa = any(rfc.startswith("TLS_RSA_WITH_") and "_NULL_" not in rfc for rfc in names)
    problems = []
    info = (scan.get("certificate_info") or {}).get("result") or {}
    deployments = info.get("certificate_deployments") or []
    if deployments:
        dep = deployments[0]
        leaf = dep["received_certificate_chain"][0]
        after = dt.datetime.fromisoformat(leaf["not_valid_after"].replace("Z", "+00:00"))
        before = dt.datetime.fromisoformat(leaf["not_valid_before"].replace("Z", "+00:00"))
        key = leaf.get("public_key") or {}
        supplied = [p for p in dep["path_validation_results"] if p["trust_store"]["name"] == "Supplied CA file"]
        for name, bad in (("expired", after < now), ("not yet valid", before > now),
                          ("self-signed", leaf["subject"]["rfc4514_string"] == leaf["issuer"]["rfc4514_string"]),
                          ("weak key", key.get("algorithm") == "RSAPublicKey" and key.get("key_size", 0) < min_rsa_bits),
                          ("SHA-1 signature", (leaf.get("signature_hash_algorithm") or {}).get("name") == "sha1"),
                          ("not trusted or name mismatch", bool(supplied) and not supplied[0]["was_validation_successful"])):
            if bad:
                problems.append(name)
    return {"versions accepted": versions, "weak suites accepted": weak, "static RSA kex": [str(rsa)],
            "certificate problems": sorted(problems)}


# ---- comparing -----------------------------------------------------------------------------------------------

def _reachable_fourlayer(entry: dict | None) -> bool:
    return bool(entry) and "evidence" in entry


def agreement(all_targets: list[str], ours: dict[str, dict], theirs: dict[str, dict],
              explain: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """Per category: targets where both views are equal, and every difference aggregated over targets.
    A target missing from a view is one that tool could not audit (refused, timed out)."""
    categories: dict[str, dict[str, int]] = {}
    diffs: dict[tuple, dict] = {}
    unreachable = {"both": 0, "fourlayer only": 0, "other only": 0}
    for target in sorted(set(all_targets) | set(ours) | set(theirs)):
        a, b = ours.get(target), theirs.get(target)
        if a is None or b is None:
            unreachable["both" if a is None and b is None else "fourlayer only" if a is None else "other only"] += 1
            continue
        for cat in a:
            counts = categories.setdefault(cat, {"agree": 0, "differ": 0})
            only_a, only_b = sorted(set(a[cat]) - set(b[cat])), sorted(set(b[cat]) - set(a[cat]))
            counts["agree" if not (only_a or only_b) else "differ"] += 1
            for side, items in (("fourlayer only", only_a), ("other tool only", only_b)):
                for item in items:
                    d = diffs.setdefault((cat, side, item), {"category": cat, "item": item, "side": side,
                                                             "targets": 0, "example": target})
                    d["targets"] += 1
                    if explain and target in explain and item in explain[target]:
                        d["other tool said"] = explain[target][item]
    return {"categories": categories, "differences": sorted(diffs.values(), key=lambda d: (d["category"], d["item"])),
            "unreachable": unreachable}


def compare_ssh(inventory: str, work: Path, concurrency: int, timeout: float) -> dict[str, Any]:
    policy = load_policy(load_inventory(inventory).policy_path)
    hosts = targets(inventory, "ssh")
    fl_usage, fl = run_fourlayer("ssh", inventory, work, concurrency, timeout, per_host=4)
    sa_usage, sa = run_ssh_audit(hosts, work, concurrency, timeout)
    ours = {t: ssh_fourlayer(e["evidence"], policy) for t, e in fl.items() if _reachable_fourlayer(e)}
    theirs = {t: ssh_audit_view(e) for t, e in sa.items() if e.get("kex")}  # {} banner only: unreachable
    polluted = {t: c for t, e in sa.items() if (c := ssh_audit_contradictions(e))}
    return {"targets": len(hosts), "concurrency": concurrency, "fourlayer": fl_usage.to_dict(),
            "ssh-audit": sa_usage.to_dict(), "speedup": _ratio(sa_usage, fl_usage),
            "ssh-audit self-contradictions": {"targets": len(polluted),
                                              "example": next(iter(polluted.items()), None)},
            **agreement([f"{a}:{p}" for a, p in hosts], ours, theirs, {t: ssh_audit_notes(e) for t, e in sa.items()})}


def compare_tls(inventory: str, work: Path, concurrency: int, timeout: float, per_host: int = 5
                ) -> dict[str, Any]:
    inv = load_inventory(inventory)
    policy = load_policy(inv.policy_path)
    min_bits = int(policy["tls"]["min_rsa_bits"])
    hosts = targets(inventory, "tls")
    first = next(h for _, _, h in inv.iter_hosts() if h.tls)
    fl_usage, fl = run_fourlayer("tls", inventory, work, concurrency, timeout, per_host=per_host)
    sz_usage, sz = run_sslyze(hosts, work, first.tls_ca_file, first.tls_server_name)
    now = dt.datetime.now(dt.timezone.utc)
    ours = {}
    for t, e in fl.items():
        port = (e.get("evidence") or {}).get("ports", {}).get(t.rsplit(":", 1)[1])
        if port and not port.get("error"):
            ours[t] = tls_fourlayer(port, min_bits)
    theirs = {t: tls_sslyze(r, min_bits, now) for t, r in sz.items() if r.get("connectivity_status") == "COMPLETED"}
    return {"targets": len(hosts), "concurrency": concurrency, "per_host_connections": per_host,
            "sslyze_concurrency": "10 servers x 5 connections (sslyze CLI default)",
            "fourlayer": fl_usage.to_dict(), "sslyze": sz_usage.to_dict(), "speedup": _ratio(sz_usage, fl_usage),
            **agreement([f"{a}:{p}" for a, p in hosts], ours, theirs)}


def _ratio(other: Usage, ours: Usage) -> float | None:
    return round(other.wall_seconds / ours.wall_seconds, 2) if ours.wall_seconds else None

"""No secret of a device configuration leaves it: a configuration full of known (fake) secrets — type 7 and type 0
passwords, enable secret and password, MD5 and scrypt hashes, SNMP communities and SNMPv3 keys, TACACS+ and RADIUS
keys, an IPsec pre-shared key, NTP, OSPF, BGP and key-chain keys — is scanned with the real CLI into every report
format (HTML in both languages, JSON, CSV, SARIF, JUnit), the history database and the debug log, and every one of
those outputs is searched for every secret. The model records that each secret exists and how it is stored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fourlayer.resources.devices import parse
from tests.scan_harness import agency, write_inventory

CONFIG = Path(__file__).parents[1] / "data" / "devices" / "secrets" / "ios-secrets.conf"
SECRETS = ("$1$mERr$FAKEenableMD5Zq81/", "0822455D0A16544541", "13061E010803557878",
           "$9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM", "FAKEPlainTextPassw0rd",
           "FAKEroCommunity77", "FAKErwCommunity88", "FAKEsnmpAuthPass1", "FAKEsnmpPrivPass2", "FAKE104D000A061843",
           "FAKEtacacsServerKey", "FAKEradiusKey99", "FAKEisakmpPreShared", "FAKEntpMd5Key", "FAKEkeyChainString",
           "FAKEospfAuthKey", "FAKEbgpNeighborPw", "045802150C2E1D1C5A", "FAKEvtyLinePassword")


def test_the_fixture_holds_every_secret():
    text = CONFIG.read_text(encoding="utf-8")
    assert all(s in text for s in SECRETS)


def test_the_model_keeps_references_not_values():
    d = parse("cisco_ios", CONFIG.read_text(encoding="utf-8"))
    shown = repr(d)
    assert [s for s in SECRETS if s in shown] == []
    contexts = {s.context for s in d.secrets}
    assert {"enable secret", "enable password", "username admin password", "snmp-server community",
            "tacacs-server key", "tacacs server key", "radius-server key", "crypto isakmp key (IPsec pre-shared key)",
            "ntp authentication-key", "key chain key-string", "ip ospf authentication-key", "bgp neighbor password",
            "line con 0 password", "line vty 0 4 password", "snmp-server user (SNMPv3 auth/priv key)"} <= contexts
    assert len(d.secrets) == 18  # one per line holding a secret (the SNMPv3 user's two keys are one line)


def test_no_secret_in_any_output(tmp_path):
    device = {"id": "secrets-rtr", "vendor": "cisco_ios", "role": "edge router", "config": str(CONFIG)}
    inv = write_inventory(tmp_path, [agency(level=3, system={"devices": [device]},
                                            soc={"provider": "SOC", "log_collector": "127.0.0.1:1514"})])
    out, db = tmp_path / "out", tmp_path / "history.sqlite"
    proc = subprocess.run(
        [sys.executable, "-m", "fourlayer", "--debug", "scan", str(inv), "--out", str(out), "--lang", "both",
         "--format", "html,json,csv,sarif,junit", "--db", str(db), "--log-format", "json"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "FOURLAYER_LOOPBACK_ONLY": "1"})
    assert proc.returncode in (0, 3, 4), proc.stderr[-2000:]  # findings may set a non-zero "failed" exit code
    files = [p for p in out.rglob("*") if p.is_file()] + [p for p in tmp_path.glob("history.sqlite*")]
    assert {p.suffix for p in files} >= {".html", ".json", ".csv", ".sarif", ".xml"} and db.exists(), files
    outputs = {str(p): p.read_bytes() for p in files}
    outputs["stdout"], outputs["stderr"] = proc.stdout.encode(), proc.stderr.encode()
    report = next(v for k, v in outputs.items() if k.endswith(".json"))
    assert b"L1-DEV-006" in report and b"enable password" in report  # the findings are there, by reference
    leaks = {name: [s for s in SECRETS if s.encode() in data] for name, data in outputs.items()}
    assert {name: found for name, found in leaks.items() if found} == {}

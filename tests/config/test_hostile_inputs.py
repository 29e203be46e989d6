"""Red-team findings of issue #11 on input validation, each reproduced against real files and the real CLI.

Every hostile file must be refused before any traffic with one line naming the file and line (exit 2), never
echo what the file holds, and never reach a report, the terminal or the history database raw.
"""

from __future__ import annotations

import socket
import sqlite3
import time
from pathlib import Path

import pytest

from fourlayer.collectors import nmap_scan
from fourlayer.collectors.base import CollectContext
from fourlayer.core.errors import InputError
from fourlayer.config.inventory_load import load_inventory
from fourlayer.config.policy import default_policy, load_policy

INVENTORY = """\
version: 1
agencies:
  - id: a1
    name: {name}
    systems:
      - id: s1
        name: S
        level: 3
        hosts:
          - {{address: 127.0.0.11, id: web1, ssh: false}}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(load, path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load(path)
    text = str(info.value)
    assert text.startswith(f"{path}:") and "\n" not in text
    return info.value


def one_error_line(out: str) -> str:
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), out
    assert "Traceback" not in out
    return lines[0]


# ---- 4. non-finite numbers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", "1.0e+999"])
def test_policy_threshold_nan_or_inf_is_refused_at_its_line(tmp_path, value):
    path = write(tmp_path, "policy.yaml", f"# thresholds\nscoring:\n  layer_threshold: {value}\n")
    err = refused(load_policy, path)
    assert (err.line, err.field) == (3, "scoring.layer_threshold"), str(err)
    assert "finite number" in err.message


def test_nan_anywhere_in_an_inventory_is_refused(tmp_path):
    path = write(tmp_path, "inv.yaml", INVENTORY.format(name="A").replace("level: 3", "level: .nan"))
    err = refused(load_inventory, path)
    assert (err.line, err.field) == (8, "agencies[0].systems[0].level"), str(err)


# ---- 6. lone surrogates ------------------------------------------------------------------------------------

def test_lone_surrogate_in_a_name_is_refused_by_validate_and_scan(tmp_path, run_cli):
    path = write(tmp_path, "inv.yaml", INVENTORY.format(name='"A\\ud800"'))
    line = one_error_line(run_cli("inventory", "validate", str(path), expect=2))
    assert f"{path}:4: agencies[0].name:" in line and "U+D800" in line
    db, out = tmp_path / "history.sqlite", tmp_path / "reports"
    one_error_line(run_cli("scan", str(path), "--db", str(db), "--out", str(out), "--quiet", expect=2))
    assert not out.exists()
    if db.exists():  # no run, complete or not, may be left behind
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 0


# ---- 13. terminal escapes and control characters -----------------------------------------------------------

@pytest.mark.parametrize("name, code", [('"A\\e]0;pwned\\a"', "U+001B"), ('"A\\x01B"', "U+0001"),
                                        ('"A\\x9b31m"', "U+009B"), ('"A\\u202eB"', "U+202E")])
def test_control_characters_in_inventory_text_are_refused(tmp_path, run_cli, name, code):
    path = write(tmp_path, "inv.yaml", INVENTORY.format(name=name))
    line = one_error_line(run_cli("inventory", "validate", str(path), expect=2))
    assert f"{path}:4: agencies[0].name:" in line and code in line
    assert "\x1b" not in line and "\x07" not in line and "\x01" not in line


def test_policy_key_with_a_terminal_title_escape_never_reaches_stderr(tmp_path, run_cli):
    write(tmp_path, "policy.yaml", 'scoring:\n  "\\e]0;owned\\a": 1\n')
    inv = write(tmp_path, "inv.yaml", "policy: policy.yaml\n" + INVENTORY.format(name="A"))
    line = one_error_line(run_cli("inventory", "validate", str(inv), expect=2))
    assert f"{tmp_path / 'policy.yaml'}:2: scoring:" in line and "U+001B" in line
    assert "\x1b" not in line and "\x07" not in line


def test_paths_given_on_the_command_line_are_shown_escaped(tmp_path, run_cli):
    hostile = tmp_path / "\x1b]0;owned\x07.yaml"
    line = one_error_line(run_cli("checks", "list", "--rules", str(hostile), expect=2))
    assert "\x1b" not in line and "\x07" not in line and "\\x1b]0;owned\\x07.yaml" in line


# ---- 11. integers too long to convert ----------------------------------------------------------------------

def test_integer_of_5000_digits_is_exit_2_with_its_line(tmp_path, run_cli):
    path = write(tmp_path, "inv.yaml", INVENTORY.format(name="A").replace("level: 3", "level: " + "9" * 5000))
    line = one_error_line(run_cli("inventory", "validate", str(path), expect=2))
    assert line.startswith(f"error: {path}:8:") and "digits" in line and "9" * 50 not in line


# ---- 8a. unbounded text ------------------------------------------------------------------------------------

@pytest.mark.parametrize("edit, line, field, limit", [
    (lambda t: t.replace("name: A", "name: " + "Sở " * 200), 4, "agencies[0].name", "500 characters"),
    (lambda t: t.replace("id: s1", "id: " + "s" * 101), 6, "agencies[0].systems[0].id", "100 characters"),
    (lambda t: t.replace("ssh: false", "tags: [" + ", ".join(f"t{i}" for i in range(101)) + "]"), 10,
     "agencies[0].systems[0].hosts[0].tags", "100 items"),
])
def test_free_text_ids_and_lists_are_bounded_in_the_inventory(tmp_path, edit, line, field, limit):
    err = refused(load_inventory, write(tmp_path, "inv.yaml", edit(INVENTORY.format(name="A"))))
    assert (err.line, err.field) == (line, field) and limit in err.message, str(err)
    assert len(str(err)) < 400


def test_the_limits_still_admit_long_real_names(tmp_path):
    inv = load_inventory(write(tmp_path, "inv.yaml", INVENTORY.format(name="Sở " * 160)))
    assert len(inv.agencies[0].name) == 479


def test_a_7_mb_agency_name_is_refused_before_any_output(tmp_path, run_cli):
    inv = write(tmp_path, "inv.yaml", INVENTORY.format(name="x" * 7_000_000))
    line = one_error_line(run_cli("scan", str(inv), "--out", str(tmp_path / "r"), "--format", "csv",
                                  "--no-history", "--quiet", expect=2))
    assert f"{inv}:4: agencies[0].name:" in line and len(line) < 400
    assert not (tmp_path / "r").exists()


def test_a_megabyte_of_text_in_any_value_is_refused(tmp_path):
    path = write(tmp_path, "policy.yaml", "audit:\n  required_rules:\n    big: [" + "a" * 1_000_000 + "]\n")
    err = refused(load_policy, path)
    assert err.line == 3 and "characters" in err.message and len(str(err)) < 300


# ---- 5. error messages never echo the file they are pointed at ----------------------------------------------

FAKE_HASH = "$6$fakesalt$Qm9vYmFyYmF6cXV4IGZha2UgaGFzaCBmb3IgdGVzdHM0123456789"
SHADOW = (f"root:{FAKE_HASH}:19500:0:99999:7:::\n"
          "daemon:*:19500:0:99999:7:::\n"
          f"alice:{FAKE_HASH[::-1]}:19500:0:99999:7:::\n")


def assert_no_content(line: str) -> None:
    for fragment in ("fakesalt", "Qm9vYmFy", "alice", "root:", "daemon", "19500", "99999"):
        assert fragment not in line, line


@pytest.fixture
def shadow_files(tmp_path):
    """A file shaped like /etc/shadow (it parses as YAML: a mapping of whole lines) and a one-line secret."""
    return [write(tmp_path, "shadow", SHADOW), write(tmp_path, "token.env", f"API_TOKEN={FAKE_HASH}\n")]


@pytest.mark.parametrize("option", ["policy", "--rules", "--waivers", "--framework"])
def test_a_file_that_is_not_of_the_expected_kind_is_never_echoed(tmp_path, run_cli, shadow_files, option):
    for secret in shadow_files:
        if option == "policy":
            inv = write(tmp_path, "inv.yaml", f"policy: {secret}\n" + INVENTORY.format(name="A"))
            args = ["inventory", "validate", str(inv)]
        else:
            inv = write(tmp_path, "inv.yaml", INVENTORY.format(name="A"))
            args = ["scan", str(inv), option, str(secret), "--out", str(tmp_path / "r"), "--no-history", "--quiet"]
        line = one_error_line(run_cli(*args, expect=2))
        assert f"{secret}" in line and "not a fourlayer" in line, line
        assert_no_content(line)
        assert not (tmp_path / "r").exists()


def test_an_unknown_key_is_shown_bounded_and_by_line(tmp_path):
    path = write(tmp_path, "policy.yaml", "tls:\n  min_rsa_bits: 2048\n" + f"{'k' * 300}$x: 1\n")
    err = refused(load_policy, path)
    assert err.line == 3 and "k" * 41 not in str(err), str(err)


# ---- 9. validation applies the collector's path rule ---------------------------------------------------------

@pytest.mark.parametrize("key", ["sysroot", "sshd_config"])
@pytest.mark.parametrize("value", ['"/srv/root;id"', '"/srv/`id`"', '"/srv/$$(id)"', '"/srv/a\\nb"', "/srv/../etc",
                                   "/srv/a b"])
def test_remote_paths_the_collector_would_refuse_fail_validation(tmp_path, run_cli, key, value):
    text = INVENTORY.format(name="A").replace("ssh: false", f"ssh: {{port: 2211, {key}: {value}}}")
    path = write(tmp_path, "inv.yaml", text)
    line = one_error_line(run_cli("inventory", "validate", str(path), expect=2))
    assert f"{path}:10: agencies[0].systems[0].hosts[0].ssh.{key}:" in line and "plain absolute path" in line


def test_a_plain_sysroot_still_validates(tmp_path):
    text = INVENTORY.format(name="A").replace("ssh: false", "ssh: {port: 2211, sysroot: /srv/lab_1/root-2.0+x}")
    host = load_inventory(write(tmp_path, "inv.yaml", text)).agencies[0].systems[0].hosts[0]
    assert host.ssh.sysroot == "/srv/lab_1/root-2.0+x"


# ---- 10. 65,535 declared services ----------------------------------------------------------------------------

def _all_services(tmp_path: Path) -> Path:
    services = ", ".join(str(p) for p in range(1, 65536))
    text = INVENTORY.format(name="A").replace("ssh: false", f"ssh: false, services: [{services}]")
    return write(tmp_path, "inv.yaml", text)


def test_65535_declared_services_validate_in_linear_time(tmp_path):
    path = _all_services(tmp_path)
    started = time.monotonic()
    host = load_inventory(path).agencies[0].systems[0].hosts[0]
    assert len(host.services) == 65535
    assert time.monotonic() - started < 10, "validation is quadratic again (it took 26 s before)"


def test_a_port_listed_twice_is_still_refused(tmp_path):
    text = INVENTORY.format(name="A").replace("ssh: false", "ssh: false, services: [80, 443, 80]")
    err = refused(load_inventory, write(tmp_path, "inv.yaml", text))
    assert err.field == "agencies[0].systems[0].hosts[0].services[2]" and "twice" in err.message


def test_nmap_scans_65535_declared_ports_with_a_compact_port_list(tmp_path):
    host = load_inventory(_all_services(tmp_path)).agencies[0].systems[0].hosts[0]
    listener = socket.create_server((host.address, 0))
    try:
        open_port = listener.getsockname()[1]
        policy = default_policy()
        policy["network"]["service_detection"] = False
        evidence = nmap_scan.collect(host, CollectContext(policy=policy))
    finally:
        listener.close()
    assert evidence.scanned_ports == "1-65535"
    assert evidence.state == "up" and open_port in evidence.open


def test_port_lists_collapse_into_ranges():
    assert nmap_scan.compact_ports([443, 80, 81, 82, 22, 8080, 8081]) == "22,80-82,443,8080-8081"
    assert nmap_scan.compact_ports([]) == ""


# ---- 4 and 12. command-line options ------------------------------------------------------------------------

@pytest.mark.parametrize("option, value", [("--timeout", "nan"), ("--host-timeout", "nan"), ("--fail-under", "nan"),
                                           ("--lock-timeout", "nan"), ("--timeout", "inf")])
def test_non_finite_option_values_are_refused(tmp_path, run_cli, option, value):
    inv = write(tmp_path, "inv.yaml", INVENTORY.format(name="A"))
    out = run_cli("scan", str(inv), option, value, "--out", str(tmp_path / "r"), "--no-history", "--quiet", expect=2)
    assert option in out and "Traceback" not in out
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("args, needle", [
    (["--check", "L9-XXX-999"], "--check: no check 'L9-XXX-999'"),
    (["--check", "L1-SSH-01"], "did you mean L1-SSH-0"),
    (["--skip", "NOPE"], "--skip: no check 'NOPE'"),
    (["--format", ","], "--format: no report format"),
    (["--format", "json,,"], None),
    (["--agency", "a11"], "--agency: no agency 'a11'; did you mean a1?"),
    (["--agency", "zz"], "no agency 'zz'; the agencies of"),
])
def test_unknown_ids_and_empty_lists_are_refused_before_any_traffic(tmp_path, run_cli, args, needle):
    inv = write(tmp_path, "inv.yaml", INVENTORY.format(name="A"))
    common = ["--out", str(tmp_path / "r"), "--no-history", "--quiet"]
    if needle is None:  # empty items between commas are ignored while one format remains
        run_cli("scan", str(inv), *args, "--layer", "4", *common)
        assert [p.suffix for p in (tmp_path / "r").iterdir()] == [".json"]
        return
    line = one_error_line(run_cli("scan", str(inv), *args, *common, expect=2))
    assert needle in line, line
    assert not (tmp_path / "r").exists()


def test_json_reports_never_contain_nan(tmp_path):
    from fourlayer.reports.json_report import render_json, write_json

    doc = {"options": {"timeout": float("nan")}, "agencies": []}
    with pytest.raises(ValueError):
        render_json(doc)
    with (tmp_path / "report.json").open("w", encoding="utf-8") as fh, pytest.raises(ValueError):
        write_json(doc, fh)
    assert render_json({"options": {"timeout": 5.0}}) == '{\n  "options": {\n    "timeout": 5.0\n  }\n}\n'


# ---- 11. a bit-flipped history database ----------------------------------------------------------------------

def _flip(path: Path, offset: int, copy: Path) -> Path:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    copy.write_bytes(bytes(data))
    return copy


@pytest.fixture
def history_db(tmp_path, run_cli):
    """A real history database holding one run (layer 4 only: declared facts, no traffic)."""
    inv = write(tmp_path, "inv.yaml", INVENTORY.format(name="A"))
    db = tmp_path / "history.sqlite"
    run_cli("scan", str(inv), "--db", str(db), "--layer", "4", "--format", "json", "--out", str(tmp_path / "r"),
            "--quiet")
    conn = sqlite3.connect(db)
    blob = conn.execute("SELECT data FROM documents").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'runs'").fetchone()[0]
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()  # the last connection checkpoints: every page is in the main file
    raw = db.read_bytes()
    assert raw.find(blob[:64]) > 0 and not Path(f"{db}-wal").exists()
    return db, raw.find(blob[:64]) + 32, (root - 1) * page


def test_a_bit_flip_in_a_stored_report_is_exit_2(tmp_path, run_cli, history_db):
    db, in_blob, _ = history_db
    damaged = _flip(db, in_blob, tmp_path / "damaged.sqlite")
    line = one_error_line(run_cli("report", "latest", "--db", str(damaged), "--out", str(tmp_path / "again"),
                                  expect=2))
    assert f"{damaged}:" in line and "damaged" in line
    assert not (tmp_path / "again").exists()


def test_a_bit_flip_in_a_table_page_is_exit_2(tmp_path, run_cli, history_db):
    db, _, runs_page = history_db
    damaged = _flip(db, runs_page, tmp_path / "damaged.sqlite")
    line = one_error_line(run_cli("history", "--db", str(damaged), expect=2))
    assert f"{damaged}:" in line and "damaged" in line

"""Inventory loading: every malformed input gives one InputError naming file, line, field and the fix."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from fourlayer.core.errors import InputError
from fourlayer.config.inventory import Endpoint, SSHSettings
from fourlayer.config.inventory_load import load_inventory
from fourlayer.config.yaml_lines import LineDict, LineList, load_yaml_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventory" / "example-province.yaml"
SCHEMA = ROOT / "inventory" / "schema.json"

BASE = """\
version: 1
agencies:
  - id: stttt-nghean
    name: Sở Thông tin và Truyền thông
    systems:
      - id: dvc-portal
        name: Cổng dịch vụ công
        level: 3
        hosts:
          - {address: 127.0.0.11, id: web1, ssh: {port: 2211}}
"""


def write(tmp_path: Path, text: str, name: str = "inv.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line containing `needle`."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return hits[nth - 1]


def fails(tmp_path: Path, text: str, env: dict | None = None) -> InputError:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_inventory(path, env=env)
    err = info.value
    assert err.path == str(path)
    assert "\n" not in str(err) and "Traceback" not in str(err)
    return err


def assert_at(err: InputError, line: int, field: str | None) -> None:
    assert err.line == line, str(err)
    assert err.field == field, str(err)
    where = f"{err.path}:{line}:" + (f" {field}:" if field else "")
    assert str(err).startswith(where), str(err)


# -- the happy path --------------------------------------------------------------------------------

def test_base_loads_with_lines(tmp_path):
    inv = load_inventory(write(tmp_path, BASE))
    agency = inv.agencies[0]
    system = agency.systems[0]
    host = system.hosts[0]
    assert (agency.id, agency.name, agency.line) == ("stttt-nghean", "Sở Thông tin và Truyền thông", 3)
    assert (system.id, system.level, system.line) == ("dvc-portal", 3, 6)
    assert (host.id, host.address, host.line, host.ssh.port) == ("web1", "127.0.0.11", 10, 2211)
    assert inv.version == 1 and inv.policy_path is None


def test_example_file_loads():
    inv = load_inventory(EXAMPLE)
    assert len(inv.agencies) == 3
    hosts = [h for _, _, h in inv.iter_hosts()]
    assert all(h.address.startswith("127.0.0.") for h in hosts)
    assert any(ch in inv.agencies[0].name for ch in "ởệọ")
    levels = {s.id: s.level for a in inv.agencies for s in a.systems}
    assert levels["dvc-portal"] == 3
    soc = inv.agencies[0].soc
    assert soc.manager == Endpoint("127.0.0.1", 1514) and soc.contract_until == dt.date(2027, 6, 30)
    firewall = next(h for h in hosts if h.id == "qlvb-fw1")
    assert firewall.ssh == SSHSettings(enabled=False)


def _json_ready(value):
    """YAML dates -> ISO strings, as an editor's JSON view of the file would show them."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat()))


def _validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_example_validates_against_schema():
    doc = _json_ready(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    errors = list(_validator().iter_errors(doc))
    assert errors == []


@pytest.mark.parametrize("edit", [
    lambda d: d["agencies"][0]["systems"][0].__setitem__("level", 7),
    lambda d: d["agencies"][0]["systems"][0].__setitem__("level", True),
    lambda d: d["agencies"][0]["systems"][0]["hosts"][0].__setitem__("adress", "127.0.0.1"),
    lambda d: d["defaults"]["ssh"].__setitem__("password", "x"),
    lambda d: d["agencies"][0]["soc"].__setitem__("manager", "127.0.0.1"),
    lambda d: d.__setitem__("agencies", []),
])
def test_schema_rejects_what_the_loader_rejects(edit):
    doc = _json_ready(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    edit(doc)
    assert list(_validator().iter_errors(doc))


@pytest.mark.parametrize("name", ["demo.yaml", "example-province.yaml", "example-zones.yaml"])
def test_every_example_inventory_validates_against_the_generated_schema(name):
    doc = _json_ready(yaml.safe_load((ROOT / "inventory" / name).read_text(encoding="utf-8")))
    assert [e.message for e in _validator().iter_errors(doc)] == []


def test_committed_schema_is_the_one_generated_from_the_model():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_schemas.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr  # names the command that regenerates inventory/schema.json


# -- malformed inputs, one per case ---------------------------------------------------------------

def test_missing_required_field(tmp_path):
    text = BASE.replace("        name: Cổng dịch vụ công\n", "")
    err = fails(tmp_path, text)
    assert_at(err, line_of(text, "- id: dvc-portal"), "agencies[0].systems[0].name")
    assert "missing; add name:" in err.message


def test_missing_host_address(tmp_path):
    text = BASE.replace("{address: 127.0.0.11, id: web1", "{id: web1")
    err = fails(tmp_path, text)
    assert_at(err, line_of(text, "{id: web1"), "agencies[0].systems[0].hosts[0].address")


def test_wrong_type_list_expected(tmp_path):
    text = BASE.replace("id: web1,", "id: web1, roles: linux,")
    err = fails(tmp_path, text)
    assert_at(err, line_of(text, "roles: linux"), "agencies[0].systems[0].hosts[0].roles")
    assert "expected a list" in err.message and "got 'linux' (text)" in err.message


def test_wrong_type_boolean_expected(tmp_path):
    text = BASE.replace("    systems:\n", "    national_monitoring: {connected: \"yes\"}\n    systems:\n", 1)
    err = fails(tmp_path, text)
    assert_at(err, line_of(text, "national_monitoring"), "agencies[0].national_monitoring.connected")
    assert "expected true or false, got 'yes' (text)" in err.message


def test_duplicate_host_id(tmp_path):
    text = BASE + "          - {address: 127.0.0.12, id: web1}\n"
    err = fails(tmp_path, text)
    assert_at(err, line_of(text, "127.0.0.12"), "agencies[0].systems[0].hosts[1].id")
    assert "duplicate host id 'web1' (first at line 10)" in err.message


def test_duplicate_host_id_defaulted_from_address(tmp_path):
    text = BASE + ("          - {address: 127.0.0.12, ssh: {port: 22}}\n"
                   "          - {address: 127.0.0.12, ssh: {port: 23}}\n")
    err = fails(tmp_path, text)
    assert_at(err, line_of(text, "127.0.0.12", 2), "agencies[0].systems[0].hosts[2].address")
    assert "give each of these hosts a distinct id" in err.message


def test_duplicate_system_id_across_agencies(tmp_path):
    text = BASE + """\
  - id: vpubnd
    name: Văn phòng UBND tỉnh
    systems:
      - id: dvc-portal
        name: Trùng tên
        level: 2
"""
    err = fails(tmp_path, text)
    assert_at(err, line_of(text, "- id: dvc-portal", 2), "agencies[1].systems[0].id")
    assert "duplicate system id 'dvc-portal' (first at line 6)" in err.message


def test_duplicate_agency_id(tmp_path):
    text = BASE + "  - {id: stttt-nghean, name: Lặp lại}\n"
    err = fails(tmp_path, text)
    assert_at(err, line_of(text, "Lặp lại"), "agencies[1].id")


def test_same_address_and_ssh_port_twice(tmp_path):
    text = BASE + "          - {address: 127.0.0.11, id: web2, ssh: {port: 2211}}\n"
    err = fails(tmp_path, text)
    assert_at(err, line_of(text, "id: web2"), "agencies[0].systems[0].hosts[1].address")
    assert "address 127.0.0.11 with SSH port 2211" in err.message and "first at line 10" in err.message


def test_level_7(tmp_path):
    text = BASE.replace("level: 3", "level: 7")
    err = fails(tmp_path, text)
    assert_at(err, 8, "agencies[0].systems[0].level")
    assert err.message == "expected an integer 1–5 (the Decree 85/2016 classification level), got 7"


def test_level_true_is_not_an_integer(tmp_path):
    text = BASE.replace("level: 3", "level: true")
    err = fails(tmp_path, text)
    assert_at(err, 8, "agencies[0].systems[0].level")
    assert "got true (a boolean)" in err.message


def test_level_quoted(tmp_path):
    err = fails(tmp_path, BASE.replace("level: 3", 'level: "3"'))
    assert_at(err, 8, "agencies[0].systems[0].level")
    assert "write it without quotes" in err.message


def test_bad_yaml_unclosed_bracket(tmp_path):
    text = BASE.replace("{address: 127.0.0.11, id: web1, ssh: {port: 2211}}",
                        "{address: 127.0.0.11, roles: [linux, web, id: web1}") + "  - id: next\n"
    err = fails(tmp_path, text)
    assert_at(err, 10, None)
    assert err.message.startswith("invalid YAML: a '[' list opened on this line is never closed")
    assert "close it with ']'" in err.message


def test_bad_yaml_tab_indent(tmp_path):
    err = fails(tmp_path, BASE.replace("        level: 3", "\tlevel: 3"))
    assert_at(err, 8, None)
    assert "spaces, not tabs" in err.message


def test_duplicate_yaml_key(tmp_path):
    text = BASE.replace("        level: 3\n", "        level: 3\n        level: 2\n")
    err = fails(tmp_path, text)
    assert_at(err, 9, "agencies[0].systems[0].level")
    assert "duplicate key 'level' (first at line 8)" in err.message


def test_python_tags_are_refused(tmp_path):
    err = fails(tmp_path, BASE.replace("level: 3", "level: !!python/object/apply:os.getpid []"))
    assert_at(err, 8, None)
    assert "only plain YAML is accepted" in err.message


def test_yaml_merge_key_override_is_not_a_duplicate():
    data = load_yaml_text("base: &b {port: 22, user: a}\nhost:\n  <<: *b\n  port: 2211\n")
    assert data["host"] == {"port": 2211, "user": "a"}
    assert isinstance(data, LineDict) and data["host"].value_line("port") == 4


def test_line_map_of_lists_and_scalars():
    data = load_yaml_text("a:\n  - x\n  - {k: 1}\nb: 2\n")
    assert isinstance(data["a"], LineList) and data["a"].item_lines == [2, 3]
    assert data.key_line("b") == 4 and data["a"][1].line == 3


def test_unknown_key_with_suggestion(tmp_path):
    text = BASE.replace("{address: 127.0.0.11,", "{adress: 127.0.0.11,")
    err = fails(tmp_path, text)
    assert_at(err, 10, "agencies[0].systems[0].hosts[0].adress")
    assert "unknown key; did you mean 'address'?" in err.message


def test_unknown_key_without_close_match_lists_allowed(tmp_path):
    err = fails(tmp_path, BASE.replace("version: 1\n", "version: 1\nzzz: 1\n"))
    assert_at(err, 2, "zzz")
    assert "allowed keys: version, policy, defaults, agencies" in err.message


def test_clear_text_password_is_refused_without_echo(tmp_path):
    secret = "Hunter2-S3cret!"
    text = BASE.replace("ssh: {port: 2211}", f"ssh: {{port: 2211, password: '{secret}'}}")
    err = fails(tmp_path, text)
    assert_at(err, 10, "agencies[0].systems[0].hosts[0].ssh.password")
    assert "password_env: NAME" in err.message
    assert secret not in str(err) and secret not in repr(err)


def test_secret_anywhere_is_refused(tmp_path):
    text = BASE.replace("version: 1\n", "version: 1\ndefaults:\n  ssh: {key_passphrase: abc123xyz}\n")
    err = fails(tmp_path, text)
    assert_at(err, 3, "defaults.ssh.key_passphrase")
    assert "abc123xyz" not in str(err)


def test_password_env_bad_name_not_echoed(tmp_path):
    text = BASE.replace("ssh: {port: 2211}", "ssh: {port: 2211, password_env: 'my pass w0rd'}")
    err = fails(tmp_path, text)
    assert_at(err, 10, "agencies[0].systems[0].hosts[0].ssh.password_env")
    assert "w0rd" not in str(err)


def test_bad_date(tmp_path):
    text = BASE.replace("    systems:\n", "    soc: {provider: SOC A, contract_until: 2027-02-30}\n    systems:\n", 1)
    err = fails(tmp_path, text)
    assert_at(err, 5, "agencies[0].soc.contract_until")
    assert "expected a date YYYY-MM-DD, got '2027-02-30'" in err.message


def test_date_in_other_format(tmp_path):
    text = BASE.replace("        level: 3\n",
                        "        level: 3\n        last_assessment: {date: 01/10/2025, assessor: X, "
                        "operator_independent: true}\n")
    err = fails(tmp_path, text)
    assert_at(err, 9, "agencies[0].systems[0].last_assessment.date")


def test_date_as_quoted_string_is_accepted(tmp_path):
    text = BASE.replace("    systems:\n", "    soc: {provider: SOC A, contract_until: '2027-06-30'}\n    systems:\n", 1)
    inv = load_inventory(write(tmp_path, text))
    assert inv.agencies[0].soc.contract_until == dt.date(2027, 6, 30)


@pytest.mark.parametrize("value, expect", [
    ('"127.0.0.1"', "expected 'host:port'"),
    ('"127.0.0.1:99999"', "port must be 1–65535"),
    ('"::1:514"', "put an IPv6 address in brackets"),
    ("1514", "expected 'host:port'"),
])
def test_bad_endpoint(tmp_path, value, expect):
    text = BASE.replace("    systems:\n", f"    soc: {{provider: SOC A, manager: {value}}}\n    systems:\n", 1)
    err = fails(tmp_path, text)
    assert_at(err, 5, "agencies[0].soc.manager")
    assert expect in err.message


def test_ipv6_endpoint_in_brackets(tmp_path):
    text = BASE.replace("    systems:\n", "    soc: {provider: SOC A, manager: '[::1]:1514'}\n    systems:\n", 1)
    assert load_inventory(write(tmp_path, text)).agencies[0].soc.manager == Endpoint("::1", 1514)


def test_bad_ssh_port(tmp_path):
    err = fails(tmp_path, BASE.replace("port: 2211", "port: 70000"))
    assert_at(err, 10, "agencies[0].systems[0].hosts[0].ssh.port")
    assert "expected a TCP port number 1–65535, got 70000" in err.message


def test_bad_port_in_list(tmp_path):
    err = fails(tmp_path, BASE.replace("id: web1,", "id: web1, tls: [443, 0],"))
    assert_at(err, 10, "agencies[0].systems[0].hosts[0].tls[1]")


def test_bad_address(tmp_path):
    err = fails(tmp_path, BASE.replace("127.0.0.11", "127.0.0.256"))
    assert_at(err, 10, "agencies[0].systems[0].hosts[0].address")
    assert "expected an IPv4/IPv6 address or a hostname" in err.message


def test_bad_id(tmp_path):
    err = fails(tmp_path, BASE.replace("id: dvc-portal", "id: dvc portal"))
    assert_at(err, 6, "agencies[0].systems[0].id")


def test_unset_env_var(tmp_path):
    text = BASE.replace("ssh: {port: 2211}", "ssh: {port: 2211, key_file: '${FOURLAYER_KEYS}/id_ed25519'}")
    err = fails(tmp_path, text, env={"HOME": "/home/audit"})
    assert_at(err, 10, "agencies[0].systems[0].hosts[0].ssh.key_file")
    assert "environment variable FOURLAYER_KEYS is not set" in err.message


def test_version_must_be_1(tmp_path):
    err = fails(tmp_path, BASE.replace("version: 1", "version: 2"))
    assert_at(err, 1, "version")


def test_empty_agencies(tmp_path):
    err = fails(tmp_path, "version: 1\nagencies: []\n")
    assert_at(err, 2, "agencies")
    assert "empty" in err.message


def test_empty_file(tmp_path):
    err = fails(tmp_path, "# nothing yet\n")
    assert "start with 'version: 1'" in err.message


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_inventory(tmp_path / "nope.yaml")


def test_not_utf8(tmp_path):
    path = tmp_path / "inv.yaml"
    path.write_bytes(BASE.replace("Sở", "S\xf5").encode("latin-1", errors="replace"))
    with pytest.raises(InputError) as info:
        load_inventory(path)
    assert info.value.line == 4 and "UTF-8" in info.value.message


def test_missing_policy_file(tmp_path):
    text = BASE.replace("version: 1\n", "version: 1\npolicy: missing.yaml\n")
    err = fails(tmp_path, text)
    assert_at(err, 2, "policy")
    assert str(tmp_path / "missing.yaml") in err.message


# -- paths, environment and SSH defaults -----------------------------------------------------------

def test_relative_paths_resolve_against_the_inventory_folder(tmp_path, monkeypatch):
    folder = tmp_path / "province"
    (folder / "certs").mkdir(parents=True)
    (folder / "policy.yaml").write_text("tls: {cert_warning_days: 45}\n", encoding="utf-8")
    text = BASE.replace("version: 1\n", "version: 1\npolicy: policy.yaml\n").replace(
        "id: web1,", "id: web1, tls_ca_file: certs/ca.pem,")
    path = write(folder, text)
    monkeypatch.chdir(tmp_path)  # the working directory must not matter
    env = {"HOME": "/home/audit", "KEYS": "/srv/keys"}
    inv = load_inventory(os.path.relpath(path, tmp_path), env=env)
    assert inv.policy_path == str(folder / "policy.yaml")
    assert inv.agencies[0].systems[0].hosts[0].tls_ca_file == str(folder / "certs" / "ca.pem")


def test_env_and_home_expansion(tmp_path):
    text = BASE.replace("version: 1\n", "version: 1\ndefaults:\n  ssh: {key_file: $KEYS/id, known_hosts: ~/kh}\n")
    inv = load_inventory(write(tmp_path, text), env={"HOME": "/home/audit", "KEYS": "/srv/keys"})
    ssh = inv.agencies[0].systems[0].hosts[0].ssh
    assert ssh.key_file == "/srv/keys/id" and ssh.known_hosts == "/home/audit/kh"


def test_defaults_merge_under_host_ssh(tmp_path):
    text = BASE.replace("version: 1\n", """\
version: 1
defaults:
  ssh: {user: audit, key_file: keys/id_ed25519, port: 22, sudo: true}
""") + "          - {address: 127.0.0.12, id: db1}\n"
    inv = load_inventory(write(tmp_path, text), env={})
    web, db = inv.agencies[0].systems[0].hosts
    key = str(tmp_path / "keys" / "id_ed25519")
    assert web.ssh == SSHSettings(port=2211, user="audit", key_file=key, sudo=True)  # host wins on port
    assert db.ssh == SSHSettings(port=22, user="audit", key_file=key, sudo=True)  # no ssh: -> the defaults
    assert inv.defaults == {"ssh": {"user": "audit", "key_file": key, "port": 22, "sudo": True}}


def test_ssh_false_disables_ssh(tmp_path):
    text = BASE.replace("version: 1\n", "version: 1\ndefaults:\n  ssh: {user: audit}\n") + \
        "          - {address: 127.0.0.11, id: fw1, ssh: false}\n"
    inv = load_inventory(write(tmp_path, text))
    fw = inv.agencies[0].systems[0].hosts[1]
    assert fw.ssh == SSHSettings(enabled=False)  # same address as web1, but no SSH: not a duplicate target


def test_host_id_defaults_to_address(tmp_path):
    inv = load_inventory(write(tmp_path, BASE.replace(", id: web1", "")))
    assert inv.agencies[0].systems[0].hosts[0].id == "127.0.0.11"


# -- declared facts of layers 2-4: SOC coverage, organisation assessment, assessment follow-up ----------------

def test_monitoring_and_assessment_facts_load():
    inv = load_inventory(EXAMPLE)
    skhcn = inv.agencies[0]
    assert skhcn.soc.log_collector == Endpoint("127.0.0.1", 6514) and skhcn.soc.log_destination.port == 6514
    assert skhcn.soc.systems == ("dvc-portal", "email-congvu") and not skhcn.soc.covers("other")
    org = skhcn.organisation_assessment
    assert (org.date, org.operator_independent, org.report) == (dt.date(2025, 6, 20), True, "BC-01/2025/KĐ (ví dụ)")
    qlvb = inv.agencies[1].systems[0].last_assessment
    assert (qlvb.findings_open, qlvb.remediation_plan, qlvb.remediation_due) == \
        (2, "KH-03/2025/VP (ví dụ)", dt.date(2025, 12, 31))
    vpubnd_soc = inv.agencies[1].soc
    assert vpubnd_soc.systems is None and vpubnd_soc.covers("qlvb-dhdt")  # no list: every system
    assert vpubnd_soc.log_destination == vpubnd_soc.manager


def test_soc_systems_must_name_this_agencys_systems(tmp_path):
    text = BASE.replace("    systems:\n", "    soc:\n      provider: SOC A\n      systems: [dvc-portal, dvc-portl]\n"
                        "    systems:\n", 1)
    err = fails(tmp_path, text)
    assert_at(err, 7, "agencies[0].soc.systems[1]")
    assert err.message == "no system 'dvc-portl' in this agency; did you mean 'dvc-portal'?"


@pytest.mark.parametrize("soc, line, field, expect", [
    ("{provider: A, systems: dvc-portal}", 5, "agencies[0].soc.systems", "expected a list"),
    ("{provider: A, systems: [7]}", 5, "agencies[0].soc.systems[0]", "expected an id"),
    ("{provider: A, log_collector: '127.0.0.1'}", 5, "agencies[0].soc.log_collector", "expected 'host:port'"),
])
def test_bad_soc_facts(tmp_path, soc, line, field, expect):
    err = fails(tmp_path, BASE.replace("    systems:\n", f"    soc: {soc}\n    systems:\n", 1))
    assert_at(err, line, field)
    assert expect in err.message


@pytest.mark.parametrize("extra, field, expect", [
    ("report: 2025", "report", "expected text, got 2025 (a number); put it in quotes"),
    ("remediation_due: 31/12/2026", "remediation_due", "expected a date YYYY-MM-DD"),
    ("remediation_plan: [a]", "remediation_plan", "expected text, got a list"),
    ("findings_open: -1", "findings_open", "expected a count of open findings"),
])
def test_bad_assessment_follow_up(tmp_path, extra, field, expect):
    text = BASE.replace("        level: 3\n", "        level: 3\n        last_assessment: {date: 2025-10-01, "
                        f"assessor: X, operator_independent: true, {extra}}}\n")
    err = fails(tmp_path, text)
    assert_at(err, 9, f"agencies[0].systems[0].last_assessment.{field}")
    assert expect in err.message


def test_bad_organisation_assessment(tmp_path):
    text = BASE.replace("    systems:\n", "    organisation_assessment:\n      date: 2025-02-30\n      assessor: X\n"
                        "      operator_independent: true\n    systems:\n", 1)
    err = fails(tmp_path, text)
    assert_at(err, 6, "agencies[0].organisation_assessment.date")
    text = BASE.replace("    systems:\n", "    organisation_assessment: {date: 2025-02-01, assessor: X}\n"
                        "    systems:\n", 1)
    err = fails(tmp_path, text)
    assert_at(err, 5, "agencies[0].organisation_assessment.operator_independent")
    assert "missing; add operator_independent: true or false" in err.message


@pytest.mark.parametrize("edit", [
    lambda d: d["agencies"][0]["soc"].__setitem__("systems", "dvc-portal"),
    lambda d: d["agencies"][0]["soc"].__setitem__("log_collector", "127.0.0.1"),
    lambda d: d["agencies"][0]["organisation_assessment"].pop("assessor"),
    lambda d: d["agencies"][0]["systems"][0]["last_assessment"].__setitem__("remediation_due", "31/12/2026"),
])
def test_schema_rejects_bad_monitoring_facts(edit):
    doc = _json_ready(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    edit(doc)
    assert list(_validator().iter_errors(doc))


def test_runtime_objects_hold_every_field_of_the_file_model():
    """The file's shape is the model (inventory_model); the runtime dataclasses (inventory) may add what the loader
    resolves (line numbers, a host's device), never lose a key the file may state."""
    from fourlayer.config import inventory as rt
    from fourlayer.config import inventory_model as fm

    pairs = [(fm.SshIn, rt.SSHSettings), (fm.ContactIn, rt.Contact), (fm.SocIn, rt.SOC),
             (fm.NationalIn, rt.NationalMonitoring), (fm.AssessmentIn, rt.Assessment), (fm.ZoneIn, rt.Zone),
             (fm.HostIn, rt.Host), (fm.SystemIn, rt.System), (fm.AgencyIn, rt.Agency)]
    for model, runtime in pairs:
        missing = set(model.model_fields) - set(runtime.__dataclass_fields__) - {"devices"}  # devices: Host.device
        assert not missing, (model.__name__, missing)
    assert set(fm.DeviceIn.model_fields) - {"address", "ssh", "id"} <= set(rt.Device.__dataclass_fields__)


@pytest.mark.parametrize("host, field, message", [
    ("{address: 127.0.0.11, 5: x}", "agencies[0].systems[0].hosts[0]", "key 5 is not text; allowed keys: address, id,"),
    ("{address: 127.0.0.11, ssh: {port: 0, usr: x}}", "agencies[0].systems[0].hosts[0].ssh.usr",
     "unknown key; did you mean 'user'?"),  # a mapping's keys are judged before its values
    ("{adress: 127.0.0.11}", "agencies[0].systems[0].hosts[0].adress", "unknown key; did you mean 'address'?"),
    ("{address: 127.0.0.11, ssh: {port: 70000}}", "agencies[0].systems[0].hosts[0].ssh.port",
     "expected a TCP port number 1–65535, got 70000"),  # ssh: is a mapping or a boolean: no 'SshIn' in the field
    ("{address: 127.0.0.11, ssh: 5}", "agencies[0].systems[0].hosts[0].ssh",
     "expected a mapping (port:, user:, ... — or false to disable SSH), got 5 (a number)"),
])
def test_model_errors_keep_the_loader_wording(tmp_path, host, field, message):
    text = BASE.replace("{address: 127.0.0.11, id: web1, ssh: {port: 2211}}", host)
    err = fails(tmp_path, text)
    assert (err.line, err.field) == (10, field) and err.message.startswith(message), str(err)

"""fourlayer/data/{policy,waivers,zone_policy,framework}.schema.json are generated from the models and describe the
files users write."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from fourlayer.config.policy import DEFAULT_POLICY_PATH
from fourlayer.config.yaml_lines import load_yaml, to_plain

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "fourlayer" / "data" / "policy.schema.json"


def test_committed_schemas_are_the_generated_ones():
    """The schema files are generated from their models, never edited by hand."""
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_schemas.py"), "--check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def _validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _as_json(path: Path) -> dict:
    return json.loads(json.dumps(to_plain(load_yaml(path))))  # an editor sees the YAML as JSON: keys as text


@pytest.mark.parametrize("path", [DEFAULT_POLICY_PATH, ROOT / "inventory" / "demo-policy.yaml"])
def test_shipped_policy_files_are_valid_for_the_schema(path):
    assert not list(_validator().iter_errors(_as_json(path)))


@pytest.mark.parametrize("doc, where", [
    ({"ssh": {"max_auth_trys": 3}}, ["ssh"]),
    ({"ssh": {"max_auth_tries": 0}}, ["ssh", "max_auth_tries"]),
    ({"scoring": {"min_coverage": 120}}, ["scoring", "min_coverage"]),
    ({"tls": {"weak_cipher_classes": ["RC5"]}}, ["tls", "weak_cipher_classes", 0]),
    ({"assessment": {"interval_months": {"3": None}}}, ["assessment", "interval_months", "3"]),
])
def test_schema_refuses_what_load_policy_refuses(doc, where):
    errors = list(_validator().iter_errors(doc))
    assert errors and list(errors[0].absolute_path) == where


def test_schema_takes_a_partial_file_and_null_where_it_removes_a_default():
    assert not list(_validator().iter_errors({"network": {"risky_ports": {"3306": None, "8081": "http-proxy"}},
                                              "tls": {"cert_warning_days": 10}}))


def test_example_waiver_file_is_valid_for_the_waivers_schema():
    schema = json.loads((ROOT / "fourlayer" / "data" / "waivers.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    example = json.loads(json.dumps(to_plain(load_yaml(ROOT / "inventory" / "waivers.example.yaml")), default=str))
    assert not list(validator.iter_errors(example))
    assert not list(validator.iter_errors(example["waivers"]))  # the bare list is a waiver file too
    bad = {"waivers": [{**example["waivers"][0], "aprover": "x"}]}
    assert list(validator.iter_errors(bad))


def test_default_zone_policy_is_valid_for_the_zone_policy_schema():
    schema = json.loads((ROOT / "fourlayer" / "data" / "zone_policy.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    default = _as_json(ROOT / "fourlayer" / "data" / "zone_policy.yaml")
    assert not list(validator.iter_errors(default))
    assert list(validator.iter_errors({**default, "guarded": [{"to": ["server"], "port": [22]}]}))


@pytest.mark.parametrize("name", ["vn-decree85-tcvn11930", "vn-law116-2025-draft"])
def test_shipped_frameworks_are_valid_for_the_framework_schema(name):
    schema = json.loads((ROOT / "fourlayer" / "data" / "framework.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    framework = json.loads(json.dumps(to_plain(load_yaml(ROOT / "fourlayer" / "data" / "frameworks" / f"{name}.yaml")),
                                      default=str))
    assert not list(validator.iter_errors(framework))
    assert list(validator.iter_errors({**framework, "status": "final"}))

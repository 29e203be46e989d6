"""The inventory's `devices:` entries: loaded as hosts of kind "device", and every mistake refused with the file,
the line, the field and the fix (exit 2 from the CLI), before any traffic."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from fourlayer.config.inventory_load import load_inventory
from fourlayer.core.errors import InputError
from tests.config.test_inventory import SCHEMA, _json_ready, assert_at, fails, line_of, write

BASE = """\
version: 1
agencies:
  - id: a1
    name: Cơ quan thử nghiệm
    systems:
      - id: s1
        name: Hệ thống thử nghiệm
        level: 3
        hosts:
          - {address: 127.0.0.11, id: web1}
        devices:
          - id: edge-fw1
            vendor: cisco_ios
            role: edge router
            config: devices/edge.conf
"""


@pytest.fixture
def inv_dir(tmp_path: Path) -> Path:
    (tmp_path / "devices").mkdir()
    (tmp_path / "devices" / "edge.conf").write_text("hostname EDGE\n", encoding="utf-8")
    return tmp_path


def test_a_device_is_a_host_of_kind_device(inv_dir):
    inv = load_inventory(write(inv_dir, BASE))
    hosts = {h.id: h for _, _, h in inv.iter_hosts()}
    dev = hosts["edge-fw1"]
    assert dev.kind == "device" and hosts["web1"].kind == "host"
    assert (dev.device.vendor, dev.device.role) == ("cisco_ios", "edge router")
    assert dev.device.config == str(inv_dir / "devices" / "edge.conf")  # relative to the inventory
    assert dev.address == "" and not dev.ssh.enabled and dev.line == line_of(BASE, "- id: edge-fw1")


def test_unknown_vendor_suggests_the_closest(inv_dir):
    text = BASE.replace("vendor: cisco_ios", "vendor: cisco-ios")
    err = fails(inv_dir, text)
    assert_at(err, line_of(text, "vendor:"), "agencies[0].systems[0].devices[0].vendor")
    assert "did you mean 'cisco_ios'?" in err.message


def test_missing_configuration_file(inv_dir):
    text = BASE.replace("devices/edge.conf", "devices/nope.conf")
    err = fails(inv_dir, text)
    assert_at(err, line_of(text, "config:"), "agencies[0].systems[0].devices[0].config")
    assert "not found" in err.message and "fix the path" in err.message


@pytest.mark.parametrize("edit,word", [
    (lambda t: t.replace("            config: devices/edge.conf\n", ""), "neither"),
    (lambda t: t + "            address: 127.0.0.50\n            ssh: {port: 2222}\n", "both"),
])
def test_config_or_ssh_exactly_one(inv_dir, edit, word):
    text = edit(BASE)
    err = fails(inv_dir, text)
    assert_at(err, line_of(text, "- id: edge-fw1"), "agencies[0].systems[0].devices[0]")
    assert f"not {word}" in err.message and "config:" in err.message and "ssh:" in err.message


def test_ssh_device_needs_an_address(inv_dir):
    text = BASE.replace("config: devices/edge.conf", "ssh: {port: 2222}")
    err = fails(inv_dir, text)
    assert "needs address:" in err.message


def test_ssh_device_loads_with_the_host_ssh_shape(inv_dir):
    text = BASE.replace("config: devices/edge.conf", "address: 127.0.0.50\n            ssh: {port: 2222, user: ro}")
    dev = next(h for _, _, h in load_inventory(write(inv_dir, text)).iter_hosts() if h.id == "edge-fw1")
    assert (dev.address, dev.ssh.port, dev.ssh.user, dev.device.config) == ("127.0.0.50", 2222, "ro", None)


def test_device_ids_share_the_host_namespace(inv_dir):
    text = BASE.replace("id: edge-fw1", "id: web1")
    err = fails(inv_dir, text)
    assert "duplicate host id 'web1'" in err.message


def test_unknown_key(inv_dir):
    text = BASE.replace("role: edge router", "rol: edge router")
    err = fails(inv_dir, text)
    assert_at(err, line_of(text, "rol:"), "agencies[0].systems[0].devices[0].rol")
    assert "did you mean 'role'?" in err.message


def test_cli_validate_counts_devices(inv_dir):
    from click.testing import CliRunner

    from fourlayer.cli.main import main

    result = CliRunner().invoke(main, ["inventory", "validate", str(write(inv_dir, BASE))])
    assert result.exit_code == 0 and "1 systems, 1 hosts, 1 network devices" in result.output, result.output


def test_cli_refuses_with_exit_2_and_one_line(inv_dir):
    from click.testing import CliRunner

    from fourlayer.cli.main import main

    path = write(inv_dir, BASE.replace("vendor: cisco_ios", "vendor: fortigate"))
    result = CliRunner().invoke(main, ["inventory", "validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and f"{path}:" in result.output and "vendor" in result.output


def test_schema_takes_devices_and_refuses_what_the_loader_refuses():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    doc = _json_ready(yaml.safe_load(BASE))
    assert list(validator.iter_errors(doc)) == []
    for bad in ({"vendor": "fortigate"}, {"ssh": {"port": 22}, "address": "127.0.0.9"}, {"config": None}):
        broken = json.loads(json.dumps(doc))
        entry = broken["agencies"][0]["systems"][0]["devices"][0]
        entry.update(bad)
        if entry.get("config") is None:
            entry.pop("config")
        assert list(validator.iter_errors(broken)), bad


def test_loader_errors_never_show_a_configuration(inv_dir):
    (inv_dir / "devices" / "edge.conf").write_text("enable secret 0 FAKEvisible\n", encoding="utf-8")
    text = BASE.replace("vendor: cisco_ios", "vendor: nope")
    with pytest.raises(InputError) as info:
        load_inventory(write(inv_dir, text))
    assert "FAKEvisible" not in str(info.value)

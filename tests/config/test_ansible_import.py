"""Ansible inventory import: INI and YAML samples (tests/data/ansible, loopback addresses only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fourlayer.config.ansible_import import expand_pattern, import_ansible
from fourlayer.core.errors import InputError
from fourlayer.config.inventory_load import load_inventory

DATA = Path(__file__).resolve().parents[1] / "data" / "ansible"


def imported(tmp_path: Path, name: str, run_cli, level: int = 2) -> tuple[Path, str]:
    out = tmp_path / f"{name}.yaml"
    output = run_cli("inventory", "import-ansible", str(DATA / name), "--agency", "so-tttt", "--level", str(level),
                     "--agency-name", "Sở Thông tin và Truyền thông", "--out", str(out))
    return out, output


@pytest.mark.parametrize("name", ["hosts.ini", "hosts.yml"])
def test_groups_become_systems_and_the_result_validates(tmp_path, run_cli, name):
    out, output = imported(tmp_path, name, run_cli)
    assert f"wrote {out}: 4 systems, 7 hosts — validated" in output
    assert "OK — 1 agencies, 4 systems, 7 hosts" in run_cli("inventory", "validate", str(out))
    inv = load_inventory(out)
    [agency] = inv.agencies
    assert (agency.id, agency.name) == ("so-tttt", "Sở Thông tin và Truyền thông")
    systems = {s.id: s for s in agency.systems}
    assert list(systems) == ["ungrouped", "webservers", "dbservers", "windows"]
    assert all(s.level == 2 for s in systems.values())
    hosts = {h.id: h for s in agency.systems for h in s.hosts}
    assert all(h.address.startswith("127.0.0.") for h in hosts.values())
    # a range, group vars (webservers port) and host vars (deploy user), the child group wins over its parent
    assert [h.address for h in systems["webservers"].hosts] == ["127.0.0.32", "127.0.0.33", "127.0.0.34",
                                                                "127.0.0.31"]
    assert (hosts["127.0.0.33"].ssh.port, hosts["127.0.0.33"].ssh.user) == (2200, "deploy")
    assert (hosts["portal.local"].ssh.port, hosts["portal.local"].ssh.user) == (2222, "ops")
    assert hosts["portal.local"].address == "127.0.0.31"
    # a host in two groups is listed once, in its first group, and keeps every group as a tag
    assert "127.0.0.32" not in [h.id for h in systems["dbservers"].hosts]
    assert hosts["127.0.0.32"].tags == ("dbservers", "production", "webservers")
    # all:vars apply where nothing more specific does; key file copied, passwords never
    assert hosts["127.0.0.30"].ssh.user == "audit"
    assert hosts["db1.local"].ssh.key_file.endswith("/.ssh/db_ed25519")
    text = out.read_text(encoding="utf-8")
    assert "SuperSecret" not in text and "hunter2" not in text and "password" not in text.split("agencies:")[1]
    # a Windows host is not reached over SSH
    assert hosts["ad1.local"].roles == ("windows",) and hosts["ad1.local"].ssh.enabled is False


@pytest.mark.parametrize("name", ["hosts.ini", "hosts.yml"])
def test_skipped_secrets_are_reported_with_file_and_line(name):
    result = import_ansible(DATA / name, "so-tttt", 2)
    password_line = next(i for i, ln in enumerate((DATA / name).read_text().splitlines(), 1)
                         if "ansible_password" in ln)
    assert any(w.startswith(f"{DATA / name}:{password_line}: ansible_password not imported for 127.0.0.32, "
                            "127.0.0.33, 127.0.0.34 and 2 more: secrets never go") for w in result.warnings)
    assert any("ansible_become_pass not imported for db1.local" in w for w in result.warnings)


def test_ini_and_yaml_give_the_same_inventory():
    ini = import_ansible(DATA / "hosts.ini", "so-tttt", 3).text
    yml = import_ansible(DATA / "hosts.yml", "so-tttt", 3).text
    assert ini.split("\n", 1)[1] == yml.split("\n", 1)[1]  # all but the first comment line (the source name)


def test_stdout_is_the_inventory_and_warnings_go_to_stderr(tmp_path):
    from click.testing import CliRunner

    from fourlayer.cli.main import main

    result = CliRunner().invoke(main, ["inventory", "import-ansible", str(DATA / "hosts.yml"), "--agency",
                                       "so-tttt", "--level", "1"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout.startswith("# fourlayer inventory imported from the Ansible inventory hosts.yml")
    assert "warning:" not in result.stdout and result.stderr.count("warning:") == 2
    piped = tmp_path / "piped.yaml"
    piped.write_text(result.stdout, encoding="utf-8")
    assert len(list(load_inventory(piped).iter_hosts())) == 7


@pytest.mark.parametrize("name,line,message", [
    ("bad-range.ini", 2, "bad host range [9:a]"),
    ("bad-host.yml", 6, "'127.0.0.60 extra' is not an IP address or hostname"),
    ("template-host.yml", 4, "a Jinja template cannot be imported"),
    ("duplicate.ini", 4, "same machine as web1 (127.0.0.61, ssh port 22)"),
])
def test_errors_name_file_and_line(run_cli, tmp_path, name, line, message):
    output = run_cli("inventory", "import-ansible", str(DATA / name), "--agency", "a", "--level", "1",
                     "--out", str(tmp_path / "x.yaml"), expect=2)
    assert output.startswith(f"error: {DATA / name}:{line}:") and message in output, output
    assert not (tmp_path / "x.yaml").exists()


def test_bad_agency_existing_out_and_ranges(tmp_path, run_cli):
    with pytest.raises(InputError, match="--agency"):
        import_ansible(DATA / "hosts.ini", "bad agency", 2)
    out, _ = imported(tmp_path, "hosts.ini", run_cli)
    again = run_cli("inventory", "import-ansible", str(DATA / "hosts.ini"), "--agency", "a", "--level", "1",
                    "--out", str(out), expect=2)
    assert "already exists; pass --force" in again
    assert expand_pattern("web[08:10:2]-[a:b]", "f", 1) == ["web08-a", "web08-b", "web10-a", "web10-b"]
    assert expand_pattern("127.0.0.[1:3]", "f", 1) == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]

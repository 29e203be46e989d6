"""Policy defaults and user overrides: deep merge, unknown keys and wrong types caught with file/line/field."""

from __future__ import annotations

from pathlib import Path

import pytest

from fourlayer.core.errors import InputError
from fourlayer.config.inventory_load import load_inventory
from fourlayer.config.policy import DEFAULT_POLICY_PATH, default_policy, load_policy, port_spec_ports


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def fails(tmp_path: Path, text: str) -> InputError:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_policy(str(path))
    assert info.value.path == str(path) and "\n" not in str(info.value)
    return info.value


def test_defaults_hold_the_documented_values():
    p = load_policy(None)
    assert p["scoring"] == {"weights": {"critical": 10, "high": 5, "medium": 3, "low": 1, "info": 0},
                            "layer_threshold": 80, "min_coverage": 80}
    assert p["assessment"] == {"interval_months": {1: 24, 2: 24, 3: 12, 4: 12, 5: 6},
                               "organisation_interval_months": 24, "licensed_from_level": 3}
    assert p["tls"] == {"cert_warning_days": 30, "cert_critical_days": 7, "min_rsa_bits": 2048, "min_ec_bits": 256,
                        "min_dh_bits": 2048,
                        "weak_signature_hashes": ["md5", "sha1"],
                        "weak_cipher_classes": ["RC4", "3DES", "DES", "EXPORT", "NULL", "aNULL"]}
    assert p["accounts"] == {"pass_min_len": 12, "pass_max_days": 90, "pass_min_days": 1, "pass_warn_age": 7,
                             "min_char_classes": 3, "lockout_max_attempts": 5, "lockout_min_unlock_seconds": 900,
                             "uid0_accounts": ["root"], "password_history": 24, "pwquality_max_retry": 3,
                             "pwquality_min_difok": 2, "password_hashes": ["yescrypt", "sha512"]}
    assert p["updates"] == {"max_pending_security": 0, "notice_max_age_days": 7, "lists_max_age_days": 7}
    assert p["files"] == {"host_key_owners": ["root"], "host_key_groups": ["root", "ssh_keys"]}
    assert "clamd" in p["antimalware"]["process_names"] and "clamav-daemon.service" in p["antimalware"]["unit_names"]
    assert {"in.telnetd", "vsftpd"} <= set(p["services"]["risky_processes"])
    assert "telnet.socket" in p["services"]["risky_units"]
    assert p["logging"] == {"retention_days": 30} and p["soc"] == {"contract_warning_days": 30}
    ssh = p["ssh"]
    assert (ssh["max_auth_tries"], ssh["login_grace_time_max"], ssh["client_alive_interval_max"],
            ssh["password_auth_allowed_max_level"], ssh["min_rsa_bits"]) == (4, 60, 900, 1, 2048)
    assert (ssh["client_alive_count_max"], ssh["max_sessions"], ssh["max_startups"], ssh["implicit_defaults"]) == \
        (3, 10, "10:30:60", "pass")
    assert {"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1",
            "diffie-hellman-group-exchange-sha1"} <= set(ssh["weak_kex"])
    assert {"3des-cbc", "aes128-cbc", "arcfour", "blowfish-cbc", "cast128-cbc"} <= set(ssh["weak_ciphers"])
    assert {"hmac-md5", "hmac-sha1", "umac-64@openssh.com", "hmac-ripemd160"} <= set(ssh["weak_macs"])
    assert {"ssh-rsa", "ssh-dss"} <= set(ssh["weak_host_key_algorithms"])
    # what OpenSSH 9 offers by default must not be called weak
    assert not {"curve25519-sha256", "sntrup761x25519-sha512@openssh.com"} & set(ssh["weak_kex"])
    assert not {"chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr"} & set(ssh["weak_ciphers"])
    assert not {"hmac-sha2-256-etm@openssh.com", "umac-128-etm@openssh.com"} & set(ssh["weak_macs"])
    assert not {"ssh-ed25519", "rsa-sha2-512"} & set(ssh["weak_host_key_algorithms"])


def test_default_scan_ports_cover_every_risky_port():
    p = default_policy()
    risky = p["network"]["risky_ports"]
    assert risky[23] == "telnet" and risky[3389] == "rdp" and risky[27017] == "mongodb" and len(risky) == 23
    assert set(risky) <= port_spec_ports(p["network"]["scan_ports"])
    assert {22, 80, 443} <= port_spec_ports(p["network"]["scan_ports"])


def test_default_file_is_commented_yaml_with_sources():
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    assert "Decree 85/2016" in text and "Circular 31/2017" in text and text.count("#") > 20


def test_default_policy_is_a_fresh_copy():
    first = default_policy()
    first["ssh"]["weak_kex"].clear()
    first["scoring"]["weights"]["high"] = 99
    again = default_policy()
    assert again["ssh"]["weak_kex"] and again["scoring"]["weights"]["high"] == 5


def test_override_merges_deeply(tmp_path):
    p = load_policy(str(write(tmp_path, """\
scoring:
  weights: {high: 6}
assessment:
  interval_months: {3: 6}
ssh:
  weak_kex: [diffie-hellman-group1-sha1]     # lists replace the default list
""")))
    assert p["scoring"]["weights"] == {"critical": 10, "high": 6, "medium": 3, "low": 1, "info": 0}
    assert p["scoring"]["layer_threshold"] == 80
    assert p["assessment"]["interval_months"] == {1: 24, 2: 24, 3: 6, 4: 12, 5: 6}
    assert p["ssh"]["weak_kex"] == ["diffie-hellman-group1-sha1"]
    assert p["ssh"]["weak_ciphers"] == default_policy()["ssh"]["weak_ciphers"]
    assert type(p["ssh"]["weak_kex"]) is list and type(p["scoring"]) is dict


def test_empty_override_gives_defaults(tmp_path):
    assert load_policy(str(write(tmp_path, "# nothing to change\n"))) == default_policy()


def test_unknown_top_key_with_suggestion(tmp_path):
    err = fails(tmp_path, "tls: {cert_warning_days: 10}\nscorring:\n  layer_threshold: 70\n")
    assert (err.line, err.field) == (2, "scorring")
    assert "did you mean 'scoring'?" in err.message


def test_unknown_nested_key_with_suggestion(tmp_path):
    err = fails(tmp_path, "ssh:\n  max_auth_try: 3\n")
    assert (err.line, err.field) == (2, "ssh.max_auth_try")
    assert "did you mean 'max_auth_tries'?" in err.message
    assert str(err).startswith(f"{err.path}:2: ssh.max_auth_try: unknown policy key")


@pytest.mark.parametrize("text, line, field, expect", [
    ("scoring:\n  layer_threshold: true\n", 2, "scoring.layer_threshold", "got true (a boolean)"),
    ("scoring:\n  min_coverage: 120\n", 2, "scoring.min_coverage", "expected a percentage 0–100"),
    ("ssh:\n  max_auth_tries: '4'\n", 2, "ssh.max_auth_tries", "got '4' (text)"),
    ("ssh:\n  weak_kex: ssh-rsa\n", 2, "ssh.weak_kex", "expected a list of algorithm names"),
    ("tls: 30\n", 1, "tls", "expected a mapping"),
    ("assessment:\n  interval_months:\n    6: 3\n", 3, "assessment.interval_months.6", "level 1–5 as key"),
    ("assessment:\n  interval_months: {3: null}\n", 2, "assessment.interval_months.3", "remove the line"),
    ("network:\n  scan_ports: '1-1024, 3306'\n", 2, "network.scan_ports", "nmap port list"),
    ("network:\n  risky_ports: {70000: x}\n", 2, "network.risky_ports.70000", "port number 1–65535"),
    ("accounts:\n  pass_min_len: 0\n", 2, "accounts.pass_min_len", "at least 1"),
    ("ssh:\n  implicit_defaults: fail\n", 2, "ssh.implicit_defaults", "expected pass or warn"),
    ("ssh:\n  max_startups: 10:30\n", 2, "ssh.max_startups", 'e.g. "10:30:60"'),
])
def test_wrong_types(tmp_path, text, line, field, expect):
    err = fails(tmp_path, text)
    assert (err.line, err.field) == (line, field), str(err)
    assert expect in err.message


def test_risky_port_removed_with_null(tmp_path):
    p = load_policy(str(write(tmp_path, "network:\n  risky_ports: {3306: null, 8081: http-proxy}\n"
                                        "  scan_ports: '1-30000'\n")))
    assert 3306 not in p["network"]["risky_ports"] and p["network"]["risky_ports"][8081] == "http-proxy"
    assert p["network"]["risky_ports"][23] == "telnet"


def test_risky_port_must_be_scanned(tmp_path):
    err = fails(tmp_path, "network:\n  risky_ports:\n    8081: http-proxy\n")
    assert (err.line, err.field) == (3, "network.risky_ports.8081")
    assert "add 8081 to scan_ports" in err.message


def test_narrowed_scan_ports_points_at_scan_ports(tmp_path):
    err = fails(tmp_path, "network:\n  scan_ports: '22,80,443'\n")
    assert (err.line, err.field) == (2, "network.scan_ports")


def test_missing_policy_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_policy(str(tmp_path / "none.yaml"))


def test_bad_yaml_in_policy(tmp_path):
    err = fails(tmp_path, "ssh:\n  weak_kex: [a, b\n")
    assert err.line == 2 and err.message.startswith("invalid YAML")


def test_inventory_policy_path_feeds_load_policy(tmp_path):
    write(tmp_path, "tls:\n  cert_warning_days: 45\n", "site-policy.yaml")
    inv = write(tmp_path, "version: 1\npolicy: site-policy.yaml\nagencies:\n  - {id: a, name: A}\n", "inv.yaml")
    policy = load_policy(load_inventory(inv).policy_path)
    assert policy["tls"]["cert_warning_days"] == 45 and policy["tls"]["min_rsa_bits"] == 2048


def test_port_spec_parser():
    assert port_spec_ports("21-23,80") == {21, 22, 23, 80}
    assert port_spec_ports("80,,443") is None and port_spec_ports("0-10") is None
    assert port_spec_ports("100-90") is None and port_spec_ports("http") is None


def test_checks_read_the_policy_by_name_and_a_typo_fails_loudly():
    """`t.policy.ssh.max_auth_tries`: a name the policy lacks is an error naming the path and the closest key,
    never a silent default (checks carry no defaults of their own: load_policy fills every key)."""
    from fourlayer.config.policy_model import Policy, PolicyKeyError

    typed = Policy.of(default_policy())
    assert typed.ssh.max_auth_tries == default_policy()["ssh"]["max_auth_tries"]
    assert typed.network.risky_ports[23] == "telnet" and dict(typed.network.risky_ports)[21] == "ftp"
    assert typed.ssh["weak_kex"] == typed.ssh.weak_kex and "datastores" in typed.network.categories
    categories = default_policy()["network"]["categories"]
    assert dict(typed.network.categories.items()) == categories and typed.network.categories.values()
    with pytest.raises(PolicyKeyError, match=r"policy.ssh has no key 'max_auth_trys'; did you mean 'max_auth_tries'"):
        typed.ssh.max_auth_trys
    with pytest.raises(AttributeError, match=r"policy.network.categories has no key 'datastore'"):
        typed.network.categories["datastore"]
    with pytest.raises(KeyError):
        typed.network.risky_ports[65000]
    with pytest.raises(Exception):
        typed.ssh = {}  # frozen
    with pytest.raises(Exception):
        typed.ssh.max_auth_tries = 9


def test_typed_policy_from_a_workers_json_has_number_keys_again():
    """A worker receives the policy as JSON (keys of open maps become text); its checks read the same
    `t.policy.network.risky_ports[22]` as the coordinator's."""
    import json

    from fourlayer.config.policy_model import Policy

    sent = json.loads(json.dumps(default_policy()))
    assert "23" in sent["network"]["risky_ports"]
    typed = Policy.of(sent)
    assert typed.network.risky_ports[23] == "telnet" and typed.assessment.interval_months[5] == 6
    assert typed.kernel.exact["kernel.randomize_va_space"] == 2


def test_a_partial_policy_dict_is_typed_and_fails_only_where_read():
    from fourlayer.config.policy_model import Policy, PolicyKeyError

    typed = Policy.of({"ssh": {"max_auth_tries": 3}, "tls_max_connections": 2})
    assert typed.ssh.max_auth_tries == 3
    with pytest.raises(PolicyKeyError, match=r"policy.ssh.weak_kex is not set"):
        typed.ssh.weak_kex
    with pytest.raises(PolicyKeyError, match=r"policy.scoring is not set"):
        typed.scoring


def test_the_built_in_policy_is_valid_for_the_model():
    from fourlayer.config.policy_model import Policy

    Policy.model_validate(default_policy())

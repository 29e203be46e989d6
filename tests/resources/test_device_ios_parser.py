"""The Cisco IOS parser on what real and hostile configurations hold: defaults where lines are absent, odd but
legal syntax, truncated and garbage lines (a clean model or a note, never a crash or a hang), and secrets kept
as references only."""

from __future__ import annotations

import time

from fourlayer.checks.layer2.device_logs import destination
from fourlayer.resources.device import STORAGE_PLAIN, STORAGE_REVERSIBLE, STORAGE_STRONG_HASH, STORAGE_WEAK_HASH
from fourlayer.resources.devices import parse
from fourlayer.resources.devices.cisco_ios import MAX_BANNER


def ios(text: str):
    """Parse a fragment as IOS (a `hostname` line first when it has none: a bare fragment is refused)."""
    return parse("cisco_ios", text if "hostname" in text else "hostname T\n" + text)


def test_what_is_not_an_ios_configuration_is_refused(tmp_path):
    """Another vendor's file, or an unrelated one, would parse to an empty model that passes every check: refused,
    and every device check is ERROR saying so (without quoting the file)."""
    import pytest

    from fourlayer.core.model import Status
    from fourlayer.resources.devices import ConfigTextError
    from tests.checks.test_device_checks import audit

    fortios = "#config-version=FGT60F-7.2.4-FW-build1396\nconfig system global\n    set hostname FW1\nend\n"
    passwd = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"
    for text in (fortios, passwd, "# just a comment\n"):
        with pytest.raises(ConfigTextError):
            parse("cisco_ios", text)
    path = tmp_path / "fw.conf"
    path.write_text(fortios + "    set password ENC FAKEnotShown\n")
    results = audit(tmp_path, "cisco_ios", path)
    assert {r.status for r in results.values()} == {Status.ERROR}
    reason = results["L1-DEV-001"].reason
    assert "not a usable cisco_ios configuration" in reason and "is the vendor right?" in reason
    assert "FAKEnotShown" not in reason and "FGT60F" not in reason


def test_absent_lines_take_the_ios_defaults():
    d = ios("version 15.2\nhostname R\nline vty 0 4\n login local\n")
    vty = d.vty_lines[0]
    assert vty.defaulted_transport and set(vty.transport_input) == {"telnet", "ssh"}
    assert d.service("telnet").enabled and d.service("telnet").defaulted
    assert d.service("ssh").version == "1.99" and d.service("ssh").defaulted
    assert not d.service("http").enabled and d.service("http").defaulted  # absent = off (Cisco's advisory)
    assert d.os_version == "15.2" and d.os_version_partial
    assert not d.aaa.enabled and d.aaa.local_only


def test_secret_types_map_to_storage():
    d = ios("enable secret 9 $9$x$y\nenable password FAKEclear\n"
            "username a secret 5 $1$s$h\nusername b password 7 0822455D0A16\nusername c secret 8 $8$x$y\n")
    by = {s.context: s for s in d.secrets}
    assert by["enable secret"].storage == STORAGE_STRONG_HASH and by["enable secret"].admin_login
    assert by["enable password"].storage == STORAGE_PLAIN and by["enable password"].scheme == "type 0"
    assert by["username a secret"].storage == STORAGE_WEAK_HASH
    assert by["username b password"].storage == STORAGE_REVERSIBLE
    assert by["username c secret"].storage == STORAGE_STRONG_HASH
    assert "FAKEclear" not in repr(d) and "0822455D0A16" not in repr(d)


def test_enable_and_user_variants():
    d = ios("enable algorithm-type scrypt secret FAKEtyped\nenable secret level 15 5 $1$a$b\n"
            "username guest nopassword\nline vty 0 4\n access-class 10 in vrf-also\n no login\n"
            "line vty 5 15\n ipv6 access-class V6 in\n transport input ssh\n")
    enable = [s for s in d.secrets if s.context == "enable secret"]
    assert [s.storage for s in enable] == [STORAGE_PLAIN, STORAGE_WEAK_HASH]  # typed in clear; level 15 type 5
    assert d.users[0].secret.scheme == "no password" and d.users[0].secret.storage == STORAGE_PLAIN
    assert d.vty_lines[0].access_class == "10" and d.vty_lines[0].login == "none"
    assert d.vty_lines[1].access_class == ""  # an IPv6 access-class leaves IPv4 open
    assert "FAKEtyped" not in repr(d)


def test_odd_but_legal_syntax():
    d = ios("logging host 2001:db8::5 transport udp port 1514\nlogging host ipv6 2001:db8::6\n"
            "ntp server vrf MGMT 10.0.0.1\nntp server ip time.example.vn\n"
            "snmp-server community S3cretLongOne view V RO ipv6 V6ACL V4ACL\n"
            "access-list 2001 permit tcp any host 10.1.1.1 range 8000 8080 log-input\n"
            "banner motd $Line one\nLine two$\n")
    assert d.logging_hosts == ("[2001:db8::5]:1514", "2001:db8::6")
    assert destination(d.logging_hosts[0]).port == 1514 and destination(d.logging_hosts[1]).port == 514
    assert d.ntp_servers == ("10.0.0.1", "time.example.vn")
    assert d.snmp_communities[0].acl == "V4ACL" and not d.snmp_communities[0].well_known
    rule = d.firewall_rules[0]
    assert rule.logged and rule.services == ("tcp range 8000 8080",) and not rule.any_any
    assert d.banner == "Line one\nLine two"


def test_truncated_and_garbage_lines_do_not_crash():
    d = ios("username\nsnmp-server community\naccess-list 101 permit\naccess-list 101 permit ip\n"
            "ip access-list extended X\n permit\n 10 deny\nline vty 0 4\n transport input\n access-class\n"
            "logging host\nntp server\nbanner login\n\x1b[31mred\x1b[0m\ninterface\n")
    assert d.vendor == "cisco_ios"
    assert any("not understood" in n for n in d.notes)  # `access-list 101 permit ip` has no addresses
    assert d.vty_lines[0].transport_input == ("none",)  # `transport input` with nothing after it


def test_banner_text_is_not_read_as_commands():
    d = ios("banner motd ^C\nusername evil password 0 FAKEinBanner\ninterface Fake\n^C\n"
            "! Version 2 of our template\nversion 17.9\n")
    assert d.users == () and d.interfaces == () and "username evil" in d.banner
    assert (d.os_version, d.os_version_partial) == ("17.9", True)  # a comment's "Version 2" is not the release


def test_unterminated_banner_is_bounded():
    d = ios("banner motd ^C\n" + "x" * 100 + "\n" * 5000 + "end\n")
    assert len(d.banner) <= MAX_BANNER


def test_a_long_line_and_many_lines_parse_in_bounded_time():
    text = "hostname R\ndescription " + "A" * 1_000_000 + "\n" + "".join(
        f"interface Gi1/0/{i}\n switchport access vlan 10\n" for i in range(2000))
    start = time.monotonic()
    d = ios(text)
    assert len(d.interfaces) == 2000
    assert time.monotonic() - start < 60  # ~2 s here; a bound against pathological (super-linear) behaviour


def test_a_parser_failure_is_error_and_quotes_nothing(tmp_path, monkeypatch):
    """Whatever a parser raises, every device check is ERROR naming only the exception's type: a message such as
    KeyError('<a word of the configuration>') could quote a secret."""
    from fourlayer.core.model import Status
    from fourlayer.resources.devices import cisco_ios
    from tests.checks.test_device_checks import DATA, audit

    def broken(text: str):
        raise KeyError("FAKEquotedSecret")

    monkeypatch.setattr(cisco_ios, "parse", broken)
    results = audit(tmp_path, "cisco_ios", DATA / "cisco_ios" / "hardened.conf")
    assert {r.status for r in results.values()} == {Status.ERROR}
    assert all("KeyError" in r.reason and "FAKEquotedSecret" not in r.reason + (r.reason_vi or "")
               for r in results.values())


def test_an_empty_model_is_error_whatever_the_vendor(tmp_path, monkeypatch):
    """The resource's own guard (for every vendor's parser): a model with no hostname, version, interface or
    remote-access line cannot be judged, so every device check is ERROR rather than a row of PASSes."""
    from fourlayer.core.model import Status
    from fourlayer.resources.device import DeviceConfig
    from fourlayer.resources.devices import cisco_ios
    from tests.checks.test_device_checks import DATA, audit

    monkeypatch.setattr(cisco_ios, "parse", lambda text: DeviceConfig(vendor="cisco_ios"))
    results = audit(tmp_path, "cisco_ios", DATA / "cisco_ios" / "hardened.conf")
    assert {r.status for r in results.values()} == {Status.ERROR}
    assert "does not look like a cisco_ios configuration" in results["L3-DEV-001"].reason

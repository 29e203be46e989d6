"""sshd_config read as sshd reads it (fourlayer.resources.sshd_files), checked against the real `sshd -T` of the
same files: first value wins, keywords case-insensitive, Include globs in place, Match blocks kept apart, and
the defaults table of the installed release equal to the daemon's compiled-in defaults."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from fourlayer.lab import keys
from fourlayer.lab.sshd import SSHD
from fourlayer.resources.sshd import parse_sshd_T
from fourlayer.resources.sshd_defaults import defaults_for, openssh_version
from fourlayer.resources.sshd_files import convtime, parse_files, split_line

pytestmark = pytest.mark.skipif(not os.path.exists(SSHD), reason=f"{SSHD} (OpenSSH server) is not installed")


def real_sshd_T(config: Path) -> dict[str, str]:
    proc = subprocess.run([SSHD, "-T", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return parse_sshd_T(proc.stdout)


def installed_version() -> tuple[int, int]:
    proc = subprocess.run([SSHD, "-V"], capture_output=True, text=True, timeout=10)  # prints to stderr, rc 1
    version = openssh_version(proc.stderr + proc.stdout)
    assert version, proc.stderr
    return version


@pytest.fixture
def conf_dir(tmp_path: Path) -> Path:
    keys.generate_key(tmp_path / "hostkey", "ed25519")
    return tmp_path


def test_defaults_table_matches_the_installed_sshd(conf_dir: Path) -> None:
    """An sshd_config with only a host key: what `sshd -T` prints is the compiled-in defaults."""
    (conf_dir / "sshd_config").write_text(f"HostKey {conf_dir}/hostkey\n")
    real = real_sshd_T(conf_dir / "sshd_config")
    table = defaults_for(installed_version())
    assert table is not None and "sshd_config(5)" in table.source
    wrong = {k: (v, real.get(k)) for k, v in table.values.items() if real.get(k) != v}
    assert not wrong, wrong
    assert defaults_for((6, 9)).values["permitrootlogin"] == "yes"  # before 7.0: root could log in with a password
    assert defaults_for((6, 1)).values["maxstartups"] == "10" and defaults_for((4, 9)) is None
    assert defaults_for(None) is None and openssh_version("SSH-2.0-dropbear_2022.83") is None


def test_first_value_wins_like_the_daemon(conf_dir: Path) -> None:
    d = conf_dir / "sshd_config.d"
    d.mkdir()
    (d / "10-first.conf").write_text("maxauthtries 3\nPasswordAuthentication no\n")
    (d / "20-second.conf").write_text("MAXAUTHTRIES 8\nX11Forwarding yes\n")
    (d / "ignored.txt").write_text("PermitRootLogin yes\n")
    main = (f"HostKey {conf_dir}/hostkey\n# Include at the top, as Debian and RHEL ship it\n"
            f"Include {d}/*.conf\n"
            "PasswordAuthentication yes\n"          # after the include: ignored
            "LoginGraceTime=1m30s\n"                # `=` form and a time with units
            'Banner "/etc/issue net"\n'             # quoted argument
            "AllowUsers alice\nallowusers bob\n"    # accumulates
            "PermitRootLogin no # trailing comment\n"
            "ChallengeResponseAuthentication no\nKbdInteractiveAuthentication yes\n"  # an alias: first wins
            "Match User backup\n  PasswordAuthentication yes\n  PermitRootLogin yes\n"
            "Match Address 10.0.0.0/8\n  X11Forwarding no\n")
    (conf_dir / "sshd_config").write_text(main)
    real = real_sshd_T(conf_dir / "sshd_config")
    texts = {str(p): p.read_text() for p in [conf_dir / "sshd_config", *d.iterdir()]}
    parsed = parse_files(texts, str(conf_dir / "sshd_config"))
    mine = parsed.values()
    for key in ("maxauthtries", "passwordauthentication", "x11forwarding", "logingracetime", "banner",
                "allowusers", "permitrootlogin", "kbdinteractiveauthentication"):
        assert mine[key] == real[key], (key, mine[key], real[key])
    assert mine["maxauthtries"] == "3" and mine["passwordauthentication"] == "no" and mine["logingracetime"] == "90"
    assert [f"{line.value}@{Path(line.path).name}:{line.line}" for line in parsed.ignored["maxauthtries"]] == \
        ["8@20-second.conf:1"]
    assert parsed.ignored["passwordauthentication"][0].line == 4
    assert [(m.criteria, sorted(m.settings)) for m in parsed.matches] == [
        ("User backup", ["passwordauthentication", "permitrootlogin"]), ("Address 10.0.0.0/8", ["x11forwarding"])]
    assert "ignored.txt" not in " ".join(parsed.files) and parsed.certain is None


def test_match_opened_in_an_included_file_ends_with_it(conf_dir: Path) -> None:
    (conf_dir / "inc.conf").write_text("Match User deploy\n  PermitRootLogin yes\n")
    (conf_dir / "sshd_config").write_text(f"HostKey {conf_dir}/hostkey\nInclude {conf_dir}/inc.conf\n"
                                          "PermitRootLogin no\n")
    real = real_sshd_T(conf_dir / "sshd_config")
    texts = {str(p): p.read_text() for p in (conf_dir / "sshd_config", conf_dir / "inc.conf")}
    parsed = parse_files(texts, str(conf_dir / "sshd_config"))
    assert parsed.values()["permitrootlogin"] == real["permitrootlogin"] == "no"
    assert parsed.matches[0].settings["permitrootlogin"].value == "yes"


def test_relative_include_is_below_etc_ssh_and_an_unread_include_is_a_gap() -> None:
    texts = {"/etc/ssh/sshd_config": "PermitRootLogin no\nInclude conf.d/*.conf\nMaxAuthTries 3\n",
             "/etc/ssh/conf.d/a.conf": "Include /opt/ssh/*.conf\nX11Forwarding yes\n"}
    parsed = parse_files(texts, "/etc/ssh/sshd_config")
    assert parsed.files == ["/etc/ssh/sshd_config", "/etc/ssh/conf.d/a.conf"]
    assert parsed.gaps == ["/etc/ssh/conf.d/a.conf:1 Include /opt/ssh/*.conf"]
    assert parsed.decided("permitrootlogin") and not parsed.decided("x11forwarding")
    assert not parsed.decided("maxauthtries") and not parsed.decided("banner")


def test_line_and_time_syntax() -> None:
    assert split_line("  # comment") is None and split_line("") is None
    assert split_line("Ciphers=aes256-ctr,aes128-ctr") == ("ciphers", ["aes256-ctr,aes128-ctr"])
    assert split_line("ChallengeResponseAuthentication no") == ("challengeresponseauthentication", ["no"])
    assert convtime("2m") == "120" and convtime("1h30m") == "5400" and convtime("45") == "45"
    assert convtime("soon") is None
    parsed = parse_files({"/c": "ChallengeResponseAuthentication no\nKbdInteractiveAuthentication yes\n"}, "/c")
    assert parsed.values()["kbdinteractiveauthentication"] == "no"  # an alias: the first of the two wins


def test_files_that_include_each_other_stop_quickly_as_a_gap() -> None:
    """A hostile or broken target: every drop-in includes all of them (sshd itself refuses this)."""
    texts = {f"/etc/ssh/sshd_config.d/{n}.conf": "Include /etc/ssh/sshd_config.d/*.conf\n" for n in range(4)}
    texts["/etc/ssh/sshd_config"] = "PermitRootLogin no\nInclude /etc/ssh/sshd_config.d/*.conf\n"
    parsed = parse_files(texts, "/etc/ssh/sshd_config")
    assert len(parsed.files) <= 256 + 1 and parsed.gaps and "nested deeper" in parsed.gaps[0]
    assert parsed.decided("permitrootlogin") and not parsed.decided("maxauthtries")


@pytest.mark.skipif(not os.path.exists("/etc/ssh/sshd_config"), reason="no distribution sshd_config installed")
def test_the_distributions_own_sshd_config_read_as_files_equals_sshd_T(conf_dir: Path) -> None:
    """This machine's stock sshd_config (with its Include of sshd_config.d), judged the unprivileged way (files +
    release defaults), gives what the daemon itself prints for every keyword the checks read."""
    stock = Path("/etc/ssh/sshd_config").read_text()
    (conf_dir / "sshd_config").write_text(stock + f"\nHostKey {conf_dir}/hostkey\n")
    real = real_sshd_T(conf_dir / "sshd_config")
    drop_ins = sorted(Path("/etc/ssh/sshd_config.d").glob("*")) if Path("/etc/ssh/sshd_config.d").is_dir() else []
    texts = {str(conf_dir / "sshd_config"): (conf_dir / "sshd_config").read_text(),
             **{str(p): p.read_text() for p in drop_ins if p.is_file()}}
    parsed = parse_files(texts, str(conf_dir / "sshd_config"), followed=set(texts))
    table = defaults_for(installed_version())
    mine = {**table.values, **parsed.values()}
    differ = {k: (mine[k], real.get(k)) for k in table.values if mine[k] != real.get(k)}
    assert not differ, differ
    assert parsed.gaps == [] and parsed.certain is None

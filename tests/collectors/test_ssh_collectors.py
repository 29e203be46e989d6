"""SSH collectors against real sshd instances on 127.0.0.100-149 (and hostile fake peers)."""

from __future__ import annotations

import dataclasses
import re
import shlex
import socket
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from fourlayer.collectors import allowlist, ssh_shell, ssh_transport
from fourlayer.collectors.base import CollectContext
from fourlayer.core.evidence import to_dict
from fourlayer.core.errors import CollectorError
from fourlayer.config.inventory import Host, SSHSettings
from fourlayer.lab import keys
from fourlayer.lab.sshd import SshdInstance
from fourlayer.resources.sshd import parse_sshd_T

CTX = CollectContext(timeout=3.0)
WEAK_KEX = {"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1"}
WEAK_CIPHERS = {"3des-cbc", "aes128-cbc", "aes256-cbc"}
WEAK_MACS = {"hmac-md5", "hmac-md5-96", "hmac-sha1", "hmac-sha1-96"}


def fingerprints(instance: SshdInstance) -> dict[str, str]:
    return {t: keys.fingerprint_sha256(b) for t, b in instance.host_public_keys()}


# ---- ssh_transport --------------------------------------------------------------------------------------

def test_transport_sees_weak_algorithms_and_rsa_1024(sshd_weak: SshdInstance) -> None:
    ev = to_dict(ssh_transport.collect(sshd_weak.host(), CTX))
    assert ev["protocol"] == "2.0" and ev["software"].startswith("OpenSSH_9.2")
    assert ev["banner"].startswith("SSH-2.0-OpenSSH_9.2")
    assert WEAK_KEX <= set(ev["kex"])
    assert WEAK_CIPHERS <= set(ev["ciphers"]) and set(ev["ciphers"]) == set(ev["ciphers_c2s"]) | set(ev["ciphers_s2c"])
    assert WEAK_MACS <= set(ev["macs"])
    assert "ssh-rsa" in ev["host_key_algorithms"]
    assert ev["host_keys"] == [{"type": "ssh-rsa", "bits": 1024, "fingerprint": fingerprints(sshd_weak)["ssh-rsa"]}]
    assert ev["host_key_errors"] == []


def test_transport_hardened_offers_only_modern_algorithms(sshd_hardened: SshdInstance) -> None:
    ev = to_dict(ssh_transport.collect(sshd_hardened.host(), CTX))
    assert {"curve25519-sha256", "sntrup761x25519-sha512@openssh.com"} <= set(ev["kex"])
    assert not WEAK_KEX & set(ev["kex"])
    assert not WEAK_CIPHERS & set(ev["ciphers"])
    assert not WEAK_MACS & set(ev["macs"]) and all(m.endswith("-etm@openssh.com") for m in ev["macs"])
    assert "ssh-rsa" not in ev["host_key_algorithms"]
    assert "none" in ev["compression"]
    fps = fingerprints(sshd_hardened)
    by_type = {k["type"]: k for k in ev["host_keys"]}
    assert by_type["ssh-ed25519"] == {"type": "ssh-ed25519", "bits": 256, "fingerprint": fps["ssh-ed25519"]}
    assert by_type["ssh-rsa"] == {"type": "ssh-rsa", "bits": 3072, "fingerprint": fps["ssh-rsa"]}


def test_refused_port_is_collector_error(sshd_hardened: SshdInstance, ssh_known_hosts: Path) -> None:
    nothing_there = Host(address="127.0.0.102", id="nothing",
                         ssh=SSHSettings(port=sshd_hardened.port, known_hosts=str(ssh_known_hosts)))
    with pytest.raises(CollectorError, match="TCP connect failed"):
        ssh_transport.collect(nothing_there, CTX)
    with pytest.raises(CollectorError, match="is sshd running on that port"):
        ssh_shell.collect(nothing_there, CTX).to_dict()


# ---- hostile peers ----------------------------------------------------------------------------------------

class HostilePeer:
    """A TCP server on 127.0.0.120 that misbehaves in the way `mode` says."""

    def __init__(self, mode: str):
        self.mode = mode
        self.sock = socket.create_server(("127.0.0.120", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        payloads = {
            "html": b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<html><script>x</script></html>",
            "huge": b"SSH-2.0-" + b"A" * (1 << 20) + b"\r\n",
            "many_lines": b"hello hello hello\r\n" * 60000,
            "bad_packet": b"SSH-2.0-OpenSSH_9.9\r\n" + b"\xff\xff\xff\xff\x00" + b"\x00" * 64,
            "ssh1": b"SSH-1.5-ancient\r\n",
            "close": b"",
        }
        with conn:
            try:
                if self.mode == "silent":
                    self.stop.wait(10)
                elif self.mode == "endless":  # an identification line that never ends
                    conn.sendall(b"SSH-2.0-")
                    while not self.stop.is_set():
                        conn.sendall(b"A" * 65536)
                elif self.mode == "drip":
                    for _ in range(100):
                        conn.sendall(b"x")
                        if self.stop.wait(0.2):
                            break
                else:
                    conn.sendall(payloads[self.mode])
                    if self.mode != "close":
                        self.stop.wait(10)
            except OSError:
                pass

    def host(self, known_hosts: Path) -> Host:
        return Host(address="127.0.0.120", id=f"hostile-{self.mode}",
                    ssh=SSHSettings(port=self.port, user="nobody", known_hosts=str(known_hosts)))

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Iterator[HostilePeer]:
    peer = HostilePeer(request.param)
    yield peer
    peer.close()


@pytest.mark.parametrize("hostile, message", [
    ("html", "HTTP/HTML answer"),
    ("huge", "longer than 255 bytes"),
    ("many_lines", "without an SSH identification"),
    ("silent", "within 0.5 s"),
    ("drip", "within 0.5 s"),
    ("endless", "longer than 255 bytes"),
    ("close", "closed the connection"),
    ("bad_packet", "invalid SSH packet"),
], indirect=["hostile"])
def test_transport_hostile_peer_fails_cleanly_and_fast(hostile: HostilePeer, message: str, tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(CollectorError, match=re.escape(message)) as info:
        ssh_transport.collect(hostile.host(tmp_path / "kh"), CollectContext(timeout=0.5))
    assert time.monotonic() - start < 1.5
    text = str(info.value)
    assert len(text) < 300 and "<script>" not in text.split("starts")[0] and "\n" not in text


@pytest.mark.parametrize("hostile", ["html", "huge", "endless", "drip", "silent", "close", "bad_packet"],
                         indirect=True)
def test_shell_hostile_peer_fails_cleanly_and_fast(hostile: HostilePeer, tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("")
    start = time.monotonic()
    with pytest.raises(CollectorError) as info:
        ssh_shell.collect(hostile.host(known_hosts), CollectContext(timeout=0.5))
    assert time.monotonic() - start < 0.5 * ssh_shell.LOGIN_TIMEOUT_FACTOR + 0.5
    assert "\n" not in str(info.value) and len(str(info.value)) < 400


# ---- ssh_shell --------------------------------------------------------------------------------------------

def test_shell_reads_sshd_T_on_both_profiles(sshd_hardened: SshdInstance, sshd_weak: SshdInstance,
                                            ssh_known_hosts: Path) -> None:
    for instance, root_login, password_auth in ((sshd_hardened, "no", "no"), (sshd_weak, "yes", "yes")):
        ev = ssh_shell.collect(instance.host(known_hosts=ssh_known_hosts), CTX).to_dict()
        assert ev["user"] == instance.user and ev["truncated"] is False
        assert set(ev["commands"]) == set(allowlist.TEMPLATES)
        sshd_t = ev["commands"]["sshd_T"]
        assert sshd_t["rc"] == 0, sshd_t["err"]
        config = parse_sshd_T(sshd_t["out"])
        assert config["permitrootlogin"] == root_login
        assert config["passwordauthentication"] == password_auth
        assert config["listenaddress"] == f"{instance.address}:{instance.port}"
        assert config["hostkey"].split() == [str(p) for p in instance.host_key_paths]
        assert ev["host_key"]["fingerprint"] in fingerprints(instance).values()
        perms = ev["commands"]["sshd_config_perms"]
        assert perms["rc"] == 0 and perms["out"] == f"644 root root {instance.config_path}\n"
        key_perms = [line for line in ev["commands"]["ssh_host_key_perms"]["out"].splitlines()
                     if line.split()[-1] in {str(p) for p in instance.host_key_paths}]  # every file of the dir
        assert sorted(line.split()[-1] for line in key_perms) == sorted(str(p) for p in instance.host_key_paths)
        assert all(line.startswith(f"600 {instance.user} ") for line in key_perms)
    weak = parse_sshd_T(ev["commands"]["sshd_T"]["out"])
    assert "diffie-hellman-group1-sha1" in weak["kexalgorithms"].split(",")
    assert weak["x11forwarding"] == "yes" and weak["maxauthtries"] == "10"


def test_shell_passwd_never_carries_password_field(sshd_hardened: SshdInstance, ssh_known_hosts: Path) -> None:
    ev = ssh_shell.collect(sshd_hardened.host(known_hosts=ssh_known_hosts), CTX).to_dict()
    passwd = ev["commands"]["passwd"]
    assert passwd["rc"] == 0
    rows = [line.split(":") for line in passwd["out"].splitlines()]
    assert rows and all(len(r) == 4 and r[1].isdigit() and r[2].isdigit() for r in rows)
    assert ["root", "0", "0"] == rows[0][:3]
    assert re.fullmatch(r"\d{3} \S+ \S+ /etc/shadow\n", ev["commands"]["shadow_perms"]["out"])


def test_shell_reads_files_under_sysroot(sshd_hardened: SshdInstance, ssh_known_hosts: Path, ssh_sysroot) -> None:
    root = ssh_sysroot({
        "etc/os-release": 'ID=ubuntu\nVERSION_ID="22.04"\n',
        "etc/login.defs": "PASS_MAX_DAYS 90\nno trailing newline, and a fake @@FL:marker",
        "etc/rsyslog.d/60-remote.conf": "*.* @@127.0.0.1:5514\n",
        "etc/security/faillock.conf": "deny = 5\n",
    })
    host = sshd_hardened.host(known_hosts=ssh_known_hosts, sysroot=str(root))
    cmds = ssh_shell.collect(host, CTX).to_dict()["commands"]
    assert cmds["os_release"] == {"rc": 0, "out": 'ID=ubuntu\nVERSION_ID="22.04"\n', "err": ""}
    assert cmds["login_defs"]["out"] == "PASS_MAX_DAYS 90\nno trailing newline, and a fake @@FL:marker"
    assert cmds["rsyslog_conf"]["rc"] == 0
    assert cmds["rsyslog_conf"]["out"] == (f"@@files\n@@file {root}/etc/rsyslog.d/60-remote.conf\n"
                                           "1:*.* @@127.0.0.1:5514\n")
    assert cmds["faillock"] == {"rc": 0, "out": "deny = 5\n", "err": ""}
    assert cmds["pwquality"] == {"rc": 0, "out": "@@files\n", "err": ""}  # absent file: tolerated, no file listed
    assert cmds["passwd"]["rc"] != 0 and "No such file" in cmds["passwd"]["err"]
    assert cmds["sshd_T"]["rc"] == 0  # an explicit sshd_config wins over the sysroot


def test_shell_output_cap_truncates(sshd_hardened: SshdInstance, ssh_known_hosts: Path, ssh_sysroot) -> None:
    root = ssh_sysroot({"etc/login.defs": "x" * 100 + "\n" * 1 + "y" * (3 << 20)})
    ev = ssh_shell.collect(sshd_hardened.host(known_hosts=ssh_known_hosts, sysroot=str(root)), CTX).to_dict()
    assert ev["truncated"] is True
    assert ev["commands"]["sshd_T"]["rc"] == 0
    assert ev["commands"]["login_defs"]["rc"] is None
    assert ev["commands"]["login_defs"]["out"].startswith("x" * 100)
    total = sum(len(c["out"]) + len(c["err"]) for c in ev["commands"].values())
    assert ssh_shell.MAX_OUTPUT - 4096 < total <= ssh_shell.MAX_OUTPUT
    assert ev["commands"]["pam_password"]["rc"] is None


def test_shell_custom_directives_and_banner(sshd_factory, tmp_path: Path) -> None:
    instance = sshd_factory("weak", directives={"PermitRootLogin": "prohibit-password", "MaxAuthTries": "4"},
                            banner_text="Authorised users only\n")
    known_hosts = instance.write_known_hosts(tmp_path / "known_hosts")
    cfg = parse_sshd_T(ssh_shell.collect(instance.host(known_hosts=known_hosts), CTX).to_dict()
                                 ["commands"]["sshd_T"]["out"])
    assert cfg["permitrootlogin"] == "without-password"  # how OpenSSH 9.2 prints prohibit-password
    assert cfg["maxauthtries"] == "4"
    assert cfg["banner"] == str(instance.work_dir / "banner")
    assert (instance.work_dir / "banner").read_text() == "Authorised users only\n"


def test_unknown_host_key_refused_by_default(sshd_hardened: SshdInstance, tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("")
    label = f"[{sshd_hardened.address}]:{sshd_hardened.port}"
    with pytest.raises(CollectorError) as info:
        ssh_shell.collect(sshd_hardened.host(known_hosts=known_hosts), CTX).to_dict()
    message = str(info.value)
    assert f"host key for {label}" in message and str(known_hosts) in message
    assert "--accept-new-host-keys" in message and fingerprints(sshd_hardened)["ssh-ed25519"] in message
    assert known_hosts.read_text() == ""
    with pytest.raises(CollectorError, match="does not exist"):
        ssh_shell.collect(sshd_hardened.host(known_hosts=tmp_path / "missing"), CTX).to_dict()


def test_accept_new_saves_key_then_verifies(sshd_hardened: SshdInstance, tmp_path: Path) -> None:
    known_hosts = tmp_path / "sub" / "known_hosts"
    ctx = dataclasses.replace(CTX, accept_new_host_keys=True)
    ev = ssh_shell.collect(sshd_hardened.host(known_hosts=known_hosts), ctx).to_dict()
    assert ev["commands"]["sshd_T"]["rc"] == 0
    saved = known_hosts.read_text().splitlines()
    assert len(saved) == 1
    name, key_type, blob = saved[0].split()
    assert name == f"[{sshd_hardened.address}]:{sshd_hardened.port}"
    assert (key_type, blob) in sshd_hardened.host_public_keys()
    assert known_hosts.stat().st_mode & 0o077 == 0
    ev = ssh_shell.collect(sshd_hardened.host(known_hosts=known_hosts), CTX).to_dict()  # now known: no TOFU needed
    assert ev["host_key"]["fingerprint"] == keys.fingerprint_sha256(blob)
    assert known_hosts.read_text().splitlines() == saved


def test_changed_host_key_always_refused(sshd_hardened: SshdInstance, tmp_path: Path) -> None:
    impostor = keys.generate_key(tmp_path / "impostor", "ed25519")
    key_type, blob = keys.read_public_key(impostor)
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(keys.known_hosts_line(sshd_hardened.address, sshd_hardened.port, key_type, blob))
    before = known_hosts.read_text()
    for accept_new in (False, True):
        ctx = dataclasses.replace(CTX, accept_new_host_keys=accept_new)
        with pytest.raises(CollectorError, match="CHANGED") as info:
            ssh_shell.collect(sshd_hardened.host(known_hosts=known_hosts), ctx).to_dict()
        assert keys.fingerprint_sha256(blob) in str(info.value) and "ssh-keygen -R" in str(info.value)
    assert known_hosts.read_text() == before


def test_auth_failure_says_what_to_do(sshd_hardened: SshdInstance, ssh_known_hosts: Path, tmp_path: Path) -> None:
    stranger = keys.generate_key(tmp_path / "stranger", "ed25519")
    host = sshd_hardened.host(known_hosts=ssh_known_hosts, key_file=str(stranger))
    with pytest.raises(CollectorError, match="authentication as .* failed .*authorized_keys"):
        ssh_shell.collect(host, CTX).to_dict()
    host = sshd_hardened.host(known_hosts=ssh_known_hosts, password_env="FL_TEST_UNSET_PASSWORD_VAR")
    with pytest.raises(CollectorError, match="FL_TEST_UNSET_PASSWORD_VAR"):
        ssh_shell.collect(host, CTX).to_dict()


def test_password_is_never_in_error(sshd_hardened: SshdInstance, ssh_known_hosts: Path, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FL_TEST_PASSWORD", "s3cret-Value-42")
    stranger = keys.generate_key(tmp_path / "stranger", "ed25519")
    host = sshd_hardened.host(known_hosts=ssh_known_hosts, key_file=str(stranger), password_env="FL_TEST_PASSWORD")
    with pytest.raises(CollectorError) as info:
        ssh_shell.collect(host, CTX).to_dict()
    assert "s3cret" not in str(info.value) and "$FL_TEST_PASSWORD" in str(info.value)


def test_slow_commands_hit_the_script_deadline(sshd_hardened: SshdInstance, ssh_known_hosts: Path) -> None:
    host = sshd_hardened.host(known_hosts=ssh_known_hosts)
    client, _ = ssh_shell.connect(host, host.ssh, host.ssh.user, CTX)
    try:
        results, truncated = ssh_shell.run_script(client, {"quick": "printf ok", "fails": "cat /nonexistent"},
                                                  1.0, "lab")
        assert results == {"quick": {"rc": 0, "out": "ok", "err": ""},
                           "fails": {"rc": 1, "out": "", "err": "cat: /nonexistent: No such file or directory\n"}}
        start = time.monotonic()
        with pytest.raises(CollectorError, match="did not finish within 1.2 s"):
            ssh_shell.run_script(client, {"slow": "sleep 10"}, 0.2, "lab")
        assert time.monotonic() - start < 2.5
    finally:
        client.close()


# ---- parse_sshd_T and the script framing ---------------------------------------------------------------------

def test_parse_sshd_T_lowercases_and_joins_repeats() -> None:
    text = "Port 22\nhostkey /etc/ssh/a\nhostkey /etc/ssh/b\nPermitRootLogin no\n\nauthorizedkeysfile .ssh/x .ssh/y\n"
    assert parse_sshd_T(text) == {
        "port": "22", "hostkey": "/etc/ssh/a /etc/ssh/b", "permitrootlogin": "no",
        "authorizedkeysfile": ".ssh/x .ssh/y"}


# ---- allowlist --------------------------------------------------------------------------------------------

# Independent of allowlist.read_only_problems: words that would change a target.
MUTATING = re.compile(
    r"(>|`|\$\(|\b(rm|rmdir|mv|cp|tee|dd|ln|install|touch|truncate|shred|chmod|chown|chgrp|chattr|kill|pkill|"
    r"killall|reboot|shutdown|halt|mount|umount|useradd|usermod|userdel|groupadd|passwd|chpasswd|mkfs|"
    r"apt|apt-get|dpkg|yum|dnf|rpm|pip|curl|wget|nc|bash|python3?|perl|xargs|eval|exec|crontab|at)\b(?!/)|"
    r"sed\s+-i|systemctl\s+(start|stop|restart|reload|enable|disable|mask|kill)|"
    r"iptables\s+-[ADIFX]|nft\s+(add|delete|flush))")

SETTINGS = [
    SSHSettings(),
    SSHSettings(sudo=True),
    SSHSettings(sysroot="/srv/image-1", sshd_config="/opt/ssh/sshd_config", sudo=True),
    SSHSettings(sysroot="/srv/img+2/"),
]


@pytest.mark.parametrize("ssh", SETTINGS)
def test_every_allowlisted_command_is_read_only(ssh: SSHSettings) -> None:
    commands = allowlist.build_commands(ssh)
    assert set(commands) >= {"sshd_T", "os_release", "login_defs", "passwd", "sshd_config_perms", "processes",
                             "rsyslog_conf", "pwquality", "faillock", "shadow_perms"}
    for name, command in commands.items():
        # drop absolute path arguments (e.g. /etc/passwd) so that file names are not mistaken for programs
        words = " ".join(w for w in shlex.split(command.replace(";", " ; ")) if not w.startswith("/"))
        # the package databases are only queried: `dpkg-query -W` and `rpm -qa`, nothing else of dpkg or rpm
        words = re.sub(r"\bdpkg-query --admindir=\S+ -W |\brpm --dbpath -qa ", "query ", words)
        # package managers only simulate or list from their cache, passwd only shows status (L1-UPD-001, L1-ACC-001)
        words = re.sub(r"\bapt-get -s (-o \S+ )+dist-upgrade|\b(dnf|yum) -q -C --installroot=\S* updateinfo list|"
                       r"\bzypper --non-interactive --no-refresh --root -x list-patches|\bpasswd (-R )?-S -a|@@tool \S+",
                       "query", words)
        assert not MUTATING.search(words), f"{name}: {command}"
        assert allowlist.read_only_problems(command) == (), name
        assert "shadow" not in command or command.startswith(("stat ", "sudo -n stat ")) or (
            name == "account_file_perms" and "cat " not in command), name
        privileged = allowlist.TEMPLATES[name][1]
        assert ("sudo -n " in command) == (privileged and ssh.sudo), name
        assert "sudo " not in command.replace("sudo -n ", ""), name
    assert "/usr/sbin:/sbin" in commands["sshd_T"]
    assert commands["passwd"].startswith("cut -d: -f1,3,4,7 ")
    if ssh.sysroot.rstrip("/"):
        assert f"{ssh.sysroot.rstrip('/')}/etc/os-release" in commands["os_release"]
        assert f"-f {ssh.sshd_config or ssh.sysroot.rstrip('/') + '/etc/ssh/sshd_config'}" in commands["sshd_T"]
    else:
        assert commands["sshd_T"].endswith("sshd -T")


def test_read_only_checker_flags_mutations() -> None:
    for bad in ("rm -rf /", "cat /etc/passwd > /tmp/x", "sudo sshd -T", "echo $(id)", "cat /a | sh",
                "systemctl restart sshd", "tee /etc/motd"):
        assert allowlist.read_only_problems(bad), bad
        assert MUTATING.search(bad) or "|" in bad or "sudo sshd" in bad, bad


@pytest.mark.parametrize("path", ["etc/ssh", "/etc/../root", "/etc/ssh config", "/x;rm -rf /", "/$(id)",
                                  "/a`id`", "/tmp/x\n", "", "/a'b"])
def test_unsafe_paths_rejected(path: str) -> None:
    with pytest.raises(CollectorError, match="not a plain absolute path"):
        allowlist.build_commands(SSHSettings(sysroot=path or "relative"))
    with pytest.raises(CollectorError):
        allowlist.build_commands(SSHSettings(sshd_config=path or "relative"))


def test_read_only_checker_allows_only_bounded_find_forms() -> None:
    # the world-writable search (L1-PRM-005): `timeout N find ... -print | head -n N`, nothing wider
    assert allowlist.read_only_problems("timeout 10 find /etc -xdev -type f -perm -0002 -print | head -n 201") == ()
    for bad in ("find /etc -delete", "find /etc -exec rm {} ;", "find / -fprint /tmp/x", "timeout 10 rm -rf /x",
                "timeout find /etc", "find /etc | head -n 5 | sh", "find /etc | sh", "head -c 9 /etc/shadow",
                "find /etc -print | head -n 3 > /tmp/x", "timeout 5 sh -c id"):
        assert allowlist.read_only_problems(bad), bad

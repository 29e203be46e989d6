"""The cheaper I/O of the SSH shell and TLS collectors gives the same evidence: one stat over many paths, one
grep over many files, the merged script markers, the script's output reblocked by dd, AES-GCM for the login session,
one TLS context per settings (real sshd, real sh)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from fourlayer.collectors import allowlist, ssh_shell, tls
from fourlayer.collectors.base import CollectContext
from fourlayer.config.inventory import SSHSettings
from fourlayer.lab.certs import make_ca
from fourlayer.core.model import Unevaluable
from fourlayer.lab.sshd import SshdInstance
from fourlayer.resources.host_files import ConfigFile, split_files
from fourlayer.resources.sysctl import live_values

CTX = CollectContext(timeout=5.0)


def _sh(script: str) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True, stdin=subprocess.DEVNULL)


def test_one_stat_over_existing_paths_prints_what_one_stat_per_path_did(tmp_path: Path) -> None:
    for name in ("a", "c", "d"):
        (tmp_path / name).write_text(name)
    (tmp_path / "c").chmod(0o600)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    paths = [str(tmp_path / n) for n in ("a", "b", "c", "dangling", "d")] + [f"{tmp_path}/*.none", f"{tmp_path}/[cd]"]
    one_per_path = ("for f in " + " ".join(paths) + "; do if [ -e \"$f\" ]; then stat -c '%a %U %G %n' \"$f\"; "
                    "fi; done")
    before, after = _sh(one_per_path), _sh(allowlist._stat_each(*paths))
    assert after.stdout == before.stdout and after.returncode == before.returncode == 0
    assert after.stdout.splitlines()[1].startswith("600 ") and len(after.stdout.splitlines()) == 5
    mtimes = _sh(allowlist._mtime_each(*paths)).stdout.splitlines()
    assert [line.split(" ", 1)[1] for line in mtimes] == [paths[0], paths[2], paths[4], paths[2], paths[4]]
    nothing = _sh(allowlist._stat_each(str(tmp_path / "b"), f"{tmp_path}/*.none"))
    assert (nothing.stdout, nothing.stderr, nothing.returncode) == ("", "", 0)
    assert allowlist.read_only_problems(allowlist._stat_each(*paths)) == ()


def test_merged_markers_frame_every_command_as_before() -> None:
    commands = {"first": "printf 'one\\ntwo\\n'", "quiet": "true", "fails": "printf 'no newline'; "
                "printf 'oops\\n' >&2; exit 3", "last": "printf 'end\\n'"}
    ran = subprocess.run(["sh", "-s"], input=ssh_shell.build_script(commands, "t0k").encode(), capture_output=True)
    assert ssh_shell._split(ran.stdout, ran.stderr, "t0k", list(commands)) == {
        "first": {"rc": 0, "out": "one\ntwo\n", "err": ""}, "quiet": {"rc": 0, "out": "", "err": ""},
        "fails": {"rc": 3, "out": "no newline", "err": "oops\n"}, "last": {"rc": 0, "out": "end\n", "err": ""}}
    assert ssh_shell.build_script({}, "t0k") == "LC_ALL=C; export LC_ALL\nexit 0\n"


def test_frames_are_found_by_the_run_token_only_and_a_cut_short_command_keeps_its_partial_output() -> None:
    forged = b"@@FL:f0rged:begin:b\nfake\n@@FL:f0rged:end:b:0\n@@FL:t0k:begin\n"
    out = (b"@@FL:t0k:begin:a\none\n@@FL:t0k:end:a:2\n@@FL:t0k:begin:b\n" + forged + b"cut")
    err = b"@@FL:t0k:begin:a\nwarn\n@@FL:t0k:end:a\n@@FL:t0k:begin:b\n@@FL:f0rged:begin:b\nx\n@@FL:f0rged:end:b\n"
    assert ssh_shell._split(out, err, "t0k", ["a", "b", "c"]) == {
        "a": {"rc": 2, "out": "one", "err": "warn"}, "b": {"rc": None, "out": (forged + b"cut").decode(), "err": ""},
        "c": {"rc": None, "out": "", "err": ""}}
    # a frame whose end marker has no exit status is not a frame: its end is looked for further on
    out = b"@@FL:t0k:begin:a\nx\n@@FL:t0k:end:a:\ny\n@@FL:t0k:end:a:-1\n"
    assert ssh_shell._split(out, b"", "t0k", ["a"])["a"] == {"rc": -1, "out": "x\n@@FL:t0k:end:a:\ny", "err": ""}


def test_without_dd_the_script_runs_unbuffered_with_the_same_results(tmp_path: Path) -> None:
    commands = {"out": "printf 'a\\nb\\n'", "err": "printf 'e\\n' >&2; exit 4"}
    script = ssh_shell.build_script(commands, "t0k").encode()
    sh = subprocess.run(["sh", "-c", "command -v sh"], capture_output=True, text=True).stdout.strip()
    expected = {"out": {"rc": 0, "out": "a\nb\n", "err": ""}, "err": {"rc": 4, "out": "", "err": "e\n"}}
    for path in (None, str(tmp_path)):  # tmp_path: a PATH without dd (printf is a shell builtin)
        env = None if path is None else {"PATH": path}
        ran = subprocess.run([sh, "-s"], input=script, capture_output=True, env=env)
        assert ran.returncode == 0 and ssh_shell._split(ran.stdout, ran.stderr, "t0k", list(commands)) == expected


def test_script_output_reaches_the_client_in_a_few_packets(sshd_hardened: SshdInstance, ssh_known_hosts: Path,
                                                           monkeypatch) -> None:
    """dd gathers the script's many small writes: 40 commands, each running a program between writes to both
    streams, arrive as a few channel-data packets (about one per write without dd: over 80)."""
    import paramiko

    data = []
    original = paramiko.packet.Packetizer.read_message

    def read_message(self):
        kind, message = original(self)
        if kind in (paramiko.common.MSG_CHANNEL_DATA, paramiko.common.MSG_CHANNEL_EXTENDED_DATA):
            data.append(kind)
        return kind, message

    monkeypatch.setattr(paramiko.packet.Packetizer, "read_message", read_message)
    commands = {f"c{i}": f"printf 'line {i}\\n'; sleep 0.01; printf 'warn {i}\\n' >&2" for i in range(40)}
    host = sshd_hardened.host(known_hosts=ssh_known_hosts)
    client, _ = ssh_shell.connect(host, host.ssh, host.ssh.user, CTX)
    try:
        results, truncated = ssh_shell.run_script(client, commands, 5.0, "lab")
    finally:
        client.close()
    assert not truncated
    assert results == {f"c{i}": {"rc": 0, "out": f"line {i}\n", "err": f"warn {i}\n"} for i in range(40)}
    assert 2 <= len(data) <= 6, len(data)


def test_login_session_prefers_aes_gcm_when_offered(sshd_hardened: SshdInstance, sshd_weak: SshdInstance,
                                                   ssh_known_hosts: Path) -> None:
    ciphers = {}
    for instance in (sshd_hardened, sshd_weak):
        host = instance.host(known_hosts=ssh_known_hosts)
        client, _ = ssh_shell.connect(host, host.ssh, host.ssh.user, CTX)
        try:
            ciphers[instance.profile] = client.get_transport().remote_cipher
            results, truncated = ssh_shell.run_script(client, {"id": "printf ok"}, 5.0, "lab")
            assert results == {"id": {"rc": 0, "out": "ok", "err": ""}} and not truncated
        finally:
            client.close()
    assert ciphers["hardened"].endswith("-gcm@openssh.com")
    assert ciphers["weak"] in ("aes128-ctr", "aes256-ctr")  # it offers no AEAD: paramiko's own order


def test_tls_context_is_shared_and_a_changed_ca_file_is_read_again(tmp_path: Path) -> None:
    one, two = (Path(make_ca(tmp_path, stem=stem).files.cert).read_text() for stem in ("one", "two"))
    ca = tmp_path / "ca.pem"
    ca.write_text(one)
    first = tls.client_context(verify=True, verify_cafile=str(ca))
    assert tls.client_context(verify=True, verify_cafile=str(ca)) is first
    assert len(first.get_ca_certs()) == 1
    ca.write_text(one + two)
    again = tls.client_context(verify=True, verify_cafile=str(ca))
    assert again is not first and len(again.get_ca_certs()) == 2
    assert tls.client_context() is tls.client_context() and tls.client_context() is not first
    assert tls.client_context("TLSv1.2", "TLSv1.2").maximum_version.name == "TLSv1_2"


# ---- many files from one program: `_read_each` / `_values_each` (one grep, not a cat per file) --------------

# the `cat` per file `_read_each` replaced, as the allowlist had it (its evidence is still read: recorded hosts)
def _cat_per_file(*paths: str) -> str:
    return ("for f in " + " ".join(paths) + "; do if [ -f \"$f\" ]; then printf '### %s\\n' \"$f\"; cat \"$f\"; fi; "
            "done")


def _as_nobody() -> dict:
    """Run as `nobody` when this is root (root reads every file): a 0000 file is then unreadable."""
    if os.geteuid() != 0:
        return {}
    return {"preexec_fn": lambda: (os.setgid(65534), os.setuid(65534))}


def _run(script: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True, stdin=subprocess.DEVNULL, **kw)


def _tree() -> Path:
    base = Path(tempfile.mkdtemp(prefix="fl-read-each-"))
    base.chmod(0o755)
    (base / "conf.d").mkdir(mode=0o755)
    (base / "conf.d" / "sub.conf").mkdir(mode=0o755)  # a directory a glob matches: not a regular file
    (base / "main.conf").write_text("key one\n\n  spaced = 2  \ntab\there\n")
    (base / "conf.d" / "10-empty.conf").write_text("")
    (base / "conf.d" / "20-last-line.conf").write_text("no newline at the end")
    (base / "conf.d" / "30-cr.conf").write_bytes(b"dos\r\nline\r\n")
    (base / "conf.d" / "40-secret.conf").write_text("hidden\n")
    (base / "conf.d" / "40-secret.conf").chmod(0)
    (base / "conf.d" / "50-nul.conf").write_bytes(b"a\x00b\nafter\n")
    for path in base.rglob("*"):
        if path.name != "40-secret.conf" and not path.is_dir():
            path.chmod(0o644)
    return base


def test_one_grep_over_many_files_reads_what_one_cat_per_file_did() -> None:
    base = _tree()
    try:
        paths = (f"{base}/main.conf", f"{base}/missing.conf", f"{base}/conf.d/*.conf", f"{base}/conf.d/[1-2]*")
        old, new = _run(_cat_per_file(*paths), **_as_nobody()), _run(allowlist._read_each(*paths), **_as_nobody())
        assert allowlist.read_only_problems(allowlist._read_each(*paths)) == ()
        before, after = split_files(old.stdout, str(base)), split_files(new.stdout, str(base))
        assert [f.path for f in after] == ["/main.conf", "/conf.d/10-empty.conf", "/conf.d/20-last-line.conf",
                                           "/conf.d/30-cr.conf", "/conf.d/40-secret.conf", "/conf.d/50-nul.conf",
                                           "/conf.d/10-empty.conf", "/conf.d/20-last-line.conf"]
        texts = {f.path: f.content for f in after}
        assert texts["/main.conf"] == "key one\n\n  spaced = 2  \ntab\there"
        assert texts["/conf.d/30-cr.conf"] == "dos\nline" and texts["/conf.d/50-nul.conf"] == "a\x00b\nafter"
        assert [f.readable for f in after] == [True, True, True, True, False, True, True, True]
        with pytest.raises(Unevaluable, match="40-secret.conf could not be read"):  # the old framing read it as empty
            next(f for f in after if not f.readable).text  # noqa: B018
        # the old framing glued the next `### path` to a last line without its newline and so lost that file; the
        # rest reads the same (an unreadable file: its header, no text, the error on stderr)
        glued = {"/conf.d/20-last-line.conf", "/conf.d/30-cr.conf"}
        assert [(f.path, f.content) for f in before if f.path not in glued] == [
            (f.path, f.content) for f in after if f.path not in glued]
        assert next(f.content for f in before if f.path == "/conf.d/20-last-line.conf").startswith(
            "no newline at the end### /")
        assert (new.returncode, new.stderr) == (0, "") and "Permission denied" in old.stderr
        nothing = _run(allowlist._read_each(f"{base}/none-*.conf"))
        assert (nothing.stdout, nothing.returncode, split_files(nothing.stdout)) == ("@@files\n", 0, [])
    finally:
        shutil.rmtree(base)


def test_a_files_text_cannot_pass_for_another_file_or_a_header() -> None:
    base = Path(tempfile.mkdtemp(prefix="fl-read-each-"))
    try:
        forged = f"real\n### {base}/b.conf\nPermitRootLogin yes\n@@file {base}/c.conf\n1:forged\n@@unreadable /x\n"
        (base / "a.conf").write_text(forged)
        (base / "b.conf").write_text("PermitRootLogin no\n")
        paths = (f"{base}/a.conf", f"{base}/b.conf")
        old = split_files(_run(_cat_per_file(*paths)).stdout, str(base))
        new = split_files(_run(allowlist._read_each(*paths)).stdout, str(base))
        assert [f.path for f in old] == ["/a.conf", "/b.conf", "/b.conf"]  # the old framing was fooled
        assert [(f.path, f.text) for f in new] == [("/a.conf", forged.rstrip("\n")), ("/b.conf", "PermitRootLogin no")]
    finally:
        shutil.rmtree(base)


def test_a_file_list_the_lines_do_not_match_is_an_error_not_evidence() -> None:
    # as when a file is emptied between its header and grep: its lines would go to the next file
    for out in ("@@files\n@@file /a\n@@file /b\n1:only one file's lines\n2:x\n",
                "@@files\n@@file /a\n1:x\n3:a line number out of sequence\n",
                "@@files\n@@empty /a\n1:lines for a file announced empty\n"):
        with pytest.raises(Unevaluable, match="does not match its file list"):
            split_files(out, "", "rsyslog_conf")
    assert split_files("@@files\n@@denied /a\n@@unreadable /etc/audit\n") == [ConfigFile("/a", "", False)]


@pytest.mark.skipif(not shutil.which("strace"), reason="strace is not installed")
def test_one_program_reads_all_the_files(tmp_path: Path) -> None:
    for i in range(6):
        (tmp_path / f"{i}.conf").write_text(f"line {i}\n")
    paths = [str(tmp_path / f"{i}.conf") for i in range(6)]
    execs = {}
    for name, script in (("cat", _cat_per_file(*paths)), ("grep", allowlist._read_each(*paths))):
        log = tmp_path / f"{name}.strace"
        subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve", "-o", str(log), "sh", "-c", script],
                       capture_output=True, check=True)
        execs[name] = sum(1 for line in log.read_text().splitlines() if "execve(" in line and "= 0" in line) - 1
    assert execs == {"cat": 6, "grep": 1}


def test_kernel_values_from_one_grep_read_as_from_a_cat_each(tmp_path: Path) -> None:
    keys = {"kernel/randomize_va_space": "2\n", "net/ipv4/ip_forward": "0\n", "fs/suid_dumpable": "0\t \n",
            "net/ipv4/conf/all/rp_filter": "1\nsecond line: ignored\n"}
    for key, value in keys.items():
        (tmp_path / "proc/sys" / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "proc/sys" / key).write_text(value)
    paths = [f"{tmp_path}/proc/sys/{key}" for key in (*keys, "kernel/missing")]
    old = _run("for f in " + " ".join(paths) + "; do if [ -r \"$f\" ]; then printf '%s=' \"$f\"; cat \"$f\"; fi; "
               "done").stdout
    new = _run(allowlist._values_each(*paths)).stdout
    assert allowlist.read_only_problems(allowlist._values_each(*paths)) == ()
    assert live_values(new) == live_values(old) == {"kernel.randomize_va_space": "2", "net.ipv4.ip_forward": "0",
                                                    "fs.suid_dumpable": "0", "net.ipv4.conf.all.rp_filter": "1"}


def test_read_only_checker_allows_grep_over_every_line_only_in_that_form() -> None:
    assert allowlist.read_only_problems("set -- /etc/a /etc/b; grep -ahn -e '' -- \"$@\"") == ()
    assert allowlist.read_only_problems("grep -aH -e '' -- \"$@\"") == ()
    for bad in ("grep -ahn -e '' -- /etc/shadow /etc/a", "grep -ahn -f /tmp/x -- \"$@\"", "grep -ahnr -e '' -- \"$@\"",
                "grep -ahn -e root -- \"$@\"", "grep -ahn -e '' \"$@\"", "grep -ahn -e '' -- \"$@\" /etc/gshadow"):
        assert allowlist.read_only_problems(bad), bad


def test_one_grep_per_tool_names_the_cron_files_the_grep_per_path_did(tmp_path: Path) -> None:
    (tmp_path / "etc/cron.d").mkdir(parents=True)
    (tmp_path / "etc/crontab").write_text("0 5 * * * root /usr/bin/aide --check\n")
    (tmp_path / "etc/cron.d/aide").write_text("0 3 * * * root /usr/sbin/aide --check\n")
    (tmp_path / "etc/cron.d/other").write_text("tripwire is not here\n")
    (tmp_path / "etc/cron.d/z-tripwire").symlink_to(tmp_path / "etc/cron.d/other")  # -r: links below not followed
    command = allowlist.render("integrity_cron", SSHSettings(sysroot=str(tmp_path)))
    old = "; ".join(f"printf '@@{tool}\\n'; grep -ls -e {tool} {tmp_path}/etc/crontab; "
                    f"grep -lsr -e {tool} {tmp_path}/etc/cron.d" for tool in ("aide", "tripwire", "samhain"))
    assert _run(command).stdout == _run(old).stdout == (f"@@aide\n{tmp_path}/etc/crontab\n{tmp_path}/etc/cron.d/aide\n"
                                                        f"@@tripwire\n{tmp_path}/etc/cron.d/other\n@@samhain\n")
    assert command.count("grep ") == 3


def test_commands_rendered_once_per_settings_are_each_hosts_own() -> None:
    """build_commands is cached by the settings `render` reads (sysroot, sshd_config, sudo): the same text as
    rendering each command, a dict of the caller's own, and other settings get their own commands."""
    from fourlayer.config.inventory import SSHSettings

    a = SSHSettings(port=2201, user="audit", sysroot="/srv/img", sudo=True)
    b = SSHSettings(port=2202, user="other", sysroot="/srv/img", sudo=True)  # differs only where render never looks
    first = allowlist.build_commands(a)
    assert first == {name: allowlist.render(name, a) for name in allowlist.TEMPLATES}
    first.clear()
    assert allowlist.build_commands(b) == {name: allowlist.render(name, b) for name in allowlist.TEMPLATES}
    assert "sudo -n" not in allowlist.build_commands(SSHSettings(sysroot="/srv/img"))["auditd_settings"]
    assert "sudo -n" in allowlist.build_commands(a)["auditd_settings"]
    with pytest.raises(Exception, match="not a plain absolute path"):  # refused every time, never cached
        allowlist.build_commands(SSHSettings(sysroot="/srv/$(x)"))
    with pytest.raises(Exception, match="not a plain absolute path"):
        allowlist.build_commands(SSHSettings(sysroot="/srv/$(x)"))

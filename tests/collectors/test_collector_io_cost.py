"""The cheaper I/O of the SSH shell and TLS collectors gives the same evidence: one stat over many paths, the
merged script markers, the script's output reblocked by dd, AES-GCM for the login session, one TLS context per
settings (real sshd, real sh)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from fourlayer.collectors import allowlist, ssh_shell, tls
from fourlayer.collectors.base import CollectContext
from fourlayer.lab.certs import make_ca
from fourlayer.lab.sshd import SshdInstance

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

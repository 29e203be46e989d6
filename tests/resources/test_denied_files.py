"""A multi-file command's file that the audit account may not read (`@@denied` in the one-grep framing) makes a
check that looks into it ERROR, naming the file: never a verdict over the files that could be read as if they were
all. Real shell evidence from the hardened lab host; the denied file's command re-run by a real `sh` as `nobody`
over a sysroot where one pwquality file is 0000. (A check that needs only the command's other files is still
judged: tests/checks/test_checks_host_fidelity.py, auditd.conf 0640 beside readable rules.)"""

from __future__ import annotations

import os
import subprocess

import pytest

from fourlayer.collectors import allowlist, ssh_shell
from fourlayer.core.model import Status, Unevaluable
from fourlayer.lab.sysroots import GOOD_ROOT
from fourlayer.resources import host_files
from tests.host_lab import CTX, host_target, judge, sysroots, with_command


@pytest.fixture(scope="module")
def good_host(sshd_hardened, ssh_known_hosts):
    with sysroots() as make:
        root = make(GOOD_ROOT)
        host = sshd_hardened.host(known_hosts=ssh_known_hosts, sysroot=str(root))
        yield host, root, ssh_shell.collect(host, CTX)


def _as_nobody() -> dict:
    if os.geteuid() != 0:
        return {}
    return {"preexec_fn": lambda: (os.setgid(65534), os.setuid(65534))}


def test_a_denied_file_makes_its_checks_error_not_judge_the_rest(good_host) -> None:
    host, root, ev = good_host
    before = judge("L1-ACC-008", host_target({"host": host, "ssh_shell": ev}))
    assert before.status in (Status.PASS, Status.FAIL)  # judged on the files it read
    extra = root / "etc/security/pwquality.conf.d/99-local.conf"
    extra.parent.mkdir(parents=True, exist_ok=True)
    extra.write_text("retry = 9\n")
    for path in (root, *[p for p in root.rglob("*") if p.is_dir()]):
        path.chmod(0o755)
    extra.chmod(0)
    try:
        ran = subprocess.run(["sh", "-c", allowlist.render("pwquality", host.ssh)], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, check=False, **_as_nobody())
    finally:
        extra.unlink()
    assert ran.returncode == 0 and f"@@denied {extra}" in ran.stdout
    t = host_target({"host": host, "ssh_shell": with_command(ev, "pwquality", ran.returncode, ran.stdout)})
    files = host_files.config_files(t, "pwquality")
    [denied] = [f for f in files if not f.readable]
    assert denied.path == "/etc/security/pwquality.conf.d/99-local.conf" and all(f.text for f in files if f.readable)
    for _ in range(2):  # every reader, not only the first: the files are split once per target
        with pytest.raises(Unevaluable, match="99-local.conf could not be read by the audit account"):
            denied.text  # noqa: B018
        denied = next(f for f in host_files.config_files(t, "pwquality") if not f.readable)
    after = judge("L1-ACC-008", t)
    assert after.status is Status.ERROR and "/etc/security/pwquality.conf.d/99-local.conf" in after.reason
    with pytest.raises(Unevaluable, match="could not be read"):  # an operator rule reads the raw text: the same
        host_files.hash_framed(ran.stdout, "pwquality")

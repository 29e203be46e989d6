"""A real OpenSSH server on a loopback address, for tests and demos.

`SshdInstance` runs `/usr/sbin/sshd -D -e -f <config>` in its own work directory with a "hardened" or
"weak" profile (plus overrides), lets a lab client key log in as the audit user and can write a
known_hosts file for its host keys. As root the audit user is a dedicated system account `fl-audit`;
otherwise sshd runs as, and logs in, the current user.

Permissions: the work directory is 0755 and every path up to `/` is root- or user-owned and not
group/world-writable, so `StrictModes yes` holds. Host keys belong to the audit user (0600) so that the
audit user can run `sshd -T -f <config>` over SSH; sshd as root reads them anyway.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from fourlayer.config.inventory import Host, SSHSettings
from fourlayer.lab import keys
from fourlayer.lab.servers import require_loopback

SSHD = "/usr/sbin/sshd"
AUDIT_USER = "fl-audit"
PRIVSEP_DIR = "/run/sshd"  # compiled into Debian's sshd; must exist (root-owned, 0755) when sshd runs as root
DEFAULT_BANNER = "Authorised access only. Activity on this system is logged and monitored.\n"

PROFILES: dict[str, dict[str, Any]] = {  # a directive set to None is left out of the file
    "hardened": {
        "host_keys": [("ed25519", None), ("rsa", 3072)],
        "banner": DEFAULT_BANNER,
        "directives": {
            "PermitRootLogin": "no",
            "PasswordAuthentication": "no",
            "PermitEmptyPasswords": "no",
            "KbdInteractiveAuthentication": "no",
            "PubkeyAuthentication": "yes",
            "HostbasedAuthentication": "no",
            "X11Forwarding": "no",
            "AllowTcpForwarding": "no",
            "PermitUserEnvironment": "no",
            "IgnoreRhosts": "yes",
            # PAM needs root to check accounts for other users; a non-root lab sshd keeps it off
            "UsePAM": "yes" if os.geteuid() == 0 else "no",
            "MaxAuthTries": "3",
            "LoginGraceTime": "30",
            "ClientAliveInterval": "300",
            "ClientAliveCountMax": "2",
            "MaxStartups": "10:30:60",
            # curve25519-sha256@libssh.org is the same algorithm under its older name; paramiko only knows that one
            "KexAlgorithms": "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org",
            "Ciphers": "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,"
                       "aes256-ctr,aes192-ctr,aes128-ctr",
            "MACs": "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com",
            "HostKeyAlgorithms": "ssh-ed25519,rsa-sha2-512,rsa-sha2-256",
        },
    },
    "weak": {
        # OpenSSH 9.2 still accepts all of these (checked with `sshd -t`); a few modern ones stay enabled
        # (as on a typical neglected server) so that modern clients such as paramiko can still log in.
        "host_keys": [("rsa", 1024)],
        "banner": None,
        "directives": {
            "PermitRootLogin": "yes",
            "PasswordAuthentication": "yes",
            "PermitEmptyPasswords": "yes",
            "KbdInteractiveAuthentication": "yes",
            "PubkeyAuthentication": "yes",
            "X11Forwarding": "yes",
            "PermitUserEnvironment": "yes",
            "IgnoreRhosts": "no",
            "HostbasedAuthentication": "yes",
            "MaxAuthTries": "10",
            "LoginGraceTime": "120",
            # issue #13's coverage: each is a finding of its own on this host (L1-SSH-024..031)
            "ClientAliveCountMax": "10",
            "MaxSessions": "64",
            "MaxStartups": "100:30:200",
            "LogLevel": "DEBUG",  # still logs "Server listening on", which start() waits for
            "StrictModes": "no",
            "GSSAPIAuthentication": "yes",
            "X11UseLocalhost": "no",
            "AllowUsers": None,  # anyone may log in
            "KexAlgorithms": "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,"
                             "diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha256,"
                             "curve25519-sha256@libssh.org",
            "Ciphers": "3des-cbc,aes128-cbc,aes256-cbc,aes128-ctr,aes256-ctr",
            "MACs": "hmac-md5,hmac-md5-96,hmac-sha1,hmac-sha1-96,hmac-sha2-256",
            "HostKeyAlgorithms": "ssh-rsa,rsa-sha2-512,rsa-sha2-256",
            "PubkeyAcceptedAlgorithms": "+ssh-rsa",
        },
    },
}


def is_root() -> bool:
    return os.geteuid() == 0


def lab_base_dir() -> Path:
    """Parent of all lab directories: /run/fourlayer-lab as root, else a private per-user directory."""
    if is_root():
        base = Path("/run/fourlayer-lab")
    elif os.environ.get("XDG_RUNTIME_DIR"):
        base = Path(os.environ["XDG_RUNTIME_DIR"]) / "fourlayer-lab"
    else:
        base = Path.home() / ".cache" / "fourlayer-lab"
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o755)
    return base


def make_lab_dir(prefix: str) -> Path:
    """A fresh 0755 directory under `lab_base_dir()`: traversable by the audit user (e.g. a fake sysroot)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=lab_base_dir()))
    os.chmod(path, 0o755)
    return path


def path_is_secure(path: Path, uid: int) -> bool:
    """True if `path` and every parent is owned by root or `uid` and not group/world-writable (sshd StrictModes)."""
    for part in [path, *path.parents]:
        st = part.stat()
        if st.st_uid not in (0, uid) or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return False
    return True


def ensure_audit_user() -> pwd.struct_passwd:
    """The account the lab logs in as: `fl-audit` (created once, idempotently) as root, else the current user."""
    if not is_root():
        return pwd.getpwuid(os.geteuid())
    try:
        entry = pwd.getpwnam(AUDIT_USER)
    except KeyError:
        # password "*" = no usable password but not "locked" ("!"), which sshd with UsePAM=no would refuse
        proc = subprocess.run(["useradd", "--system", "--create-home", "--shell", "/bin/sh", "--password", "*",
                               "--comment", "fourlayer lab audit account", AUDIT_USER],
                              capture_output=True, text=True, timeout=30)
        try:
            entry = pwd.getpwnam(AUDIT_USER)
        except KeyError:
            raise RuntimeError(f"useradd {AUDIT_USER} failed: {proc.stderr.strip()}") from None
    return entry


def free_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def _config_line(key: str, value: str | list[str]) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [f"{key} {v}" for v in values]


class SshdInstance:
    """One real sshd. Use as a context manager, or call start()/stop().

    `directives` override the profile (case-insensitive keys; a list repeats the keyword; None drops it);
    `extra_config` is appended verbatim (e.g. a Match block). `port=0` picks a free port.
    """

    def __init__(self, address: str = "127.0.0.100", port: int = 0, profile: str = "hardened",
                 directives: dict[str, str | list[str] | None] | None = None, banner_text: str | None = None,
                 extra_config: str = "", start_timeout: float = 10.0, keep_work_dir: bool = False):
        require_loopback(address)  # 127.0.0.0/8, or a bench's own network namespace
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; expected one of {sorted(PROFILES)}")
        self.address = address
        self.port = port
        self.profile = profile
        self.directives = dict(directives or {})
        self.banner_text = banner_text
        self.extra_config = extra_config
        self.start_timeout = start_timeout
        self.keep_work_dir = keep_work_dir
        self.work_dir: Path | None = None
        self.user: str = ""
        self.host_key_paths: list[Path] = []
        self._proc: subprocess.Popen | None = None
        self._log = None

    # ---- paths -------------------------------------------------------------------------------------
    def _need_work_dir(self) -> Path:
        if self.work_dir is None:
            raise RuntimeError("sshd instance not started")
        return self.work_dir

    @property
    def config_path(self) -> Path:
        return self._need_work_dir() / "sshd_config"

    @property
    def client_key(self) -> Path:
        """Private key (owned by the current user, 0600) authorised to log in as `user`."""
        return self._need_work_dir() / "client_ed25519"

    @property
    def pid_file(self) -> Path:
        return self._need_work_dir() / "sshd.pid"

    @property
    def log_path(self) -> Path:
        return self._need_work_dir() / "sshd.log"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except (OSError, RuntimeError):
            return ""

    # ---- host keys -----------------------------------------------------------------------------------
    def host_public_keys(self) -> list[tuple[str, str]]:
        """[(key type, base64 blob)] of every host key."""
        return [keys.read_public_key(p) for p in self.host_key_paths]

    def known_hosts_lines(self) -> list[str]:
        return [keys.known_hosts_line(self.address, self.port, t, b) for t, b in self.host_public_keys()]

    def write_known_hosts(self, path: str | os.PathLike, append: bool = True) -> Path:
        """Write (or extend) a known_hosts file with this instance's host keys as `[addr]:port type key`."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a" if append else "w") as fh:
            fh.writelines(self.known_hosts_lines())
        os.chmod(path, 0o600)
        return path

    # ---- inventory helpers -----------------------------------------------------------------------------
    def ssh_settings(self, known_hosts: str | os.PathLike | None = None, **overrides: Any) -> SSHSettings:
        """SSHSettings that log in to this instance with the lab key and audit `sshd -T -f <its config>`."""
        values: dict[str, Any] = dict(port=self.port, user=self.user, key_file=str(self.client_key),
                                      known_hosts=str(known_hosts) if known_hosts else None,
                                      sshd_config=str(self.config_path))
        values.update(overrides)
        return SSHSettings(**values)

    def host(self, host_id: str | None = None, known_hosts: str | os.PathLike | None = None,
             roles: tuple[str, ...] = ("linux",), **ssh_overrides: Any) -> Host:
        return Host(address=self.address, id=host_id or f"lab-{self.profile}-{self.port}", roles=roles,
                    ssh=self.ssh_settings(known_hosts, **ssh_overrides))

    # ---- lifecycle ---------------------------------------------------------------------------------------
    def __enter__(self) -> "SshdInstance":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> "SshdInstance":
        if self._proc is not None:
            return self
        if is_root():
            os.makedirs(PRIVSEP_DIR, mode=0o755, exist_ok=True)
        account = ensure_audit_user()
        self.user = account.pw_name
        auto_port = not self.port
        for attempt in range(3):
            if auto_port:
                self.port = free_port(self.address)
            self.work_dir = make_lab_dir(f"sshd-{self.address}-{self.port}-")
            try:
                self._prepare(account)
                self._launch()
                return self
            except _PortTaken:
                self.stop()
                if not auto_port or attempt == 2:
                    raise RuntimeError(f"sshd could not bind {self.address}:{self.port}") from None
            except BaseException:
                self.stop()
                raise
        raise AssertionError("unreachable")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.work_dir is not None and not self.keep_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    # ---- internals -----------------------------------------------------------------------------------------
    def _prepare(self, account: pwd.struct_passwd) -> None:
        work = self._need_work_dir()
        spec = PROFILES[self.profile]
        self.host_key_paths = []
        for key_type, bits in spec["host_keys"]:
            path = work / f"ssh_host_{key_type}_key"
            keys.generate_key(path, key_type, bits, owner_uid=account.pw_uid, owner_gid=account.pw_gid)
            self.host_key_paths.append(path)
        keys.generate_key(self.client_key, "ed25519")
        ctype, cblob = keys.read_public_key(self.client_key)
        authorized = work / "authorized_keys"
        authorized.write_text(f"{ctype} {cblob} fourlayer-lab\n")
        os.chmod(authorized, 0o644)
        banner = self.banner_text if self.banner_text is not None else spec["banner"]
        self.config_path.write_text(self._render_config(spec, banner, account))
        os.chmod(self.config_path, 0o644)
        check = subprocess.run([SSHD, "-t", "-f", str(self.config_path)], capture_output=True, text=True,
                               timeout=30)
        if check.returncode != 0:
            raise RuntimeError(f"sshd -t rejected the lab config {self.config_path}: {check.stderr.strip()}")

    def _render_config(self, spec: dict[str, Any], banner: str | None, account: pwd.struct_passwd) -> str:
        work = self._need_work_dir()
        merged: dict[str, tuple[str, str | list[str]]] = {}

        def put(key: str, value: str | list[str]) -> None:
            merged[key.lower()] = (key, value)

        put("ListenAddress", f"{self.address}:{self.port}")
        put("HostKey", [str(p) for p in self.host_key_paths])
        put("PidFile", str(self.pid_file))
        put("AuthorizedKeysFile", str(work / "authorized_keys"))
        put("UsePAM", "no")
        put("StrictModes", "yes" if path_is_secure(work, account.pw_uid) else "no")
        put("LogLevel", "VERBOSE")
        put("AllowUsers", account.pw_name)
        if banner:
            banner_path = work / "banner"
            banner_path.write_text(banner)
            os.chmod(banner_path, 0o644)
            put("Banner", str(banner_path))
        for key, value in spec["directives"].items():
            put(key, value)
        for key, value in self.directives.items():
            put(key, value)
        lines = [f"# fourlayer lab sshd, profile {self.profile}"]
        for key, value in merged.values():
            if value is not None:
                lines.extend(_config_line(key, value))
        if self.extra_config:
            lines.append(self.extra_config.rstrip("\n"))
        return "\n".join(lines) + "\n"

    def _launch(self) -> None:
        self._log = open(self.log_path, "wb")
        self._proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.config_path)], stdin=subprocess.DEVNULL,
                                      stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                log = self.log_text()
                if "Address already in use" in log or "Cannot bind any address" in log:
                    raise _PortTaken()
                raise RuntimeError(f"sshd exited with {self._proc.returncode}: {log.strip()[-2000:]}")
            if "Server listening on" in self.log_text():
                try:
                    with socket.create_connection((self.address, self.port), timeout=0.5):
                        return
                except OSError:
                    pass
            time.sleep(0.02)
        log = self.log_text()
        self.stop()
        raise RuntimeError(f"sshd on {self.address}:{self.port} not ready after {self.start_timeout} s: {log[-2000:]}")


class _PortTaken(Exception):
    pass

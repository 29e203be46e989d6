"""Layer 1 (on-site force): file permissions on Linux hosts — /etc/shadow, sshd_config, SSH host keys, account files.

Owner, group and mode from `stat` only (files below `ssh.sysroot`); no secret is ever read out.
"""

from __future__ import annotations

import re

from fourlayer.checks import refs
from fourlayer.checks.util import command_out
from fourlayer.core.model import Unevaluable, bi_join, failed, passed
from fourlayer.core.registry import check
from fourlayer.resources.host_files import shown, sysroot
from fourlayer.resources.parse import FileMode, file_modes, below_root
from fourlayer.resources.sshd import sshd

_HOST = dict(layer=1, needs=("ssh_shell",), applies_to=("linux",))


SHADOW_MAX_MODE = 0o640  # rw-r----- : root writes, the shadow group (Debian) reads, nobody else
SHADOW_GROUPS = ("root", "shadow")
HOST_KEY_MAX_MODE = 0o640  # private host keys: owner, and at most the key group (RHEL ssh_keys) may read
HOST_KEY_READ_GROUPS = ("ssh_keys",)  # the only group that may read a host key (RHEL's ssh-keysign)


def _modes(t, command: str, what: str) -> list[FileMode]:
    rc, out = command_out(t, command)
    rows = file_modes(out, sysroot(t))
    if rc != 0 or not rows:
        err = t.ev("ssh_shell").command(command).err.strip().splitlines()
        raise Unevaluable(f"{what} could not be examined (rc={rc}){': ' + err[0][:160] if err else ''}")
    return rows


def _file_verdict(f: FileMode, problems: list[dict[str, str]]):
    """FAIL listing bilingual `problems` (plus a non-root owner), else PASS with the file's mode and owner."""
    problems = problems + ([{"en": f"owned by {f.owner}", "vi": f"thuộc sở hữu của {f.owner}"}]
                           if f.owner != "root" else [])
    if problems:
        return failed(bi_join(problems, ", ", head=(f"{f.path}: ", f"{f.path}: ")), str(f))
    return passed({"en": f"{f.path} is {f.mode:o} {f.owner}:{f.group}",
                   "vi": f"{f.path} có quyền {f.mode:o}, chủ sở hữu {f.owner}:{f.group}"}, str(f))


@check(id="L1-PRM-001", severity="high", min_level=1, **_HOST,
       title={"en": "/etc/shadow is readable only by root (and the shadow group)",
              "vi": "/etc/shadow chỉ root (và nhóm shadow) đọc được"},
       rationale={"en": "/etc/shadow holds the password hashes; readable by others they can be cracked offline. "
                        "The check looks at its mode and owner only (stat) — the content is never read.",
                  "vi": "/etc/shadow chứa giá trị băm của mật khẩu; nếu người khác đọc được, chúng có thể bị bẻ khóa "
                        "ngoại tuyến. Kiểm tra chỉ xem quyền và chủ sở hữu (stat) — không bao giờ đọc nội dung."},
       remediation={"en": "Run `chown root:shadow /etc/shadow && chmod 640 /etc/shadow` (Debian/Ubuntu) or "
                          "`chown root:root /etc/shadow && chmod 000 /etc/shadow` (RHEL).",
                    "vi": "Chạy `chown root:shadow /etc/shadow && chmod 640 /etc/shadow` (Debian/Ubuntu) hoặc "
                          "`chown root:root /etc/shadow && chmod 000 /etc/shadow` (RHEL)."},
       references=(refs.TCVN_SRV_ACCESS, refs.CIS_FILE_PERMS))
def shadow_permissions(t):
    shadow = _modes(t, "shadow_perms", "/etc/shadow")[0]
    problems = []
    if shadow.mode & ~SHADOW_MAX_MODE:
        extra = f"{shadow.mode & ~SHADOW_MAX_MODE:03o}"
        problems.append({"en": f"mode {shadow.mode:o} grants {extra} beyond {SHADOW_MAX_MODE:o}",
                         "vi": f"quyền {shadow.mode:o} cấp thêm {extra} vượt quá {SHADOW_MAX_MODE:o}"})
    if shadow.group not in SHADOW_GROUPS:
        problems.append({"en": f"group {shadow.group} may read it", "vi": f"nhóm {shadow.group} có thể đọc tệp"})
    return _file_verdict(shadow, problems)


@check(id="L1-PRM-002", severity="medium", min_level=1, **_HOST,
       title={"en": "sshd_config is owned by root and not writable by others",
              "vi": "sshd_config thuộc sở hữu root và người khác không ghi được"},
       rationale={"en": "Whoever can write the SSH server configuration can let themselves in as root at the next "
                        "reload. Owner, group and mode are judged together: root:root, writable by root only.",
                  "vi": "Ai ghi được cấu hình máy chủ SSH có thể tự cho phép mình đăng nhập bằng root ở lần nạp lại "
                        "tiếp theo. Chủ sở hữu, nhóm và quyền được đánh giá cùng nhau: root:root, chỉ root ghi được."},
       remediation={"en": "Run `chown root:root /etc/ssh/sshd_config && chmod 600 /etc/ssh/sshd_config` (and the "
                          "same for /etc/ssh/sshd_config.d/*.conf).",
                    "vi": "Chạy `chown root:root /etc/ssh/sshd_config && chmod 600 /etc/ssh/sshd_config` (và làm "
                          "tương tự cho /etc/ssh/sshd_config.d/*.conf)."},
       references=(refs.TCVN_SRV_ACCESS, refs.CIS_SSH, refs.CIS_FILE_PERMS))
def sshd_config_permissions(t):
    conf = _modes(t, "sshd_config_perms", "sshd_config")[0]
    writers = [who for bit, who in ((0o020, ("its group", "nhóm sở hữu")), (0o002, ("every user", "mọi người dùng")))
               if conf.mode & bit]
    problems = [{"en": f"mode {conf.mode:o} lets {' and '.join(w[0] for w in writers)} write it",
                 "vi": f"quyền {conf.mode:o} cho phép {' và '.join(w[1] for w in writers)} ghi tệp"}] if writers else []
    if conf.group != "root":  # a group other than root is one more way in (CIS: root:root)
        problems.append({"en": f"group {conf.group}, not root", "vi": f"thuộc nhóm {conf.group}, không phải root"})
    return _file_verdict(conf, problems)


@check(id="L1-PRM-003", severity="high", min_level=1, **_HOST,
       title={"en": "SSH host private keys are not readable by other users",
              "vi": "Khóa bí mật máy chủ SSH không để người dùng khác đọc được"},
       rationale={"en": "A copied host key lets an attacker impersonate the server and intercept administrators' "
                        "sessions. Every private key beside the sshd configuration counts, whatever its name: keys "
                        "are found by content (a PEM/OpenSSH private-key header, file names only, never a line of "
                        "the key), by sshd's HostKey lines and by the ssh_host_*_key names. Each must be owned by "
                        "root, group root (or ssh_keys on RHEL, which may read it: 640), mode 600 at most.",
                  "vi": "Khóa máy chủ bị sao chép cho phép kẻ tấn công giả mạo máy chủ và nghe lén phiên quản trị. "
                        "Mọi khóa bí mật nằm cạnh cấu hình sshd đều được tính, bất kể tên tệp: khóa được nhận biết "
                        "theo nội dung (phần đầu khóa bí mật PEM/OpenSSH, chỉ lấy tên tệp, không bao giờ đọc ra một "
                        "dòng nào của khóa), theo các dòng HostKey của sshd và theo tên ssh_host_*_key. Mỗi khóa "
                        "phải thuộc sở hữu root, nhóm root (hoặc ssh_keys trên RHEL, được phép đọc: 640), quyền tối "
                        "đa 600."},
       remediation={"en": "`chown root:root` and `chmod 600` every private key in /etc/ssh (RHEL: `chgrp ssh_keys` "
                          "and `chmod 640`); if one was readable by others, regenerate it and tell users the new "
                          "fingerprints; move private keys that are not host keys out of /etc/ssh.",
                    "vi": "`chown root:root` và `chmod 600` cho mọi khóa bí mật trong /etc/ssh (RHEL: `chgrp "
                          "ssh_keys` và `chmod 640`); nếu khóa đã từng để người khác đọc được, hãy tạo lại và thông "
                          "báo dấu vân tay mới cho người dùng; chuyển các khóa bí mật không phải khóa máy chủ ra khỏi "
                          "/etc/ssh."},
       references=(refs.TCVN_SRV_ACCESS, refs.CIS_SSH, refs.CIS_FILE_PERMS))
def host_key_permissions(t):
    files = {f.path: f for f in _modes(t, "ssh_host_key_perms", "the files beside sshd_config")}
    keys, how = _private_keys(t, files)
    owners, groups = list(t.policy.files.host_key_owners), list(t.policy.files.host_key_groups)
    if not keys:
        raise Unevaluable(f"no SSH host private key found beside sshd_config ({len(files)} files examined, none "
                          "named ssh_host_*_key, named by HostKey or holding a private key)")
    evidence = "\n".join(f"{files[k]} ({', '.join(how[k])})" for k in keys)
    loose = []
    for k in keys:
        f = files[k]
        problems = [f"mode {f.mode:o}"] if f.mode & ~HOST_KEY_MAX_MODE or (
            f.mode & 0o040 and f.group not in HOST_KEY_READ_GROUPS) else []
        problems += [f"owner {f.owner}"] if f.owner not in owners else []
        problems += [f"group {f.group}"] if f.group not in groups else []
        if problems:
            loose.append((f, problems))
    if loose:
        listed = "; ".join(f"{f.path.rsplit('/', 1)[-1]} {f.mode:o} {f.owner}:{f.group}" for f, _ in loose)
        return failed({"en": f"host private keys readable, writable or owned beyond root: {listed} (allowed: owner "
                             f"{'/'.join(owners)}, group {'/'.join(groups)}, mode 600, 640 for group "
                             f"{'/'.join(HOST_KEY_READ_GROUPS)})",
                       "vi": f"khóa bí mật máy chủ để người khác đọc, ghi được hoặc không thuộc root: {listed} (cho "
                             f"phép: chủ sở hữu {'/'.join(owners)}, nhóm {'/'.join(groups)}, quyền 600, 640 với nhóm "
                             f"{'/'.join(HOST_KEY_READ_GROUPS)})"}, evidence)
    outside = [p for p, found in how.items() if p not in files and "HostKey" in found]
    if outside:
        raise Unevaluable(f"HostKey {shown(outside)} lies outside the sshd configuration's directory and was not "
                          "examined; the other keys are fine")
    modes = "/".join(sorted({f"{files[k].mode:o}" for k in keys}))
    who = "/".join(sorted({f"{files[k].owner}:{files[k].group}" for k in keys}))
    return passed({"en": f"{len(keys)} host private keys are {modes} {who}",
                   "vi": f"{len(keys)} khóa bí mật máy chủ có quyền {modes}, chủ sở hữu {who}"}, evidence)


def _private_keys(t, files: dict[str, FileMode]) -> tuple[list[str], dict[str, list[str]]]:
    """The private keys among `files` and how each was recognised: its content (grep -l, names only), a HostKey
    line (`sshd -T`, else the configuration files), or its ssh_host_*_key name."""
    how: dict[str, list[str]] = {}
    rc, out = command_out(t, "ssh_private_keys")
    if rc in (0, 1, 2):  # 1: no match; 2: some files could not be read (unprivileged), the readable ones are listed
        for path in out.splitlines():
            how.setdefault(below_root(path.strip(), sysroot(t)), []).append("private-key content")
    by_name = {path.rsplit("/", 1)[-1]: path for path in files}
    try:  # sshd -T, else the configuration files (fourlayer.resources.sshd)
        host_keys = (sshd(t).get("hostkey") or "").split()
    except Unevaluable:
        host_keys = []
    if host_keys:
        for path in host_keys:
            path = below_root(path, sysroot(t))
            # sshd prints the path as configured; the directory may be reached through a symbolic link
            # (/etc/ssh -> /srv/ssh), so a key of that name beside sshd_config is taken to be the same file
            how.setdefault(path if path in files else by_name.get(path.rsplit("/", 1)[-1], path), []).append("HostKey")
    for path in files:
        if re.fullmatch(r"ssh_host_\w+_key", path.rsplit("/", 1)[-1]):
            how.setdefault(path, []).append("name")
    return sorted(p for p in how if p in files), how


# the account databases and their `-` backups: most permissive mode and the groups allowed (CIS 7.1.x)
ACCOUNT_FILES = {"/etc/passwd": (0o644, ("root",)), "/etc/group": (0o644, ("root",)),
                 "/etc/shadow": (0o640, SHADOW_GROUPS), "/etc/gshadow": (0o640, SHADOW_GROUPS)}
REQUIRED_ACCOUNT_FILES = ("/etc/passwd", "/etc/group")


@check(id="L1-PRM-004", severity="high", min_level=1, **_HOST,
       title={"en": "Account databases and their backups have safe owner, group and mode",
              "vi": "Cơ sở dữ liệu tài khoản và bản sao lưu có chủ sở hữu, nhóm và quyền an toàn"},
       rationale={"en": "Whoever can write /etc/passwd or /etc/group makes themselves root; whoever can read "
                        "/etc/shadow, /etc/gshadow or their `-` backups (left by every account change) cracks the "
                        "hashes offline. Owner, group and mode are judged together, from `stat` only: passwd and "
                        "group root:root 644 at most, shadow and gshadow root:root or root:shadow 640 at most, the "
                        "backups like their originals.",
                  "vi": "Ai ghi được /etc/passwd hoặc /etc/group có thể tự biến mình thành root; ai đọc được "
                        "/etc/shadow, /etc/gshadow hoặc các bản sao lưu `-` (được tạo mỗi lần thay đổi tài khoản) có "
                        "thể bẻ khóa giá trị băm ngoại tuyến. Chủ sở hữu, nhóm và quyền được đánh giá cùng nhau, chỉ "
                        "qua `stat`: passwd và group tối đa root:root 644, shadow và gshadow tối đa root:root hoặc "
                        "root:shadow 640, bản sao lưu như tệp gốc."},
       remediation={"en": "`chown root:root /etc/passwd* /etc/group*; chmod 644 /etc/passwd* /etc/group*`; "
                          "`chown root:shadow /etc/shadow* /etc/gshadow*; chmod 640 /etc/shadow* /etc/gshadow*` "
                          "(RHEL: root:root and 000).",
                    "vi": "`chown root:root /etc/passwd* /etc/group*; chmod 644 /etc/passwd* /etc/group*`; "
                          "`chown root:shadow /etc/shadow* /etc/gshadow*; chmod 640 /etc/shadow* /etc/gshadow*` "
                          "(RHEL: root:root và 000)."},
       references=(refs.TCVN_SRV_ACCESS, refs.CIS_FILE_PERMS, refs.CIS_USERS))
def account_file_permissions(t):
    rc, out = command_out(t, "account_file_perms")
    files = {f.path: f for f in file_modes(out, sysroot(t))}
    absent = [p for p in REQUIRED_ACCOUNT_FILES if p not in files]
    if absent:
        raise Unevaluable(f"{', '.join(absent)} could not be examined (rc={rc}): no account database to judge")
    problems, lines = [], []
    for path, f in sorted(files.items()):
        limit, groups = ACCOUNT_FILES[path.rstrip("-")]
        wrong = ([f"mode {f.mode:o} > {limit:o}"] if f.mode & ~limit else []) + \
                ([f"owner {f.owner}"] if f.owner != "root" else []) + \
                ([f"group {f.group}"] if f.group not in groups else [])
        lines.append(f"{f}{' — ' + ', '.join(wrong) if wrong else ''}")
        if wrong:
            problems.append(f"{path} {f.mode:o} {f.owner}:{f.group} ({', '.join(wrong)})")
    evidence = "\n".join(lines)
    if problems:
        listed = "; ".join(problems)
        return failed({"en": f"account files with unsafe owner, group or mode: {listed}",
                       "vi": f"tệp tài khoản có chủ sở hữu, nhóm hoặc quyền không an toàn: {listed}"}, evidence)
    return passed({"en": f"{len(files)} account files have safe owner, group and mode: {', '.join(sorted(files))}",
                   "vi": f"{len(files)} tệp tài khoản có chủ sở hữu, nhóm và quyền an toàn: "
                         f"{', '.join(sorted(files))}"}, evidence)

"""Layer 1 (on-site force): kernel hardening of Linux hosts — sysctl parameters and core dumps.

A kernel parameter is judged twice: live (/proc/sys, below the sysroot so a lab tree can stand for the kernel) and
persisted (sysctl.d, fourlayer.resources.sysctl). A value that is right now but not persisted is lost at the next
reboot; a persisted value that is not live was never applied. Both are findings. One check reports every
parameter, because they share one fix (a drop-in file and `sysctl --system`) and one evidence listing.
"""

from __future__ import annotations

from dataclasses import dataclass

from fourlayer.checks import refs
from fourlayer.checks.util import command_out
from fourlayer.collectors.allowlist import SYSCTL_KEYS
from fourlayer.core.model import Unevaluable, bi_join, failed, passed
from fourlayer.core.registry import check
from fourlayer.resources.host_files import config_files, shown
from fourlayer.resources.parse import as_int
from fourlayer.resources.sysctl import Setting, live_values, persisted

_KRN = dict(layer=1, needs=("ssh_shell",), applies_to=("linux",))
FORWARD_KEY = "net.ipv4.ip_forward"


@dataclass(frozen=True)
class Requirement:
    key: str
    value: int
    at_least: bool  # False: exactly `value`

    def met(self, raw: str | None) -> bool:
        n = as_int(raw)
        return n is not None and (n >= self.value if self.at_least else n == self.value)

    def wanted(self, lang: str) -> str:
        if not self.at_least:
            return str(self.value)
        return f"{'tối thiểu' if lang == 'vi' else 'at least'} {self.value}"


def requirements(t, keys: tuple[str, ...] | None = None) -> list[Requirement]:
    """The policy's parameters (only `keys` when given); net.ipv4.ip_forward is left out on forwarding hosts."""
    policy = t.policy.kernel
    forwarder = bool(set(t.host.roles if t.host else ()) & set(policy.forwarding_roles))
    found = [Requirement(k, int(v), False) for k, v in policy.exact.items()]
    found += [Requirement(k, int(v), True) for k, v in policy.at_least.items()]
    return [r for r in found if (keys is None or r.key in keys) and not (forwarder and r.key == FORWARD_KEY)]


def _live(t) -> dict[str, str]:
    rc, out = command_out(t, "sysctl_live")
    values = live_values(out)
    if not values:
        raise Unevaluable(f"the live kernel parameters could not be read (/proc/sys, rc={rc})")
    return values


def _problem(r: Requirement, live: str, saved: Setting | None) -> dict[str, str] | None:
    """What is wrong with one parameter ({"en", "vi"}), or None."""
    live_ok, saved_ok = r.met(live), saved is not None and r.met(saved.value)
    if live_ok and saved_ok:
        return None
    en, vi = r.wanted("en"), r.wanted("vi")
    if live_ok and saved is None:
        return {"en": f"{r.key}={live} is not persisted (lost at reboot)",
                "vi": f"{r.key}={live} chưa được lưu trong cấu hình (mất khi khởi động lại)"}
    if live_ok:
        return {"en": f"{r.key}={live} but {saved.source} sets {saved.value} at boot (required {en})",
                "vi": f"{r.key}={live} nhưng {saved.source} đặt {saved.value} khi khởi động (yêu cầu {vi})"}
    if saved_ok:
        return {"en": f"{r.key}={live} live: {saved.value} in {saved.source} is not applied (required {en})",
                "vi": f"{r.key}={live} đang chạy: giá trị {saved.value} trong {saved.source} chưa được áp dụng "
                      f"(yêu cầu {vi})"}
    where = {"en": f"{saved.value} in {saved.source}", "vi": f"{saved.value} trong {saved.source}"} if saved else \
        {"en": "not persisted", "vi": "không có trong cấu hình"}
    return {"en": f"{r.key}={live} (required {en}; {where['en']})",
            "vi": f"{r.key}={live} (yêu cầu {vi}; {where['vi']})"}


def judge_parameters(t, reqs: list[Requirement]) -> tuple[list[dict[str, str]], list[str], str]:
    """(problems, keys not readable live, evidence) for `reqs`."""
    live = _live(t)
    saved = persisted(config_files(t, "sysctl_conf"), [r.key for r in reqs])
    problems, unread, lines = [], [], []
    for r in reqs:
        s = saved.get(r.key)
        kept = f"persisted {s.value} ({s.source})" if s else "not persisted"
        if r.key not in live:
            unread.append(r.key)
            lines.append(f"{r.key}: live unreadable; {kept}")
            continue
        lines.append(f"{r.key}: live {live[r.key]}; {kept}; required {r.wanted('en')}")
        problem = _problem(r, live[r.key], s)
        if problem:
            problems.append(problem)
    return problems, unread, "\n".join(lines)


@check(id="L1-KRN-001", severity="medium", min_level=1, **_KRN,
       title={"en": "Kernel security parameters are set, live and persisted",
              "vi": "Các tham số bảo mật của nhân hệ điều hành được thiết lập, đang có hiệu lực và được lưu cấu hình"},
       rationale={"en": "Address-space randomisation, hidden kernel pointers and kernel log, link protections and "
                        "refusing ICMP redirects, source routing and spoofed sources make memory-corruption "
                        "exploits, local privilege escalation and network redirection harder; a host that is not a "
                        "router must not forward packets. A value set only live is lost at the next reboot; a "
                        "value only in the configuration was never applied.",
                  "vi": "Ngẫu nhiên hóa không gian địa chỉ, ẩn địa chỉ nhân và nhật ký nhân, bảo vệ liên kết tệp, "
                        "từ chối chuyển hướng ICMP, định tuyến nguồn và địa chỉ nguồn giả mạo giúp việc khai thác "
                        "lỗi bộ nhớ, leo thang đặc quyền cục bộ và chuyển hướng lưu lượng khó hơn; máy chủ không "
                        "phải bộ định tuyến thì không được chuyển tiếp gói tin. Giá trị chỉ đặt khi đang chạy sẽ "
                        "mất khi khởi động lại; giá trị chỉ có trong cấu hình thì chưa từng được áp dụng."},
       remediation={"en": "Write the required values (e.g. `kernel.randomize_va_space = 2`, "
                          "`net.ipv4.conf.all.accept_redirects = 0`) to /etc/sysctl.d/60-hardening.conf, remove "
                          "conflicting lines from other sysctl files, then apply them with `sysctl --system`.",
                    "vi": "Ghi các giá trị yêu cầu (ví dụ `kernel.randomize_va_space = 2`, "
                          "`net.ipv4.conf.all.accept_redirects = 0`) vào /etc/sysctl.d/60-hardening.conf, xóa các "
                          "dòng mâu thuẫn trong các tệp sysctl khác, rồi áp dụng bằng `sysctl --system`."},
       references=(refs.TCVN_SRV_HARDEN, refs.CIS_KERNEL, refs.LYNIS_KERNEL, refs.CIRCULAR_12))
def kernel_parameters(t):
    reqs = requirements(t)
    if not reqs:
        raise Unevaluable("the policy lists no kernel parameter (kernel.exact, kernel.at_least)")
    problems, unread, evidence = judge_parameters(t, reqs)
    skipped = len(requirements(t, (FORWARD_KEY,))) == 0 and FORWARD_KEY in t.policy.kernel.exact
    note = {"en": f"; {FORWARD_KEY} not judged (forwarding role)" if skipped else "",
            "vi": f"; không đánh giá {FORWARD_KEY} (máy có vai trò chuyển tiếp)" if skipped else ""}
    unknown = [k for k in unread if k not in SYSCTL_KEYS]
    if problems:
        extra = {"en": f"; not readable live: {shown(unread)}" if unread else "",
                 "vi": f"; không đọc được giá trị đang chạy: {shown(unread, lang='vi')}" if unread else ""}
        reason = bi_join(problems, head=(f"{len(problems)} of {len(reqs)} kernel parameters wrong: ",
                                         f"{len(problems)}/{len(reqs)} tham số nhân chưa đạt: "))
        return failed({lang: reason[lang] + extra[lang] + note[lang] for lang in ("en", "vi")}, evidence)
    if unread:
        hint = f" ({shown(unknown)} not among the keys fourlayer reads)" if unknown else ""
        raise Unevaluable(f"live value of {shown(unread)} could not be read below /proc/sys{hint}")
    return passed({"en": f"all {len(reqs)} kernel parameters are set live and persisted" + note["en"],
                   "vi": f"cả {len(reqs)} tham số nhân đều đạt khi đang chạy và được lưu cấu hình" + note["vi"]},
                  evidence)


def _core_limit(files) -> tuple[str | None, str]:
    """(the hard core-size limit pam_limits gives every user, `* hard core N`; its source) — the last line wins."""
    value, source = None, "no `* hard core` line"
    for f in files:
        if not f.path.startswith("/etc/security/limits"):
            continue
        for number, line in enumerate(f.text.splitlines(), 1):
            words = line.split("#", 1)[0].split()
            if len(words) >= 4 and words[0] == "*" and words[1] in ("hard", "-") and words[2] == "core":
                value, source = words[3], f"{f.path}:{number}"
    return value, source


def _coredump_storage(files) -> tuple[str, str]:
    """(systemd-coredump's Storage=, its source): coredump.conf, then its drop-ins; the default is external."""
    value, source = "external", "default"
    for f in files:
        if not f.path.startswith("/etc/systemd/coredump.conf"):
            continue
        for number, line in enumerate(f.text.splitlines(), 1):
            key, sep, setting = line.strip().partition("=")
            if sep and key.strip() == "Storage":
                value, source = setting.strip().lower(), f"{f.path}:{number}"
    return value, source


@check(id="L1-KRN-002", severity="medium", min_level=1, **_KRN,
       title={"en": "Core dumps are restricted", "vi": "Hạn chế kết xuất bộ nhớ lõi (core dump)"},
       rationale={"en": "A core dump holds the memory of the crashed process: passwords, keys and session tokens. "
                        "Set-user-id programs must never dump (fs.suid_dumpable=0), and ordinary dumps are turned "
                        "off by a hard core limit of 0 or by systemd-coredump storing nothing.",
                  "vi": "Tệp kết xuất bộ nhớ lõi chứa bộ nhớ của tiến trình bị lỗi: mật khẩu, khóa và mã phiên. "
                        "Chương trình set-user-id không bao giờ được kết xuất (fs.suid_dumpable=0), còn kết xuất "
                        "thông thường được tắt bằng giới hạn cứng core bằng 0 hoặc systemd-coredump không lưu gì."},
       remediation={"en": "Add `* hard core 0` to /etc/security/limits.d/60-core.conf (or `Storage=none` and "
                          "`ProcessSizeMax=0` under [Coredump] in /etc/systemd/coredump.conf.d/60-none.conf) and "
                          "`fs.suid_dumpable = 0` to /etc/sysctl.d/60-hardening.conf, then run `sysctl --system`.",
                    "vi": "Thêm `* hard core 0` vào /etc/security/limits.d/60-core.conf (hoặc `Storage=none` và "
                          "`ProcessSizeMax=0` trong mục [Coredump] của /etc/systemd/coredump.conf.d/60-none.conf) "
                          "và `fs.suid_dumpable = 0` vào /etc/sysctl.d/60-hardening.conf, rồi chạy "
                          "`sysctl --system`."},
       references=(refs.TCVN_SRV_HARDEN, refs.CIS_CORE_DUMPS, refs.LYNIS_CORE_DUMPS))
def core_dumps(t):
    want = int(t.policy.kernel.exact.get("fs.suid_dumpable", 0))
    problems, unread, evidence = judge_parameters(t, [Requirement("fs.suid_dumpable", want, False)])
    if unread and not problems:
        raise Unevaluable("live value of fs.suid_dumpable could not be read below /proc/sys")
    files = config_files(t, "core_dump_conf")
    limit, limit_source = _core_limit(files)
    storage, storage_source = _coredump_storage(files)
    evidence += f"\n* hard core: {limit if limit is not None else 'unset'} ({limit_source})" \
                f"\nsystemd-coredump Storage={storage} ({storage_source})"
    if limit != "0" and storage != "none":
        problems.append({"en": f"ordinary core dumps are allowed (`* hard core` {limit or 'unset'}, systemd-coredump "
                               f"Storage={storage})",
                         "vi": f"vẫn cho phép kết xuất bộ nhớ lõi thông thường (`* hard core` "
                               f"{limit or 'chưa đặt'}, systemd-coredump Storage={storage})"})
    if problems:
        return failed(bi_join(problems), evidence)
    how = f"`* hard core 0` ({limit_source})" if limit == "0" else f"systemd-coredump Storage=none ({storage_source})"
    return passed({"en": f"core dumps are off: {how}, fs.suid_dumpable={want} live and persisted",
                   "vi": f"đã tắt kết xuất bộ nhớ lõi: {how}, fs.suid_dumpable={want} khi đang chạy và trong cấu hình"},
                  evidence)

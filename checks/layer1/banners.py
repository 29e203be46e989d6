"""Layer 1 (on-site force): the legal warning banner shown before login (/etc/issue, /etc/issue.net).

The banner warns that use is monitored and unauthorised access punishable, and must tell an attacker nothing about
the system: agetty's escapes \\r (kernel release), \\v (kernel version), \\s (system name), \\m (machine) and \\S
(distribution), or the distribution's name, are findings. A reason names what was found, never the banner's text.
"""

from __future__ import annotations

import re

from fourlayer.checks import refs
from fourlayer.core.model import bi_join, failed, passed
from fourlayer.core.registry import check
from fourlayer.resources.host_files import config_files

BANNERS = ("/etc/issue", "/etc/issue.net")
ESCAPES = {"\\r": "kernel release", "\\v": "kernel version", "\\s": "system name", "\\m": "machine type",
           "\\S": "distribution name"}
ESCAPES_VI = {"\\r": "phiên bản nhân", "\\v": "bản dựng nhân", "\\s": "tên hệ điều hành", "\\m": "kiến trúc máy",
              "\\S": "tên bản phân phối"}
OS_WORDS = re.compile(r"\b(debian|ubuntu|red hat|rhel|centos|rocky|almalinux|fedora|suse|gnu/linux|kernel)\b", re.I)
_BAN = dict(layer=1, needs=("ssh_shell",), applies_to=("linux",))


def leaks(text: str) -> list[tuple[str, str]]:
    """[(en, vi)] descriptions of the system information `text` discloses."""
    found = [(f"escape {e} ({what})", f"mã {e} ({ESCAPES_VI[e]})") for e, what in ESCAPES.items() if e in text]
    words = sorted({m.group(1).lower() for m in OS_WORDS.finditer(text)})
    if words:
        found.append((f"the word(s) {', '.join(repr(w) for w in words)}", f"từ {', '.join(repr(w) for w in words)}"))
    return found


@check(id="L1-BAN-001", severity="low", min_level=1, **_BAN,
       title={"en": "A legal warning banner is shown before login and discloses nothing about the system",
              "vi": "Có thông báo cảnh báo pháp lý trước khi đăng nhập và không tiết lộ thông tin hệ thống"},
       rationale={"en": "A warning that access is restricted and monitored supports prosecution and deters casual "
                        "intrusion; operating system names and versions in the banner help an attacker pick "
                        "exploits before logging in.",
                  "vi": "Thông báo rằng truy cập bị giới hạn và được giám sát là căn cứ xử lý vi phạm và răn đe xâm "
                        "nhập; tên và phiên bản hệ điều hành trong thông báo giúp kẻ tấn công chọn mã khai thác "
                        "trước cả khi đăng nhập."},
       remediation={"en": "Write the agency's approved warning text to /etc/issue and /etc/issue.net (e.g. "
                          "\"Authorised use only. Activity is monitored and recorded.\"), without \\r, \\v, \\s, "
                          "\\m, \\S escapes or the distribution's name.",
                    "vi": "Ghi nội dung cảnh báo đã được phê duyệt của cơ quan vào /etc/issue và /etc/issue.net "
                          "(ví dụ \"Chỉ người được phép mới được sử dụng. Mọi hoạt động đều được giám sát và ghi "
                          "lại.\"), không chứa các mã \\r, \\v, \\s, \\m, \\S hay tên bản phân phối."},
       references=(refs.TCVN_SRV_ACCESS, refs.CIS_BANNERS, refs.LYNIS_BANNERS, refs.CIRCULAR_12))
def login_banners(t):
    files = {f.path: f.text for f in config_files(t, "login_banners")}
    problems, lines = [], []
    for path in BANNERS:
        text = files.get(path)
        if text is None or not text.strip():
            state = ("missing", "không có") if text is None else ("empty", "để trống")
            problems.append({"en": f"{path} is {state[0]}", "vi": f"{path} {state[1]}"})
            lines.append(f"{path}: {state[0]}")
            continue
        found = leaks(text)
        lines.append(f"{path}: {len(text.strip())} characters" + (f"; discloses {found[0][0]}" if found else ""))
        if found:
            problems.append({"en": f"{path} discloses " + ", ".join(en for en, _ in found),
                             "vi": f"{path} tiết lộ " + ", ".join(vi for _, vi in found)})
    evidence = "\n".join(lines)
    if problems:
        return failed(bi_join(problems), evidence)
    return passed({"en": "/etc/issue and /etc/issue.net carry a warning that discloses no system information",
                   "vi": "/etc/issue và /etc/issue.net có thông báo cảnh báo, không tiết lộ thông tin hệ thống"},
                  evidence)

"""Layer 1 (on-site force): no world-writable file, and no world-writable directory without the sticky bit, in the
system paths of Linux hosts (/etc, /usr, /bin, /sbin, /lib*, /boot, /opt).

One allowlisted `find` prints names only, stays on each file system (-xdev), stops after a time limit and is cut
after a count. Its last start point, the target's /dev/null, is printed only when the whole search finished: a
search that timed out or was cut is said, and is never a PASS.
"""

from __future__ import annotations

from fourlayer.checks import refs
from fourlayer.checks.util import command_out
from fourlayer.collectors.allowlist import WORLD_WRITABLE_DIRS, WORLD_WRITABLE_LIMIT, WORLD_WRITABLE_SECONDS
from fourlayer.core.model import Unevaluable, failed, passed
from fourlayer.core.registry import check
from fourlayer.resources.host_files import shown
from fourlayer.resources.parse import below_root

DONE = "/dev/null"
_WW = dict(layer=1, needs=("ssh_shell",), applies_to=("linux",))


@check(id="L1-PRM-005", severity="medium", min_level=1, **_WW,
       title={"en": "No world-writable files or non-sticky world-writable directories in system paths",
              "vi": "Không có tệp ghi được bởi mọi người dùng, hay thư mục như vậy thiếu bit sticky, trong các "
                    "đường dẫn hệ thống"},
       rationale={"en": "Any local user or compromised service can replace a world-writable program, library or "
                        "configuration file and so run code as whoever uses it (often root); in a world-writable "
                        "directory without the sticky bit anyone can delete or rename the files of others.",
                  "vi": "Bất kỳ người dùng cục bộ hay dịch vụ bị chiếm quyền nào cũng có thể thay thế chương trình, "
                        "thư viện hoặc tệp cấu hình ghi được bởi mọi người, từ đó chạy mã dưới quyền người dùng tệp "
                        "đó (thường là root); trong thư mục ghi được bởi mọi người mà thiếu bit sticky, ai cũng có "
                        "thể xóa hoặc đổi tên tệp của người khác."},
       remediation={"en": "Remove the write bit for others (`chmod o-w <file>`), or set the sticky bit on a "
                          "directory that must stay shared (`chmod +t <dir>`); find out which package or script "
                          "created them.",
                    "vi": "Bỏ quyền ghi của người dùng khác (`chmod o-w <tệp>`), hoặc đặt bit sticky cho thư mục "
                          "buộc phải dùng chung (`chmod +t <thư mục>`); xác định gói phần mềm hay tập lệnh nào đã "
                          "tạo ra chúng."},
       references=(refs.TCVN_SRV_ACCESS, refs.CIS_WORLD_WRITABLE, refs.LYNIS_WORLD_WRITABLE, refs.CIS_FILE_PERMS))
def world_writable(t):
    sysroot = (t.host.ssh.sysroot if t.host and t.host.ssh else "/") or "/"
    rc, out = command_out(t, "world_writable")
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    finished = DONE in lines
    found = [below_root(p, sysroot) for p in lines if p != DONE]
    cut = len(lines) > WORLD_WRITABLE_LIMIT
    where = ", ".join(WORLD_WRITABLE_DIRS)
    evidence = f"searched {where} (-xdev, at most {WORLD_WRITABLE_SECONDS} s, {WORLD_WRITABLE_LIMIT} names)\n" + \
        ("\n".join(found[:WORLD_WRITABLE_LIMIT]) or "nothing found")
    if found:
        partial = {"en": "", "vi": ""}
        if cut:
            partial = {"en": f" (first {WORLD_WRITABLE_LIMIT} shown: the list was cut)",
                       "vi": f" (chỉ hiện {WORLD_WRITABLE_LIMIT} mục đầu: danh sách bị cắt)"}
        elif not finished:
            partial = {"en": f" (the search stopped after {WORLD_WRITABLE_SECONDS} s: there may be more)",
                       "vi": f" (việc tìm kiếm dừng sau {WORLD_WRITABLE_SECONDS} giây: có thể còn nữa)"}
        count = f"{'at least ' if cut or not finished else ''}{len(found[:WORLD_WRITABLE_LIMIT])}"
        count_vi = f"{'ít nhất ' if cut or not finished else ''}{len(found[:WORLD_WRITABLE_LIMIT])}"
        return failed({"en": f"{count} world-writable entries without protection in system paths: "
                             f"{shown(found)}{partial['en']}",
                       "vi": f"{count_vi} mục ghi được bởi mọi người dùng mà không được bảo vệ trong các đường dẫn "
                             f"hệ thống: {shown(found, lang='vi')}{partial['vi']}"}, evidence)
    if not finished:
        raise Unevaluable(f"the search for world-writable files did not finish (stopped after "
                          f"{WORLD_WRITABLE_SECONDS} s, or find could not run; rc={rc})")
    return passed({"en": f"no world-writable file or non-sticky world-writable directory in {where}",
                   "vi": f"không có tệp ghi được bởi mọi người dùng hay thư mục như vậy thiếu bit sticky trong "
                         f"{where}"}, evidence)

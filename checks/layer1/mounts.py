"""Layer 1 (on-site force): mount options of the world-writable temporary file systems of Linux hosts.

/tmp, /dev/shm and /var/tmp are writable by every user: mounted nodev, nosuid, noexec, a file dropped there can
be neither a device node, nor a set-user-id program, nor executed directly. The options are read live from
/proc/mounts (below the sysroot, so a lab tree can stand for the kernel's mount table).
"""

from __future__ import annotations

from fourlayer.checks import refs
from fourlayer.core.model import Unevaluable, bi_join, failed, not_applicable, passed
from fourlayer.core.registry import check
from fourlayer.resources.host_files import config_files

TEMP_MOUNTS = ("/tmp", "/dev/shm", "/var/tmp")
REQUIRED = ("nodev", "nosuid", "noexec")
SEPARATE_FROM_LEVEL = 2  # /tmp on its own file system is required from this classification level
_MNT = dict(layer=1, needs=("ssh_shell",), applies_to=("linux",))


def mount_options(text: str) -> dict[str, list[str]]:
    """{mount point: options} of a /proc/mounts text; the last mount on a point is the one in force."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 4:
            point = fields[1].replace("\\040", " ")
            found[point] = fields[3].split(",")
    return found


@check(id="L1-MNT-001", severity="medium", min_level=1, **_MNT,
       title={"en": "/tmp, /dev/shm and /var/tmp are mounted nodev, nosuid, noexec",
              "vi": "/tmp, /dev/shm và /var/tmp được gắn kết với nodev, nosuid, noexec"},
       rationale={"en": "Every user can write to the temporary directories. Without nodev, nosuid and noexec an "
                        "attacker can plant a device node, a set-user-id program or an exploit there and run it. "
                        f"From level {SEPARATE_FROM_LEVEL} /tmp must be a file system of its own, so that its "
                        "options can be set at all.",
                  "vi": "Mọi người dùng đều ghi được vào các thư mục tạm. Thiếu nodev, nosuid và noexec, kẻ tấn công "
                        "có thể đặt tại đó một tệp thiết bị, một chương trình set-user-id hoặc mã khai thác rồi chạy "
                        f"nó. Từ cấp độ {SEPARATE_FROM_LEVEL}, /tmp phải là một hệ thống tệp riêng thì mới đặt được "
                        "các tùy chọn này."},
       remediation={"en": "Mount /tmp as tmpfs (`systemctl enable tmp.mount`, or an /etc/fstab line "
                          "`tmpfs /tmp tmpfs defaults,nodev,nosuid,noexec 0 0`), add nodev,nosuid,noexec to the "
                          "/dev/shm and /var/tmp entries of /etc/fstab, then `mount -o remount` each.",
                    "vi": "Gắn kết /tmp dạng tmpfs (`systemctl enable tmp.mount`, hoặc dòng /etc/fstab "
                          "`tmpfs /tmp tmpfs defaults,nodev,nosuid,noexec 0 0`), thêm nodev,nosuid,noexec vào các "
                          "dòng /dev/shm và /var/tmp trong /etc/fstab, rồi chạy `mount -o remount` cho từng mục."},
       references=(refs.TCVN_SRV_HARDEN, refs.CIS_MOUNTS, refs.LYNIS_MOUNTS))
def temp_mount_options(t):
    files = config_files(t, "mounts")
    mounts = mount_options(files[0].text) if files else {}
    if not mounts:
        raise Unevaluable("the mount table (/proc/mounts) could not be read on the target")
    problems, notes, lines = [], [], []
    for point in TEMP_MOUNTS:
        options = mounts.get(point)
        if options is None:
            lines.append(f"{point}: not a separate mount")
            if point == "/tmp" and t.level >= SEPARATE_FROM_LEVEL:
                problems.append({"en": f"/tmp is not a separate file system (required from level "
                                       f"{SEPARATE_FROM_LEVEL}; this system is level {t.level})",
                                 "vi": f"/tmp không phải hệ thống tệp riêng (bắt buộc từ cấp độ "
                                       f"{SEPARATE_FROM_LEVEL}; hệ thống này cấp độ {t.level})"})
            else:
                notes.append(point)
            continue
        lines.append(f"{point}: {','.join(options)}")
        missing = [o for o in REQUIRED if o not in options]
        if missing:
            problems.append({"en": f"{point} lacks {', '.join(missing)}", "vi": f"{point} thiếu {', '.join(missing)}"})
    evidence = "\n".join(lines)
    note = {"en": f"; not separate mounts (not judged): {', '.join(notes)}" if notes else "",
            "vi": f"; không phải điểm gắn kết riêng (không đánh giá): {', '.join(notes)}" if notes else ""}
    if problems:
        reason = bi_join(problems)
        return failed({lang: reason[lang] + note[lang] for lang in ("en", "vi")}, evidence)
    judged = [p for p in TEMP_MOUNTS if p in mounts]
    if not judged:
        return not_applicable({"en": f"none of {', '.join(TEMP_MOUNTS)} is a separate mount (level {t.level})",
                               "vi": f"không có điểm gắn kết riêng nào trong {', '.join(TEMP_MOUNTS)} "
                                     f"(cấp độ {t.level})"}, evidence)
    return passed({"en": f"{', '.join(judged)} mounted nodev,nosuid,noexec" + note["en"],
                   "vi": f"{', '.join(judged)} được gắn kết với nodev,nosuid,noexec" + note["vi"]}, evidence)

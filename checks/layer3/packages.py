"""Layer 3 (independent inspection): installed packages against the distribution's own security advisories.

What inspectors' tools (OpenSCAP with OVAL content, Vuls) do: read the installed packages over SSH
(`dpkg-query -W`, `rpm -qa`, read-only) and match their source versions against advisory data the user imported
with `fourlayer vulndb import` (Debian Security Tracker JSON, OSV), with dpkg's and rpm's own version order. The
data's age is observed evidence, counted on the scan's clock. The banner table (L3-VUL-001/002, L1-SSH-006)
stays for hosts without a login.
"""

from __future__ import annotations

from dataclasses import dataclass

from fourlayer.checks import refs
from fourlayer.checks.util import bi, command_out

from fourlayer.advisories import versions
from fourlayer.advisories.formats import KIND
from fourlayer.advisories.match import SEVERITY_ORDER, Finding, Index, index_for
from fourlayer.resources.packages import (
    Installed,
    Platform,
    kernel_packages,
    parse_dpkg,
    parse_rpm,
    platform,
)
from fourlayer.advisories.store import SetInfo, advisory_db_path
from fourlayer.core.model import (
    Outcome,
    Unevaluable,
    failed,
    not_applicable,
    passed,
    warned,
)
from fourlayer.core.registry import check
from fourlayer.rules.engine import parse_keyvalue

IMPORT_HINT = ("download the distribution's advisory data on a connected machine (Debian Security Tracker JSON, "
               "or the distribution's OSV data) and run `fourlayer vulndb import FILE`")
IMPORT_HINT_VI = ("tải dữ liệu cảnh báo bảo mật của bản phân phối trên máy có kết nối (JSON của Debian Security "
                  "Tracker hoặc dữ liệu OSV) rồi chạy `fourlayer vulndb import FILE`")
SHOWN = 8  # advisories named in a reason; the evidence lists them all

_PKG = dict(layer=3, needs=("ssh_shell",), applies_to=("linux",), min_level=1)
_REFS = (refs.DEBIAN_SECURITY_TRACKER, refs.OSV_SCHEMA, refs.CIS_CONTROLS_VULN, refs.TCVN_SRV_INTRUSION,
         refs.DISPATCH_1552, refs.DECREE_85_ART20)


def _platform(t) -> Platform | None:
    return platform(parse_keyvalue(command_out(t, "os_release")[1]))


def _installed(t, kind: str) -> list[Installed]:
    """The host's installed packages; Unevaluable (ERROR) when the package database gave nothing."""
    command = "packages_dpkg" if kind == "dpkg" else "packages_rpm"
    rc, out = command_out(t, command)
    err = t.ev("ssh_shell").command(command).err.strip()
    program = "dpkg-query" if kind == "dpkg" else "rpm -qa"
    if rc != 0:
        raise Unevaluable(f"`{program}` failed on the target (rc={rc}): {err[:200]}")
    installed, bad = (parse_dpkg if kind == "dpkg" else parse_rpm)(out)
    if not installed:
        where = "/var/lib/dpkg" if kind == "dpkg" else "/var/lib/rpm"
        raise Unevaluable(f"no package evidence: `{program}` listed no installed package ({where} below the "
                          f"sysroot absent or empty{'; ' + err[:160] if err else ''}); a host's packages decide "
                          "these checks, an empty list is never a pass")
    if bad:
        raise Unevaluable(f"`{program}` printed {bad} line(s) that are not package records; the output is damaged")
    return installed


@dataclass
class Assessment:
    platform: Platform
    installed: list[Installed]
    sets: list[SetInfo]
    findings: list[Finding]
    stale: dict[str, str] | None  # bilingual note when the newest data is older than policy

    def data_note(self, t) -> str:
        newest = self.sets[0]
        return f"data: {newest.format} {newest.source_file.rsplit('/', 1)[-1]} of {newest.data_date.isoformat()}, " \
               f"{newest.age_days(t.clock_day)} days old"

    def evidence(self, t, lines: list[str]) -> str:
        head = [f"host: {self.platform.describe()} ({self.platform.distro} {self.platform.release}), "
                f"{len(self.installed)} installed packages"]
        head += [f"advisory data used: {s.describe(t.clock_day)}" for s in self.sets]
        if self.stale:
            head.append(f"WARNING: {self.stale['en']}")
        return "\n".join(head + lines)


def assess(t) -> Assessment | Outcome:
    """The host's packages matched against the imported data, or the NOT_APPLICABLE outcome saying what is missing."""
    plat = _platform(t)
    if plat is None:
        release = parse_keyvalue(command_out(t, "os_release")[1])
        seen = release.get("pretty_name") or release.get("id") or "no os-release"
        return not_applicable(bi(f"advisory matching covers Debian, Ubuntu, AlmaLinux and Rocky Linux; this host "
                                 f"is {seen}: check its packages with its vendor's tools",
                                 f"đối chiếu cảnh báo hỗ trợ Debian, Ubuntu, AlmaLinux và Rocky Linux; máy chủ này là "
                                 f"{seen}: kiểm tra gói bằng công cụ của nhà cung cấp"))
    if plat.distro == "rhel":
        return not_applicable(bi("no importable advisory format covers RHEL here (Red Hat OVAL is not supported "
                                 "yet); audit it with OpenSCAP and Red Hat's OVAL content",
                                 "chưa hỗ trợ định dạng cảnh báo cho RHEL (Red Hat OVAL); hãy kiểm tra bằng "
                                 "OpenSCAP với dữ liệu OVAL của Red Hat"))
    index: Index = index_for(advisory_db_path())
    sets = index.covering(plat)
    if not sets:
        have = ", ".join(index.releases(plat.distro)) or "none"
        return not_applicable(bi(f"no advisory data imported for {plat.distro} {plat.release} (imported releases "
                                 f"of {plat.distro}: {have}); {IMPORT_HINT}",
                                 f"chưa nhập dữ liệu cảnh báo cho {plat.distro} {plat.release} (đã có: {have}); "
                                 f"{IMPORT_HINT_VI}"),
                              f"host: {plat.describe()}\nadvisory database: {advisory_db_path()}")
    installed = _installed(t, KIND[plat.distro])
    max_age = int(t.policy.advisories.max_age_days)
    age = sets[0].age_days(t.clock_day)
    stale = bi(f"the advisory data is {age} days old (policy advisories.max_age_days: {max_age}); import newer data",
               f"dữ liệu cảnh báo đã cũ {age} ngày (chính sách advisories.max_age_days: {max_age}); cần nhập dữ "
               "liệu mới hơn") if age > max_age else None
    return Assessment(plat, installed, sets, index.match(plat, installed), stale)


def _names(findings: list[Finding]) -> str:
    shown = "; ".join(f.describe() for f in findings[:SHOWN])
    return shown + (f"; +{len(findings) - SHOWN} more" if len(findings) > SHOWN else "")


def _with_stale(a: Assessment, en: str, vi: str) -> dict[str, str]:
    return bi(en + (f" ({a.stale['en']})" if a.stale else ""), vi + (f" ({a.stale['vi']})" if a.stale else ""))


@check(id="L3-PKG-001", severity="critical", **_PKG, references=_REFS,
       title={"en": "Installed packages carry the fixes of the distribution's security advisories",
              "vi": "Các gói đã cài có đủ bản vá theo cảnh báo bảo mật của bản phân phối"},
       rationale={"en": "Inspectors match the installed packages against the distribution's own advisories "
                        "(OVAL, Vuls), which also see fixes that distributions backport without changing the "
                        "upstream version. A critical or high advisory whose fixed package is released but not "
                        "installed is an open, published hole.",
                  "vi": "Đoàn kiểm tra đối chiếu các gói đã cài với cảnh báo bảo mật của chính bản phân phối (OVAL, "
                        "Vuls), thấy cả các bản vá được backport mà không đổi số phiên bản gốc. Cảnh báo mức nghiêm "
                        "trọng hoặc cao đã có gói sửa nhưng chưa cài là lỗ hổng đã công bố còn để ngỏ."},
       remediation={"en": "Install the fixed versions (`apt-get update && apt-get upgrade`, or `dnf upgrade "
                          "--security`), reboot where the kernel or core libraries changed, and scan again with "
                          "advisory data imported this week (`fourlayer vulndb import`).",
                    "vi": "Cài các phiên bản đã sửa (`apt-get update && apt-get upgrade`, hoặc `dnf upgrade "
                          "--security`), khởi động lại nếu nhân hoặc thư viện lõi thay đổi, rồi quét lại với dữ liệu "
                          "cảnh báo mới nhập trong tuần (`fourlayer vulndb import`)."})
def fixable_advisories(t):
    a = assess(t)
    if isinstance(a, Outcome):
        return a
    fail_rank = SEVERITY_ORDER.index(t.policy.advisories.fail_severity)
    fixable = [f for f in a.findings if f.fixed]
    bad = [f for f in fixable if SEVERITY_ORDER.index(f.severity) <= fail_rank]
    minor = [f for f in fixable if f not in bad]
    evidence = a.evidence(t, [f"fixable: {f.describe()} [{', '.join(f.binaries)}]" for f in fixable])
    note = a.data_note(t)
    if bad:
        return failed(_with_stale(a, f"{len(bad)} advisories at or above {SEVERITY_ORDER[fail_rank]} have a fix that "
                                     f"is not installed ({note}): {_names(bad)}",
                                  f"{len(bad)} cảnh báo từ mức {SEVERITY_ORDER[fail_rank]} trở lên đã có bản sửa "
                                  f"nhưng chưa cài ({note}): {_names(bad)}"), evidence)
    if minor:
        return warned(_with_stale(a, f"{len(minor)} advisories of lower or unassigned severity have a fix that is "
                                     f"not installed ({note}): {_names(minor)}",
                                  f"{len(minor)} cảnh báo mức thấp hơn hoặc chưa xếp mức đã có bản sửa nhưng chưa "
                                  f"cài ({note}): {_names(minor)}"), evidence)
    clean_en = f"no advisory with a released fix applies to the {len(a.installed)} installed packages ({note})"
    clean_vi = f"không cảnh báo nào đã có bản sửa áp dụng cho {len(a.installed)} gói đã cài ({note})"
    if a.stale:
        return warned(bi(f"{clean_en}, but {a.stale['en']}", f"{clean_vi}, nhưng {a.stale['vi']}"), evidence)
    return passed(bi(clean_en, clean_vi), evidence)


@check(id="L3-PKG-002", severity="medium", **_PKG, references=_REFS,
       title={"en": "No installed package is affected by an advisory without a fix",
              "vi": "Không gói đã cài nào bị ảnh hưởng bởi cảnh báo chưa có bản sửa"},
       rationale={"en": "An advisory with no fixed package yet (or a release past its end of life) leaves a known "
                        "hole that updating cannot close: it needs a mitigation, a removed package or a waiver "
                        "with the risk accepted.",
                  "vi": "Cảnh báo chưa có gói sửa (hoặc bản phát hành đã hết hỗ trợ) để lại lỗ hổng đã biết mà cập "
                        "nhật không đóng được: cần biện pháp giảm thiểu, gỡ gói hoặc miễn trừ có chấp nhận rủi ro."},
       remediation={"en": "For each advisory: remove the package if unused, apply the mitigation the advisory "
                          "describes, or record a waiver with the accepted risk; move end-of-life releases to a "
                          "supported one.",
                    "vi": "Với từng cảnh báo: gỡ gói nếu không dùng, áp dụng biện pháp giảm thiểu nêu trong cảnh báo, "
                          "hoặc ghi nhận miễn trừ với rủi ro được chấp nhận; nâng bản phát hành hết hỗ trợ lên bản "
                          "còn hỗ trợ."})
def unfixed_advisories(t):
    a = assess(t)
    if isinstance(a, Outcome):
        return a
    open_ = [f for f in a.findings if not f.fixed]
    evidence = a.evidence(t, [f"no fix: {f.describe()} [{', '.join(f.binaries)}]" for f in open_])
    note = a.data_note(t)
    if open_:
        return warned(_with_stale(a, f"{len(open_)} advisories affect installed packages and have no fix released "
                                     f"({note}): {_names(open_)}",
                                  f"{len(open_)} cảnh báo ảnh hưởng gói đã cài và chưa có bản sửa ({note}): "
                                  f"{_names(open_)}"), evidence)
    if a.stale:
        return warned(bi(f"no unfixed advisory applies ({note}), but {a.stale['en']}",
                         f"không cảnh báo chưa sửa nào áp dụng ({note}), nhưng {a.stale['vi']}"), evidence)
    return passed(bi(f"no advisory without a fix applies to the {len(a.installed)} installed packages ({note})",
                     f"không cảnh báo chưa có bản sửa nào áp dụng cho {len(a.installed)} gói đã cài ({note})"),
                  evidence)


@check(id="L3-PKG-003", severity="high", **_PKG, references=(refs.CIS_CONTROLS_PATCH, refs.TCVN_SRV_INTRUSION,
                                                              refs.DISPATCH_1552),
       title={"en": "The running kernel is the newest installed kernel",
              "vi": "Nhân đang chạy là nhân mới nhất đã cài"},
       rationale={"en": "A fixed kernel that is installed but not booted protects nothing: the host still runs the "
                        "vulnerable one. Package lists alone would show the host as patched.",
                  "vi": "Nhân đã sửa được cài nhưng chưa khởi động thì không bảo vệ gì: máy chủ vẫn chạy nhân có lỗ "
                        "hổng. Chỉ xem danh sách gói sẽ thấy máy chủ như đã được vá."},
       remediation={"en": "Reboot into the newest installed kernel in a maintenance window (or use live patching), "
                          "then remove kernels that are no longer needed.",
                    "vi": "Khởi động lại vào nhân mới nhất đã cài trong khung giờ bảo trì (hoặc dùng vá nóng), sau đó "
                          "gỡ các nhân không còn cần."})
def kernel_booted(t):
    plat = _platform(t)
    if plat is None or plat.distro not in KIND:
        return not_applicable(bi("the host's distribution is not one whose kernel packages are known here",
                                 "bản phân phối của máy chủ không thuộc loại có gói nhân được nhận biết"))
    kind = KIND[plat.distro]
    kernels = kernel_packages(_installed(t, kind), kind)
    rc, running = command_out(t, "kernel_release")
    running = running.strip()
    if rc != 0 or not running:
        raise Unevaluable("the running kernel release (/proc/sys/kernel/osrelease, as `uname -r`) was not readable")
    if not kernels:
        raise Unevaluable(f"no kernel package is installed according to the package database (running {running})")
    order = versions.key(kind)
    _, newest = max(kernels.items(), key=lambda kv: order(kv[1].version))
    evidence = "\n".join([f"running kernel: {running}"] +
                         [f"installed: {p.name} {p.version}" for _, p in sorted(kernels.items())])
    current = kernels.get(running)
    if current is None:
        return warned(bi(f"the running kernel {running} is not an installed package (newest installed: {newest.name} "
                         f"{newest.version}); reboot into an installed kernel",
                         f"nhân đang chạy {running} không phải gói đã cài (mới nhất đã cài: {newest.name} "
                         f"{newest.version}); cần khởi động lại vào nhân đã cài"), evidence)
    if order(current.version) < order(newest.version):
        return failed(bi(f"kernel {newest.name} {newest.version} is installed but {running} ({current.version}) "
                         "is running: the fixes are not in force until a reboot",
                         f"nhân {newest.name} {newest.version} đã cài nhưng đang chạy {running} ({current.version}): "
                         "bản vá chưa có hiệu lực cho đến khi khởi động lại"), evidence)
    return passed(bi(f"the running kernel {running} ({current.version}) is the newest installed",
                     f"nhân đang chạy {running} ({current.version}) là nhân mới nhất đã cài"), evidence)

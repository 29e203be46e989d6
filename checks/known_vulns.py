"""The verdict on announced versions against the offline table of known-vulnerable versions (L1-SSH-006,
L3-VUL-001, L3-VUL-002)."""

from __future__ import annotations

from pathlib import Path

from fourlayer.checks.util import Text, bi, both, lang

from fourlayer.advisories.banner_table import SEVERITIES, Match, Software, load_table
from fourlayer.core.model import Outcome, failed, not_applicable, passed, warned

# which source decided: the announced version and the banner table (installed packages are L3-PKG-001's)
BY_BANNER = bi("(announced versions vs the banner table)", "(phiên bản tự công bố so với bảng banner)")
DECIDED_BY = ("decided by: announced versions vs the banner table; hosts with a login are also judged on their "
              "installed packages (L3-PKG-001)")


def _short(m: Match) -> str:
    s = m.software
    return f"{s.where}: {s.name} {s.version} {'/'.join(m.entry.cves)} ({m.entry.severity})"


def verdict(t, seen: list[Software], notes: list[str], nothing: Text) -> Outcome:
    """Judge the versions `seen` against the offline table: FAIL at or above policy vulns.fail_severity, WARN
    below it or when the table is older than vulns.max_table_age_days, NOT_APPLICABLE (`nothing`) when no
    version was seen at all. Distribution backports the banner proves are reported, not counted."""
    table = load_table()
    fail_rank = SEVERITIES.index(t.policy.vulns.fail_severity)
    max_age = int(t.policy.vulns.max_table_age_days)
    age = table.age_days(t.clock_day)  # the table's age on the scan's clock, not --as-of
    stale = bi(f"the vulnerability table is {age} days old (policy: at most {max_age}); update fourlayer",
               f"bảng dữ liệu lỗ hổng đã cũ {age} ngày (chính sách: tối đa {max_age} ngày); cần cập nhật fourlayer") \
        if age > max_age else bi("", "")
    matches = [m for item in seen for m in table.lookup(item)]
    vulnerable = [m for m in matches if m.backport is None]
    bad = [m for m in vulnerable if SEVERITIES.index(m.entry.severity) <= fail_rank]
    minor = [m for m in vulnerable if m not in bad]
    lines = [item.describe() + ("" if table.product_of(item.name) else " (product not in the table)")
             for item in seen]
    lines += [m.describe() + (f"; only if {m.entry.condition}" if m.entry.condition and not m.backport else "")
              for m in matches]
    lines += notes + [table.describe(), DECIDED_BY] + ([f"WARNING: {stale['en']}"] if stale["en"] else [])
    evidence = "\n".join(lines)
    tail = {c: f" ({stale[c]})" if stale[c] else "" for c in ("en", "vi")}
    by = BY_BANNER
    if bad:
        return failed(bi(f"known-vulnerable versions {by['en']}: {'; '.join(map(_short, bad))}{tail['en']}",
                         f"phiên bản có lỗ hổng đã biết {by['vi']}: {'; '.join(map(_short, bad))}{tail['vi']}"),
                      evidence)
    if minor:
        return warned(bi(f"versions with lower-severity known flaws {by['en']}: {'; '.join(map(_short, minor))}"
                         f"{tail['en']}",
                         f"phiên bản có lỗ hổng đã biết ở mức thấp hơn {by['vi']}: {'; '.join(map(_short, minor))}"
                         f"{tail['vi']}"), evidence)
    covered = [item for item in seen if table.product_of(item.name)]
    if not covered:
        names = ", ".join(f"{i.name} {i.version}" for i in seen)
        others = bi(f" ({names} not in the table)", f" ({names} không có trong bảng)") if seen else bi("", "")
        return not_applicable(both(lambda c: f"{lang(nothing, c)}{others[c]}{tail[c]}"), evidence)
    n_fixed, n_out = len(matches), len(seen) - len(covered)
    clean = bi(f"no known-vulnerable version among {len(covered)} announced"
               + (f"; {n_fixed} fixed by distribution backports" if n_fixed else "")
               + (f"; {n_out} not in the table" if n_out else ""),
               f"không có phiên bản nào có lỗ hổng đã biết trong số {len(covered)} phiên bản được công bố"
               + (f"; {n_fixed} đã được khắc phục bằng bản vá backport của bản phân phối" if n_fixed else "")
               + (f"; {n_out} không có trong bảng" if n_out else ""))
    if stale["en"]:
        return warned(bi(f"{clean['en']}, but {stale['en']}", f"{clean['vi']}, nhưng {stale['vi']}"), evidence)
    table_vi = f"bảng tra cứu ngoại tuyến {Path(table.path).name} cập nhật ngày {table.updated.isoformat()} " \
               f"({len(table.entries)} mục)"
    return passed(bi(f"{clean['en']} ({table.describe()})", f"{clean['vi']} ({table_vi})"), evidence)

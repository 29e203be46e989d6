"""Layer 3 (independent periodic inspection): findings must get fixed, not re-reported scan after scan.

The check reads no database itself: before the scan the CLI summarises the stored history of the agencies in
scope (fourlayer.history.diff.load_persistence) and the runner hands it to system-scope checks as the declared
evidence "history".
"""

from __future__ import annotations

from fourlayer.checks import refs

from fourlayer.core.model import failed, not_applicable, passed
from fourlayer.core.registry import check

MAX_LISTED = 20


@check(id="L3-PER-001", layer=3, severity="medium", min_level=1, scope="system",
       title={"en": "No finding persists across consecutive scans",
              "vi": "Không có phát hiện nào tồn tại qua nhiều lần quét liên tiếp"},
       rationale={"en": "Periodic inspection (layer 3 of the 4-layer model) exists to get weaknesses fixed. A check "
                        "that fails on the same target in several consecutive scans shows that findings are "
                        "reported but not remediated. Runs where the check could not be evaluated are skipped; a "
                        "pass, warning or waiver ends the streak.",
                  "vi": "Kiểm tra, đánh giá định kỳ (lớp 3 của mô hình 4 lớp) nhằm bảo đảm các điểm yếu được khắc "
                        "phục. Một kiểm tra không đạt trên cùng một đối tượng qua nhiều lần quét liên tiếp cho thấy "
                        "phát hiện đã được báo cáo nhưng chưa được xử lý. Các lần quét không đánh giá được kiểm tra "
                        "đó được bỏ qua; kết quả đạt, cảnh báo hoặc miễn trừ sẽ ngắt chuỗi."},
       remediation={"en": "Fix the listed findings (each one's own remediation applies), or record an approved waiver "
                          "with an expiry date if the risk is accepted; then scan again.",
                    "vi": "Khắc phục các phát hiện được liệt kê (theo hướng dẫn khắc phục của từng kiểm tra), hoặc "
                          "ghi nhận miễn trừ đã được phê duyệt kèm ngày hết hạn nếu chấp nhận rủi ro; sau đó quét "
                          "lại."},
       references=(refs.DISPATCH_1552, refs.DIRECTIVE_14, refs.DECREE_85_ASSESS, refs.TCVN_MGMT))
def persistent_findings(t):
    history = t.evidence.get("history")
    if history is None:
        return not_applicable({"en": "no scan history: the scan was run without a history database (--no-history)",
                               "vi": "không có lịch sử quét: lần quét được chạy không kèm cơ sở dữ liệu lịch sử "
                                     "(--no-history)"})
    need = int(t.policy.history.persistent_runs)
    node = history["systems"].get(f"{t.agency.id}/{t.system.id}") or {"runs": 0, "streaks": []}
    runs = node["runs"]
    if runs < need:
        return not_applicable({"en": f"{runs} earlier scan(s) of this system stored; a finding counts as "
                                     f"persistent after failing in {need} consecutive scans",
                               "vi": f"mới lưu {runs} lần quét trước đây của hệ thống này; một phát hiện được coi là "
                                     f"tồn tại kéo dài khi không đạt trong {need} lần quét liên tiếp"})
    hosts = {h.id for h in t.system.hosts}
    persistent = [s for s in node["streaks"]
                  if s["streak"] >= need and (s["host"] is None or s["host"] in hosts)]
    if not persistent:
        return passed({"en": f"no finding failed in {need} consecutive scans ({runs} earlier scans of this system)",
                       "vi": f"không có phát hiện nào không đạt trong {need} lần quét liên tiếp ({runs} lần quét "
                             "trước đây của hệ thống này)"},
                      f"earlier scans: {runs}; persistent_runs: {need}")
    cap = history.get("lookback")
    lines = [f"{s['check_id']} on {s['target']}: FAIL in {s['streak']} consecutive scans, first seen "
             f"{'at least ' if s['streak'] == cap else ''}{s['first_seen']} (run {s['first_run']})"
             for s in persistent[:MAX_LISTED]]
    if len(persistent) > MAX_LISTED:
        lines.append(f"… and {len(persistent) - MAX_LISTED} more")
    oldest = min(persistent, key=lambda s: (s["first_seen"], s["check_id"]))
    first = f"{oldest['first_seen']} ({oldest['check_id']} on {oldest['target']})"
    first_vi = f"{oldest['first_seen']} ({oldest['check_id']} trên {oldest['target']})"
    return failed({"en": f"{len(persistent)} finding(s) failed in each of the last {need} or more scans before this "
                         f"one; oldest first seen {first}",
                   "vi": f"{len(persistent)} phát hiện không đạt trong mỗi lần của ít nhất {need} lần quét gần nhất "
                         f"trước lần này; phát hiện lâu nhất xuất hiện lần đầu {first_vi}"},
                  "\n".join(lines))

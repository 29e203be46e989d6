"""How a verdict is reached from several rows of evidence (ports, certificates, files): shared by the checks."""

from __future__ import annotations

from fourlayer.checks.util import Text, bi, both, joined, lang

from fourlayer.core.model import (
    Outcome,
    Status,
    Unevaluable,
    failed,
    not_applicable,
    passed,
)


def judge_rows(rows: list[tuple[str, Text | None]], bad: Text, ok: Text,
               none: Text = bi("nothing to judge", "không có gì để đánh giá"),
               notes: list[str] = (), info: list[str] = ()) -> Outcome:
    """rows: (evidence line, problem or None), one per port or certificate that was read; `notes`: one per
    declared port (or probe) that could not be read, and why. FAIL if any row has a problem (what was read
    already fails); otherwise ERROR when any note says something was not read (a verdict speaks for every
    declared port, so partial evidence is not a pass); with no row and no note, NOT_APPLICABLE (`none`).
    `bad`, `ok`, `none` and the problems may be plain or bilingual ({"en", "vi"}); so is the reason."""
    lines = "\n".join([line for line, _ in rows] + list(notes) + list(info))
    problems = [p for _, p in rows if p]
    if problems:
        return failed(both(lambda c: f"{lang(bad, c)}: {joined(problems, c)}"), lines)
    if notes:
        raise Unevaluable(f"not everything declared could be read: {'; '.join(notes)}")
    if not rows:
        return not_applicable(none, lines)
    return passed(ok, lines)



def pass_only_if_complete(outcome: Outcome, unjudged: list[str], what: str) -> Outcome:
    """A PASS stands only when nothing was left unjudged (`what` and the list make the ERROR's reason)."""
    if outcome.status is Status.PASS and unjudged:
        raise Unevaluable(f"{what} {', '.join(unjudged)}")
    return outcome

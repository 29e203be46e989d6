"""A result's reason and evidence, and every peer-controlled string a collector keeps, are bounded, printable
one-liners: `clean_text`'s fast path (str.translate) gives exactly what its loop per character gave (`_one_by_one`,
the specification), for every kind of character a check or a hostile peer can put there."""

from __future__ import annotations

import itertools
import random

import datetime as dt

from fourlayer.collectors.base import clean_text
from fourlayer.config.inventory import Agency
from fourlayer.config.policy import load_policy
from fourlayer.core.model import Check, Outcome, Status
from fourlayer.core.registry import make_meta
from fourlayer.core.runner import _result
from fourlayer.core.target import Target

# printable ASCII, ASCII controls, Latin-1 unprintables (NBSP, NEL, soft hyphen), Vietnamese, zero-width space,
# line/paragraph separators, a lone surrogate, an emoji, an unassigned code point
ALPHABET = ["a", " ", "~", "\n", "\t", "\r", "\x00", "\x1b", "\x7f", "\xa0", "\x85", "\xad", "é", "ệ", "Đ",
            "\u200b", "\u2028", "\u2029", "\ud800", "\U0001F600", "\U000E0001", "\U0010FFFF"]


def _one_by_one(raw: bytes | str, limit: int) -> str:
    """clean_text as it was: every character looked at in Python."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    text = "".join(ch if ch.isprintable() else "\\x%02x" % ord(ch) if ord(ch) < 256 else "?" for ch in raw)
    return text if len(text) <= limit else text[:limit] + "…[truncated]"


def test_same_text_as_one_by_one_for_every_kind_of_character() -> None:
    rng = random.Random(16)
    samples = ["", "plain ASCII reason", "PermitRootLogin no\nPasswordAuthentication no\n", "Mật khẩu tối thiểu 14",
               "dòng một\ndòng hai", "\xa0", "ok\x85", "x" * 2500, "é" * 401 + "\n", "\n" * 1000]
    samples += ["".join(p) for p in itertools.product(ALPHABET[:8], repeat=3)]
    for _ in range(3000):
        k = rng.randint(1, len(ALPHABET))
        samples.append("".join(rng.choice(ALPHABET[:k]) for _ in range(rng.randint(0, 40))))
    for text in samples:
        for limit in (0, 1, 3, 10, 39, 40, 41, 400, 2000):
            assert clean_text(text, limit) == _one_by_one(text, limit), (text, limit)
        raw = text.encode("utf-8", "surrogatepass")
        assert clean_text(raw, 20) == _one_by_one(raw, 20)
    assert clean_text(b"\xff\xfeok") == _one_by_one(b"\xff\xfeok", 512) == "\ufffd\ufffdok"  # invalid UTF-8: replacement characters


def test_result_reason_and_evidence_are_cleaned_and_bounded() -> None:
    meta = make_meta(id="L1-TST-950", title={"en": "t", "vi": "t"}, rationale={"en": "r", "vi": "r"},
                     remediation={"en": "x", "vi": "x"}, references=("tests",), layer=1, severity="low",
                     min_level=1, source="tests")
    target = Target(Agency(id="a", name="A"), None, None, load_policy(None), dt.date(2026, 1, 1))
    out = _result(Check(meta, lambda t: None), target, Outcome(Status.FAIL, {"en": "bad\x1b[31m\nline", "vi": "sai\u2028dòng"}, "e" * 3000 + "\n"))
    assert out.reason == "bad\\x1b[31m\\x0aline" and out.reason_vi == "sai?dòng"
    assert out.evidence == "e" * 2000 + "…[truncated]"

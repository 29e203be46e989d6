"""Field types the data-file models share (waivers, zone policy, frameworks): ids, bounded text, dates, bilingual
texts, each with the check whose words become the error message (`fourlayer.config.typed.expect`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from fourlayer.config.typed import Strict, expect, js_pattern
from fourlayer.config.validation import ID_RE, MAX_ID, MAX_LONG_TEXT, MAX_TEXT

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def _ident(v: Any) -> str | None:
    if isinstance(v, str) and ID_RE.match(v) and len(v) <= MAX_ID:
        return None
    quote = "; quote it" if isinstance(v, (int, float)) and not isinstance(v, bool) else ""
    return f"expected an id of letters, digits, '.', '_' or '-' (starting with a letter or digit){quote}"


def _text(limit: int):
    def check(v: Any) -> str | None:
        if isinstance(v, str) and v.strip() and len(v.strip()) <= limit:
            return None
        quote = " (put a number or a date in quotes)" if isinstance(v, (int, float, dt.date)) else ""
        return f"expected text of at most {limit} characters{quote}"
    return check


is_text = _text(MAX_TEXT)  # for a type that adds its own form to bounded text (a waiver's target)


def _is_date(v: Any) -> str | None:
    if isinstance(v, dt.date):
        return None
    if isinstance(v, str) and _DATE.match(v.strip()):
        try:
            dt.date.fromisoformat(v.strip())
            return None
        except ValueError:
            pass
    return "expected a date YYYY-MM-DD"


def _as_date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(v.strip())


def _bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "expected true or false"


Ident = Annotated[str, Field(pattern=js_pattern(ID_RE), max_length=MAX_ID), expect(_ident)]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(str.strip), expect(_text(MAX_TEXT))]
LongText = Annotated[str, Field(min_length=1, max_length=MAX_LONG_TEXT), AfterValidator(str.strip),
                     expect(_text(MAX_LONG_TEXT))]
Date = Annotated[dt.date, BeforeValidator(_as_date), expect(_is_date)]  # expect runs first (it is listed last)
Bool = Annotated[bool, expect(_bool)]


class Bilingual(Strict):
    """A text in Vietnamese and in English (a title, a name)."""

    vi: Annotated[LongText, Field(examples=["<text with Vietnamese diacritics>"])]
    en: Annotated[LongText, Field(examples=["<English text>"])]

    def as_dict(self) -> dict[str, str]:
        return {"vi": self.vi, "en": self.en}

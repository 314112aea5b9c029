"""Rule 11 of the narration normaliser: dates, read the way a narrator says them.

- Day first (British): "3 March 1815", "3rd March 1815", "the 3rd of March 1815" -> "the
  third of March 1815"; "The" when the date starts a sentence.
- Month first (American): "March 3, 1815", "March 3rd" -> "March third, 1815".
- Numeric: "3/4/1990" or "3-4-1990" -> "3 4 1990" ("three four nineteen ninety"): which
  is the day is unknown, and "3/4" must not read as three quarters.

The year stays in digits for rule 12, which reads it as a year ("eighteen fifteen"). A
month must be capitalised: "may 5" is a verb and a number. Abbreviated months ("Jan. 5")
have been expanded by rule 8.
"""

from __future__ import annotations

import re

from . import number_words as nw

MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)
_MONTHS = "|".join(MONTHS)
_DAY = r"([1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
# Not part of a longer number, a decimal, a time or a code.
_ALONE_BEFORE = r"(?<![\w.,:/-])"
_DAY_FIRST_RE = re.compile(rf"(?:\b([Tt]he)\s+)?{_ALONE_BEFORE}{_DAY}\s+(?:of\s+)?({_MONTHS})\b")
_MONTH_FIRST_RE = re.compile(rf"\b({_MONTHS})\s+{_DAY}(?![\w%/-]|[.,:]\d)")
_NUMERIC_RE = re.compile(
    rf"{_ALONE_BEFORE}(\d{{1,2}})([/-])(\d{{1,2}})\2(\d{{4}}|\d{{2}})(?![\w/-]|[.,]\d)"
)
_OPENERS = " \t\n\"'([{"


def _starts_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip(_OPENERS)
    return not before or before[-1] in ".!?"


def _day_first(m: re.Match[str]) -> str:
    the = m[1] or ("The" if _starts_sentence(m.string, m.start()) else "the")
    return f"{the} {nw.ordinal(int(m[2]))} of {m[3]}"


def _month_first(m: re.Match[str]) -> str:
    return f"{m[1]} {nw.ordinal(int(m[2]))}"


def _numeric(m: re.Match[str]) -> str:
    day, month = int(m[1]), int(m[3])
    if not (1 <= day <= 31 and 1 <= month <= 31 and min(day, month) <= 12):
        return m[0]
    return f"{day} {month} {m[4]}"


def read_dates(text: str) -> str:
    """Rule 11 of :func:`normalize.normalize`: dates become words (their years stay digits)."""
    text = _NUMERIC_RE.sub(_numeric, text)
    text = _DAY_FIRST_RE.sub(_day_first, text)
    return _MONTH_FIRST_RE.sub(_month_first, text)

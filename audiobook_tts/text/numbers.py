"""Rule 9 of the narration normaliser: numbers, money, times and dates read as words.

The rules are an ordered table (:data:`_NUMBER_RULES`): the most specific patterns first
(old British money, currencies, fractions, times, ordinals, decades, percentages, years,
decimals, grouped thousands), then any remaining run of digits, so that no digit is left.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from . import number_words as nw
from .sentences import stop_if_sentence_ends

_CURRENCIES = {  # symbol: (unit, units, subunit, subunits)
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", "sen", "sen"),
}
_AMOUNT = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"
_SCALE = r"(?:\s(thousand|million|billion|trillion)\b)?"
_OLD_MONEY_RE = re.compile(r"£\s?(\d+)[\s-](\d+)s\b\.?(?:\s?(\d+)d\b\.?)?")
_SHILLINGS_PENCE_RE = re.compile(r"\b(\d+)s\.?\s?(\d+)d\b\.?")
_PENCE_RE = re.compile(r"\b(\d+)d\.")
_CURRENCY_RE = re.compile(rf"([$£€¥])\s?{_AMOUNT}{_SCALE}")
_FRACTION_RE = re.compile(r"(\d+)\u2044(\d+)")
_TIME_RE = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b")
_ORDINAL_RE = re.compile(r"\b(\d{1,3}(?:,\d{3})+|\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_DECADE_RE = re.compile(r"(?<![\d.,])'?([1-9]0|1\d\d0|20\d0)'?s\b")
_PERCENT_RE = re.compile(rf"{_AMOUNT}\s?(?:%|per\s?cent\b)")
_YEAR_RE = re.compile(r"(?<![\d.,])(1\d{3}|20\d{2})(?![\d]|[.,]\d)")
_DECIMAL_RE = re.compile(r"(?<![\d.])(\d+)\.(\d+)")
_GROUPED_RE = re.compile(r"(?<!\d)\d{1,3}(?:,\d{3})+(?!\d)")
_DIGITS_RE = re.compile(r"\d+")
_DENOMINATORS = {2: ("half", "halves"), 4: ("quarter", "quarters")}


def _plain(amount: str) -> int:
    return int(amount.replace(",", ""))


def _amount_words(whole: str, fraction: str | None) -> str:
    if fraction:
        return nw.decimal(whole.replace(",", ""), fraction)
    return nw.integer(whole.replace(",", ""))


def _count(n: int, one: str, many: str) -> str:
    return f"{nw.cardinal(n)} {one if n == 1 else many}"


def _old_money(m: re.Match[str]) -> str:
    parts = [_count(int(m[1]), "pound", "pounds"), _count(int(m[2]), "shilling", "shillings")]
    words = " ".join(parts)
    if m[3]:
        words += " and " + _count(int(m[3]), "penny", "pence")
    return words + (stop_if_sentence_ends(m) if m[0].endswith(".") else "")


def _shillings_pence(m: re.Match[str]) -> str:
    words = f"{_count(int(m[1]), 'shilling', 'shillings')} and {_count(int(m[2]), 'penny', 'pence')}"
    return words + (stop_if_sentence_ends(m) if m[0].endswith(".") else "")


def _pence(m: re.Match[str]) -> str:
    return _count(int(m[1]), "penny", "pence") + stop_if_sentence_ends(m)


def _currency(m: re.Match[str]) -> str:
    unit, units, sub, subs = _CURRENCIES[m[1]]
    whole, fraction, scale = m[2], m[3], m[4]
    if scale:
        return f"{_amount_words(whole, fraction)} {scale} {units}"
    if fraction and len(fraction) == 2:
        main, cents = _plain(whole), int(fraction)
        if main == 0:
            return _count(cents, sub, subs)
        words = _count(main, unit, units)
        return words + (f" and {_count(cents, sub, subs)}" if cents else "")
    if fraction:
        return f"{_amount_words(whole, fraction)} {units}"
    return _count(_plain(whole), unit, units)


def _fraction(m: re.Match[str]) -> str:
    numerator, denominator = int(m[1]), int(m[2])
    one, many = _DENOMINATORS.get(denominator) or (nw.ordinal(denominator), nw.plural(nw.ordinal(denominator)))
    if numerator == 1:
        return f"a {one}"
    return f"{nw.cardinal(numerator)} {many}"


def _time(m: re.Match[str]) -> str:
    hour, minute = int(m[1]), int(m[2])
    if minute == 0:
        return f"{nw.cardinal(hour)} o'clock"
    if minute < 10:
        return f"{nw.cardinal(hour)} oh {nw.cardinal(minute)}"
    return f"{nw.cardinal(hour)} {nw.cardinal(minute)}"


def _decade(m: re.Match[str]) -> str:
    n = int(m[1])
    return nw.plural(nw.year(n))


def _percent(m: re.Match[str]) -> str:
    return f"{_amount_words(m[1], m[2])} percent"


def _padded(words: Callable[[re.Match[str]], str]) -> Callable[[re.Match[str]], str]:
    """Keep number words apart from letters they touched ("5ft" -> "five ft")."""

    def replace(m: re.Match[str]) -> str:
        text, start, end = m.string, m.start(), m.end()
        left = " " if start and text[start - 1].isalnum() else ""
        right = " " if end < len(text) and text[end].isalnum() else ""
        return left + words(m) + right

    return replace


_NUMBER_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (_OLD_MONEY_RE, _old_money),
    (_SHILLINGS_PENCE_RE, _shillings_pence),
    (_PENCE_RE, _pence),
    (_CURRENCY_RE, _currency),
    (_FRACTION_RE, _fraction),
    (_TIME_RE, _time),
    (_ORDINAL_RE, lambda m: nw.ordinal(_plain(m[1]))),
    (_DECADE_RE, _decade),
    (_PERCENT_RE, _percent),
    (_YEAR_RE, lambda m: nw.year(int(m[1]))),
    (_DECIMAL_RE, lambda m: nw.decimal(m[1], m[2])),
    (_GROUPED_RE, lambda m: nw.cardinal(_plain(m[0]))),
    (_DIGITS_RE, lambda m: nw.integer(m[0])),
)


def read_numbers(text: str) -> str:
    """Rule 9 of :func:`normalize.normalize`: every run of digits becomes words."""
    for pattern, words in _NUMBER_RULES:
        text = pattern.sub(_padded(words), text)
    return text

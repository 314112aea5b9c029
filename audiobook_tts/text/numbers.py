"""Rule 12 of the narration normaliser: numbers, money, codes, ranges and signs read as words.

The rules are an ordered table (:data:`_NUMBER_RULES`), the most specific patterns first:

1. Old British money: "£1 10s. 6d." -> "one pound ten shillings and sixpence", "6s.",
   "8½d." -> "eightpence halfpenny" (pence under a shilling are one word, as spoken).
2. Currencies: "$5.50", "€2", "$3 million".
3. Ranges with a hyphen: years ("1914-1918", "1914-18", "1905-06") and small numbers
   ("45-67") read "to"; en dashes between numbers already read "to" (normalize rule 4), and
   "1905 to 06" from one still needs its short year read here.
4. Telephone numbers and codes, digit by digit: "555-0123", "(555) 123-4567",
   "020 7946 0958", "+44 20 7946 0958", ISBNs "0-14-044913-6". After ranges, which would
   otherwise be codes; a pair like "3-2" (a score) is neither and reads "three-two".
5. Minus signs: "-5" -> "minus five" (not a hyphen after a word or number).
6. Fractions: "1/3" -> "one third", "3/4" -> "three quarters", "2 1/2" and "2½" -> "two and
   a half", "½ a mile" -> "half a mile". Only proper fractions with a usual denominator:
   "24/7", "50/50" and "11/92" read as two numbers.
7. Times ("10:30" -> "ten thirty"), ordinals, decades ("1920s", "'60s"), percentages.
8. Whole numbers 1000-2099 as years ("1905" -> "nineteen oh five", so "1500 men" is
   "fifteen hundred men"); decimals; grouped thousands ("1,000").
9. Any other run of digits as a cardinal (digit by digit with a leading zero or past
   ``MAX_CARDINAL_DIGITS``), so that no digit is left.

Number words are padded with spaces where digits touched letters ("5x" -> "five x").
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

# --- 1. Old money ------------------------------------------------------------------------

# "8½d." reaches here as "8 and 1/2d." (normalize rule 1); "½d." as "1/2d.".
_PENCE = r"(?:(\d+)(?: and 1[/]([24]))?|1[/]([24]))d\b"
_OLD_MONEY_RE = re.compile(rf"£\s?(\d+)[\s-](\d+)s\b\.?(?:\s?{_PENCE}\.?)?")
_SHILLINGS_PENCE_RE = re.compile(rf"\b(\d+)s\.?\s?{_PENCE}\.?")
# Alone, "6s." and "4d." need their full stop: "3d" may be something else.
_SHILLINGS_RE = re.compile(r"(?<![\w'.,])(\d{1,2})s\.")
_PENCE_RE = re.compile(rf"(?<![\w.,/]){_PENCE}\.")
# "the 20s." and "his 30s." are decades; "cost 20s." is money.
_DECADE_CONTEXT_RE = re.compile(
    r"\b(?:the|his|her|their|my|your|our|its|early|late|mid)[\s-]$", re.IGNORECASE
)
_FARTHINGS = {"2": "halfpenny", "4": "farthing"}
_ARTICLE_RE = re.compile(r"(?<![A-Za-z])an?\s+$")


def _count(n: int, one: str, many: str) -> str:
    return f"{nw.cardinal(n)} {one if n == 1 else many}"


def _pence_words(pence: str | None, part: str | None, part_alone: str | None) -> str:
    """("6", None, None) -> "sixpence", ("8", "2", None) -> "eightpence halfpenny"."""
    if part_alone:
        return f"a {_FARTHINGS[part_alone]}"
    n = int(pence)
    if n == 1:
        words = "one penny"
    elif 2 <= n <= 11:
        words = f"{nw.cardinal(n)}pence"  # "sixpence", said as one word
    else:
        words = f"{nw.cardinal(n)} pence"
    return words + (f" {_FARTHINGS[part]}" if part else "")


def _stop(m: re.Match[str]) -> str:
    return stop_if_sentence_ends(m) if m[0].endswith(".") else ""


def _old_money(m: re.Match[str]) -> str:
    words = f"{_count(int(m[1]), 'pound', 'pounds')} {_count(int(m[2]), 'shilling', 'shillings')}"
    if m[3] or m[5]:
        words += " and " + _pence_words(m[3], m[4], m[5])
    return words + _stop(m)


def _shillings_pence(m: re.Match[str]) -> str:
    words = f"{_count(int(m[1]), 'shilling', 'shillings')} and {_pence_words(m[2], m[3], m[4])}"
    return words + _stop(m)


def _shillings(m: re.Match[str]) -> str:
    if m[1].endswith("0") and _DECADE_CONTEXT_RE.search(m.string, 0, m.start()):
        return m[0]
    return _count(int(m[1]), "shilling", "shillings") + stop_if_sentence_ends(m)


def _pence(m: re.Match[str]) -> str:
    words = _pence_words(m[1], m[2], m[3])
    if m[3] and _ARTICLE_RE.search(m.string[:m.start()][-4:]):  # "a ½d. stamp"
        words = words.removeprefix("a ")
    return words + _stop(m)


# --- 2. Currencies -----------------------------------------------------------------------

_CURRENCY_RE = re.compile(rf"([$£€¥])\s?{_AMOUNT}{_SCALE}")


def _plain(amount: str) -> int:
    return int(amount.replace(",", ""))


def _amount_words(whole: str, fraction: str | None) -> str:
    if fraction:
        return nw.decimal(whole.replace(",", ""), fraction)
    return nw.integer(whole.replace(",", ""))


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


# --- 3. Ranges, 4. Codes, 5. Minus signs -----------------------------------------------

# Not part of a longer code, a decimal, a time or a percentage.
_ALONE_BEFORE = r"(?<![\w.,:/-])"
_ALONE_AFTER = r"(?![\w/%-]|[.,:]\d)"
_RANGE_RE = re.compile(rf"{_ALONE_BEFORE}(\d+)(-| to )(\d+){_ALONE_AFTER}")
_CODE_RE = re.compile(
    rf"{_ALONE_BEFORE}(?:"
    r"\+\d{1,3}(?:[ -]\d{1,4}){1,4}"  # +44 20 7946 0958
    r"|\(\d{2,5}\)\s?\d{3,4}[ -]\d{3,4}"  # (555) 123-4567
    r"|0\d{2,4}(?: \d{3,4}){1,2}"  # 020 7946 0958
    r"|\d+(?:-\d+)+"  # 555-0123, 0-14-044913-6
    rf"){_ALONE_AFTER}"
)
_MINUS_RE = re.compile(r"(?<![\w.,])-(?=\d)")
# Ungrouped digits of a telephone number, as in "555-1234".
_PHONE_DIGITS = 7


def _is_year(n: int) -> bool:
    return 1000 <= n <= 2099


def _range(m: re.Match[str]) -> str:
    first, second = m[1], m[3]
    a, b = int(first), int(second)
    if first.startswith("0"):
        return m[0]
    if len(first) == 4 and _is_year(a):
        if len(second) == 4 and _is_year(b) and a < b:
            return f"{nw.year(a)} to {nw.year(b)}"
        if len(second) == 2 and b > a % 100:  # "1914-18", "1905-06"
            short = f"oh {nw.cardinal(b)}" if b < 10 else nw.cardinal(b)
            return f"{nw.year(a)} to {short}"
    elif len(first) <= 3 and len(second) <= 3 and not second.startswith("0") and a < b:
        return f"{nw.cardinal(a)} to {nw.cardinal(b)}"
    return m[0]


def _code(m: re.Match[str]) -> str:
    groups = re.findall(r"\d+", m[0])
    pair = re.fullmatch(r"\d+-\d+", m[0])
    if pair and not any(g.startswith("0") for g in groups) and len("".join(groups)) < _PHONE_DIGITS:
        return m[0]  # "3-2": two numbers, read by the later rules
    words = " ".join(nw.digits(g) for g in groups)
    return ("plus " if m[0].startswith("+") else "") + words


# --- 6. Fractions ------------------------------------------------------------------------

_MIXED_FRACTION_RE = re.compile(r"(?<![\d.,/])(\d+)(?: and |[ -])(\d{1,3})/(\d{1,3})(?![\d/]|[.,]\d)")
_FRACTION_RE = re.compile(r"(?<![\d,/])(?<!\d\.)(\d{1,3})/(\d{1,3})(?![\d/]|[.,]\d)")
_DENOMINATORS = {2: ("half", "halves"), 4: ("quarter", "quarters")}
_A_RE = re.compile(r"\s+an?\b")  # "½ a mile" is "half a mile"
# Denominators that fractions in prose have; "11/92" is more likely a month and a year.
_DENOMINATOR_VALUES = frozenset(range(2, 13)) | {16, 20, 25, 32, 50, 64, 100}


def _is_proper(numerator: int, denominator: int) -> bool:
    return 1 <= numerator < denominator and denominator in _DENOMINATOR_VALUES


def _fraction_words(numerator: int, denominator: int, one: str) -> str:
    """(3, 4, "one") -> "three quarters"; ``one`` is how a numerator of 1 is said ("one", "a")."""
    single, many = _DENOMINATORS.get(denominator) or (
        nw.ordinal(denominator), nw.plural(nw.ordinal(denominator))
    )
    if numerator == 1:
        return f"{one} {single}"
    return f"{nw.cardinal(numerator)} {many}"


def _mixed_fraction(m: re.Match[str]) -> str:
    numerator, denominator = int(m[2]), int(m[3])
    if not _is_proper(numerator, denominator):
        return m[0]
    return f"{nw.integer(m[1])} and {_fraction_words(numerator, denominator, 'a')}"


def _fraction(m: re.Match[str]) -> str:
    numerator, denominator = int(m[1]), int(m[2])
    if not _is_proper(numerator, denominator):
        return f"{m[1]} {m[2]}"  # "24/7", "50/50": two numbers, read by the later rules
    if (numerator, denominator) == (1, 2) and _A_RE.match(m.string, m.end()):
        return "half"
    return _fraction_words(numerator, denominator, "one")


# --- 7. Times, ordinals, decades, percentages; 8-9. plain numbers -------------------------

_TIME_RE = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b")
_ORDINAL_RE = re.compile(r"\b(\d{1,3}(?:,\d{3})+|\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_DECADE_RE = re.compile(r"(?<![\d.,])'?([1-9]0|1\d\d0|20\d0)'?s\b")
_PERCENT_RE = re.compile(rf"{_AMOUNT}\s?(?:%|per\s?cent\b)")
_YEAR_RE = re.compile(r"(?<![\d.,])(1\d{3}|20\d{2})(?![\d]|[.,]\d)")
_DECIMAL_RE = re.compile(r"(?<![\d.])(\d+)\.(\d+)")
_GROUPED_RE = re.compile(r"(?<!\d)\d{1,3}(?:,\d{3})+(?!\d)")
_DIGITS_RE = re.compile(r"\d+")


def _time(m: re.Match[str]) -> str:
    hour, minute = int(m[1]), int(m[2])
    if minute == 0:
        return f"{nw.cardinal(hour)} o'clock"
    if minute < 10:
        return f"{nw.cardinal(hour)} oh {nw.cardinal(minute)}"
    return f"{nw.cardinal(hour)} {nw.cardinal(minute)}"


def _decade(m: re.Match[str]) -> str:
    return nw.plural(nw.year(int(m[1])))


def _percent(m: re.Match[str]) -> str:
    return f"{_amount_words(m[1], m[2])} percent"


def padded(words: Callable[[re.Match[str]], str]) -> Callable[[re.Match[str]], str]:
    """Keep number words apart from letters they touched ("5x" -> "five x")."""

    def replace(m: re.Match[str]) -> str:
        said = words(m)
        if said == m[0]:
            return said
        text, start, end = m.string, m.start(), m.end()
        left = " " if start and text[start - 1].isalnum() else ""
        right = " " if end < len(text) and text[end].isalnum() else ""
        return left + said + right

    return replace


_NUMBER_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (_OLD_MONEY_RE, _old_money),
    (_SHILLINGS_PENCE_RE, _shillings_pence),
    (_SHILLINGS_RE, _shillings),
    (_PENCE_RE, _pence),
    (_CURRENCY_RE, _currency),
    (_RANGE_RE, _range),
    (_CODE_RE, _code),
    (_MINUS_RE, lambda m: "minus "),
    (_MIXED_FRACTION_RE, _mixed_fraction),
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
    """Rule 12 of :func:`normalize.normalize`: every run of digits becomes words."""
    for pattern, words in _NUMBER_RULES:
        text = pattern.sub(padded(words), text)
    return text

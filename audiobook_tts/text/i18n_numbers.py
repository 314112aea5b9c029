"""Numbers read aloud in languages other than English, in that language's words (num2words).

English keeps its own, richer rules (:mod:`.numbers`). For the other languages the rules are
fewer and every word comes from num2words, so no language's number words are written here.
A language num2words does not know (Greek, Hindi, Malay, Swahili, Chinese) keeps its digits,
which the model then reads as best it can. The rules, most specific first
(:func:`_rules` builds the table):

1. Currency: "12,50 €", "€12.50", "£3", "$5" -> "douze euros et cinquante centimes"; a whole
   amount has no "zero cents". Where num2words has no currency words for the language (or,
   as for Arabic, ignores the currency asked for), the amount is read and the symbol kept.
2. Percentages: "50 %" -> "cinquante pour cent" (:data:`PERCENT`; elsewhere "%" is kept).
3. Ordinals, where cheap and unambiguous: French "1er", "1re", "2e", "2ème" and Roman
   centuries "XIXe"; Spanish, Italian and Portuguese "1.º", "1ª" (feminine from "-a");
   German "3." only before a month name or "Jahrhundert": "am 3. März" -> "am dritten März".
   German inflects ordinals by case; "-ten" (dative and accusative: "am", "im", "vom",
   "den"; genitive too) is what prose mostly needs. Other German ordinals ("der 2. Band")
   are read as cardinals.
4. Dates in digits: "14/07/1789", "14.07.1789" -> the three numbers, read by the rules below.
5. Years: 1000-2099 standing alone, in the year style where the language has one that
   differs from its cardinal (:data:`YEAR_STYLE`: German "achtzehnhundertfünfzehn").
6. Decimals with the language's decimal mark: "3,14" (French) -> "trois virgule un quatre",
   the point word taken from num2words itself (:func:`_point_word`).
7. Thousands grouped by the language's marks: "1.815" (German), "1 815" (French); a minus
   sign before a number; any other run of digits (digit by digit after a leading zero or past
   ``MAX_CARDINAL_DIGITS``, as in English). A number num2words cannot read stays whole.

Ranges ("1914-1918") read as two numbers with the dash between them, a pause; times and
fractions are left as numbers too. Number words are padded with spaces where digits touched
letters, except in languages written without spaces (:data:`UNSPACED`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .number_words import MAX_CARDINAL_DIGITS
from .numbers import padded

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


@dataclass(frozen=True)
class NumberFormat:
    decimal: str  # the decimal mark
    groups: str  # characters that group thousands ("1.815", "1 815")


# Comma-decimal languages group with a full stop or a space (NFKC has already turned the
# no-break and narrow spaces of French typography into plain ones); the rest write as English.
_COMMA_DECIMAL = NumberFormat(decimal=",", groups=". ")
_POINT_DECIMAL = NumberFormat(decimal=".", groups=",")
FORMATS: dict[str, NumberFormat] = {
    code: _COMMA_DECIMAL
    for code in ("da", "de", "el", "es", "fi", "fr", "it", "nl", "no", "pl", "pt", "ru", "sv", "tr")
}
# Currency signs and the ISO 4217 codes num2words names them by.
CURRENCIES = {"€": "EUR", "£": "GBP", "$": "USD"}
# num2words' to_currency for Arabic speaks of riyals whatever the currency.
_NO_CURRENCY_WORDS = frozenset({"ar"})
# How a percentage is said, "{}" standing for the number's words.
PERCENT = {
    "da": "{} procent", "de": "{} Prozent", "es": "{} por ciento", "fi": "{} prosenttia",
    "fr": "{} pour cent", "he": "{} אחוז", "it": "{} per cento", "ja": "{}パーセント",
    "ko": "{}퍼센트", "nl": "{} procent", "no": "{} prosent", "pl": "{} procent",
    "pt": "{} por cento", "ru": "{} процентов", "sv": "{} procent", "tr": "yüzde {}",
}
# Languages whose years are said differently from the number ("achtzehnhundertfünfzehn",
# not "eintausendachthundertfünfzehn"); elsewhere num2words' year is the cardinal, or (as in
# Japanese, where it gives an era name) not what a book's "1815" means.
YEAR_STYLE = frozenset({"da", "de", "nl", "no"})
# Decimals num2words reads right though no single point word can be found in them: Russian
# declines ("три целых четырнадцать сотых"), Japanese writes no spaces ("三点一四").
_WHOLE_DECIMALS = frozenset({"ja", "ru"})
# Written without spaces between words: number words are not padded.
UNSPACED = frozenset({"ja", "ko", "zh"})
# German ordinals are recognised before these words only.
_GERMAN_ORDINAL_BEFORE = (
    "Januar Jänner Februar März April Mai Juni Juli August September Oktober November "
    "Dezember Jahrhundert Jahrhunderts Jahrtausend Jahrtausends"
).split()


def supported(language: str) -> bool:
    """Does num2words know this language? Without it, digits stay digits."""
    from num2words import CONVERTER_CLASSES

    return language in CONVERTER_CLASSES


def _words(n: int | float | Decimal, language: str, to: str = "cardinal", **kwargs) -> str | None:
    """num2words' words, or None where it fails (each language fails in its own way: missing
    forms, wrong signatures, unsupported values). No commas: they would read as pauses."""
    from num2words import num2words

    try:
        return num2words(n, lang=language, to=to, **kwargs).replace(",", "").strip() or None
    except Exception:  # noqa: BLE001 - NotImplementedError, TypeError, ValueError, ...
        return None


def _digits(text: str, language: str) -> str | None:
    words = [_words(int(d), language) for d in text]
    return None if None in words else " ".join(words)


def _integer(text: str, language: str) -> str | None:
    if (len(text) > 1 and text.startswith("0")) or len(text) > MAX_CARDINAL_DIGITS:
        return _digits(text, language)
    return _words(int(text), language)


@functools.cache
def _point_word(language: str) -> str | None:
    """The word for the decimal mark ("virgule", "Komma"), as num2words says 0.5 (a float,
    exact in binary: some languages lose the decimals of a Decimal)."""
    zero, five, said = _words(0, language), _words(5, language), _words(0.5, language)
    if not (zero and five and said and said.startswith(f"{zero} ") and said.endswith(f" {five}")):
        return None
    return said[len(zero):-len(five)].strip() or None


def _decimal(whole: str, fraction: str, language: str) -> str | None:
    """("3", "14") -> "trois virgule un quatre": the fraction digit by digit, as most
    languages read a decimal of any length."""
    point = _point_word(language)
    if point is not None:
        main, after = _integer(whole, language), _digits(fraction, language)
        return f"{main} {point} {after}" if main and after else None
    if language in _WHOLE_DECIMALS:
        return _words(Decimal(f"{whole}.{fraction}"), language)
    return None


def _keep(words: Callable[[re.Match[str]], str | None]) -> Callable[[re.Match[str]], str]:
    """The words, or the text as it was where num2words has none."""

    def replace(m: re.Match[str]) -> str:
        said = words(m)
        return m[0] if said is None else said

    return replace


# --- 1. Currency, 2. Percentages ---------------------------------------------------------


def _alone(language: str) -> tuple[str, str]:
    """Lookarounds that keep a match from starting or ending inside a word or a longer
    number; in languages written without spaces, a number touches words all the time."""
    if language in UNSPACED:
        return r"(?<![\d.,])", r"(?![\d]|[.,]\d)"
    return r"(?<![\w.,])", r"(?![\w]|[.,]\d)"


def _amount_re(fmt: NumberFormat) -> str:
    """A number as the language writes it: groups (1.815 / 1 815), then a decimal part."""
    groups = re.escape(fmt.groups).replace(r"\ ", " ")
    return rf"(\d{{1,3}}(?:[{groups}]\d{{3}})+|\d+)(?:{re.escape(fmt.decimal)}(\d+))?"


def _amount(whole: str, fraction: str | None, fmt: NumberFormat, language: str) -> str | None:
    plain = re.sub(f"[{re.escape(fmt.groups)}]", "", whole)
    return _decimal(plain, fraction, language) if fraction else _integer(plain, language)


def _money(language: str, fmt: NumberFormat, symbol: str, whole: str, fraction: str | None) -> str | None:
    plain = int(re.sub(f"[{re.escape(fmt.groups)}]", "", whole))
    code = CURRENCIES[symbol]
    if language not in _NO_CURRENCY_WORDS and (fraction is None or len(fraction) == 2):
        if fraction and int(fraction):
            said = _words(Decimal(f"{plain}.{fraction}"), language, "currency", currency=code)
        else:
            said = _whole_money(plain, code, language)
        if said:
            return said
    amount = _amount(whole, fraction, fmt, language)
    return f"{amount} {symbol}" if amount else None


def _whole_money(amount: int, code: str, language: str) -> str | None:
    """"douze euros": num2words' sentence cut at its cents separator, so no "zero cents"."""
    cut = "\x00"
    said = _words(Decimal(amount), language, "currency", currency=code, separator=cut)
    if said is None:  # a language whose to_currency takes no separator
        said = _words(Decimal(amount), language, "currency", currency=code)
    if said and cut in said:
        return said.split(cut)[0].strip()
    if said and _words(0, language) in said.split():
        return None  # "... and zero cents" with no separator to cut at
    return said


def _currency_rules(language: str, fmt: NumberFormat) -> list[Rule]:
    signs = "".join(re.escape(s) for s in CURRENCIES)
    amount = _amount_re(fmt)
    start, _ = _alone(language)
    before = re.compile(rf"([{signs}])\s?{amount}")
    after = re.compile(rf"{start}{amount}\s?([{signs}])")
    return [
        (before, _keep(lambda m: _money(language, fmt, m[1], m[2], m[3]))),
        (after, _keep(lambda m: _money(language, fmt, m[3], m[1], m[2]))),
    ]


def _percent_rule(language: str, fmt: NumberFormat) -> list[Rule]:
    said = PERCENT.get(language)
    if said is None:
        return []
    start, end = _alone(language)
    amount = _amount_re(fmt)
    # "50 %", and "%50" as Turkish writes it.
    pattern = re.compile(rf"{start}{amount}\s?%|%\s?{amount}{end}")

    def percent(m: re.Match[str]) -> str | None:
        whole, fraction = (m[1], m[2]) if m[1] else (m[3], m[4])
        words = _amount(whole, fraction, fmt, language)
        return said.format(words) if words else None

    return [(pattern, _keep(percent))]


# --- 3. Ordinals ---------------------------------------------------------------------------

_FRENCH_ORDINAL_RE = re.compile(r"(?<![\w.,])(\d+)(er|re|ère|ème|e)(?!\w)")
# Roman centuries and regnal numbers ("XIXe siècle", "François Ier"); a lone L or C with "e"
# is the word "Le" or "Ce", so single letters are only I, V and X.
_FRENCH_ROMAN_ORDINAL_RE = re.compile(r"(?<!\w)([IVXLC]{2,}|[IVX])(er|re|ère|ème|e)(?!\w)")
# NFKC has made "º" and "ª" the letters "o" and "a": "1.º" -> "1.o".
_ROMANCE_ORDINAL_RE = re.compile(r"(?<![\w.,])(\d{1,3})\.?([oa])(?!\w)")
_GERMAN_ORDINAL_RE = re.compile(rf"(?<![\w.,])(\d{{1,4}})\.(?=\s+(?:{'|'.join(_GERMAN_ORDINAL_BEFORE)})\b)")


def _french_ordinal(n: int, suffix: str, language: str) -> str | None:
    if n == 1 and suffix in ("re", "ère"):
        return "première"
    return _words(n, language, "ordinal")


def _ordinal_rules(language: str) -> list[Rule]:
    from .normalize import roman_to_int  # normalize imports this module

    if language == "fr":
        def roman(m: re.Match[str]) -> str | None:
            value = roman_to_int(m[1])
            return None if value is None else _french_ordinal(value, m[2], language)

        return [
            (_FRENCH_ROMAN_ORDINAL_RE, _keep(roman)),
            (_FRENCH_ORDINAL_RE, _keep(lambda m: _french_ordinal(int(m[1]), m[2], language))),
        ]
    if language in ("es", "it", "pt"):
        def romance(m: re.Match[str]) -> str | None:
            words = _words(int(m[1]), language, "ordinal")
            if words and m[2] == "a":  # "primera", "vigésima primera"
                words = " ".join(w[:-1] + "a" if w.endswith("o") else w for w in words.split())
            return words

        return [(_ROMANCE_ORDINAL_RE, _keep(romance))]
    if language == "de":
        def german(m: re.Match[str]) -> str | None:
            words = _words(int(m[1]), language, "ordinal")
            return words + "n" if words else None  # "dritte" -> "dritten"

        return [(_GERMAN_ORDINAL_RE, _keep(german))]
    return []


# --- 4. Dates, 5. Years, 6-7. Plain numbers --------------------------------------------------

# A hyphen between numbers ("1914-1918") is a pause between them, not a joint.
_NUMBER_HYPHEN_RE = re.compile(r"(?<=\d)-(?=\d)")
_DATE_RE = re.compile(r"(?<![\d.,/])(\d{1,2})([./])(\d{1,2})\2(\d{4}|\d{2})(?![\d]|[.,/]\d)")
_YEAR_RE = re.compile(r"(?<![\d.,])(1\d{3}|20\d{2})(?![\d]|[.,]\d)")
_MINUS_RE = re.compile(r"(?<![\w.,])-(\d+)(?![\d]|[.,]\d)")



def _year(n: int, language: str) -> str | None:
    return (_words(n, language, "year") if language in YEAR_STYLE else None) or _words(n, language)


def _plain_rules(language: str, fmt: NumberFormat) -> list[Rule]:
    # Any number left, touching letters too ("5kg"); not a part of a longer one ("1.2.3"). One
    # without a reading stays whole, as digits, rather than read in pieces.
    number = re.compile(rf"(?<![\d.,]){_amount_re(fmt)}(?![\d]|[.,]\d)")
    return [
        (_NUMBER_HYPHEN_RE, lambda m: " - "),
        (_DATE_RE, lambda m: f"{int(m[1])} {int(m[3])} {m[4]}"),
        (_YEAR_RE, _keep(lambda m: _year(int(m[1]), language))),
        (_MINUS_RE, _keep(lambda m: _words(-int(m[1]), language))),
        (number, _keep(lambda m: _amount(m[1], m[2], fmt, language))),
    ]


@functools.cache
def _rules(language: str) -> tuple[Rule, ...]:
    fmt = FORMATS.get(language, _POINT_DECIMAL)
    return (
        *_currency_rules(language, fmt),
        *_percent_rule(language, fmt),
        *_ordinal_rules(language),
        *_plain_rules(language, fmt),
    )


def read_numbers(text: str, language: str) -> str:
    """Digits -> ``language``'s words (ISO 639-1, not English); unchanged where num2words
    does not know the language."""
    if not supported(language):
        return text
    for pattern, words in _rules(language):
        text = pattern.sub(words if language in UNSPACED else padded(words), text)
    return text

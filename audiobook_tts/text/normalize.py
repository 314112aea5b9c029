"""Normalise book text into what a narrator says, in a form Chatterbox reads well.

``normalize`` applies these rules in order:

1. Unicode: vulgar fractions kept apart from a preceding number ("2½" -> "2 and 1⁄2"), then
   NFKC (ligatures, full-width forms, no-break spaces, "…" -> "..."); soft hyphens and
   zero-width characters removed.
2. Emphasis: Gutenberg's ``_italic_`` and ``*bold*`` markers and "* * *" separators removed;
   an underscore between two letters becomes a space.
3. Dashes: an en or em dash between numbers is " to " ("1905–1910"); other em/en dashes,
   horizontal bars and runs of two or more hyphens become a spaced hyphen " - ", which
   Chatterbox reads as a pause (its own ``punc_norm`` turns it into a comma). Next to a quote
   or punctuation the dash keeps no space on that side ("going to -\"").
4. Quotes: curly, low and angle quotes, primes and backticks become straight ``"`` and ``'``.
5. Ellipses: ". . ." and runs of three or more dots become "...".
6. Symbols: "&c." -> "et cetera", "&" -> "and", "#5" -> "number 5", "20°" -> "20 degrees".
7. Abbreviations spoken differently are expanded: titles before a name (Mr. -> Mister,
   Mrs. -> Missus, Dr. -> Doctor, Prof., Rev., Capt., Col., Gen., Lt., Sgt., Mt., ...);
   "St." is "Saint" before a capitalised name and "Street" otherwise; Latin (etc., e.g., i.e.,
   viz., cf., vs.); suffixes (Jr., Sr., Esq., Bros., Ltd., Inc., Ave., Rd.); No., Nos., p.,
   pp., Vol., Ch., Fig. and month abbreviations only next to a number ("No. 5" -> "number 5",
   but "No. I won't." is left alone). Where the abbreviation can end a sentence (etc., Street,
   Jr., Ltd., ...) its full stop stays when the text ends there or a capital letter or quote
   follows, so the sentence still ends. Abbreviations not expanded keep their full stop and
   are known to the sentence splitter (for example "p.m." and initials).
8. Roman numerals after Chapter, Part, Book, Volume, Section, Act, Scene, Canto, Stave,
   Letter, Appendix or Lecture become digits ("Chapter IV" -> "Chapter 4"), read by rule 9;
   "I" followed by a word is the pronoun and stays. Regnal numbers ("Henry VIII") stay.
9. Numbers (:mod:`.numbers`), so that no digit remains: currency ("$5.50" -> "five dollars and fifty cents",
   "£3 10s. 6d.", "€2", "$3 million"); fractions; times ("10:30" -> "ten thirty");
   ordinals ("22nd" -> "twenty-second"); decades ("1920s" -> "nineteen twenties");
   percentages; whole numbers 1000-2099 read as years ("1905" -> "nineteen oh five", so
   "1500 men" is "fifteen hundred men"); decimals ("3.14" -> "three point one four");
   grouped thousands ("1,000"); any other run of digits as a cardinal (digit by digit with a
   leading zero or past fifteen digits). Words are padded with spaces where digits touched
   letters ("5ft" -> "five ft").
10. Whitespace collapsed to single spaces, none before , ; : ! ? or a lone full stop, and
    none at either end.

No word of the text is dropped: only markup, typography and the dots of expanded
abbreviations change.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable

from .numbers import read_numbers
from .sentences import stop_if_sentence_ends

# --- 1. Unicode ------------------------------------------------------------------------

_VULGAR_FRACTION_RE = re.compile(r"(\d)?([\u00bc-\u00be\u2150-\u215e])")
_INVISIBLE_RE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


def _unicode(text: str) -> str:
    def fraction(m: re.Match[str]) -> str:
        # NFKC alone would turn "2½" into "21⁄2".
        return (f"{m[1]} and " if m[1] else "") + unicodedata.normalize("NFKC", m[2])

    text = _VULGAR_FRACTION_RE.sub(fraction, text)
    return _INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", text))


# --- 2. Emphasis -----------------------------------------------------------------------

_INWORD_UNDERSCORE_RE = re.compile(r"(?<=[^\W_])_+(?=[^\W_])")
_EMPHASIS_RE = re.compile(r"[_*]+")


def _emphasis(text: str) -> str:
    return _EMPHASIS_RE.sub("", _INWORD_UNDERSCORE_RE.sub(" ", text))


# --- 3. Dashes -------------------------------------------------------------------------

_DASH_CHARS = "\u2012\u2013\u2014\u2015\u2e3a\u2e3b"
_NUMERIC_RANGE_RE = re.compile(r"(?<=\d)\s?[\u2013\u2014]\s?(?=\d)")
_DASH_RE = re.compile(rf"\s*(?:[{_DASH_CHARS}]+|-{{2,}})\s*")
_OPENING = "\u201c\u2018([{"
_CLOSING = "\u201d\u2019)]},.;:!?"


def _dash(m: re.Match[str]) -> str:
    text, start, end = m.string, m.start(), m.end()
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    # A straight quote is opening when it starts a word, closing when it ends one.
    opens = before in _OPENING or (
        before in "\"'" and (start < 2 or text[start - 2].isspace())
    )
    closes = after in _CLOSING or (
        after in "\"'" and (end + 1 >= len(text) or not text[end + 1].isalnum())
    )
    return ("" if not before or opens else " ") + "-" + ("" if not after or closes else " ")


def _dashes(text: str) -> str:
    return _DASH_RE.sub(_dash, _NUMERIC_RANGE_RE.sub(" to ", text))


# --- 4. Quotes, 5. Ellipses --------------------------------------------------------------

_QUOTES = str.maketrans({
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033", '"'),
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032`", "'"),
})
_ELLIPSIS_RE = re.compile(r"\.(?:\s*\.){2,}")  # any spacing: whitespace collapses later, and a rerun must agree


def _quotes(text: str) -> str:
    return text.translate(_QUOTES)


def _ellipses(text: str) -> str:
    return _ELLIPSIS_RE.sub("...", text)


# --- 6. Symbols --------------------------------------------------------------------------

_ET_CETERA_SYMBOL_RE = re.compile(r"&c\.")
_AMPERSAND_RE = re.compile(r"\s*&\s*")
_NUMBER_SIGN_RE = re.compile(r"#\s?(?=\d)")
_DEGREES_RE = re.compile(r"(?<=\d)\s?°")


def _symbols(text: str) -> str:
    text = _ET_CETERA_SYMBOL_RE.sub(lambda m: "et cetera" + stop_if_sentence_ends(m), text)
    text = _AMPERSAND_RE.sub(" and ", text)
    text = _NUMBER_SIGN_RE.sub("number ", text)
    return _DEGREES_RE.sub(" degrees", text)


# --- 7. Abbreviations --------------------------------------------------------------------

# Titles precede a name, so their full stop never ends a sentence.
_TITLES = {
    "mr": "Mister", "mrs": "Missus", "messrs": "Messieurs", "dr": "Doctor",
    "prof": "Professor", "rev": "Reverend", "hon": "Honourable", "gen": "General",
    "col": "Colonel", "capt": "Captain", "lt": "Lieutenant", "sgt": "Sergeant",
    "maj": "Major", "adm": "Admiral", "cmdr": "Commander", "gov": "Governor",
    "supt": "Superintendent", "insp": "Inspector", "mt": "Mount",
}
# Suffixes can end a sentence ("He lived on Park Rd.").
_SUFFIXES = {
    "jr": "Junior", "sr": "Senior", "esq": "Esquire", "bros": "Brothers",
    "ltd": "Limited", "inc": "Incorporated", "ave": "Avenue", "rd": "Road",
}
_LATIN = {"etc": "et cetera", "e.g": "for example", "i.e": "that is", "viz": "namely",
          "cf": "compare", "vs": "versus"}
_BEFORE_NUMBER = {"no": "number", "nos": "numbers", "p": "page", "pp": "pages",
                  "vol": "volume", "ch": "chapter", "chap": "chapter", "fig": "figure"}
_MONTHS = {"jan": "January", "feb": "February", "mar": "March", "apr": "April",
           "jun": "June", "jul": "July", "aug": "August", "sep": "September",
           "sept": "September", "oct": "October", "nov": "November", "dec": "December"}
# Capitalised words after "St." that start a sentence rather than name a saint.
_SENTENCE_STARTERS = frozenset(
    "A An And As At But He Her His I If In It My On She So That The Their Then There They "
    "This We When You".split()
)

_CAPITALISED_ABBREV_RE = re.compile(r"\b([A-Z][A-Za-z]*)\.")
_LATIN_RE = re.compile(r"\b(etc|e\.\s?g|i\.\s?e|viz|cf|vs)\.", re.IGNORECASE)
_BEFORE_NUMBER_RE = re.compile(
    rf"\b({'|'.join(_BEFORE_NUMBER)})\.\s?(?=\d)", re.IGNORECASE
)
_MONTH_NAMES = "|".join(_MONTHS)
_MONTH_RE = re.compile(
    rf"(?<=\d\s)({_MONTH_NAMES})\.|\b({_MONTH_NAMES})\.(?=\s?\d)", re.IGNORECASE
)
_SAINT_RE = re.compile(r"\b(St|ST)\.\s*")
_NEXT_WORD_RE = re.compile(r"[A-Za-z']+")


def _match_case(expansion: str, abbrev: str) -> str:
    if abbrev.isupper() and len(abbrev) > 1:
        return expansion.upper()
    if abbrev[0].isupper():
        return expansion[0].upper() + expansion[1:]
    return expansion


def _saint_or_street(m: re.Match[str]) -> str:
    following = _NEXT_WORD_RE.match(m.string, m.end())
    word = following[0] if following else ""
    if word[:1].isupper() and word not in _SENTENCE_STARTERS:
        return _match_case("Saint", m[1]) + " "
    space = m[0][len(m[1]) + 1:]
    return _match_case("Street", m[1]) + stop_if_sentence_ends(m) + space


def _capitalised_abbrev(m: re.Match[str]) -> str:
    key = m[1].lower()
    if key in _TITLES:
        return _match_case(_TITLES[key], m[1])
    if key in _SUFFIXES:
        return _match_case(_SUFFIXES[key], m[1]) + stop_if_sentence_ends(m)
    return m[0]


def _abbreviations(text: str) -> str:
    text = _BEFORE_NUMBER_RE.sub(lambda m: _match_case(_BEFORE_NUMBER[m[1].lower()], m[1]) + " ", text)
    text = _MONTH_RE.sub(lambda m: _MONTHS[(m[1] or m[2]).lower()] + stop_if_sentence_ends(m), text)
    text = _SAINT_RE.sub(_saint_or_street, text)
    text = _CAPITALISED_ABBREV_RE.sub(_capitalised_abbrev, text)

    def latin(m: re.Match[str]) -> str:
        key = re.sub(r"\s", "", m[1]).lower()
        words = _LATIN[key]
        # Only "etc." commonly closes a sentence; "e.g." and "i.e." are followed by examples.
        return _match_case(words, m[1]) + (stop_if_sentence_ends(m) if key == "etc" else "")

    return _LATIN_RE.sub(latin, text)


# --- 8. Roman numerals -------------------------------------------------------------------

_ROMAN_VALUES = {"M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1}
_VALID_ROMAN_RE = re.compile(r"M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")
ROMAN_KEYWORDS = (
    "Chapter", "Part", "Book", "Volume", "Section", "Act", "Scene", "Canto", "Stave",
    "Letter", "Appendix", "Lecture",
)
_KEYWORD = rf"\b(?i:({'|'.join(ROMAN_KEYWORDS)}))(\s+)"
_ROMAN_AFTER_KEYWORD_RE = re.compile(rf"{_KEYWORD}([IVXLCDM]+)\b(?!')")
# Titles also have lower-case numerals, but only of i, v and x: "Book mix" is no number.
_TITLE_ROMAN_AFTER_KEYWORD_RE = re.compile(rf"{_KEYWORD}([IVXLCDM]+|[ivx]+)\b(?!')")


def roman_to_int(numeral: str) -> int | None:
    """Value of a well-formed Roman numeral (any case), or None."""
    upper = numeral.upper()
    if not upper or not _VALID_ROMAN_RE.fullmatch(upper):
        return None
    values = [_ROMAN_VALUES[c] for c in upper]
    # A smaller value before a larger one is subtracted (IV = 4).
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def _is_pronoun_i(text: str, end: int) -> bool:
    """An "I" followed by a word ("Part I think ...") is the pronoun, not one."""
    return bool(re.match(r"\s+[A-Za-z]", text[end:]))


def _roman_after_keyword(m: re.Match[str]) -> str:
    value = roman_to_int(m[3])
    return m[0] if value is None else f"{m[1]}{m[2]}{value}"


def _roman_numerals(text: str) -> str:
    def in_prose(m: re.Match[str]) -> str:
        if m[3] == "I" and _is_pronoun_i(m.string, m.end()):
            return m[0]
        return _roman_after_keyword(m)

    return _ROMAN_AFTER_KEYWORD_RE.sub(in_prose, text)


# --- 10. Whitespace ----------------------------------------------------------------------

_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+(?=[,;:!?]|\.(?!\.))")


def _whitespace(text: str) -> str:
    return _SPACE_BEFORE_PUNCT_RE.sub("", " ".join(text.split()))


_RULES: tuple[Callable[[str], str], ...] = (
    _unicode, _emphasis, _dashes, _quotes, _ellipses, _symbols, _abbreviations,
    _roman_numerals, read_numbers, _whitespace,
)


def normalize(text: str) -> str:
    """Book text -> the words to speak (rules in the module docstring)."""
    for rule in _RULES:
        text = rule(text)
    return text


# --- Titles ------------------------------------------------------------------------------

_ROMAN_AT_START_RE = re.compile(r"^([IVXLCDM]+)(?=[.:)\-\u2013\u2014]|$)")


def normalize_title(title: str) -> str:
    """Chapter title as shown and read: "CHAPTER XII. THE HENS" -> "Chapter 12. The Hens".

    Whitespace and emphasis markers go, Roman numerals after a chapter keyword ("I" too:
    "CHAPTER I THE START") or alone at the start before punctuation become digits, and a title without lower-case
    letters is capitalised word by word (all-caps reads as shouting or as letters).
    """
    text = " ".join(_emphasis(_unicode(title)).split())
    text = _TITLE_ROMAN_AFTER_KEYWORD_RE.sub(_roman_after_keyword, text)
    start = _ROMAN_AT_START_RE.match(text)  # before capwords: numerals are upper case
    if not any(c.islower() for c in text):
        text = string.capwords(text)
    if start and (value := roman_to_int(start[1])) is not None:
        # A bare leading numeral ("XIX: Asking Papa") is a chapter number; said alone,
        # "nineteen: asking papa" sounds like a list item, so name it.
        text = f"Chapter {value}{text[start.end():]}"
    return text

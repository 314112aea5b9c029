"""Normalise book text into what a narrator says, in a form Chatterbox reads well.

``normalize`` applies these rules in order. The order keeps them from fighting: addresses
before anything reads their dots and digits, abbreviations before numbers ("No. 5"), dates and
units before the plain numbers inside them, ranges before minus signs, and every rule that
makes a capitalised word ("Fahrenheit") before the Roman numerals that may follow one.

1. Unicode: vulgar fractions kept apart from a preceding number ("2½" -> "2 and 1/2"), then
   NFKC (ligatures, full-width forms, no-break spaces, "…" -> "..."); soft hyphens and
   zero-width characters removed; the minus sign "−" becomes "-" and the fraction slash "/".
2. Addresses (:mod:`.web`): "www.example.com" -> "w w w dot example dot com",
   "jane@example.org" -> "jane at example dot org"; "https://" is not said.
3. Emphasis: Gutenberg's ``_italic_`` and ``*bold*`` markers and "* * *" separators removed;
   an underscore between two letters becomes a space.
4. Dashes: an en or em dash (or "--") between numbers is " to " ("1905–1910"), an en dash
   starting a number a minus sign ("–5" -> "-5", read by rule 12); other em/en
   dashes, horizontal bars and runs of two or more hyphens become a spaced hyphen " - ", which
   Chatterbox reads as a pause (its own ``punc_norm`` turns it into a comma). Next to a quote
   or punctuation the dash keeps no space on that side ("going to -\"").
5. Quotes: curly, low and angle quotes, primes and backticks become straight ``"`` and ``'``.
6. Ellipses: ". . ." and runs of three or more dots become "...".
7. Symbols: "&c." -> "et cetera", "&" -> "and", "#5" -> "number 5".
8. Abbreviations spoken differently are expanded: titles before a name (Mr. -> Mister,
   Mrs. -> Missus, Prof., Rev., Capt., Col., Gen., Lt., Sgt., Mt., ...); "St." is "Saint"
   before a capitalised name and "Street" otherwise, "Dr." "Doctor" unless a capitalised word
   comes before it and no name after ("Mulholland Dr." -> "Drive"); Latin (etc., e.g., i.e.,
   viz., cf., vs.); suffixes (Jr., Sr., Esq., Bros., Ltd., Inc., Ave., Rd.); "ed." as
   "edition" after an ordinal ("2nd ed."), "edited by" before a name or "by", "(editor)"
   in brackets; No., Nos., p., pp., Vol., Ch., Fig., c., ca. (circa) and month abbreviations
   only next to a number ("No. 5" -> "number 5", but "No. I won't." is left alone). Where the
   abbreviation can end a sentence (etc., Street, Jr., Ltd., ...) its full stop stays when
   the text ends there or a capital letter or quote follows, so the sentence still ends.
   Abbreviations not expanded keep their full stop and are known to the sentence splitter
   (for example "p.m." and initials).
9. Units (:mod:`.units`) after a number: "5 ft." -> "5 feet", "1 lb." -> "1 pound",
   "-5°C" -> "-5 degrees Celsius", "60 mph", "5'10\""; "lb.", "oz." and "yds." also alone
   ("per lb." -> "per pound").
10. Roman numerals of I, V, X, L and C ("Part MIX" stays): after Chapter, Part, Book,
    Volume, Section, Act, Scene, Canto, Stave, Letter, Appendix, Lecture, World War (and
    Psalm, Article, Plate, Figure, Form, Class, Mark, Phase, Stage in running text) they
    become digits ("Part II" -> "Part 2"), read by rule 12; "I" followed by a word is the
    pronoun and stays. After a monarch's or pope's
    name (or "King", "Pope", ... and a name) numerals of I, V and X are ordinals ("George III"
    -> "George the Third"), "I" only before punctuation, "of" or "'s" ("Charles I of
    England"), so "I told George I was" stays; after another capitalised word such a numeral
    of two or more letters is a number ("Session II" -> "Session 2").
11. Dates (:mod:`.dates`): "3 March 1815" -> "the third of March 1815", "March 3, 1815" ->
    "March third, 1815", "3/4/1990" -> "3 4 1990".
12. Numbers (:mod:`.numbers`), so that no digit remains: old money ("£1 10s. 6d." -> "one
    pound ten shillings and sixpence"); currency ("$5.50" -> "five dollars and fifty cents");
    ranges ("1914-1918" -> "nineteen fourteen to nineteen eighteen"); telephone numbers and
    codes digit by digit ("555-0123"); minus signs; fractions ("3/4" -> "three quarters");
    times ("10:30" -> "ten thirty"); ordinals ("22nd" -> "twenty-second"); decades ("1920s"
    -> "nineteen twenties"); percentages; whole numbers 1000-2099 read as years ("1905" ->
    "nineteen oh five", so "1500 men" is "fifteen hundred men"); decimals ("3.14" -> "three
    point one four"); grouped thousands ("1,000"); any other run of digits as a cardinal.
    Words are padded with spaces where digits touched letters ("A1" -> "A one").
13. Whitespace collapsed to single spaces, none before , ; : ! ? or a lone full stop, and
    none at either end.

No word of the text is dropped: only markup, typography and the dots of expanded
abbreviations change, and words are added ("the third of", "minus", "w w w dot").

Other languages (``normalize(text, language)``) share the typography: rules 1 and 3-6, with
number ranges left to the numbers rule instead of " to " and a fraction after a whole number
kept apart by a space instead of " and ", and rule 13. The rules that write English words
(2, 7-12) give way to the language's own abbreviations (:mod:`.i18n_abbreviations`) and
numbers (:mod:`.i18n_numbers`). Chapter titles (:func:`normalize_title`) get Roman numerals
after the language's chapter words ("Chapitre XII" -> "Chapitre 12").
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from collections.abc import Callable

from ..languages import DEFAULT_LANGUAGE
from . import number_words as nw
from .dates import MONTHS, read_dates
from .i18n_abbreviations import expand_abbreviations
from .i18n_numbers import read_numbers as read_numbers_in
from .numbers import read_numbers
from .sentences import stop_if_sentence_ends
from .units import read_units
from .web import read_addresses

# --- 1. Unicode ------------------------------------------------------------------------

_VULGAR_FRACTION_RE = re.compile(r"(\d)?([\u00bc-\u00be\u2150-\u215e])")
_INVISIBLE_RE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
# A minus sign reads as a hyphen does before a digit; a fraction slash as a slash does.
_ASCII_SIGNS = str.maketrans({"\u2212": "-", "\u2044": "/"})


def _unicode(text: str, joiner: str = " and ") -> str:
    def fraction(m: re.Match[str]) -> str:
        # NFKC alone would turn "2½" into "21⁄2".
        return (f"{m[1]}{joiner}" if m[1] else "") + unicodedata.normalize("NFKC", m[2])

    text = _VULGAR_FRACTION_RE.sub(fraction, text)
    return _INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", text)).translate(_ASCII_SIGNS)


# --- 3. Emphasis -----------------------------------------------------------------------

_INWORD_UNDERSCORE_RE = re.compile(r"(?<=[^\W_])_+(?=[^\W_])")
_EMPHASIS_RE = re.compile(r"[_*]+")


def _emphasis(text: str) -> str:
    return _EMPHASIS_RE.sub("", _INWORD_UNDERSCORE_RE.sub(" ", text))


# --- 4. Dashes -------------------------------------------------------------------------

_DASH_CHARS = "\u2012\u2013\u2014\u2015\u2e3a\u2e3b"
_NUMERIC_RANGE_RE = re.compile(r"(?<=\d)\s?(?:[\u2013\u2014]|--)\s?(?=\d)")
_DASH_RE = re.compile(rf"\s*(?:[{_DASH_CHARS}]+|-{{2,}})\s*")
# Typesetters often print a minus as an en dash: "–5°C" after a space or bracket.
_EN_DASH_MINUS_RE = re.compile(r"(?<![^\s(])\u2013(?=\d)")
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


def _dashes(text: str, range_word: str = " to ") -> str:
    text = _EN_DASH_MINUS_RE.sub("-", _NUMERIC_RANGE_RE.sub(range_word, text))
    return _DASH_RE.sub(_dash, text)


# --- 5. Quotes, 6. Ellipses --------------------------------------------------------------

_QUOTES = str.maketrans({
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033", '"'),
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032`", "'"),
})
_ELLIPSIS_RE = re.compile(r"\.(?:\s*\.){2,}")  # any spacing: whitespace collapses later, and a rerun must agree


# French typography spaces the inside of guillemets ("« Bonjour ! »"); a straight quote
# cannot tell opening from closing, so the spaces go while the guillemets are still there.
_GUILLEMET_SPACE_RE = re.compile(r"(?<=\u00ab)\s+|\s+(?=\u00bb)")


def _guillemet_spaces(text: str) -> str:
    return _GUILLEMET_SPACE_RE.sub("", text)


def _quotes(text: str) -> str:
    # NFKC (rule 1) made a double prime (5′ 10″) two single ones.
    return text.replace("\u2032\u2032", '"').translate(_QUOTES)


def _ellipses(text: str) -> str:
    return _ELLIPSIS_RE.sub("...", text)


# --- 7. Symbols --------------------------------------------------------------------------

_ET_CETERA_SYMBOL_RE = re.compile(r"&c\.")
_AMPERSAND_RE = re.compile(r"\s*&\s*")
_NUMBER_SIGN_RE = re.compile(r"#\s?(?=\d)")


def _symbols(text: str) -> str:
    text = _ET_CETERA_SYMBOL_RE.sub(lambda m: "et cetera" + stop_if_sentence_ends(m), text)
    text = _AMPERSAND_RE.sub(" and ", text)
    return _NUMBER_SIGN_RE.sub("number ", text)


# --- 8. Abbreviations --------------------------------------------------------------------

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
# Capitalised words that start a sentence rather than name a saint, a doctor or a king.
_SENTENCE_STARTERS = frozenset(
    "A An And As At But He Her His I If In It My On She So That The Their Then There They "
    "This We When You".split()
)
# Capitalised words before "Dr." that address or describe a doctor rather than name a street.
_BEFORE_DOCTOR = _SENTENCE_STARTERS | frozenset(
    "Ah Dear Good Goodbye Hello Hi Morning No Oh Old Poor Sorry Thank Thanks Well Yes "
    "Young".split()
)
_ORDINAL_WORDS = "first second third fourth fifth sixth seventh eighth ninth tenth new revised enlarged"

# Where a word starts or ends: next to a digit too ("0Mr.", "II5"), since rule 12 pads number
# words apart and a second pass must find nothing left to do.
_WORD_START = r"(?<![A-Za-z])"
_WORD_END = r"(?![A-Za-z])"
_CAPITALISED_ABBREV_RE = re.compile(rf"{_WORD_START}([A-Z][A-Za-z]*)\.")
_LATIN_RE = re.compile(rf"{_WORD_START}(etc|e\.\s?g|i\.\s?e|viz|cf|vs)\.", re.IGNORECASE)
_BEFORE_NUMBER_RE = re.compile(
    rf"{_WORD_START}({'|'.join(_BEFORE_NUMBER)})\.\s?(?=\d)", re.IGNORECASE
)
# Lower case only: "C. 5" is an initial or "-5°C." ending a sentence.
_CIRCA_RE = re.compile(rf"{_WORD_START}(?:c|ca|circ)\.\s?(?=\d)")
_MONTH_NAMES = "|".join(_MONTHS)
_MONTH_RE = re.compile(
    rf"(?<=\d\s)({_MONTH_NAMES})\.|{_WORD_START}({_MONTH_NAMES})\.(?=\s?\d)", re.IGNORECASE
)
_SAINT_RE = re.compile(rf"{_WORD_START}(St|ST)\.\s*")
_NEXT_WORD_RE = re.compile(r"\s*([A-Za-z']+)")
_PREVIOUS_WORD_RE = re.compile(r"([A-Za-z']+)\s+$")
# "2nd ed." is an edition; "ed. Smith" or "ed. by" names the editor; "(ed.)" is one.
_EDITION_RE = re.compile(
    rf"\b(\d+(?:st|nd|rd|th)|{_ORDINAL_WORDS.replace(' ', '|')})(\s+)ed\.", re.IGNORECASE
)
_EDITED_BY_RE = re.compile(rf"{_WORD_START}eds?\.\s+(by\s+)?(?=[A-Za-z])")
_EDITOR_RE = re.compile(r"\((ed|eds)\.\)")


def _match_case(expansion: str, abbrev: str) -> str:
    if abbrev.isupper() and len(abbrev) > 1:
        return expansion.upper()
    if abbrev[0].isupper():
        return expansion[0].upper() + expansion[1:]
    return expansion


def _next_word(text: str, end: int) -> str:
    following = _NEXT_WORD_RE.match(text, end)
    return following[1] if following else ""


def _previous_word(text: str, start: int) -> str:
    preceding = _PREVIOUS_WORD_RE.search(text, max(0, start - 40), start)
    return preceding[1] if preceding else ""


def _is_name(word: str, not_names: frozenset[str] = _SENTENCE_STARTERS) -> bool:
    return word[:1].isupper() and word not in not_names


def _saint_or_street(m: re.Match[str]) -> str:
    if _is_name(_next_word(m.string, m.end())):
        return _match_case("Saint", m[1]) + " "
    space = m[0][len(m[1]) + 1:]
    return _match_case("Street", m[1]) + stop_if_sentence_ends(m) + space


def _doctor_or_drive(m: re.Match[str]) -> str:
    """"Dr. Watson" is a doctor; "Mulholland Dr." (a name before, none after) a street."""
    text = m.string
    street = _is_name(_previous_word(text, m.start()), _BEFORE_DOCTOR)
    if street and not _is_name(_next_word(text, m.end())):
        return _match_case("Drive", m[1]) + stop_if_sentence_ends(m)
    return _match_case("Doctor", m[1])


def _capitalised_abbrev(m: re.Match[str]) -> str:
    key = m[1].lower()
    if key == "dr":
        return _doctor_or_drive(m)
    if key in _TITLES:
        return _match_case(_TITLES[key], m[1])
    if key in _SUFFIXES:
        return _match_case(_SUFFIXES[key], m[1]) + stop_if_sentence_ends(m)
    return m[0]


def _editions(text: str) -> str:
    text = _EDITION_RE.sub(lambda m: f"{m[1]}{m[2]}edition" + stop_if_sentence_ends(m), text)
    text = _EDITED_BY_RE.sub(
        lambda m: "edited by " if m[1] or _is_name(_next_word(m.string, m.end())) else m[0], text
    )
    return _EDITOR_RE.sub(lambda m: "(editors)" if m[1] == "eds" else "(editor)", text)


def _abbreviations(text: str) -> str:
    text = _BEFORE_NUMBER_RE.sub(lambda m: _match_case(_BEFORE_NUMBER[m[1].lower()], m[1]) + " ", text)
    text = _CIRCA_RE.sub("circa ", text)
    text = _MONTH_RE.sub(lambda m: _MONTHS[(m[1] or m[2]).lower()] + stop_if_sentence_ends(m), text)
    text = _SAINT_RE.sub(_saint_or_street, text)
    text = _CAPITALISED_ABBREV_RE.sub(_capitalised_abbrev, text)
    text = _editions(text)

    def latin(m: re.Match[str]) -> str:
        key = re.sub(r"\s", "", m[1]).lower()
        words = _LATIN[key]
        # Only "etc." commonly closes a sentence; "e.g." and "i.e." are followed by examples.
        return _match_case(words, m[1]) + (stop_if_sentence_ends(m) if key == "etc" else "")

    return _LATIN_RE.sub(latin, text)


# --- 10. Roman numerals -------------------------------------------------------------------

_ROMAN_VALUES = {"M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1}
_VALID_ROMAN_RE = re.compile(r"M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")
ROMAN_KEYWORDS = (
    "Chapter", "Part", "Book", "Volume", "Section", "Act", "Scene", "Canto", "Stave",
    "Letter", "Appendix", "Lecture",
)
# Numbered like chapters in running text, though not chapter titles.
_PROSE_KEYWORDS = ROMAN_KEYWORDS + (
    "World War", "Psalm", "Article", "Plate", "Figure", "Form", "Class", "Mark", "Phase", "Stage",
)
_KEYWORD = rf"\b(?i:({'|'.join(ROMAN_KEYWORDS)}))(\s+)"
_PROSE_KEYWORD_NAMES = "|".join(k.replace(" ", r"\s+") for k in _PROSE_KEYWORDS)
_PROSE_KEYWORD = rf"{_WORD_START}(?i:({_PROSE_KEYWORD_NAMES}))(\s+)"
# In running text without D and M (up to 399): "Part MIX" or "Book DIM" are words.
_ROMAN_AFTER_KEYWORD_RE = re.compile(rf"{_PROSE_KEYWORD}([IVXLC]+){_WORD_END}(?!')")
# Titles also have lower-case numerals, but only of i, v and x: "Book mix" is no number.
_TITLE_ROMAN_AFTER_KEYWORD_RE = re.compile(rf"{_KEYWORD}([IVXLCDM]+|[ivx]+)\b(?!')")
# After a capitalised word, numerals up to about thirty (Louis XVIII, John XXIII) and only of
# I, V and X: "MIX", "DID" or "CIVIL" after a name stay words.
_AFTER_NAME_RE = re.compile(
    rf"{_WORD_START}([A-Z][a-z]+)(\s+)(?=[IVX]+{_WORD_END})"
    rf"(X{{0,3}}(?:IX|IV|V?I{{0,3}})){_WORD_END}(?!'(?!s\b))"
)
# A month before digits would make them a day ("March 2" -> "March second"), and an ordinal
# made by this rule is no name.
_NOT_NAMES = (
    _SENTENCE_STARTERS
    | frozenset(k for k in _PROSE_KEYWORDS if " " not in k)
    | frozenset(MONTHS)
    | frozenset(nw.ordinal(n).capitalize() for n in range(1, 40))  # "the Second" said already
)
# Monarchs and popes: their numbers are ordinals ("Henry the Eighth"). After another word a
# numeral is a plain number ("Session II", "Apollo XI"), as it is after "Part".
_MONARCH_NAMES = frozenset(
    "Alexander Alfonso Alfred Amenhotep Antiochus Benedict Boniface Casimir Catherine Charles "
    "Christian Clement Constantine Darius David Edmund Edward Elizabeth Ferdinand Francis "
    "Frederick George Gregory Gustav Gustavus Harold Henry Innocent Isabella Ivan James John "
    "Joseph Leo Leopold Louis Ludwig Margaret Mary Napoleon Nicholas Otto Paul Pedro Peter "
    "Philip Pius Ptolemy Ramesses Richard Robert Rudolf Sixtus Stephen Thutmose Urban Victor "
    "Wilhelm William".split()
)
_MONARCH_TITLE_RE = re.compile(r"\b(?:King|Queen|Pope|Emperor|Empress|Tsar|Czar|Kaiser|Pharaoh)\s+$")
# "I" after a name is usually the pronoun ("I told George I was leaving"); it is a monarch's
# only before punctuation, "of" or "'s" ("Charles I of England").
_AFTER_REGNAL_I_RE = re.compile(r"\s*$|[,.;:!?)\"]|'s\b|\s+of\b")


def roman_to_int(numeral: str) -> int | None:
    """Value of a well-formed Roman numeral (any case), or None."""
    upper = numeral.upper()
    if not upper or not _VALID_ROMAN_RE.fullmatch(upper):
        return None
    values = [_ROMAN_VALUES[c] for c in upper]
    # A smaller value before a larger one is subtracted (IV = 4).
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


_WORD_AFTER_RE = re.compile(r"\s+[A-Za-z]")


def _is_pronoun_i(text: str, end: int) -> bool:
    """An "I" followed by a word ("Part I think ...") is the pronoun, not one."""
    return bool(_WORD_AFTER_RE.match(text, end))


def _roman_after_keyword(m: re.Match[str]) -> str:
    value = roman_to_int(m[3])
    return m[0] if value is None else f"{m[1]}{m[2]}{value}"


def _numbered_in_prose(m: re.Match[str]) -> str:
    """"Part II" -> "Part 2", read as a number by rule 12; "World War I" is never the pronoun."""
    if m[3] == "I" and not m[1].lower().startswith("world") and _is_pronoun_i(m.string, m.end()):
        return m[0]
    return _roman_after_keyword(m)


def _is_monarch(m: re.Match[str]) -> bool:
    titled = _MONARCH_TITLE_RE.search(m.string, max(0, m.start() - 10), m.start())
    return m[1] in _MONARCH_NAMES or bool(titled)


def _numbered_after_name(m: re.Match[str]) -> str:
    """"George III" -> "George the Third", "Session II" -> "Session 2"; "Am I?" stays."""
    name, space, numeral = m[1], m[2], m[3]
    if not numeral or name in _NOT_NAMES:  # "IIII" leaves an empty match
        return m[0]
    if _is_monarch(m):
        if numeral == "I" and not _AFTER_REGNAL_I_RE.match(m.string, m.end()):
            return m[0]
        words = nw.ordinal(roman_to_int(numeral))
        return f"{name}{space}the {words[0].upper()}{words[1:]}"
    # A single letter is a pronoun or a letter: "Brand X", "Malcolm X", "Vitamin V".
    return f"{name}{space}{roman_to_int(numeral)}" if len(numeral) > 1 else m[0]


def _roman_numerals(text: str) -> str:
    text = _ROMAN_AFTER_KEYWORD_RE.sub(_numbered_in_prose, text)
    return _AFTER_NAME_RE.sub(_numbered_after_name, text)


# --- 13. Whitespace ----------------------------------------------------------------------

# Not before ".com" or "...": a full stop that starts a word is not the end of one.
_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+(?=[,;:!?]|\.(?![.\w]))")


def _whitespace(text: str) -> str:
    return _SPACE_BEFORE_PUNCT_RE.sub("", " ".join(text.split()))


_RULES: tuple[Callable[[str], str], ...] = (
    _unicode, read_addresses, _emphasis, _dashes, _quotes, _ellipses, _symbols,
    _abbreviations, read_units, _roman_numerals, read_dates, read_numbers, _whitespace,
)


@functools.cache
def _rules_for(language: str) -> tuple[Callable[[str], str], ...]:
    """The rules for a language other than English (module docstring, last paragraph)."""
    return (
        functools.partial(_unicode, joiner=" "), _emphasis,
        # A dash between numbers becomes a hyphen, which the numbers rule reads as a pause.
        functools.partial(_dashes, range_word="-"), _guillemet_spaces, _quotes, _ellipses,
        functools.partial(expand_abbreviations, language=language),
        functools.partial(read_numbers_in, language=language), _whitespace,
    )


def normalize(text: str, language: str = DEFAULT_LANGUAGE) -> str:
    """Book text -> the words to speak (rules in the module docstring), in ``language``."""
    for rule in _RULES if language == "en" else _rules_for(language):
        text = rule(text)
    return text


# --- Titles ------------------------------------------------------------------------------

_ROMAN_AT_START_RE = re.compile(r"^([IVXLCDM]+)(?=[.:)\-\u2013\u2014]|$)")
# Chapter words of other languages, before a Roman numeral in a title ("Chapitre XII").
_TITLE_KEYWORDS = {
    "de": ("Kapitel", "Teil", "Buch", "Band", "Akt", "Szene", "Brief"),
    "es": ("Capítulo", "Parte", "Libro", "Tomo", "Acto", "Escena", "Carta"),
    "fr": ("Chapitre", "Partie", "Livre", "Tome", "Acte", "Scène", "Lettre"),
    "it": ("Capitolo", "Parte", "Libro", "Tomo", "Atto", "Scena", "Lettera"),
    "nl": ("Hoofdstuk", "Deel", "Boek", "Bedrijf", "Scène", "Brief"),
    "pt": ("Capítulo", "Parte", "Livro", "Tomo", "Ato", "Cena", "Carta"),
}


@functools.cache
def _title_roman_re(language: str) -> re.Pattern[str]:
    if language == "en":
        return _TITLE_ROMAN_AFTER_KEYWORD_RE
    keywords = "|".join(_TITLE_KEYWORDS.get(language, ())) or "(?!)"
    return re.compile(rf"\b(?i:({keywords}))(\s+)([IVXLCDM]+|[ivx]+)\b(?!')")


def normalize_title(title: str, language: str = DEFAULT_LANGUAGE) -> str:
    """Chapter title as shown and read: "CHAPTER XII. THE HENS" -> "Chapter 12. The Hens".

    Whitespace and emphasis markers go, Roman numerals after a chapter keyword ("I" too:
    "CHAPTER I THE START") or alone at the start before punctuation become digits, and a title without lower-case
    letters is capitalised word by word (all-caps reads as shouting or as letters). In other
    languages the keywords are the language's own and a bare numeral becomes a number
    without the English word "Chapter".
    """
    text = " ".join(_emphasis(_unicode(title)).split())
    text = _title_roman_re(language).sub(_roman_after_keyword, text)
    start = _ROMAN_AT_START_RE.match(text)  # before capwords: numerals are upper case
    if not any(c.islower() for c in text):
        text = string.capwords(text)
    if start and (value := roman_to_int(start[1])) is not None:
        # A bare leading numeral ("XIX: Asking Papa") is a chapter number; said alone,
        # "nineteen: asking papa" sounds like a list item, so name it (in English).
        text = f"{'Chapter ' if language == 'en' else ''}{value}{text[start.end():]}"
    return text

"""Recognising what is not narration: front/back matter names, licences, titles, headings.

EPUB semantics (epub:type, landmarks, guide) are trusted as they are; names (file names, TOC
titles) are weaker evidence, so they only count for documents short enough to be such pages.
"""

from __future__ import annotations

import re

# epub:type / landmarks / guide / ARIA values of pages that are not read aloud.
NON_NARRATION_TYPES = frozenset(
    {
        "cover",
        "titlepage",
        "title-page",
        "halftitlepage",
        "imprint",
        "copyright-page",
        "colophon",
        "toc",
        "loi",
        "lot",
        "landmarks",
        "page-list",
        "index",
        "seriespage",
        "endnotes",
        "footnotes",
        "rearnotes",
        "notes",
        "doc-toc",
        "doc-index",
        "doc-colophon",
        "doc-cover",
        "doc-endnotes",
    }
)
# Types that mark a document as narration even when it also holds one of the above
# (e.g. a chapter file that ends with its endnotes section).
NARRATION_TYPES = frozenset(
    {
        "chapter",
        "part",
        "volume",
        "prologue",
        "epilogue",
        "dedication",
        "epigraph",
        "preface",
        "foreword",
        "introduction",
        "preamble",
        "afterword",
        "conclusion",
        "appendix",
        "doc-chapter",
        "doc-part",
        "doc-prologue",
        "doc-epilogue",
        "doc-dedication",
        "doc-preface",
        "doc-foreword",
        "doc-introduction",
        "doc-afterword",
        "doc-conclusion",
    }
)
FRONT_TYPES = frozenset({"frontmatter", "dedication", "epigraph", "foreword", "preface", "introduction"})
BACK_TYPES = frozenset({"backmatter", "afterword", "appendix", "endnotes", "colophon"})
BODY_TYPES = frozenset({"bodymatter"})

# A document named like front/back matter but longer than this is real text (a one-file book
# called index.html, a long foreword called "contents"...).
MATTER_MAX_WORDS = 1500

_MATTER_NAMES = frozenset(
    {
        "cover",
        "cover page",
        "coverpage",
        "front cover",
        "back cover",
        "title page",
        "titlepage",
        "half title",
        "halftitle",
        "half title page",
        "halftitlepage",
        "imprint",
        "colophon",
        "copyright",
        "copyright page",
        "copyright notice",
        "uncopyright",
        "contents",
        "table of contents",
        "toc",
        "nav",
        "loi",
        "lot",
        "illustrations",
        "list of illustrations",
        "list of figures",
        "list of tables",
        "list of plates",
        "index",
        "licence",
        "license",
        "project gutenberg license",
        "the full project gutenberg license",
        "wrap",  # Project Gutenberg's cover wrapper page (wrap0000.html)
    }
)

# Project Gutenberg's header/licence separators: match at a line start in text files, search
# anywhere in an EPUB paragraph (older EPUBs keep the whole header in one <pre>). The oldest
# texts (1990s) have no START line: their header ends with "*END*THE SMALL PRINT! ...*END*".
PG_START_RE = re.compile(r"\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG|\*END\*?\s*THE SMALL PRINT", re.IGNORECASE)
PG_END_RE = re.compile(
    r"\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG|End of (?:the )?Project Gutenberg", re.IGNORECASE
)
# Text before the first chapter with no paragraph this long is a title page, not narration.
MIN_PROSE_WORDS = 40
# "[12]"-style note references left in the text; three digits at most so years survive.
NOTE_REF_RE = re.compile(r"\s*\[\d{1,3}\]")

# A copyright page: "All rights reserved", "ISBN 978-...", "Copyright © 2004", "© 1999 by".
_COPYRIGHT_RE = re.compile(
    r"\ball rights reserved\b|\bISBN(?:-1[03])?[:\s]|(?:\bcopyright\b|©|\(c\))\s*(?:©\s*)?(?:\d{4}|by\b)",
    re.IGNORECASE,
)

_UNITS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL_UNITS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
    "fifteenth sixteenth seventeenth eighteenth nineteenth"
).split()
_ORDINAL_TENS = "twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth".split()
_NUMBER_WORD = rf"(?:(?:{'|'.join(_TENS)})(?:[-\s](?:{'|'.join(_UNITS[:9])}))?|{'|'.join(_UNITS)})"
# "the First", "Twenty-Third", "the Last": Victorian books number chapters and parts this way.
_ORDINAL = (
    rf"(?:the\s+)?(?:(?:{'|'.join(_TENS)})[-\s](?:{'|'.join(_ORDINAL_UNITS[:9])})|{'|'.join(_ORDINAL_TENS)}|"
    rf"{'|'.join(_ORDINAL_UNITS)}|last)"
)
_NUMBER = rf"(?:\d+|[ivxlcdm]+|{_ORDINAL}|{_NUMBER_WORD})"
# What may follow the heading word: nothing, a separator and a title ("IV. THE STORM",
# "1: Fog"), or title words without sentence punctuation; "Part 2 of the plan was simple." is text.
_HEADING_TAIL = r"(?:\s*[.:—–-]\s*.*|\s+[^.!?,;]*)?"
_NUMBERED_HEADING_RE = re.compile(
    rf"^(?:chapter|chap\.|part|book|volume|vol\.|section|canto|stave|letter)\s+{_NUMBER}\b{_HEADING_TAIL}$",
    re.IGNORECASE,
)
_ROMAN_HEADING_RE = re.compile(r"^[IVXLC]+\.?$")  # a line of its own: "IV", "I."
_NAMED_HEADING_RE = re.compile(
    r"^(?:prologue|epilogue|preface|foreword|introduction|afterword|interlude|dedication|appendix|"
    rf"conclusion|postscript|contents|table of contents|list of illustrations|illustrations|index)\b{_HEADING_TAIL}$",
    re.IGNORECASE,
)
_MAX_HEADING_CHARS = 80
_MAX_NAMED_HEADING_WORDS = 8
HEADING_NUMBERED = "numbered"
HEADING_ROMAN = "roman"
HEADING_NAMED = "named"

_PART_RE = re.compile(r"^(?:part|book|volume)\b", re.IGNORECASE)
_TITLE_END_PUNCT = ".:;,—–-"


def _name_key(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


def is_matter_name(text: str) -> bool:
    """True for a title or file stem such as "Title Page", "copyright", "toc02", "wrap0000"."""
    key = re.sub(r"[\d ]+$", "", _name_key(text))
    return key in _MATTER_NAMES


def is_part_title(title: str) -> bool:
    """ "Part One", "Book II": a divider page whose title belongs in front of the next chapter's."""
    return bool(_PART_RE.match(title))


def heading_kind(line: str) -> str | None:
    """How a line of its own reads as a chapter heading: HEADING_NUMBERED ("CHAPTER IV.",
    "Chapter the First", "Part Two: Fog"), HEADING_ROMAN ("IV", "I."), HEADING_NAMED
    ("Prologue", "Contents"), or None for text."""
    line = line.strip()
    if len(line) > _MAX_HEADING_CHARS:
        return None
    if _NUMBERED_HEADING_RE.match(line):
        return HEADING_NUMBERED
    if _ROMAN_HEADING_RE.match(line):
        return HEADING_ROMAN
    if _NAMED_HEADING_RE.match(line) and len(line.split()) <= _MAX_NAMED_HEADING_WORDS:
        return HEADING_NAMED
    return None


def is_copyright_notice(text: str) -> bool:
    return bool(_COPYRIGHT_RE.search(text))


def has_prose(paragraphs: list[str]) -> bool:
    return any(len(p.split()) >= MIN_PROSE_WORDS for p in paragraphs)


def words(text: str) -> list[str]:
    """Case-folded alphanumeric tokens, for comparing titles with headings."""
    return re.findall(r"\w+", text.casefold())


def contains_words(haystack: str, needle: str) -> bool:
    """Whether the words of ``needle`` occur, in order and adjacent, among those of ``haystack``."""
    big, small = words(haystack), words(needle)
    if not small:
        return True
    return any(big[i : i + len(small)] == small for i in range(len(big) - len(small) + 1))


def join_title(parts: list[str]) -> str:
    """Join heading parts: "I" + "A Letter" -> "I: A Letter"; "CHAPTER I." + "X" -> "CHAPTER I. X"."""
    title = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if not title:
            title = part
        elif title[-1] in _TITLE_END_PUNCT:
            title = f"{title} {part}"
        else:
            title = f"{title}: {part}"
    return title


def collapse(text: str) -> str:
    return " ".join(text.split())

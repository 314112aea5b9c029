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
# anywhere in an EPUB paragraph (older EPUBs keep the whole header in one <pre>).
PG_START_RE = re.compile(r"\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG", re.IGNORECASE)
PG_END_RE = re.compile(
    r"\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG|End of (?:the )?Project Gutenberg", re.IGNORECASE
)
# Text before the first chapter with no paragraph this long is a title page, not narration.
MIN_PROSE_WORDS = 40
# "[12]"-style note references left in the text; three digits at most so years survive.
NOTE_REF_RE = re.compile(r"\s*\[\d{1,3}\]")

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

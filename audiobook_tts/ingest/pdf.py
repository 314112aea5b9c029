"""PDF -> Book with pypdf: chapters from the outline or the headings, page furniture removed.

A PDF holds positioned lines, not paragraphs; the text is rebuilt in these steps, in order:

1. Lines: the fragments pypdf reports on one baseline (within half a font size) make a line, in
   the order the page draws them (which keeps columns apart). Sideways text is not read.
2. Furniture: a line among the top or bottom two of a page is a running header or footer when
   its text, numbers aside, recurs at the same height on at least three pages ("12  THE BOOK",
   "THE BOOK  13"), or when it is a bare page number ("12", "xiv", "- 12 -", "Page 12 of 300").
   Lines in a font larger than the body's are kept: they are headings at the top of a page.
   Footnotes, lines in a smaller font below a page's last line of body text, are not read.
3. Paragraphs: a line starts one when the gap above it is more than a quarter larger than the
   body's line spacing; when the font size changes (a heading); when the line before is short
   (under 70% of a full line: the end of a paragraph, also at a page's foot); when it starts
   with a bullet (a list item; its hanging indent continues it); or when it is indented half an
   em past the page's margin and the line before is not (so that the lines of a block quote stay
   together). The lines of a paragraph are joined with spaces, and a word broken at a line end
   by a hyphen is mended, see :func:`_join_lines`.
4. Chapters: every outline (bookmark) entry, at any depth, starts a chapter, titled by the rule
   of :mod:`.toc`; entries with nothing but headings between them are one chapter, and a lone
   top entry named after the book that holds all the others is left out. Without an
   outline, headings start chapters: lines in a font at least 15% larger than the body's, or a
   one-line paragraph that reads like "Chapter 12", "BOOK IV.", "Epilogue" (unless it is one of
   a list of them: a contents page). Else the book is one chapter. Heading lines that repeat
   their chapter's title are not read again.
5. Matter, left out as the other readers do: chapters named like front/back matter ("Contents",
   "Index", "Copyright"), a title page (the book's title and no prose), pages that list page
   references (contents, index) or are short and carry a copyright notice, and text before the
   first chapter without prose.

Metadata: title and authors from the document info, else XMP, else the largest line of the
first page with text (a title page's title), else the file name; the language from the catalog.
"""

from __future__ import annotations

import logging
import math
import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BookError
from .assemble import Draft, finish
from .matter import (
    MATTER_MAX_WORDS,
    MIN_PROSE_WORDS,
    collapse,
    contains_words,
    has_prose,
    heading_kind,
    is_copyright_notice,
    is_matter_name,
    join_title,
    words,
)
from .model import KIND_FRONT, Book, BookMeta
from .toc import Node, titled_targets

log = logging.getLogger(__name__)

SAME_LINE_FRACTION = 0.5  # of the font size: fragments this close to a line's baseline are on it
FURNITURE_BAND_LINES = 2  # lines at the top and at the bottom of a page that may be header/footer
FURNITURE_MIN_PAGES = 3  # a running header/footer recurs on at least this many pages
FURNITURE_Y_TOLERANCE_POINTS = 2.0  # header/footer lines this close in height (points) are at the same one
PARAGRAPH_GAP_RATIO = 1.25  # a gap above a line this many line spacings tall starts a paragraph
INDENT_MIN_EM = 0.5  # an indent of this many body font sizes (points / points) starts a paragraph
SHORT_LINE_RATIO = 0.7  # a line with fewer characters than this share of a full line ends a paragraph
FULL_LINE_PERCENTILE = 0.9  # the body line at this rank by length is a full line
SIZE_CHANGE_POINTS = 1.0  # a font size this different from the line before's starts a paragraph
HEADING_SIZE_RATIO = 1.15  # a font this much larger than the body's sets a heading
MAX_HEADING_CHARS = 100  # characters: a longer line in a large font is text (an epigraph, a pull quote)
MARGIN_TOLERANCE_POINTS = 1.0  # two lines this close in x are set at the same indent
# A page of at least REFERENCE_PAGE_MIN_LINES lines, this share of them ending in a page number,
# is a contents or index page.
REFERENCE_PAGE_MIN_LINES = 4
REFERENCE_PAGE_SHARE = 0.6
COPYRIGHT_PAGE_MAX_WORDS = 300  # a page with a copyright notice and at most this many words is matter
MIN_WORDS_PER_PAGE = 1  # fewer words than this per page on average: no text layer, only images

# Roman page numbers are lower case (front matter); "IV" alone is a chapter number.
_PAGE_NUMBER_RE = re.compile(r"^(?:[Pp]age\s|PAGE\s)?[-–—\s]*(?:\d{1,4}|[ivxlcdm]{1,7})[-–—\s]*(?:of\s+\d+)?$")
# "Chapter 1 ...... 5", "lamp, the, 3, 5-7", "Preface ..... ix" (roman only after dot leaders).
_PAGE_REFERENCE_RE = re.compile(
    r"\S.*(?:(?:\.{2,}|\s|,)\s*\d{1,4}(?:[-–]\d{1,4})?|\.{2,}\s*[ivxlc]{1,6})$", re.IGNORECASE
)
_DIGITS_RE = re.compile(r"\d+")
_BULLET_RE = re.compile(r"^[•◦▪‣●○■□·*]\s")
# "2.1 " before a heading's words: the outline's title often leaves the number out.
_SECTION_NUMBER_RE = re.compile(r"^(?:\d+\.)*\d+\.?\s+")
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
# What word processors put in the title field when the author did not.
_FILE_NAME_TITLE_RE = re.compile(
    r"^(?:microsoft word - .*|.*\.(?:docx?|pdf|indd|tex|rtf|odt)|untitled\W*\d*)$", re.IGNORECASE
)

# Hyphenation: a broken word's first part, its hyphen (or a soft hyphen) at the line end.
_BROKEN_WORD_RE = re.compile(r"([^\W\d_]+)([-\u2010\u00ad])$")
_LEADING_WORD_RE = re.compile(r"[^\W\d_]+")
_WORD_RE = re.compile(r"[^\W\d_]+(?:[-\u2010][^\W\d_]+)*")
# First parts whose hyphen belongs to the word even at a line end ("self-|evident", "well-|known",
# "twenty-|five"). Few: hyphenation breaks words at the same places ("ex-|ample", "great-|ness").
_HYPHEN_PREFIXES = frozenset("self well quasi twenty thirty forty fifty sixty seventy eighty ninety".split())


@dataclass
class _Line:
    page: int  # 0-based
    x: float  # points from the page's left edge to the line's start
    y: float  # points from the page's bottom edge to the baseline
    size: float  # font size as drawn, in points
    text: str
    starts_paragraph: bool = False


@dataclass
class _Layout:
    """The body text's measures, from the lines themselves."""

    size: float  # points
    leading: float  # points between baselines
    full_chars: int  # characters in a full line
    margins: dict[int, float] = field(default_factory=dict)  # page -> x of its leftmost body line

    def indent(self, line: _Line) -> float:
        return line.x - self.margins.get(line.page, line.x)

    def is_heading_size(self, line: _Line) -> bool:
        return line.size >= self.size * HEADING_SIZE_RATIO


def read_pdf(path: Path, *, include_front_matter: bool) -> Book:
    reader = _open(path)
    pages = _read_pages(reader, path)
    lines = [line for page in pages for line in page]
    body_size = _body_size(lines)
    lines = _strip_furniture(pages, body_size)
    # A scan may still carry a line of text on each page (a stamp): that goes with the furniture.
    if sum(len(line.text.split()) for line in lines) < MIN_WORDS_PER_PAGE * len(pages):
        raise BookError(f"{path} has no text layer (a scanned book?); run OCR first")
    meta = _meta(reader, path, _first_page_title(pages, body_size) or path.stem)
    layout = _layout(lines, body_size)
    _mark_paragraphs(lines, layout)

    starts = _outline_starts(reader, lines, layout, meta.title) or _heading_starts(lines, layout)
    drafts = _drafts(lines, starts, layout, meta.title)
    chapters, skipped = finish(drafts, include_front_matter=include_front_matter)
    if not chapters:
        if skipped:
            raise BookError(f"{path} contains no readable text outside front/back matter ({', '.join(skipped)})")
        raise BookError(f"{path} contains no readable text")
    return Book(path=path, format="pdf", meta=meta, chapters=chapters, skipped=skipped)


# --------------------------------------------------------------------------- opening the file


def _open(path: Path) -> Any:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    with path.open("rb") as handle:
        if b"%PDF-" not in handle.read(1024):
            raise BookError(f"{path} is not a valid PDF: it does not start with a PDF header")
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):  # many PDFs are locked for editing only
            raise FileNotDecryptedError("a user password is needed")
        if len(reader.pages) == 0:
            raise BookError(f"{path} has no pages")
    except DependencyError:  # AES needs the optional 'cryptography' package
        raise BookError(
            f"{path} is encrypted (AES), which needs the 'cryptography' package to open; "
            "remove the protection first (e.g. qpdf --decrypt)"
        ) from None
    except FileNotDecryptedError:
        raise BookError(
            f"{path} is encrypted with a password; remove the protection first (e.g. qpdf --decrypt)"
        ) from None
    except BookError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on damaged files
        raise BookError(f"{path} is not a valid PDF: the file is damaged or truncated ({_brief(exc)})") from None
    return reader


def _brief(exc: Exception) -> str:
    return collapse(str(exc))[:120] or type(exc).__name__


def _meta(reader: Any, path: Path, fallback_title: str) -> BookMeta:
    """Title and authors from the document info, else XMP; the language from the catalog /Lang,
    else XMP. Damaged metadata is not worth refusing a book over: it is logged and passed by."""
    info_title = info_author = xmp_title = language = ""
    xmp_authors: list[str] = []
    try:
        document = reader.metadata
        if document is not None:
            info_title, info_author = document.title or "", document.author or ""
    except Exception as exc:  # noqa: BLE001
        log.debug("%s: PDF info unreadable: %s", path, exc)
    try:
        xmp = reader.xmp_metadata
        if xmp is not None:
            titles = xmp.dc_title or {}
            xmp_title = titles.get("x-default") or next(iter(titles.values()), "")
            xmp_authors = list(xmp.dc_creator or [])
            language = next(iter(xmp.dc_language or []), "")
    except Exception as exc:  # noqa: BLE001
        log.debug("%s: XMP metadata unreadable: %s", path, exc)
    try:
        language = str(reader.trailer["/Root"].get("/Lang") or language)
    except Exception as exc:  # noqa: BLE001
        log.debug("%s: catalog unreadable: %s", path, exc)
    titles = (collapse(str(info_title)), collapse(str(xmp_title)))
    # ";" separates names; a comma may sit inside one ("Doe, Jane").
    authors = [collapse(a) for a in str(info_author).split(";") if collapse(a)] or [
        collapse(str(a)) for a in xmp_authors if collapse(str(a))
    ]
    return BookMeta(
        title=next((title for title in titles if _is_real_title(title)), fallback_title),
        authors=tuple(authors),
        language=language.replace("_", "-").split("-")[0].casefold(),
        cover=None,
        cover_mime=None,
    )


def _first_page_title(pages: list[list[_Line]], body_size: float) -> str:
    """The largest line of the first page with text, when that page is a title page: a line set
    as a heading that does not read like a chapter's ("Chapter 1"), and less text than a paragraph."""
    page = next((page for page in pages if page), [])
    largest = max((line.size for line in page), default=0.0)
    if largest < body_size * HEADING_SIZE_RATIO or sum(len(line.text.split()) for line in page) >= MIN_PROSE_WORDS:
        return ""
    title = join_title([line.text for line in page if line.size == largest])
    if len(title) > MAX_HEADING_CHARS or heading_kind(title) or is_matter_name(title):
        return ""
    return title


def _is_real_title(title: str) -> bool:
    """Not empty and not what a word processor writes in its place ("Microsoft Word - x.docx")."""
    return bool(title) and not _FILE_NAME_TITLE_RE.match(title)


# --------------------------------------------------------------------------- lines


def _read_pages(reader: Any, path: Path) -> list[list[_Line]]:
    pages = []
    for number, page in enumerate(reader.pages):
        try:
            pages.append(_page_lines(page, number))
        except Exception as exc:  # noqa: BLE001 - pypdf raises many types on damaged streams
            raise BookError(f"{path} is damaged: page {number + 1} cannot be read ({_brief(exc)})") from None
    return pages


def _page_lines(page: Any, number: int) -> list[_Line]:
    lines: list[_Line] = []
    fragments: list[list[tuple[str, float]]] = []  # per line: (text, font size in points)

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, font_size: float) -> None:
        if not text.strip():
            if text == " " and fragments:
                fragments[-1].append((" ", 0.0))
            return
        m = _multiply(tm, cm)
        if m[0] <= 0 or abs(m[1]) > 0.01 * abs(m[0]):  # sideways or mirrored
            return
        size, x, y = font_size * math.hypot(m[2], m[3]), m[4], m[5]
        text = text.replace("\n", " ")
        if lines and abs(lines[-1].y - y) <= SAME_LINE_FRACTION * max(size, lines[-1].size):
            fragments[-1].append((text, size))
            lines[-1].x = min(lines[-1].x, x)
            return
        lines.append(_Line(page=number, x=x, y=y, size=size, text=""))
        fragments.append([(text, size)])

    page.extract_text(visitor_text=visit)
    for line, parts in zip(lines, fragments):
        line.text = collapse("".join(text for text, _ in parts)).translate(_LIGATURES)
        # A drop cap or a superscript does not set the line's size; its longest run does.
        line.size = max(parts, key=lambda part: len(part[0].strip()))[1]
    return [line for line in lines if line.text]


def _multiply(a: list[float], b: list[float]) -> list[float]:
    """The product of two PDF matrices [a b c d e f]."""
    return [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]


def _body_size(lines: list[_Line]) -> float:
    """The font size that sets the most characters."""
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[round(line.size, 1)] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _strip_furniture(pages: list[list[_Line]], body_size: float) -> list[_Line]:
    """The lines of all pages in reading order, less running headers/footers, page numbers and
    footnotes."""
    bands = [_band(page, body_size) for page in pages]
    recurring: Counter[tuple[str, int]] = Counter()
    for band in bands:
        recurring.update({_furniture_key(line) for line in band})
    furniture = {key for key, pages_with_it in recurring.items() if pages_with_it >= FURNITURE_MIN_PAGES}
    kept = []
    for page, band in zip(pages, bands):
        dropped = {id(line) for line in band if _PAGE_NUMBER_RE.match(line.text) or _furniture_key(line) in furniture}
        dropped |= {id(line) for line in _footnotes(page, body_size)}
        kept.extend(line for line in page if id(line) not in dropped)
    return kept


def _footnotes(page: list[_Line], body_size: float) -> list[_Line]:
    """Lines in a smaller font than the body's below the page's lowest body line."""
    lowest = min((line.y for line in page if abs(line.size - body_size) <= SIZE_CHANGE_POINTS), default=None)
    if lowest is None:
        return []
    return [line for line in page if line.y < lowest and line.size < body_size - SIZE_CHANGE_POINTS]


def _band(page: list[_Line], body_size: float) -> list[_Line]:
    """The lines that may be furniture: the top and bottom ones, not in a heading's font."""
    by_height = sorted(page, key=lambda line: -line.y)
    if len(by_height) > 2 * FURNITURE_BAND_LINES:
        by_height = by_height[:FURNITURE_BAND_LINES] + by_height[-FURNITURE_BAND_LINES:]
    return [line for line in by_height if line.size < body_size * HEADING_SIZE_RATIO]


def _furniture_key(line: _Line) -> tuple[str, int]:
    """The text without its page number ("12 TITLE" = "TITLE 13"), and the height it is set at."""
    return collapse(_DIGITS_RE.sub(" ", line.text.casefold())), round(line.y / FURNITURE_Y_TOLERANCE_POINTS)


# --------------------------------------------------------------------------- paragraphs


def _layout(lines: list[_Line], body_size: float) -> _Layout:
    body = [line for line in lines if abs(line.size - body_size) <= SIZE_CHANGE_POINTS]
    gaps = Counter(
        round(above.y - below.y, 1)
        for above, below in zip(body, body[1:])
        if above.page == below.page and 0 < above.y - below.y < 3 * body_size
    )
    lengths = sorted(len(line.text) for line in body)
    margins: dict[int, float] = {}
    for line in body:
        margins[line.page] = min(margins.get(line.page, line.x), line.x)
    return _Layout(
        size=body_size,
        leading=gaps.most_common(1)[0][0] if gaps else body_size * 1.2,
        full_chars=lengths[int(FULL_LINE_PERCENTILE * (len(lengths) - 1))] if lengths else 0,
        margins=margins,
    )


def _mark_paragraphs(lines: list[_Line], layout: _Layout) -> None:
    for i, line in enumerate(lines):
        line.starts_paragraph = i == 0 or _starts_paragraph(lines[i - 1], line, layout)


def _starts_paragraph(before: _Line, line: _Line, layout: _Layout) -> bool:
    if abs(line.size - before.size) > SIZE_CHANGE_POINTS:
        return True
    if line.page == before.page and before.y - line.y > layout.leading * PARAGRAPH_GAP_RATIO:
        return True
    # A short line ends its paragraph (at a page's foot too); one that ends in a broken word does not.
    if len(before.text) < SHORT_LINE_RATIO * layout.full_chars and not _BROKEN_WORD_RE.search(before.text):
        return True
    if _BULLET_RE.match(line.text):
        return True
    indent, indent_before = layout.indent(line), layout.indent(before)
    if _BULLET_RE.match(before.text) and indent > indent_before:  # a list item's hanging indent
        return False
    return indent >= INDENT_MIN_EM * layout.size and abs(indent - indent_before) > MARGIN_TOLERANCE_POINTS


def _paragraphs(lines: list[_Line], vocabulary: set[str]) -> list[str]:
    groups: list[list[str]] = []
    for n, line in enumerate(lines):
        if n == 0 or line.starts_paragraph:
            groups.append([])
        groups[-1].append(line.text)
    return [text for text in (_join_lines(group, vocabulary) for group in groups) if text]


def _vocabulary(lines: list[_Line]) -> set[str]:
    """Every word of the book as printed, hyphenated compounds whole ("well-known")."""
    return {word.casefold().replace("\u2010", "-") for line in lines for word in _WORD_RE.findall(line.text)}


def _join_lines(texts: list[str], vocabulary: set[str]) -> str:
    """The lines of a paragraph as one string, mending words broken at line ends.

    A soft hyphen always goes. "won-" + "derful" -> "wonderful": a hyphen before a lower-case
    letter is taken as a line-end break, unless the book prints the pair with its hyphen
    elsewhere ("well-known"), or does not print the joined word but the first part is a prefix
    that keeps its hyphen ("self-", "well-"). Before a capital or a digit the hyphen stays
    ("Anglo-Saxon", "1914-1918"), as does a dash ("said—and"), with no space after either.
    """
    out = texts[0] if texts else ""
    for text in texts[1:]:
        broken = _BROKEN_WORD_RE.search(out)
        if broken and (
            broken.group(2) == "\u00ad" or (text[:1].islower() and not _keeps_hyphen(broken.group(1), text, vocabulary))
        ):
            out = out[:-1] + text
        elif out[-1:] and out[-1] in "-\u2010—–" and out[-2:-1].strip():
            out += text
        else:
            out = f"{out} {text}"
    return out


def _keeps_hyphen(head: str, text: str, vocabulary: set[str]) -> bool:
    tail = _LEADING_WORD_RE.match(text)
    tail_word = tail.group(0) if tail else ""
    if f"{head}-{tail_word}".casefold() in vocabulary:
        return True
    if f"{head}{tail_word}".casefold() in vocabulary:
        return False
    return head.casefold() in _HYPHEN_PREFIXES


# --------------------------------------------------------------------------- chapters


def _outline_starts(reader: Any, lines: list[_Line], layout: _Layout, book_title: str) -> list[tuple[str, int]]:
    """(title, index of its first line) per chapter of the outline, in reading order."""
    try:
        nodes = _outline_nodes(reader, reader.outline)
    except Exception as exc:  # noqa: BLE001 - a damaged outline leaves the headings to find chapters
        log.warning("the PDF outline cannot be read (%s); chapters come from the headings", _brief(exc))
        return []
    # A lone top entry named after the book holds all the others: it is the book itself (its
    # title page), not a part whose name each bare-numbered chapter should carry.
    if len(nodes) == 1 and nodes[0].children and words(nodes[0].title) == words(book_title):
        nodes = list(nodes[0].children)
    if not nodes:
        return []
    titles = [node.title for node in _walk(nodes)]
    pages = [line.page for line in lines]
    tolerance = layout.leading / 2  # points: a destination's top may sit a little under the heading's

    def start(target: tuple[int, float | None]) -> int:
        page, top = target
        for i in range(bisect_left(pages, page), len(lines)):
            if lines[i].page > page or top is None or lines[i].y <= top + tolerance:
                return i
        return len(lines)

    def same_place(a: tuple[int, float | None], b: tuple[int, float | None]) -> bool:
        first, last = sorted((start(a), start(b)))
        return all(any(_repeats(title, line.text) for title in titles) for line in lines[first:last])

    entries = sorted(
        ((title, start(target)) for title, target in titled_targets(nodes, same_place=same_place)),
        key=lambda entry: entry[1],
    )
    merged: list[tuple[str, int]] = []
    for title, index in entries:
        if merged and merged[-1][1] == index:
            merged[-1] = (join_title([merged[-1][0], title]), index)
        else:
            merged.append((title, index))
    return merged


def _outline_nodes(reader: Any, items: list[Any]) -> list[Node[tuple[int, float | None]]]:
    """pypdf's outline (entries, each followed by a list of its children) as a tree; an entry
    that points nowhere takes its first child's place, or is dropped without children."""
    nodes: list[Node[tuple[int, float | None]]] = []
    pending: tuple[str, tuple[int, float | None] | None] | None = None

    def flush(children: list[Node[tuple[int, float | None]]]) -> None:
        title, target = pending
        target = target or (children[0].target if children else None)
        if target is not None:
            nodes.append(Node(title=title, target=target, children=tuple(children)))
        else:
            nodes.extend(children)

    for item in items:
        if isinstance(item, list):
            children = _outline_nodes(reader, item)
            if pending is None:
                nodes.extend(children)
            else:
                flush(children)
                pending = None
            continue
        if pending is not None:
            flush([])
        pending = (collapse(str(item.title or "")), _destination(reader, item))
    if pending is not None:
        flush([])
    return nodes


def _destination(reader: Any, item: Any) -> tuple[int, float | None] | None:
    page = reader.get_destination_page_number(item)
    if page is None or page < 0:
        return None
    top = item.get("/Top")
    return page, float(top) if isinstance(top, (int, float)) else None


def _walk(nodes: tuple[Node, ...] | list[Node]) -> list[Node]:
    return [n for node in nodes for n in (node, *_walk(node.children))]


def _heading_starts(lines: list[_Line], layout: _Layout) -> list[tuple[str, int]]:
    """(title, index of its first line) per heading: a run of heading-size lines on one page, or
    a one-line paragraph such as "Chapter 12" that is not one of a list of them (a contents page)."""
    starts: list[tuple[str, int]] = []
    i = 0
    while i < len(lines):
        if _is_large_heading(lines[i], layout):
            end = i + 1
            while end < len(lines) and lines[end].page == lines[i].page and _is_large_heading(lines[end], layout):
                end += 1
            starts.append((join_title([line.text for line in lines[i:end]]), i))
            i = end
        elif _is_named_heading(lines, i) and not any(
            0 <= j < len(lines) and lines[j].page == lines[i].page and _is_named_heading(lines, j)
            for j in (i - 1, i + 1)
        ):
            starts.append((lines[i].text, i))
            i += 1
        else:
            i += 1
    return starts


def _is_large_heading(line: _Line, layout: _Layout) -> bool:
    return layout.is_heading_size(line) and len(line.text) <= MAX_HEADING_CHARS and any(c.isalnum() for c in line.text)


def _is_named_heading(lines: list[_Line], i: int) -> bool:
    return _is_one_line_paragraph(lines, i) and heading_kind(lines[i].text) is not None


def _is_one_line_paragraph(lines: list[_Line], i: int) -> bool:
    return lines[i].starts_paragraph and (i + 1 == len(lines) or lines[i + 1].starts_paragraph)


# --------------------------------------------------------------------------- drafts


def _drafts(lines: list[_Line], starts: list[tuple[str, int]], layout: _Layout, book_title: str) -> list[Draft]:
    vocabulary = _vocabulary(lines)
    matter_pages = _matter_pages(lines)
    bounds = [index for _, index in starts] + [len(lines)]

    drafts: list[Draft] = []
    opening = lines[: bounds[0]]
    if opening:
        kept, before, after = _split_matter(opening, matter_pages, vocabulary)
        draft = Draft(book_title, _source(opening), _paragraphs(kept, vocabulary), kind=KIND_FRONT if starts else None)
        if starts and not has_prose(draft.paragraphs):
            draft.matter, draft.label = True, "text before the first chapter"
        drafts += [*before, draft, *after]

    for (title, begin), end in zip(starts, bounds[1:]):
        segment = _without_title_lines(lines[begin:end], title, layout)
        draft = Draft(title, _source(lines[begin:end]))
        if is_matter_name(title) and sum(len(line.text.split()) for line in segment) <= MATTER_MAX_WORDS:
            draft.matter, draft.paragraphs = True, _paragraphs(segment, vocabulary)
            drafts.append(draft)
            continue
        kept, before, after = _split_matter(segment, matter_pages, vocabulary)
        draft.paragraphs = _paragraphs(kept, vocabulary)
        draft.matter = words(title) == words(book_title) and not has_prose(draft.paragraphs)  # a title page
        drafts += [*before, draft, *after]
    return drafts


def _source(lines: list[_Line]) -> str:
    return f"page {lines[0].page + 1}" if lines else "pdf"


def _without_title_lines(segment: list[_Line], title: str, layout: _Layout) -> list[_Line]:
    """The chapter's lines less its heading, when the heading repeats the title."""
    n = 0
    while (
        n < len(segment)
        and (layout.is_heading_size(segment[n]) or _is_one_line_paragraph(segment, n))
        and _repeats(title, segment[n].text)
    ):
        n += 1
    return segment[n:]


def _repeats(title: str, text: str) -> bool:
    """Whether a heading line says what the title does, or part of it, section number aside."""
    return bool(words(text)) and contains_words(title, _SECTION_NUMBER_RE.sub("", text))


def _matter_pages(lines: list[_Line]) -> dict[int, str]:
    """Pages that list page references (contents in the first half of the book, else an index)
    or hold a copyright notice -> the title they are left out under."""
    by_page: dict[int, list[str]] = {}
    for line in lines:
        by_page.setdefault(line.page, []).append(line.text)
    middle = lines[-1].page / 2 if lines else 0
    matter = {}
    for page, texts in by_page.items():
        references = sum(1 for text in texts if _PAGE_REFERENCE_RE.match(text))
        if len(texts) >= REFERENCE_PAGE_MIN_LINES and references >= REFERENCE_PAGE_SHARE * len(texts):
            matter[page] = "Contents" if page < middle else "Index"
        elif sum(len(text.split()) for text in texts) <= COPYRIGHT_PAGE_MAX_WORDS and any(
            is_copyright_notice(text) for text in texts
        ):
            matter[page] = "Copyright"
    return matter


def _split_matter(
    lines: list[_Line], matter_pages: dict[int, str], vocabulary: set[str]
) -> tuple[list[_Line], list[Draft], list[Draft]]:
    """(the lines not on matter pages, matter drafts of those before them, of those after them)."""
    kept = [line for line in lines if line.page not in matter_pages]
    runs: list[list[_Line]] = []
    for line in lines:
        if line.page not in matter_pages:
            continue
        if runs and matter_pages[runs[-1][-1].page] == matter_pages[line.page]:
            runs[-1].append(line)
        else:
            runs.append([line])
    before: list[Draft] = []
    after: list[Draft] = []
    for run in runs:
        first, last = run[0].page + 1, run[-1].page + 1
        title = matter_pages[run[0].page]
        label = f"{title} (page {first})" if first == last else f"{title} (pages {first}-{last})"
        draft = Draft(title, _source(run), _paragraphs(run, vocabulary), matter=True, label=label)
        (before if not kept or run[0].page < kept[0].page else after).append(draft)
    return kept, before, after

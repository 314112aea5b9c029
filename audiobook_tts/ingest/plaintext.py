"""Plain text -> Book: paragraphs are separated by blank lines, chapters start at heading lines."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import BookError
from .assemble import Draft, finish
from .matter import (
    HEADING_NUMBERED,
    NOTE_REF_RE,
    PG_END_RE,
    PG_START_RE,
    collapse,
    has_prose,
    heading_kind,
    is_matter_name,
    join_title,
)
from .model import KIND_FRONT, Book, BookMeta
from .textfile import read_text_file

_MAX_HEADING_CHARS = 80
_MAX_SUBTITLE_CHARS = 60
# A line ending like this is a sentence, not a title.
_SENTENCE_END = tuple(".,;:!?\"'”’…)")
_PG_FIELD_RE = re.compile(r"^(Title|Author|Language):\s*(.*)$")
_LANGUAGES = {
    "english": "en",
    "french": "fr",
    "german": "de",
    "spanish": "es",
    "italian": "it",
    "portuguese": "pt",
    "dutch": "nl",
    "polish": "pl",
    "russian": "ru",
    "chinese": "zh",
    "japanese": "ja",
}
# Project Gutenberg markup that is not text: "[Illustration: ...]", "[Footnote 1: ...]", _italics_.
_ILLUSTRATION_RE = re.compile(r"\[Illustration(?::[^\]]*)?\]", re.IGNORECASE)
_FOOTNOTE_BLOCK_RE = re.compile(r"^\[Footnote\b", re.IGNORECASE)
_UNDERSCORE_EMPHASIS_RE = re.compile(r"(?<![\w_])_(?=\S)([^_]+?)(?<=\S)_(?![\w_])")


def read_text(path: Path, *, include_front_matter: bool) -> Book:
    lines = read_text_file(path).split("\n")
    header, lines = _strip_gutenberg(lines)
    fields = _gutenberg_fields(header)
    meta = BookMeta(
        title=fields.get("Title") or path.stem,
        authors=(fields["Author"],) if fields.get("Author") else (),
        language=_LANGUAGES.get(fields.get("Language", "").casefold(), ""),
        cover=None,
        cover_mime=None,
    )
    # Footnote bodies are not read inline; illustration-only blocks leave nothing to read.
    blocks = [b for b in _blocks(lines) if not _FOOTNOTE_BLOCK_RE.match(b[0]) and _paragraph(b)]
    chapters, skipped = finish(_drafts(blocks, meta.title), include_front_matter=include_front_matter)
    if not chapters:
        raise BookError(f"{path} contains no readable text")
    return Book(path=path, format="text", meta=meta, chapters=chapters, skipped=skipped)


def _strip_gutenberg(lines: list[str]) -> tuple[list[str], list[str]]:
    """(header lines, text lines) with the Project Gutenberg header and licence removed.

    The text stops at the first end marker: "*** END OF THE PROJECT GUTENBERG EBOOK", or the
    older "End of the Project Gutenberg EBook of ..." line, which may come without any start
    marker. It starts after the last start marker before that (the oldest files end their header
    with "*END*THE SMALL PRINT!", some add a "*** START OF..." line after it).
    """
    end = next((i for i, line in enumerate(lines) if PG_END_RE.match(line.strip())), len(lines))
    start = max((i for i in range(end) if PG_START_RE.match(lines[i].strip())), default=-1)
    return lines[: max(start, 0)], lines[start + 1 : end]


def _gutenberg_fields(header: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    last = None
    for line in header:
        match = _PG_FIELD_RE.match(line)
        if match:
            last = match.group(1)
            fields.setdefault(last, collapse(match.group(2)))
        elif last and line.startswith((" ", "\t")) and line.strip():  # a wrapped long title
            fields[last] = f"{fields[last]} {collapse(line)}"
        else:
            last = None
    return fields


def _blocks(lines: list[str]) -> list[list[str]]:
    """Runs of non-blank lines, each line stripped."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _paragraph(lines: list[str]) -> str:
    """Hard-wrapped lines joined into one paragraph, Gutenberg markup removed."""
    text = " ".join(lines)
    text = _UNDERSCORE_EMPHASIS_RE.sub(r"\1", _ILLUSTRATION_RE.sub("", text))
    return collapse(NOTE_REF_RE.sub("", text))


def _is_heading(block: list[str]) -> bool:
    """A heading block: "CHAPTER IV." alone, or with its title / first text line below it;
    several heading-like lines together are a list of contents, not a heading."""
    kind = heading_kind(block[0])
    if kind == HEADING_NUMBERED:
        return not any(heading_kind(other) == HEADING_NUMBERED for other in block[1:])
    return kind is not None and len(block) == 1


def _subtitle_like(block: list[str]) -> bool:
    if len(block) != 1 or len(block[0]) > _MAX_SUBTITLE_CHARS:
        return False
    line = block[0]
    return line.isupper() or not line.endswith(_SENTENCE_END)


def _drafts(blocks: list[list[str]], book_title: str) -> list[Draft]:
    drafts: list[Draft] = []
    opening: list[list[str]] = []  # blocks before the first heading
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if not _is_heading(block):
            if drafts:
                drafts[-1].paragraphs.append(_paragraph(block))
            else:
                opening.append(block)
            i += 1
            continue
        title_parts, rest = [block[0]], block[1:]
        if len(rest) == 1 and _subtitle_like(rest):  # "CHAPTER I.\nTHE BEGINNING"
            title_parts, rest = [block[0], rest[0]], []
        elif (
            not rest and i + 1 < len(blocks) and _subtitle_like(blocks[i + 1]) and not _is_heading(blocks[i + 1])
        ):  # "CHAPTER I." <blank> "THE BEGINNING"
            title_parts.append(blocks[i + 1][0])
            i += 1
        title = join_title([collapse(p) for p in title_parts])
        draft = Draft(title=title, source="text", matter=is_matter_name(title))
        if rest:
            draft.paragraphs.append(_paragraph(rest))
        drafts.append(draft)
        i += 1
    return _opening_drafts(opening, book_title, has_chapters=bool(drafts)) + drafts


def _opening_drafts(opening: list[list[str]], book_title: str, *, has_chapters: bool) -> list[Draft]:
    """Text before the first heading: the whole book when there are no headings; else an
    untitled preface, or (without any prose) the title page. Titled by its first line when
    that looks like a title."""
    if not opening:
        return []
    title = book_title
    first = opening[0]
    if (
        len(opening) > 1
        and len(first) == 1
        and len(first[0]) <= _MAX_HEADING_CHARS
        and not first[0].endswith(_SENTENCE_END)
    ):
        title, opening = collapse(first[0]), opening[1:]
    paragraphs = [_paragraph(b) for b in opening]
    if has_chapters and not has_prose(paragraphs):
        return [Draft(title, "text", paragraphs, matter=True, label="text before the first chapter")]
    return [Draft(title, "text", paragraphs, kind=KIND_FRONT if has_chapters else None)]

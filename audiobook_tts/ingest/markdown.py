"""Markdown -> Book: headings make chapters, markup is dropped, the text is kept.

Parsed with markdown-it-py (CommonMark, which Rich already depends on). Emphasis and links keep
their text; images, raw HTML tags and footnote definitions are dropped; code blocks are read as
plain text, one line per source line, since in a book they usually hold verse or letters whose
line breaks matter. A leading YAML front matter block may give ``title``, ``author(s)`` and
``lang``/``language`` (a code as books spell it, "fr", "fr-FR", "fre", or a name, "French";
simple ``key: value`` and list forms only).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..errors import BookError
from ..languages import normalize_code
from .assemble import Draft, finish
from .matter import NOTE_REF_RE, collapse, is_matter_name
from .model import KIND_FRONT, Book, BookMeta
from .textfile import read_text_file

_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_KEY_RE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
_LIST_ITEM_RE = re.compile(r"^\s+-\s+(.*)$|^-\s+(.*)$")
_FOOTNOTE_REF_RE = re.compile(r"\[\^[^\]\s]+\]")
_FOOTNOTE_DEF_RE = re.compile(r"^\[\^[^\]\s]+\]:")
_BR_RE = re.compile(r"^<br\s*/?>$", re.IGNORECASE)


@dataclass(frozen=True)
class _Heading:
    level: int
    text: str


def read_markdown(path: Path, *, include_front_matter: bool) -> Book:
    text = read_text_file(path)
    fields, text = _front_matter(text)
    events = _events(text)
    drafts, heading_title = _drafts(events, fields.get("title", "") or path.stem)
    chapters, skipped = finish(drafts, include_front_matter=include_front_matter)
    if not chapters:
        raise BookError(f"{path} contains no readable text")
    authors = fields.get("authors") or fields.get("author") or fields.get("creator") or []
    meta = BookMeta(
        title=fields.get("title") or heading_title or path.stem,
        authors=tuple(str(a) for a in authors) if isinstance(authors, list) else (str(authors),),
        language=normalize_code(str(fields.get("lang") or fields.get("language") or "")),
        cover=None,
        cover_mime=None,
    )
    return Book(path=path, format="markdown", meta=meta, chapters=chapters, skipped=skipped)


def _front_matter(text: str) -> tuple[dict[str, str | list[str]], str]:
    """The ``---`` block's scalar and list values, and the text after it."""
    text = text.lstrip("\ufeff")
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text
    fields: dict[str, str | list[str]] = {}
    key = None
    for line in match.group(1).split("\n"):
        item = _LIST_ITEM_RE.match(line)
        if item and key is not None:
            value = fields.get(key)
            fields[key] = [*(value if isinstance(value, list) else []), _unquote(item.group(1) or item.group(2))]
            continue
        pair = _KEY_RE.match(line)
        if not pair:
            continue
        key, value = pair.group(1).casefold(), pair.group(2).strip()
        if value.startswith("[") and value.endswith("]"):
            fields[key] = [_unquote(v) for v in value[1:-1].split(",") if v.strip()]
        elif value:
            fields[key] = _unquote(value)
    return fields, text[match.end() :]


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value


def _events(text: str) -> list[_Heading | str]:
    """Headings and paragraphs in document order."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(text)
    events: list[_Heading | str] = []
    row: list[str] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            events.append(_Heading(int(token.tag[1]), collapse(_inline_text(tokens[i + 1]))))
        elif token.type == "inline" and tokens[i - 1].type != "heading_open":
            if _FOOTNOTE_DEF_RE.match(token.content.lstrip()):
                continue
            if tokens[i - 1].type in ("th_open", "td_open"):
                row.append(collapse(_inline_text(token)))
            else:
                events.append(_inline_text(token))
        elif token.type == "tr_close":
            events.append(", ".join(cell for cell in row if cell))
            row = []
        elif token.type in ("fence", "code_block"):
            events.append("\n".join(collapse(line) for line in token.content.split("\n") if line.strip()))
        elif token.type == "html_block":
            from bs4 import BeautifulSoup

            events.append(collapse(BeautifulSoup(token.content, "lxml").get_text(" ")))
    return [e for e in events if not isinstance(e, str) or e]


def _inline_text(token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak" or (child.type == "html_inline" and _BR_RE.match(child.content)):
            parts.append("\n")
        # images (alt text included), other inline HTML and markup tokens carry no narration
    lines = (collapse(NOTE_REF_RE.sub("", _FOOTNOTE_REF_RE.sub("", line))) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _drafts(events: list[_Heading | str], fallback_title: str) -> tuple[list[Draft], str]:
    """Chapters start at the highest heading level used more than once; a lone "#" heading
    above "##" chapters is the book's title. Returns the drafts and that title ("" if none)."""
    counts = Counter(e.level for e in events if isinstance(e, _Heading))
    repeated = [level for level, n in counts.items() if n > 1]
    chapter_level = min(repeated) if repeated else min(counts, default=0)
    first_heading = next((e for e in events if isinstance(e, _Heading)), None)
    book_title = ""
    if first_heading is not None and first_heading.level < chapter_level and counts[first_heading.level] == 1:
        book_title = first_heading.text
        events = [e for e in events if e is not first_heading]
    elif chapter_level and counts[chapter_level] == 1:
        book_title = first_heading.text if first_heading is not None else ""

    opening: list[str] = []
    drafts: list[Draft] = []
    for event in events:
        if isinstance(event, _Heading) and event.level <= chapter_level:
            drafts.append(Draft(title=event.text or None, source="markdown", matter=is_matter_name(event.text)))
            continue
        text = event.text if isinstance(event, _Heading) else event
        (drafts[-1].paragraphs if drafts else opening).append(text)
    if opening:
        # Authored text before the first chapter (an epigraph, a note) is narration.
        kind = KIND_FRONT if drafts else None
        drafts.insert(0, Draft(book_title or fallback_title, "markdown", opening, kind=kind))
    return drafts, book_title

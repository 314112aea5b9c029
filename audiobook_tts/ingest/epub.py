"""EPUB 2/3 -> Book: spine order, TOC titles, front/back matter recognition, metadata, cover."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from ..errors import BookError
from . import xhtml
from .assemble import Draft, finish
from .epub_package import check_archive, load_package, read_meta
from .matter import (
    BACK_TYPES,
    BODY_TYPES,
    FRONT_TYPES,
    MATTER_MAX_WORDS,
    NARRATION_TYPES,
    NON_NARRATION_TYPES,
    PG_END_RE,
    PG_START_RE,
    collapse,
    contains_words,
    has_prose,
    is_matter_name,
    join_title,
    words,
)
from .model import KIND_BACK, KIND_BODY, KIND_FRONT, Book

_DOCUMENT_TYPES = frozenset({"application/xhtml+xml", "text/html"})
# A heading group longer than this is not a title (a poem set in <h3>s, say).
_MAX_HEADING_BLOCKS = 3


def read_epub(path: Path, *, include_front_matter: bool) -> Book:
    check_archive(path)
    book = load_package(path)
    meta = read_meta(book, path)

    docs: list[_Doc] = []
    for linear_only in (True, False):
        # Non-linear items (pop-up notes, cover pages) are read only when nothing else has text.
        docs = _documents(book, linear_only=linear_only)
        if any(d.blocks for d in docs):
            break
    if not any(d.blocks for d in docs):
        raise BookError(f"{path} contains no readable text")
    _cut_gutenberg_boilerplate(docs)

    chapters, skipped = finish(_drafts(docs, meta.title), include_front_matter=include_front_matter)
    if not chapters:
        raise BookError(f"{path} contains no readable text outside front/back matter ({', '.join(skipped)})")
    return Book(path=path, format="epub", meta=meta, chapters=chapters, skipped=skipped)


# --- documents ----------------------------------------------------------------------------------


@dataclass
class _Doc:
    href: str
    blocks: list[xhtml.Block | xhtml.Anchor]
    entries: list[tuple[str | None, str]]  # (fragment, TOC title), TOC order
    types: set[str]  # epub:type/role of the body and its top-level sections, plus landmarks/guide
    body_types: set[str]  # epub:type/role of <body> alone (frontmatter/bodymatter/backmatter)
    head_title: str
    is_nav: bool
    before_body_start: bool
    matter: bool = False
    label: str = ""


def _documents(book, *, linear_only: bool) -> list[_Doc]:
    from ebooklib import epub

    toc = _toc_entries(book)
    landmarks, body_start = _landmarks(book)
    docs = []
    seen_body_start = body_start is None
    for idref, linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or (item.media_type not in _DOCUMENT_TYPES) or (linear_only and linear == "no"):
            continue
        href = posixpath.normpath(item.file_name)
        seen_body_start = seen_body_start or href == body_start
        entries = toc.get(href, [])
        soup = xhtml.parse(item.content)  # get_content() would rebuild <head> without <title>
        body = soup.find("body") or soup
        title_tag = soup.find("title")
        docs.append(
            _Doc(
                href=href,
                blocks=xhtml.blocks(body, frozenset(f for f, _ in entries if f)),
                entries=entries,
                types=_top_types(body) | landmarks.get(href, set()),
                body_types=xhtml.semantic_types(body) if body.name == "body" else set(),
                head_title=collapse(title_tag.get_text()) if title_tag is not None else "",
                is_nav=isinstance(item, epub.EpubNav),
                before_body_start=not seen_body_start,
            )
        )
    return docs


def _top_types(body) -> set[str]:
    """Semantics of the document as a whole: <body> and its top-level sections (through one
    untyped wrapper <div>), not those of asides or letters deep inside a chapter."""
    types = xhtml.semantic_types(body)
    for child in body.find_all(recursive=False):
        child_types = xhtml.semantic_types(child)
        if not child_types and child.name in ("div", "main", "article"):
            for grandchild in child.find_all(recursive=False):
                child_types |= xhtml.semantic_types(grandchild)
        types |= child_types
    return types


def _toc_entries(book) -> dict[str, list[tuple[str | None, str]]]:
    """Spine href -> [(fragment or None, title)], from the EPUB 3 nav or else the NCX."""
    from ebooklib import epub

    has_nav = any(isinstance(i, epub.EpubNav) for i in book.get_items())
    # ebooklib resolves nav hrefs against the nav's folder, but leaves NCX hrefs as written,
    # relative to the NCX file.
    ncx = next((i for i in book.get_items() if isinstance(i, epub.EpubNcx)), None)
    base = "" if has_nav or ncx is None else posixpath.dirname(ncx.file_name)
    entries: dict[str, list[tuple[str | None, str]]] = {}
    for title, href in _flatten(book.toc):
        path, _, fragment = href.partition("#")
        if not path or "://" in path:
            continue
        path = posixpath.normpath(posixpath.join(base, unquote(path)))
        entries.setdefault(path, []).append((unquote(fragment) or None, collapse(title or "")))
    return entries


def _flatten(nodes):
    for node in nodes:
        if isinstance(node, (tuple, list)):
            section, children = node
            yield section.title, getattr(section, "href", "") or ""
            yield from _flatten(children)
        else:
            yield node.title, node.href or ""


def _landmarks(book) -> tuple[dict[str, set[str]], str | None]:
    """Landmark/guide types by spine href, and the href where the body matter starts. Marks
    pointing inside a file (#contents in a one-file book) say nothing about the whole file."""
    from ebooklib import epub

    marks: list[tuple[str, str]] = []  # (href relative to the OPF, type)
    for ref in book.guide:
        if ref.get("href") and ref.get("type"):
            marks.append((ref["href"], ref["type"].casefold()))
    for nav in (i for i in book.get_items() if isinstance(i, epub.EpubNav)):
        soup = xhtml.parse(nav.content)
        folder = posixpath.dirname(nav.file_name)
        for landmarks in soup.find_all("nav"):
            if "landmarks" not in xhtml.semantic_types(landmarks):
                continue
            for link in landmarks.find_all("a", href=True):
                for kind in xhtml.semantic_types(link):
                    marks.append((posixpath.join(folder, link["href"]), kind))
    whole: dict[str, set[str]] = {}
    body_start = None
    for href, kind in marks:
        path, _, fragment = href.partition("#")
        path = posixpath.normpath(unquote(path))
        if not fragment:
            whole.setdefault(path, set()).add(kind)
        if kind in ("bodymatter", "text") and body_start is None:
            body_start = path
    return whole, body_start


def _cut_gutenberg_boilerplate(docs: list[_Doc]) -> None:
    """Drop everything up to "*** START OF THE PROJECT GUTENBERG..." and from "*** END OF...":
    older Gutenberg EPUBs keep their header and licence inline, in the first and last files."""
    flat = [(d, i) for d, doc in enumerate(docs) for i, b in enumerate(doc.blocks) if isinstance(b, xhtml.Block)]
    starts = [n for n, (d, i) in enumerate(flat) if PG_START_RE.search(docs[d].blocks[i].text)]
    start = starts[0] if starts else -1
    ends = [n for n, (d, i) in enumerate(flat) if n > start and PG_END_RE.search(docs[d].blocks[i].text)]
    drop = set(flat[: start + 1]) | set(flat[ends[0] :] if ends else [])
    if not drop:
        return
    for d, doc in enumerate(docs):
        kept = [b for i, b in enumerate(doc.blocks) if (d, i) not in drop]
        had_text = any(isinstance(b, xhtml.Block) for b in doc.blocks)
        if had_text and not any(isinstance(b, xhtml.Block) for b in kept):
            doc.matter = True
            doc.label = "Project Gutenberg boilerplate"
        doc.blocks = kept


# --- chapters -----------------------------------------------------------------------------------


def _classify(doc: _Doc) -> None:
    text_words = sum(len(b.text.split()) for b in doc.blocks if isinstance(b, xhtml.Block))
    # TOC titles name the file only when they do not cut it into pieces (each piece is then
    # judged by its own title, in _drafts).
    split = any(isinstance(b, xhtml.Anchor) for b in doc.blocks)
    named = [doc.href.rsplit("/", 1)[-1].rsplit(".", 1)[0], doc.head_title, *(t for _, t in doc.entries if not split)]
    first = next((b for b in doc.blocks if isinstance(b, xhtml.Block)), None)
    if first is not None and first.heading:
        named.append(first.text)
    by_semantics = bool(doc.types & NON_NARRATION_TYPES) and not doc.types & NARRATION_TYPES
    by_name = text_words <= MATTER_MAX_WORDS and any(is_matter_name(n) for n in named if n)
    doc.matter = doc.matter or doc.is_nav or by_semantics or by_name


def _kind(doc: _Doc) -> str | None:
    for types in (doc.body_types, doc.types):
        if types & FRONT_TYPES:
            return KIND_FRONT
        if types & BACK_TYPES:
            return KIND_BACK
        if types & BODY_TYPES:
            return KIND_BODY
    return KIND_FRONT if doc.before_body_start else None


@dataclass
class _Piece:
    titles: list[str]
    blocks: list[xhtml.Block]


def _drafts(docs: list[_Doc], book_title: str) -> list[Draft]:
    drafts: list[Draft] = []
    for doc in docs:
        _classify(doc)
        kind = _kind(doc)
        if doc.matter:
            blocks = [b for b in doc.blocks if isinstance(b, xhtml.Block)]
            titles = [t for _, t in doc.entries[:1] if t]
            draft = _draft_from(_Piece(titles, blocks), doc.href, kind)
            draft.matter = True
            draft.title = draft.title or doc.head_title or None
            draft.label = doc.label or draft.title or doc.href
            drafts.append(draft)
            continue
        for piece in _split(doc):
            opens_chapter = 0 < piece.blocks[0].heading <= 3 if piece.blocks else False
            if not piece.titles and piece.blocks and not opens_chapter and drafts and not drafts[-1].matter:
                # A continuation file (a chapter split in two for size) or the text before the
                # first TOC anchor in a file belongs to the chapter already open.
                drafts[-1].paragraphs.extend(b.text for b in piece.blocks)
            elif piece.titles or piece.blocks:
                draft = _draft_from(piece, doc.href, kind)
                if _is_matter_piece(draft) or (
                    not any(d.paragraphs and not d.matter for d in drafts) and _is_title_page(piece, book_title)
                ):
                    draft.matter, draft.label = True, draft.title or book_title
                drafts.append(draft)
    return drafts


def _is_matter_piece(draft: Draft) -> bool:
    """A "Contents" or "Title Page" stretch of a file that the TOC cuts into pieces."""
    text_words = sum(len(p.split()) for p in draft.paragraphs)
    return bool(draft.title) and is_matter_name(draft.title) and text_words <= MATTER_MAX_WORDS


def _is_title_page(piece: _Piece, book_title: str) -> bool:
    """An untitled stretch that opens with the book's title and has no prose, before any chapter:
    the title page and contents that Gutenberg EPUBs put ahead of chapter 1 in the same file."""
    return (
        not piece.titles
        and bool(piece.blocks)
        and piece.blocks[0].heading > 0
        and words(piece.blocks[0].text) == words(book_title)
        and not has_prose([b.text for b in piece.blocks])
    )


def _split(doc: _Doc) -> list[_Piece]:
    """Cut a document at its TOC anchors; entries without (found) fragments title the start."""
    found = {b.id for b in doc.blocks if isinstance(b, xhtml.Anchor)}
    start = _Piece([t for f, t in doc.entries if (f is None or f not in found) and t], [])
    pieces = [start]
    for block in doc.blocks:
        if isinstance(block, xhtml.Block):
            pieces[-1].blocks.append(block)
            continue
        titles = [t for f, t in doc.entries if f == block.id and t]
        if pieces[-1].blocks:
            pieces.append(_Piece(titles, []))
        else:  # the anchor sits before any text: same place as the titles already collected
            pieces[-1].titles.extend(titles)
    return pieces


def _draft_from(piece: _Piece, source: str, kind: str | None) -> Draft:
    headings: list[xhtml.Block] = []
    for block in piece.blocks[:_MAX_HEADING_BLOCKS]:
        if not block.heading:
            break
        headings.append(block)
    heading_title = join_title([collapse(b.text) for b in headings])
    title = join_title(list(dict.fromkeys(piece.titles)))
    if not title and headings and min(b.heading for b in headings) <= 3:
        title = heading_title
    elif title and contains_words(heading_title, title) and len(words(heading_title)) > len(words(title)):
        # The TOC says "Chapter 1", the page says "Chapter 1: The Storm": the book's own name wins.
        title = heading_title
    # The title is announced on its own; its heading must not be read again as text.
    paragraphs = [b.text for b in headings if not (title and contains_words(title, b.text))]
    paragraphs += [b.text for b in piece.blocks[len(headings) :]]
    return Draft(title=title or None, source=source, paragraphs=paragraphs, kind=kind)

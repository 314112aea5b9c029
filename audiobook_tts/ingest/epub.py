"""EPUB 2/3 -> Book: spine order, TOC titles, front/back matter recognition, metadata, cover.

Which table of contents: the EPUB 3 nav document's (its ``epub:type="toc"`` nav, else its first
other nav, else its first list) when any of its links reaches a spine document; otherwise the
NCX's under the same test; otherwise none, and titles come from headings. The nav is what EPUB 3
makes authoritative; the NCX is a fallback for an empty or broken nav, or one whose links point
at files the book does not have. An entry whose link reaches no spine document is kept only as
a heading over its children (toc.py).

How the TOC cuts the text: an entry starts a chapter where it points (a whole file, or the
element its fragment names, wherever it stands); text before a file's first entry belongs to the
chapter already open, and so does a spine file that no entry names, unless it opens with its own
heading (h1-h3) or follows front/back matter: then it is a chapter of its own, titled by its
heading or "Chapter N". Nothing in the spine goes unread but matter. Titles follow ``toc.py``.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
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
from .toc import Node, titled_targets

_DOCUMENT_TYPES = frozenset({"application/xhtml+xml", "text/html"})
# A heading group longer than this is not a title (a poem set in <h3>s, say).
_MAX_HEADING_BLOCKS = 3
# Navs of a nav document that are not the table of contents.
_OTHER_NAV_TYPES = frozenset({"landmarks", "page-list", "doc-pagelist", "loi", "lot", "loa", "lov"})

# A link with a scheme (https:, mailto:) leads out of the book.
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

_Target = tuple[str, str | None]  # (spine href relative to the OPF folder, fragment)


def read_epub(path: Path, *, include_front_matter: bool) -> Book:
    check_archive(path)
    book = load_package(path)
    meta = read_meta(book, path)

    nav = _nav_document(book, path)
    spine = _spine_items(book)
    tree = _toc_tree(book, path, nav, {href for href, _, _ in spine})
    docs = _documents(path, spine, tree, _landmarks(book, nav))
    # Non-linear items (pop-up notes, cover pages) are read only when nothing else has text.
    linear = [d for d in docs if d.linear]
    docs = linear if any(d.blocks for d in linear) else docs
    if not any(d.blocks for d in docs):
        raise BookError(f"{path} contains no readable text")
    _assign_entries(docs, tree)
    _cut_gutenberg_boilerplate(docs)

    chapters, skipped = finish(_drafts(docs, meta.title), include_front_matter=include_front_matter)
    if not chapters:
        raise BookError(f"{path} contains no readable text outside front/back matter ({', '.join(skipped)})")
    return Book(path=path, format="epub", meta=meta, chapters=chapters, skipped=skipped)


def _parse(path: Path, name: str, content: bytes):
    try:
        return xhtml.parse(content)
    except xhtml.UnsafeDocumentError as exc:
        raise BookError(f"{path} is not a safe EPUB: {name} {exc}") from None


# --- documents ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    fragment: str | None
    title: str  # as the chapter list shows it, with a parent's title in front where toc.py says
    own: str  # the entry's own words in the TOC


@dataclass
class _Doc:
    href: str
    linear: bool
    blocks: list[xhtml.Block | xhtml.Anchor]
    types: set[str]  # epub:type/role of the body and its top-level sections, plus landmarks/guide
    body_types: set[str]  # epub:type/role of <body> alone (frontmatter/bodymatter/backmatter)
    head_title: str
    is_nav: bool
    before_body_start: bool
    entries: list[_Entry] = field(default_factory=list)  # TOC order
    matter: bool = False
    label: str = ""


def _spine_items(book) -> list[tuple[str, bool, object]]:
    """(href, linear, item) of every content document in the spine, in reading order."""
    items = []
    for idref, linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is not None and item.media_type in _DOCUMENT_TYPES:
            items.append((posixpath.normpath(item.file_name), linear != "no", item))
    return items


def _documents(
    path: Path,
    spine: list[tuple[str, bool, object]],
    tree: list[Node[_Target]],
    marks: tuple[dict[str, set[str]], str | None],
) -> list[_Doc]:
    from ebooklib import epub

    landmarks, body_start = marks
    anchors: dict[str, set[str]] = {}
    for node in _walk(tree):
        if node.target is not None and node.target[1]:
            anchors.setdefault(node.target[0], set()).add(node.target[1])
    docs = []
    seen_body_start = body_start is None
    for href, linear, item in spine:
        seen_body_start = seen_body_start or href == body_start
        soup = _parse(path, href, item.content)  # get_content() would rebuild <head> without <title>
        body = soup.find("body") or soup
        title_tag = soup.find("title")
        docs.append(
            _Doc(
                href=href,
                linear=linear,
                blocks=xhtml.blocks(body, frozenset(anchors.get(href, ()))),
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


# --- table of contents --------------------------------------------------------------------------


@dataclass(frozen=True)
class _NavDocument:
    soup: object
    folder: str  # where its links are relative to (relative to the OPF folder)


def _nav_document(book, path: Path) -> _NavDocument | None:
    from ebooklib import epub

    nav = next((i for i in book.get_items() if isinstance(i, epub.EpubNav)), None)
    if nav is None:
        return None
    return _NavDocument(_parse(path, nav.file_name, nav.content), posixpath.dirname(nav.file_name))


def _toc_tree(book, path: Path, nav: _NavDocument | None, spine: set[str]) -> list[Node[_Target]]:
    """The nav's TOC if any of its links reaches a spine document, else the NCX's, else none."""
    for read in (lambda: _nav_tree(nav, spine), lambda: _ncx_tree(book, path, spine)):
        tree = read()
        if any(node.target is not None for node in _walk(tree)):
            return tree
    return []


def _nav_tree(nav: _NavDocument | None, spine: set[str]) -> list[Node[_Target]]:
    if nav is None:
        return []
    navs = nav.soup.find_all("nav")
    toc = next((n for n in navs if xhtml.semantic_types(n) & {"toc", "doc-toc"}), None)
    if toc is None:
        toc = next((n for n in navs if not xhtml.semantic_types(n) & _OTHER_NAV_TYPES), None)
    if toc is None and navs:
        return []  # only landmarks or page lists
    # A nav document without any <nav> is taken at its word: its first list is the contents.
    found = (toc if toc is not None else nav.soup).find(["ol", "ul"])
    return _nav_list(found, nav.folder, spine) if found is not None else []


def _nav_list(list_tag, folder: str, spine: set[str]) -> list[Node[_Target]]:
    nodes = []
    for li in list_tag.find_all("li", recursive=False):
        label = sublist = None
        for child in li.find_all(True, recursive=False):
            if child.name in ("ol", "ul"):
                sublist = child if sublist is None else sublist
            elif label is None:
                label = child
        link = label if label is None or label.name == "a" else label.find("a")
        if label is not None:
            title = label.get_text()
        else:  # <li>Part One<ol>...</ol></li>
            title = "".join(li.find_all(string=True, recursive=False))
        target = _resolve(folder, link.get("href"), spine) if link is not None else None
        children = _nav_list(sublist, folder, spine) if sublist is not None else []
        nodes.append(Node(collapse(title), target, tuple(children)))
    return nodes


def _ncx_tree(book, path: Path, spine: set[str]) -> list[Node[_Target]]:
    from ebooklib import epub

    ncx = next((i for i in book.get_items() if isinstance(i, epub.EpubNcx)), None)
    if ncx is None:
        return []
    soup = _parse(path, ncx.file_name, ncx.content)
    nav_map = soup.find(_named("navmap"))
    # NCX links are relative to the NCX file.
    return _ncx_points(nav_map, posixpath.dirname(ncx.file_name), spine) if nav_map is not None else []


def _ncx_points(parent, folder: str, spine: set[str]) -> list[Node[_Target]]:
    nodes = []
    for point in parent.find_all(_named("navpoint"), recursive=False):
        label = point.find(_named("navlabel"), recursive=False)
        text = label.find(_named("text")) if label is not None else None
        content = point.find(_named("content"), recursive=False)
        target = _resolve(folder, content.get("src"), spine) if content is not None else None
        children = _ncx_points(point, folder, spine)
        nodes.append(Node(collapse(text.get_text()) if text is not None else "", target, tuple(children)))
    return nodes


def _named(name: str):
    """Match a tag by local name, case-insensitively (the HTML fallback parser lowercases)."""
    return lambda tag: tag.name.rsplit(":", 1)[-1].casefold() == name


def _resolve(folder: str, href: str | None, spine: set[str]) -> _Target | None:
    """A TOC link as (spine href, fragment), or None when it leads outside the spine."""
    if not href or _SCHEME_RE.match(href.strip()):
        return None
    path, _, fragment = href.strip().partition("#")
    if not path:
        return None
    path = posixpath.normpath(posixpath.join(folder, unquote(path)))
    return (path, unquote(fragment) or None) if path in spine else None


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node.children)


def _assign_entries(docs: list[_Doc], tree: list[Node[_Target]]) -> None:
    """Give each document its TOC entries, titled by the rule of toc.py."""
    by_href = {d.href: d for d in docs}
    positions = {
        d.href: {b.id: i for i, b in reversed(list(enumerate(d.blocks))) if isinstance(b, xhtml.Anchor)} for d in docs
    }

    def same_place(a: _Target, b: _Target) -> bool:
        # Two entries into one file start at the same place when no text lies between them (a
        # missing fragment means the file's start, as _split reads it).
        doc = by_href.get(a[0])
        if doc is None or a[0] != b[0]:
            return a == b
        lo, hi = sorted(positions[a[0]].get(f, 0) if f else 0 for f in (a[1], b[1]))
        return not any(isinstance(block, xhtml.Block) for block in doc.blocks[lo:hi])

    own = {node.target: node.title for node in _walk(tree) if node.target is not None}
    for title, (href, fragment) in titled_targets(tree, same_place=same_place):
        if href in by_href:
            by_href[href].entries.append(_Entry(fragment, collapse(title), own.get((href, fragment), "")))


def _landmarks(book, nav: _NavDocument | None) -> tuple[dict[str, set[str]], str | None]:
    """Landmark/guide types by spine href, and the href where the body matter starts. Marks
    pointing inside a file (#contents in a one-file book) say nothing about the whole file."""
    marks: list[tuple[str, str]] = []  # (href relative to the OPF, type)
    for ref in book.guide:
        if ref.get("href") and ref.get("type"):
            marks.append((ref["href"], ref["type"].casefold()))
    for landmarks in nav.soup.find_all("nav") if nav is not None else ():
        if "landmarks" not in xhtml.semantic_types(landmarks):
            continue
        for link in landmarks.find_all("a", href=True):
            for kind in xhtml.semantic_types(link):
                marks.append((posixpath.join(nav.folder, link["href"]), kind))
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
    named = [doc.href.rsplit("/", 1)[-1].rsplit(".", 1)[0], doc.head_title, *(e.own for e in doc.entries if not split)]
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
    entries: list[_Entry]  # the TOC entries that start here (untitled ones left out)
    blocks: list[xhtml.Block]


def _drafts(docs: list[_Doc], book_title: str) -> list[Draft]:
    drafts: list[Draft] = []
    for doc in docs:
        _classify(doc)
        kind = _kind(doc)
        if doc.matter:
            blocks = [b for b in doc.blocks if isinstance(b, xhtml.Block)]
            draft = _draft_from(_Piece([e for e in doc.entries[:1] if e.title], blocks), doc.href, kind)
            draft.matter = True
            draft.title = draft.title or doc.head_title or None
            draft.label = doc.label or draft.title or doc.href
            drafts.append(draft)
            continue
        for piece in _split(doc):
            opens_chapter = 0 < piece.blocks[0].heading <= 3 if piece.blocks else False
            if not piece.entries and piece.blocks and not opens_chapter and drafts and not drafts[-1].matter:
                # A continuation file (a chapter split in two for size) or the text before the
                # first TOC anchor in a file belongs to the chapter already open.
                drafts[-1].paragraphs.extend(b.text for b in piece.blocks)
            elif piece.entries or piece.blocks:
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
        not piece.entries
        and bool(piece.blocks)
        and piece.blocks[0].heading > 0
        and words(piece.blocks[0].text) == words(book_title)
        and not has_prose([b.text for b in piece.blocks])
    )


def _split(doc: _Doc) -> list[_Piece]:
    """Cut a document at its TOC anchors; entries without (found) fragments title the start."""
    found = {b.id for b in doc.blocks if isinstance(b, xhtml.Anchor)}
    titled = [e for e in doc.entries if e.title]
    pieces = [_Piece([e for e in titled if e.fragment is None or e.fragment not in found], [])]
    for block in doc.blocks:
        if isinstance(block, xhtml.Block):
            pieces[-1].blocks.append(block)
            continue
        entries = [e for e in titled if e.fragment == block.id]
        if pieces[-1].blocks:
            pieces.append(_Piece(entries, []))
        else:  # the anchor sits before any text: same place as the entries already collected
            pieces[-1].entries.extend(entries)
    return pieces


def _extends(heading: str, title: str) -> bool:
    """Whether a heading starts with a title's words and goes on ("I" -> "I. The Beginning")."""
    heading_words, title_words = words(heading), words(title)
    return len(heading_words) > len(title_words) and heading_words[: len(title_words)] == title_words


def _draft_from(piece: _Piece, source: str, kind: str | None) -> Draft:
    headings: list[xhtml.Block] = []
    for block in piece.blocks[:_MAX_HEADING_BLOCKS]:
        if not block.heading:
            break
        headings.append(block)
    heading_title = join_title([collapse(b.text) for b in headings])
    title = join_title(list(dict.fromkeys(e.title for e in piece.entries)))
    own = piece.entries[-1].own if len(piece.entries) == 1 else ""
    if not title and headings and min(b.heading for b in headings) <= 3:
        title = heading_title
    elif title and contains_words(heading_title, title) and len(words(heading_title)) > len(words(title)):
        # The TOC says "Chapter 1", the page says "Chapter 1: The Storm": the book's own name wins.
        title = heading_title
    elif own and title != own and title.endswith(own) and _extends(heading_title, own):
        # The TOC says "Story" > "I", the page "I. The Beginning": "Story: I. The Beginning".
        title = title[: len(title) - len(own)] + heading_title
    # The title is announced on its own; its heading must not be read again as text.
    paragraphs = [b.text for b in headings if not (title and contains_words(title, b.text))]
    paragraphs += [b.text for b in piece.blocks[len(headings) :]]
    return Draft(title=title or None, source=source, paragraphs=paragraphs, kind=kind)

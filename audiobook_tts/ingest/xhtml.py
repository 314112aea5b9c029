"""One XHTML content document -> the blocks of text a listener hears, in reading order.

Every block element (p, div, li, blockquote, h1-h6...) becomes one paragraph; ``<br/>`` becomes
"\\n" inside it. Left out: note references and note bodies, page-break markers, images and
their alt text, scripts, Project Gutenberg boilerplate sections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import CData, PreformattedString
from lxml import etree

from .matter import NOTE_REF_RE


@dataclass(frozen=True)
class Block:
    text: str
    heading: int  # 1-6 for h1-h6 and the parts of an hgroup / epub:type="title"; 0 for text


@dataclass(frozen=True)
class Anchor:
    """The element with this id (a TOC fragment target) starts here."""

    id: str


_BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details div dl dt figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main nav ol p pre section summary "
    "table tbody td tfoot th thead tr ul".split()
)
_SILENT_TAGS = frozenset(
    "head script style img image svg math object embed video audio iframe map noscript template "
    "button input select textarea rt rp canvas picture source track".split()
)
_HEADING_TAGS = {f"h{n}": n for n in range(1, 7)}
_NOTE_TYPES = frozenset(
    {
        "footnote",
        "footnotes",
        "endnote",
        "endnotes",
        "rearnote",
        "rearnotes",
        "note",
        "doc-footnote",
        "doc-endnote",
        "doc-endnotes",
    }
)
_NOTE_CLASSES = frozenset({"footnote", "footnotes", "endnote", "endnotes"})
_TITLE_TYPES = frozenset({"title", "subtitle", "fulltitle", "label", "ordinal"})
_PG_IDS = frozenset({"pg-header", "pg-footer", "pg-machine-header", "pg-start-separator", "pg-end-separator"})
_PAGENUM_CLASS_RE = re.compile(r"^page-?(?:num|number|no)s?$", re.IGNORECASE)
# A <sup>/<a> whose whole text is a note marker: "12", "[3]", "*", "†"; not "st" in 1<sup>st</sup>.
_MARKER_RE = re.compile(r"^\s*[\[(]?(?:\d{1,3}|[*†‡§¶]{1,3})[\])]?\s*$")
_LINE_BREAK = "\u2028"  # stands for <br/> until paragraphs are cleaned


def parse(content: bytes) -> BeautifulSoup:
    """Parse as XML when well-formed (keeps <a/> empty), else with the forgiving HTML parser
    (e.g. XHTML using &nbsp; without a DTD, which the XML parser would silently drop)."""
    try:
        etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return BeautifulSoup(content, "lxml")
    return BeautifulSoup(content, "lxml-xml")


def tokens(tag: Tag, attribute: str) -> set[str]:
    """Values of a space-separated attribute; epub:type prefixes ("z3998:") are dropped."""
    value = tag.get(attribute)
    if value is None:
        return set()
    if isinstance(value, list):
        value = " ".join(value)
    return {token.rsplit(":", 1)[-1].casefold() for token in value.split()}


def semantic_types(tag: Tag) -> set[str]:
    return tokens(tag, "epub:type") | tokens(tag, "role")


def blocks(body: Tag, anchor_ids: frozenset[str] = frozenset()) -> list[Block | Anchor]:
    walker = _Walker(anchor_ids)
    walker.visit(body, 0)
    walker.flush(0)
    return walker.out


def _is_silent(tag: Tag) -> bool:
    name = tag.name.casefold()
    if name in _SILENT_TAGS:
        return True
    types = semantic_types(tag)
    if types & _NOTE_TYPES or "pagebreak" in types or "doc-pagebreak" in types or "noteref" in types:
        return True
    classes = tokens(tag, "class")
    if classes & _NOTE_CLASSES or "pg-boilerplate" in classes or tag.get("id") in _PG_IDS:
        return True
    if any(_PAGENUM_CLASS_RE.match(c) for c in classes):
        return True
    if name == "sup" and (tag.find("a") is not None or _MARKER_RE.match(tag.get_text())):
        return True
    # A bare "[12]" link to a note elsewhere in the book.
    return name == "a" and "#" in (tag.get("href") or "") and bool(_MARKER_RE.match(tag.get_text()))


class _Walker:
    def __init__(self, anchor_ids: frozenset[str]) -> None:
        self.anchor_ids = anchor_ids
        self.out: list[Block | Anchor] = []
        self.buffer: list[str] = []

    def flush(self, heading: int) -> None:
        text = _clean("".join(self.buffer))
        self.buffer.clear()
        if text:
            self.out.append(Block(text, heading))

    def visit(self, node: Tag, heading: int) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                # Comments, doctypes and processing instructions are strings too; CDATA is text.
                if isinstance(child, CData) or not isinstance(child, PreformattedString):
                    self.buffer.append(str(child))
                continue
            if not isinstance(child, Tag) or _is_silent(child):
                continue
            anchor = child.get("id") or child.get("name")
            if anchor in self.anchor_ids:
                self.flush(heading)
                self.out.append(Anchor(anchor))
            name = child.name.casefold()
            if name == "br":
                self.buffer.append(_LINE_BREAK)
            elif name in _BLOCK_TAGS:
                self.flush(heading)
                inner = heading or _heading_level(child)
                self.visit(child, inner)
                self.flush(inner)
            else:
                self.visit(child, heading)


def _heading_level(tag: Tag) -> int:
    name = tag.name.casefold()
    if name in _HEADING_TAGS:
        return _HEADING_TAGS[name]
    if name == "hgroup":
        first = tag.find(list(_HEADING_TAGS))
        return _HEADING_TAGS[first.name.casefold()] if first is not None else 2
    if name != "header" and semantic_types(tag) & _TITLE_TYPES:
        return 3  # <p epub:type="title"> beside an <h2> ordinal, as Standard Ebooks marks them
    return 0


def _clean(text: str) -> str:
    lines = (" ".join(NOTE_REF_RE.sub("", line).split()) for line in text.split(_LINE_BREAK))
    return "\n".join(line for line in lines if line)

"""One XHTML content document -> the blocks of text a listener hears, in reading order.

Every block element (p, div, li, blockquote, h1-h6...) becomes one paragraph; ``<br/>`` becomes
"\\n" inside it. Left out: note references and note bodies, page-break markers, images and
their alt text, scripts, Project Gutenberg boilerplate sections.

Entities are settled before lxml sees the bytes, because the parser must load no DTD (that is
file or network access) and then drops every name XML does not predefine: HTML's named
entities (``&nbsp;``, ``&mdash;``... the ones XHTML's DTDs declare, and HTML5's) become numeric
references; entities a DOCTYPE declares in its internal subset are expanded when their text is
plain text (markup ones and external SYSTEM/PUBLIC ones are dropped), within bounds on size and
nesting, and the subset is removed so that lxml never sees a declaration; any other name is
dropped, as a parser would.
"""

from __future__ import annotations

import codecs
import html.entities
import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.builder import LXMLTreeBuilderForXML
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


class UnsafeDocumentError(ValueError):
    """A document whose entities would expand without bound; the message follows its name."""


def parse(content: bytes) -> BeautifulSoup:
    """Parse as XML when well-formed (keeps <a/> empty), else with the forgiving HTML parser
    (e.g. a <br> left open). Raises UnsafeDocumentError for an entity-expansion bomb."""
    content = expand_entities(content)
    try:
        etree.fromstring(content, _xml_parser())
    except etree.XMLSyntaxError:
        return BeautifulSoup(content, "lxml")
    return BeautifulSoup(content, builder=LXMLTreeBuilderForXML(parser=_xml_parser))


def _xml_parser(**builder_args) -> etree.XMLParser:
    # No entity of a DTD is ever substituted, and nothing is fetched.
    return etree.XMLParser(**builder_args, resolve_entities=False, no_network=True, load_dtd=False)


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


# --- entities -----------------------------------------------------------------------------------

MAX_ENTITY_CHARS = 1_000_000  # characters a document's declared entities may expand to, in all
MAX_ENTITY_DEPTH = 16  # entities defined by entities defined by...; real books use one or two

_XML_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_HTML_ENTITIES = {name[:-1]: text for name, text in html.entities.html5.items() if name.endswith(";")}
# Outside comments and CDATA sections (found first, then skipped whole), a named reference.
_SCAN_RE = re.compile(rb"<!--|<!\[CDATA\[|&([A-Za-z_][A-Za-z0-9._:-]*);")
_VALUE_REF_RE = re.compile(r"&(?:#([0-9]+)|#x([0-9A-Fa-f]+)|([A-Za-z_][\w.:-]*));")
_MAX_CHAR_REF_DIGITS = 8  # more names no character (and int() refuses past 4300 digits)
_ENCODING_RE = re.compile(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_DOCTYPE_RE = re.compile(rb"<!DOCTYPE\b", re.IGNORECASE)
_ELEMENT_RE = re.compile(rb"<[A-Za-z]")
# Nothing follows the repeats, so they never backtrack; runs of plain bytes are one step each.
_EXTERNAL_ID_RE = re.compile(rb"""(?:"[^"]*"|'[^']*'|[^"'\[>])*""")
_SUBSET_RE = re.compile(
    rb"""(?:"[^"]*"|'[^']*'|<!--(?:[^-]|-(?!->))*-->|<\?(?:[^?]|\?(?!>))*\?>|<(?!!--|\?)|[^"'\]<]+)*"""
)
_SUBSET_END_RE = re.compile(rb"\]\s*>")
_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)
# Internal general entities with a literal value; parameter (%) and external entities do not match.
_ENTITY_DECL_RE = re.compile(r"""<!ENTITY\s+([^\s%"'>]+)\s+(?:"([^"]*)"|'([^']*)')\s*>""")


def expand_entities(content: bytes) -> bytes:
    """The document with every named entity settled (see the module docstring); raises
    UnsafeDocumentError when declared entities nest too deep, refer to themselves or expand past
    MAX_ENTITY_CHARS."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not content.startswith(codecs.BOM_UTF32_LE):
        # The byte patterns below see ASCII only; UTF-16 is the other encoding EPUB allows.
        text = content.decode("utf-16", errors="replace")
        text = re.sub(r"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*["'])[^"']*""", r"\g<1>utf-8", text, count=1)
        content = text.encode("utf-8")
    if b"&" not in content and b"<!" not in content:
        return content
    content, declared = _strip_internal_subset(content)
    expander = _Expander(declared)
    out: list[bytes] = []
    done = i = 0
    while (m := _SCAN_RE.search(content, i)) is not None:
        if m.group(1) is None:  # a comment or CDATA section: nothing in it is a reference
            end = content.find(b"-->" if m.group() == b"<!--" else b"]]>", m.end())
            i = len(content) if end < 0 else end + 3
            continue
        i = m.end()
        name = m.group(1).decode("ascii")
        if name not in _XML_ENTITIES:
            out += [content[done : m.start()], expander.reference(name)]
            done = i
    out.append(content[done:])
    return b"".join(out)


def _strip_internal_subset(content: bytes) -> tuple[bytes, dict[str, str]]:
    """The document without its DOCTYPE's internal subset, and the plain entities it declared."""
    doctype = _DOCTYPE_RE.search(content)
    element = _ELEMENT_RE.search(content)
    if doctype is None or (element is not None and element.start() < doctype.start()):
        return content, {}
    start = _EXTERNAL_ID_RE.match(content, doctype.end()).end()
    if content[start : start + 1] != b"[":
        return content, {}
    stop = _SUBSET_RE.match(content, start + 1).end()
    if _SUBSET_END_RE.match(content, stop) is None:
        return content, {}  # not a subset we can read: libxml2's amplification limit still holds
    subset = _COMMENT_RE.sub("", content[start + 1 : stop].decode(_encoding(content), errors="replace"))
    declared: dict[str, str] = {}
    for name, double, single in _ENTITY_DECL_RE.findall(subset):
        declared.setdefault(name, double or single)  # XML: the first declaration binds
    return content[:start] + content[stop + 1 :], declared


def _encoding(content: bytes) -> str:
    found = _ENCODING_RE.match(content)
    try:
        return codecs.lookup(found.group(1).decode("ascii")).name if found else "utf-8"
    except LookupError:
        return "utf-8"


class _Expander:
    def __init__(self, declared: dict[str, str]) -> None:
        self.declared = declared
        self.values: dict[str, str | None] = {}  # None: markup, not text
        self.budget = MAX_ENTITY_CHARS

    def reference(self, name: str) -> bytes:
        """What ``&name;`` in the document becomes: numeric references, or nothing."""
        if name in self.declared:
            text = self._value(name, ())
            if not text:
                return b""
            self._spend(len(text))
            return _char_refs(text)
        if name in _HTML_ENTITIES:
            return _char_refs(_HTML_ENTITIES[name])
        return b""

    def _spend(self, chars: int) -> None:
        self.budget -= chars
        if self.budget < 0:
            raise UnsafeDocumentError(f"declares entities that expand past {MAX_ENTITY_CHARS:,} characters")

    def _value(self, name: str, outer: tuple[str, ...]) -> str | None:
        if name in self.values:
            return self.values[name]
        if name in outer:
            raise UnsafeDocumentError(f"declares the entity &{name}; in terms of itself")
        if len(outer) >= MAX_ENTITY_DEPTH:
            raise UnsafeDocumentError(f"nests entities more than {MAX_ENTITY_DEPTH} deep")
        raw = self.declared[name]
        if "<" in raw:
            self.values[name] = None
            return None
        parts: list[str] = []
        length = 0
        done = 0
        for m in _VALUE_REF_RE.finditer(raw):
            part = self._settle(m, (*outer, name))
            if part is None:
                self.values[name] = None
                return None
            parts += [raw[done : m.start()], part]
            length += m.start() - done + len(part)
            done = m.end()
            if length > MAX_ENTITY_CHARS:
                raise UnsafeDocumentError(f"declares entities that expand past {MAX_ENTITY_CHARS:,} characters")
        parts.append(raw[done:])
        self.values[name] = value = "".join(parts)
        return value

    def _settle(self, ref: re.Match, outer: tuple[str, ...]) -> str | None:
        decimal, hexadecimal, name = ref.groups()
        if name is None:
            digits = decimal or hexadecimal
            if len(digits) > _MAX_CHAR_REF_DIGITS:
                return ""
            code = int(digits) if decimal else int(digits, 16)
            return chr(code) if _is_xml_char(code) else ""
        if name in _XML_ENTITIES:
            return _XML_ENTITIES[name]
        if name in self.declared:
            return self._value(name, outer)
        return _HTML_ENTITIES.get(name, "")


def _is_xml_char(code: int) -> bool:
    """XML 1.0's Char production: what a character reference may name."""
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def _char_refs(text: str) -> bytes:
    """Text as ASCII that means the same in any encoding, in an element or an attribute."""
    return "".join(c if " " <= c <= "~" and c not in "<>&\"'" else f"&#{ord(c)};" for c in text).encode("ascii")

"""Write small PDF books for the tests: laid-out text, running header/footer, outline.

Text is drawn with the standard Helvetica font (no font file needed) one line per ``BT ... ET``,
as typesetters do; paragraphs are wrapped at a fixed number of characters, indented on their
first line, and flowed over pages, so page breaks fall inside paragraphs as in a real book.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    Fit,
    NameObject,
    NumberObject,
    TextStringObject,
)

PAGE_WIDTH = 612  # points: US Letter
PAGE_HEIGHT = 792
LEFT = 72  # points: left margin
TOP = 720  # points: baseline of a page's first body line
HEADER_Y = 756
FOOTER_Y = 40
BODY_SIZE = 11  # points
LEADING = 14  # points between baselines
INDENT = 18  # points: a paragraph's first line
QUOTE_INDENT = 36  # points: every line of a block quote
HANGING_INDENT = 10  # points: the lines after a list item's first
HEADING_SIZE = 18


@dataclass(frozen=True)
class Heading:
    text: str
    size: float = HEADING_SIZE
    level: int | None = 1  # outline depth (1 = top level); None: no bookmark
    new_page: bool = True
    bookmark: str | None = None  # the outline title, when it differs from the text


@dataclass(frozen=True)
class Para:
    text: str  # "\n" forces a line break there (to place a hyphenated word at a line end)
    indent: bool = True
    quote: bool = False  # a block quote: every line set in by QUOTE_INDENT, no first-line indent
    hanging: bool = False  # a list item: the first line at the margin, the others set in by HANGING_INDENT
    size: float = 0  # points; 0: BODY_SIZE


@dataclass(frozen=True)
class PageBreak:
    pass


@dataclass(frozen=True)
class Footnote:
    text: str  # one line, set small at the foot of the page the text has reached


FOOTNOTE_SIZE = 8  # points


@dataclass
class _Mark:
    title: str
    level: int
    page: int
    top: float


@dataclass
class _Layout:
    pages: list[list[tuple[float, float, float, str]]] = field(default_factory=lambda: [[]])  # x, y, size, text
    y: float = TOP
    marks: list[_Mark] = field(default_factory=list)
    notes: dict[int, list[str]] = field(default_factory=dict)  # page -> footnote lines

    def new_page(self) -> None:
        if self.pages[-1]:
            self.pages.append([])
        self.y = TOP

    def place(self, x: float, size: float, text: str, advance: float, bottom: float) -> None:
        if self.y < bottom:
            self.new_page()
        self.pages[-1].append((x, self.y, size, text))
        self.y -= advance


def write_pdf(
    path: Path,
    blocks: list,
    *,
    header: str | None = "THE TEST BOOK",
    page_number: str | None = "{n}",
    furniture_size: float = 9,  # points
    outline: bool = True,
    outline_tops: bool = True,
    block_style: bool = False,
    chars_per_line: int = 64,
    lines_per_page: int = 24,
    title: str | None = None,
    author: str | None = None,
    xmp: bytes | None = None,
    language: str | None = None,
    user_password: str | None = None,
    owner_password: str | None = None,
) -> Path:
    """Lay ``blocks`` out on pages and write the PDF. ``block_style`` separates paragraphs by a
    blank line's gap instead of an indent; ``page_number`` is the footer ("{n}", "{roman}");
    ``outline_tops=False`` makes bookmarks show whole pages (no position on the page)."""
    layout = _Layout()
    bottom = TOP - (lines_per_page - 1) * LEADING
    for block in blocks:
        if isinstance(block, PageBreak):
            layout.new_page()
        elif isinstance(block, Footnote):
            layout.notes.setdefault(len(layout.pages) - 1, []).append(block.text)
        elif isinstance(block, Heading):
            if block.new_page:
                layout.new_page()
            elif layout.pages[-1]:
                layout.y -= LEADING
            if block.level is not None:
                page = len(layout.pages) - 1 if layout.y >= bottom else len(layout.pages)
                top = layout.y + block.size if layout.y >= bottom else TOP + block.size
                layout.marks.append(_Mark(block.bookmark or block.text, block.level, page, top))
            layout.place(LEFT, block.size, block.text, block.size + LEADING, bottom)
        else:
            if block_style and layout.y != TOP:
                layout.y -= LEADING
            width = chars_per_line - (QUOTE_INDENT // 6 if block.quote else 0)
            lines = [line for part in block.text.split("\n") for line in textwrap.wrap(part, width)]
            for n, line in enumerate(lines):
                if block.quote:
                    x = LEFT + QUOTE_INDENT
                elif block.hanging:
                    x = LEFT + (HANGING_INDENT if n else 0)
                else:
                    x = LEFT + INDENT if n == 0 and block.indent and not block_style else LEFT
                layout.place(x, block.size or BODY_SIZE, line, LEADING, bottom)

    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            # WinAnsi has no ligatures: two unused codes draw the fi and fl glyphs.
            NameObject("/Encoding"): DictionaryObject(
                {
                    NameObject("/BaseEncoding"): NameObject("/WinAnsiEncoding"),
                    NameObject("/Differences"): ArrayObject([NumberObject(30), NameObject("/fl"), NameObject("/fi")]),
                }
            ),
        }
    )
    for number, placed in enumerate(layout.pages, start=1):
        furniture = []
        if header:
            text = f"{header}  {number}" if number % 2 else f"{number}  {header}"
            furniture.append((LEFT, HEADER_Y, furniture_size, text))
        if page_number:
            text = page_number.format(n=number, roman=_roman(number))
            furniture.append((PAGE_WIDTH / 2, FOOTER_Y, furniture_size, text))
        notes = [
            (LEFT, FOOTER_Y + 24 + 10 * k, FOOTNOTE_SIZE, text)
            for k, text in enumerate(reversed(layout.notes.get(number - 1, [])))
        ]
        _add_page(writer, font, [*furniture, *placed, *notes])
    if outline:
        _add_outline(writer, layout.marks, tops=outline_tops)
    if title or author:
        writer.add_metadata({k: v for k, v in (("/Title", title), ("/Author", author)) if v})
    if xmp is not None:
        writer.xmp_metadata = xmp
    if language is not None:
        writer.root_object[NameObject("/Lang")] = TextStringObject(language)
    if user_password is not None:
        writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="RC4-128")
    path.write_bytes(_bytes(writer))
    return path


def write_image_only_pdf(path: Path, pages: int = 2) -> Path:
    """A "scan": every page is one grey image and no text."""
    writer = PdfWriter()
    for _ in range(pages):
        page = writer.add_blank_page(PAGE_WIDTH, PAGE_HEIGHT)
        image = DecodedStreamObject()
        image.set_data(b"\x80" * 4)
        image.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Image"),
                NameObject("/Width"): NumberObject(2),
                NameObject("/Height"): NumberObject(2),
                NameObject("/ColorSpace"): NameObject("/DeviceGray"),
                NameObject("/BitsPerComponent"): NumberObject(8),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): writer._add_object(image)})}
        )
        content = DecodedStreamObject()
        content.set_data(f"q {PAGE_WIDTH} 0 0 {PAGE_HEIGHT} 0 0 cm /Im0 Do Q".encode())
        page.replace_contents(content)
    path.write_bytes(_bytes(writer))
    return path


def _add_page(writer: PdfWriter, font: DictionaryObject, placed: list[tuple[float, float, float, str]]) -> None:
    page = writer.add_blank_page(PAGE_WIDTH, PAGE_HEIGHT)
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
    )
    ops = [f"BT /F1 {size:g} Tf {x:g} {y:g} Td ({_pdf_string(text)}) Tj ET" for x, y, size, text in placed]
    content = DecodedStreamObject()
    content.set_data("\n".join(ops).encode("latin-1"))
    page.replace_contents(content)


_LIGATURE_CODES = str.maketrans({"\ufb02": "\x1e", "\ufb01": "\x1f"})


def _pdf_string(text: str) -> str:
    """A literal string in WinAnsi, non-ASCII bytes as octal escapes."""
    out = []
    for byte in text.translate(_LIGATURE_CODES).encode("cp1252"):
        char = chr(byte)
        if char in "()\\":
            out.append("\\" + char)
        elif byte > 126 or byte < 32:
            out.append(f"\\{byte:03o}")
        else:
            out.append(char)
    return "".join(out)


def _add_outline(writer: PdfWriter, marks: list[_Mark], *, tops: bool) -> None:
    parents: dict[int, object] = {}
    for mark in marks:
        parent = parents.get(mark.level - 1)
        fit = Fit.xyz(left=LEFT, top=mark.top) if tops else Fit.fit()
        item = writer.add_outline_item(title=mark.title, page_number=mark.page, parent=parent, fit=fit)
        parents[mark.level] = item
        for deeper in [level for level in parents if level > mark.level]:
            del parents[deeper]


def _roman(number: int) -> str:
    out = ""
    for value, letters in ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while number >= value:
            out, number = out + letters, number - value
    return out


def write_blank_pdf(path: Path, pages: int = 2) -> Path:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(PAGE_WIDTH, PAGE_HEIGHT)
    path.write_bytes(_bytes(writer))
    return path


def _bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


__all__ = ["Footnote", "Heading", "PageBreak", "Para", "write_blank_pdf", "write_image_only_pdf", "write_pdf"]

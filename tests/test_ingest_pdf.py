"""PDF ingest: outline and heading chapters, page furniture, paragraphs, hyphenation, matter, errors."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from pdf_builder import Footnote, Heading, PageBreak, Para, write_blank_pdf, write_image_only_pdf, write_pdf

from audiobook_tts.errors import BookError
from audiobook_tts.ingest import load_book
from audiobook_tts.ingest.pdf import _join_lines

REPO = Path(__file__).resolve().parents[1]

# Distinct sentences, so that a lost or repeated line shows.
SENTENCES = [
    "The keeper climbed the stair before the light failed over the water.",
    "Gulls wheeled above the rocks and cried at the fishing boats below.",
    "His daughter mended nets by the window and watched the grey horizon.",
    "Nobody on the island remembered a winter as cold as that one.",
    "The supply boat was late again, and the flour was running low.",
    "At dusk the lamp turned slowly, throwing its beam across the bay.",
    "A stranger arrived on the morning tide with a sealed letter.",
    "The letter spoke of debts, of a brother, and of a promise broken.",
    "She read it twice and then folded it into her apron pocket.",
    "Rain drummed on the roof while the kettle sang on the stove.",
    "The old dog slept by the fire and dreamed of chasing hares.",
    "In spring the puffins came back, and the cliffs were loud again.",
    "Her father said little, but he kept the brass polished and bright.",
    "The stranger asked about the wreck that had happened long ago.",
    "Every answer he was given seemed to lead to another question.",
    "By the end of the week the whole village knew his business.",
]


def prose(start: int, count: int) -> str:
    return " ".join(SENTENCES[(start + i) % len(SENTENCES)] for i in range(count))


def _words(text: str) -> Counter:
    return Counter(re.findall(r"[\w'-]+", text.casefold()))


def _body_words(blocks) -> Counter:
    """The words of the paragraphs as they read once line-end hyphens are mended."""
    text = " ".join(b.text for b in blocks if isinstance(b, Para))
    return _words(text.replace("well-\nknown", "well-known").replace("-\n", ""))


def _book_words(book) -> Counter:
    return _words(" ".join(p for c in book.chapters for p in c.paragraphs))


# A short novel in two parts with a title page, bookmarks per part and chapter, headers and
# page numbers on every page, paragraphs that run over pages and words broken at line ends.
NOVEL = [
    Heading("The Keeper's Daughter", size=24, level=None),
    Para("by Ann Author", indent=False),
    Heading("Part One", size=24),
    Heading("Chapter 1", level=2, new_page=False),
    Para(prose(0, 3) + " It was a won-\nderful evening for the lamp."),
    Para(prose(3, 9)),
    Para(prose(12, 4) + " She had a well-\nknown way with a well-known tune."),
    Heading("The Stranger", level=2),
    Para(prose(5, 6)),
    Para(prose(11, 12)),
    Heading("Part Two", size=24),
    Heading("Chapter 3", level=2, new_page=False),
    Para(prose(2, 7)),
    Para(prose(9, 5)),
]


def _titles(book) -> list[str]:
    return [c.title for c in book.chapters]


def test_outline_gives_chapters_titled_by_the_toc_rule(tmp_path):
    book = load_book(write_pdf(tmp_path / "novel.pdf", NOVEL, title="The Keeper's Daughter", author="Ann Author"))
    assert book.format == "pdf"
    assert (book.meta.title, book.meta.authors) == ("The Keeper's Daughter", ("Ann Author",))
    # "Part One" and its bare-numbered first child start at the same place: one chapter.
    assert _titles(book) == ["Part One: Chapter 1", "The Stranger", "Part Two: Chapter 3"]
    assert [c.source for c in book.chapters] == ["page 2", "page 4", "page 5"]
    assert book.skipped == ("text before the first chapter",)


def test_paragraphs_rebuilt_and_furniture_gone(tmp_path):
    book = load_book(write_pdf(tmp_path / "novel.pdf", NOVEL))
    first = book.chapters[0].paragraphs
    assert first == (
        prose(0, 3) + " It was a wonderful evening for the lamp.",
        prose(3, 9),
        prose(12, 4) + " She had a well-known way with a well-known tune.",
    )
    text = " ".join(p for c in book.chapters for p in c.paragraphs)
    assert "THE TEST BOOK" not in text and not re.search(r"\b\d+\b", text)
    assert not any(p.startswith(("Chapter", "Part", "The Stranger")) for c in book.chapters for p in c.paragraphs)
    assert _book_words(book) == _body_words(NOVEL[2:])  # every word once: no line lost or repeated


def test_a_paragraph_running_over_a_page_break_stays_whole(tmp_path):
    long = prose(0, 16)
    blocks = [Heading("One"), Para(long), Para(prose(1, 2))]
    book = load_book(write_pdf(tmp_path / "long.pdf", blocks, lines_per_page=10))
    assert book.chapters[0].paragraphs == (long, prose(1, 2))


def test_a_lone_top_bookmark_for_the_whole_book_is_not_a_part(tmp_path):
    blocks = [
        Heading("The Keeper's Daughter", size=24),
        Para("by Ann Author", indent=False),
        Heading("Chapter 1", level=2),
        Para(prose(0, 5)),
        Heading("Chapter 2", level=2),
        Para(prose(5, 5)),
    ]
    book = load_book(write_pdf(tmp_path / "root.pdf", blocks))
    assert book.meta.title == "The Keeper's Daughter"
    assert _titles(book) == ["Chapter 1", "Chapter 2"]
    assert book.skipped == ("text before the first chapter",)
    # A lone part is a part.
    part = [Heading("Part One", size=24), *blocks[2:]]
    assert _titles(load_book(write_pdf(tmp_path / "part.pdf", part))) == ["Part One: Chapter 1", "Part One: Chapter 2"]


def test_bookmarks_without_a_position_on_the_page(tmp_path):
    book = load_book(write_pdf(tmp_path / "fit.pdf", NOVEL, outline_tops=False))
    assert _titles(book) == ["Part One: Chapter 1", "The Stranger", "Part Two: Chapter 3"]
    assert _book_words(book) == _body_words(NOVEL[2:])


def test_without_an_outline_larger_type_makes_chapters(tmp_path):
    book = load_book(write_pdf(tmp_path / "novel.pdf", NOVEL, outline=False, title="The Keeper's Daughter"))
    # The title page, set in the book's title, is not a chapter; "Part One" heads its chapter.
    assert _titles(book) == ["Part One: Chapter 1", "The Stranger", "Part Two: Chapter 3"]
    assert book.skipped == ("The Keeper's Daughter",)
    assert _book_words(book) == _body_words(NOVEL[2:])


def test_without_metadata_the_title_page_names_the_book(tmp_path):
    book = load_book(write_pdf(tmp_path / "novel.pdf", NOVEL, outline=False))
    assert book.meta.title == "The Keeper's Daughter"
    assert _titles(book) == ["Part One: Chapter 1", "The Stranger", "Part Two: Chapter 3"]
    assert book.skipped == ("The Keeper's Daughter",)


def test_a_first_chapter_in_large_type_does_not_name_the_book(tmp_path):
    blocks = [Heading("The Lamp"), Para(prose(0, 5)), Heading("The Boat"), Para(prose(5, 5))]
    book = load_book(write_pdf(tmp_path / "short.pdf", blocks, outline=False))
    assert book.meta.title == "short"
    assert _titles(book) == ["The Lamp", "The Boat"]


def test_without_an_outline_chapter_lines_in_body_type_make_chapters(tmp_path):
    blocks = [
        Para("CONTENTS", indent=False),
        Para("CHAPTER I.", indent=False),
        Para("CHAPTER II.", indent=False),
        PageBreak(),
        Para("CHAPTER I.", indent=False),
        Para(prose(0, 4)),
        Para("Chapter the Second", indent=False),
        Para(prose(4, 4)),
        Para("Part 2 of the plan was simple, and nobody said a word about it to the keeper.", indent=False),
    ]
    book = load_book(write_pdf(tmp_path / "plain.pdf", blocks, outline=False, block_style=True, header=None))
    assert _titles(book) == ["CHAPTER I.", "Chapter the Second"]
    assert book.chapters[1].paragraphs[-1].startswith("Part 2 of the plan")
    assert book.skipped == ("text before the first chapter",)


def test_without_outline_or_headings_one_chapter_named_after_the_book(tmp_path):
    blocks = [Para(prose(0, 5)), Para(prose(5, 5))]
    book = load_book(write_pdf(tmp_path / "essay.pdf", blocks, outline=False, header=None, title="On Lighthouses"))
    assert [(c.title, c.paragraphs) for c in book.chapters] == [("On Lighthouses", (prose(0, 5), prose(5, 5)))]


@pytest.mark.parametrize(
    "title, expected",
    [("Real Title", "Real Title"), ("Microsoft Word - draft7.docx", "essay"), ("untitled", "essay"), (None, "essay")],
)
def test_title_from_info_unless_it_is_a_file_name(tmp_path, title, expected):
    book = load_book(write_pdf(tmp_path / "essay.pdf", [Para(prose(0, 3))], outline=False, title=title))
    assert book.meta.title == expected


XMP = b"""<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Tides and Lamps</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>Ann Author</rdf:li><rdf:li>Bo Second</rdf:li></rdf:Seq></dc:creator>
<dc:language><rdf:Bag><rdf:li>fr-FR</rdf:li></rdf:Bag></dc:language>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""


def test_metadata_from_xmp_and_catalog_language(tmp_path):
    book = load_book(write_pdf(tmp_path / "x.pdf", [Para(prose(0, 3))], outline=False, xmp=XMP))
    meta = book.meta
    assert (meta.title, meta.authors, meta.language) == ("Tides and Lamps", ("Ann Author", "Bo Second"), "fr")
    book = load_book(write_pdf(tmp_path / "y.pdf", [Para(prose(0, 3))], outline=False, xmp=XMP, language="en-GB"))
    assert book.meta.language == "en"


def test_info_authors_split_on_semicolons(tmp_path):
    book = load_book(write_pdf(tmp_path / "a.pdf", [Para(prose(0, 3))], outline=False, author="Doe, Jane; Roe, Ed"))
    assert book.meta.authors == ("Doe, Jane", "Roe, Ed")


@pytest.mark.parametrize("footer", ["{n}", "- {n} -", "Page {n}", "Page {n} of 9", "{roman}"])
def test_page_number_styles_are_removed(tmp_path, footer):
    blocks = [Heading("One"), Para(prose(0, 16)), Para(prose(3, 16))]
    # Set in the body's type, so that only the page-number rule can tell them from text.
    path = write_pdf(tmp_path / "n.pdf", blocks, header=None, page_number=footer, furniture_size=11, lines_per_page=12)
    book = load_book(path)
    assert book.chapters[0].paragraphs == (prose(0, 16), prose(3, 16))


def test_a_line_recurring_at_page_tops_is_a_header_only_there(tmp_path):
    # The header's words also open a paragraph of the text: that one is kept.
    blocks = [Heading("One"), Para("THE TEST BOOK " + prose(0, 16)), Para(prose(3, 16))]
    book = load_book(write_pdf(tmp_path / "h.pdf", blocks, lines_per_page=12))
    assert book.chapters[0].paragraphs == ("THE TEST BOOK " + prose(0, 16), prose(3, 16))


def test_footnotes_are_left_out_and_do_not_split_a_paragraph(tmp_path):
    long = prose(0, 16)
    # The notes sit at the foot of the first page, where the long paragraph runs on to the next.
    blocks = [
        Heading("One"),
        Footnote("1 A note on lamps."),
        Footnote("2 Another note."),
        Para(long),
        Para(prose(3, 2)),
    ]
    book = load_book(write_pdf(tmp_path / "f.pdf", blocks, lines_per_page=10))
    assert book.chapters[0].paragraphs == (long, prose(3, 2))


def test_headers_need_three_pages(tmp_path):
    # Two pages are too few to tell a running header from text.
    book = load_book(write_pdf(tmp_path / "s.pdf", [Para(prose(0, 3))], outline=False, page_number=None))
    assert book.chapters[0].paragraphs == ("THE TEST BOOK 1", prose(0, 3))


def test_a_change_of_type_size_starts_a_paragraph(tmp_path):
    # A letter in smaller type, neither indented nor spaced off, between full lines.
    before = SENTENCES[0] + "\n" + SENTENCES[4]  # two lines, both full at 72 characters a line
    letter = prose(8, 3)
    blocks = [Heading("One"), Para(before), Para(letter, indent=False, size=9), Para(prose(5, 3), indent=False)]
    book = load_book(write_pdf(tmp_path / "z.pdf", blocks, chars_per_line=72))
    assert book.chapters[0].paragraphs == (before.replace("\n", " "), letter, prose(5, 3))


def test_ligatures_read_as_letters(tmp_path):
    book = load_book(write_pdf(tmp_path / "lig.pdf", [Para("The \ufb01sh \ufb02ew over the \ufb01eld.")], header=None))
    assert book.chapters[0].paragraphs == ("The fish flew over the field.",)


def test_block_style_paragraphs_split_on_gaps(tmp_path):
    blocks = [Heading("One"), Para(prose(0, 4)), Para(prose(4, 1)), Para(prose(5, 6))]
    book = load_book(write_pdf(tmp_path / "b.pdf", blocks, block_style=True))
    assert book.chapters[0].paragraphs == (prose(0, 4), prose(4, 1), prose(5, 6))


def test_block_quote_stays_one_paragraph_and_short_lines_split(tmp_path):
    blocks = [
        Heading("One"),
        Para(prose(0, 3)),
        Para(prose(3, 3), quote=True),
        Para('"Yes," she said.'),
        Para('"No," he said.'),
        Para("* * *", indent=False, quote=True),
        Para(prose(6, 3), indent=False),
    ]
    book = load_book(write_pdf(tmp_path / "q.pdf", blocks))
    assert book.chapters[0].paragraphs == (
        prose(0, 3),
        prose(3, 3),
        '"Yes," she said.',
        '"No," he said.',
        "* * *",
        prose(6, 3),
    )


def test_list_items_are_paragraphs_with_their_hanging_lines(tmp_path):
    # Each item ends in a full line, so that only the bullet tells where the next one starts.
    first = (
        "\u2022 The keeper climbed the stair before the light failed over\n"
        "the water, and gulls wheeled above the rocks below him all"
    )
    second = (
        "\u2022 His daughter mended nets by the window and watched the grey\n"
        "horizon, where nobody on the island saw the boat come in at"
    )
    blocks = [Heading("One"), Para(prose(0, 4)), Para(first, indent=False, hanging=True)]
    blocks += [Para(second, indent=False, hanging=True), Para(prose(4, 3))]
    book = load_book(write_pdf(tmp_path / "l.pdf", blocks))
    assert book.chapters[0].paragraphs == (
        prose(0, 4),
        first.replace("\n", " "),
        second.replace("\n", " "),
        prose(4, 3),
    )


def test_numbered_heading_under_an_unnumbered_bookmark_is_not_read_twice(tmp_path):
    blocks = [
        Heading("2 Rules of the Light", bookmark="Rules of the Light"),
        Para(prose(0, 4)),
        Heading("2.1 Naming", size=14, level=2, new_page=False, bookmark="Naming"),
        Para(prose(4, 4)),
    ]
    book = load_book(write_pdf(tmp_path / "s.pdf", blocks))
    assert [(c.title, c.paragraphs) for c in book.chapters] == [
        ("Rules of the Light", (prose(0, 4),)),
        ("Naming", (prose(4, 4),)),
    ]


@pytest.mark.parametrize(
    "lines, vocabulary, expected",
    [
        (["a won-", "derful day"], set(), "a wonderful day"),  # lower case after: a broken word
        (["a light-", "house keeper"], {"light-house"}, "a light-house keeper"),  # the book prints it hyphenated
        (["such non-", "sense"], {"nonsense"}, "such nonsense"),  # ... or joined, prefix or not
        (["a self-", "evident truth"], set(), "a self-evident truth"),  # a prefix that keeps its hyphen
        (["an ex-", "ample"], set(), "an example"),  # not one: hyphenation breaks words there too
        (["the Anglo-", "Saxon kings"], set(), "the Anglo-Saxon kings"),  # capital after: a real hyphen
        (["from 1914-", "1918 on"], set(), "from 1914-1918 on"),
        (["he said\u2014", "and left"], set(), "he said\u2014and left"),
        (["a soft\u00ad", "Hyphen"], set(), "a softHyphen"),  # a soft hyphen always goes
        (["it ends -", "spaced dash"], set(), "it ends - spaced dash"),
        (["plain", "lines"], set(), "plain lines"),
    ],
)
def test_line_end_hyphens(lines, vocabulary, expected):
    assert _join_lines(lines, vocabulary) == expected


def test_matter_by_bookmark_name_by_page_references_and_copyright(tmp_path):
    blocks = [
        Heading("The Keeper's Daughter", size=24, level=None),
        PageBreak(),
        Para("Copyright \u00a9 2004 by Ann Author. All rights reserved.", indent=False),
        Para("ISBN 978-0-00-000000-0", indent=False),
        Heading("Contents"),
        Para("Chapter 1 .......... 3", indent=False),
        Para("Chapter 2 .......... 4", indent=False),
        Para("Chapter 3 .......... 5", indent=False),
        Para("Chapter 4 .......... 6", indent=False),
        Heading("Preface"),
        Para(prose(0, 6)),
        Heading("Chapter 1"),
        Para(prose(6, 5)),
        PageBreak(),
        Para("lamp, the, 3, 5", indent=False),
        Para("letter, 4", indent=False),
        Para("puffins, 6-7", indent=False),
        Para("wreck, 5", indent=False),
    ]
    path = write_pdf(tmp_path / "m.pdf", blocks, block_style=True, title="The Keeper's Daughter")
    book = load_book(path)
    assert _titles(book) == ["Preface", "Chapter 1"]
    assert [c.kind for c in book.chapters] == ["body", "body"]
    assert book.chapters[1].paragraphs == (prose(6, 5),)
    assert book.skipped == ("text before the first chapter", "Copyright (page 2)", "Contents", "Index (page 6)")
    kept = load_book(path, include_front_matter=True)
    assert _titles(kept) == ["The Keeper's Daughter", "Copyright", "Contents", "Preface", "Chapter 1", "Index"]
    assert [c.kind for c in kept.chapters] == ["front", "front", "front", "body", "body", "back"]


# --------------------------------------------------------------------------- errors


def _error(path) -> str:
    with pytest.raises(BookError) as info:
        load_book(path)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("write", [write_image_only_pdf, write_blank_pdf])
def test_scanned_or_blank_pdf(tmp_path, write):
    path = write(tmp_path / "scan.pdf")
    assert _error(path) == f"{path} has no text layer (a scanned book?); run OCR first"


def test_password_protected_pdf(tmp_path):
    path = write_pdf(tmp_path / "locked.pdf", NOVEL, user_password="secret", owner_password="owner")
    assert _error(path) == f"{path} is encrypted with a password; remove the protection first (e.g. qpdf --decrypt)"


def test_pdf_encrypted_without_a_user_password_opens(tmp_path):
    path = write_pdf(tmp_path / "owner.pdf", NOVEL, user_password="", owner_password="owner")
    assert _titles(load_book(path)) == ["Part One: Chapter 1", "The Stranger", "Part Two: Chapter 3"]


@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.9])
def test_truncated_pdf(tmp_path, fraction):
    whole = write_pdf(tmp_path / "whole.pdf", NOVEL).read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(whole[: int(len(whole) * fraction)])
    assert _error(path).startswith(f"{path} is not a valid PDF: the file is damaged or truncated (")


def test_not_a_pdf(tmp_path):
    path = tmp_path / "renamed.pdf"
    path.write_text("just some text, renamed")
    assert _error(path) == f"{path} is not a valid PDF: it does not start with a PDF header"


def test_cli_chapters_of_a_pdf_and_pypdf_only_imported_for_one(tmp_path):
    path = write_pdf(tmp_path / "novel.pdf", NOVEL, title="The Keeper's Daughter")
    code = (
        "import sys; from audiobook_tts.cli import main; main(['--help']); "
        "assert 'pypdf' not in sys.modules, 'pypdf imported for --help'; "
        f"sys.exit(main(['chapters', {str(path)!r}, '--json']))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert '"Part Two: Chapter 3"' in run.stdout

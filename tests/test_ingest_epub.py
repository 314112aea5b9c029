"""EPUB ingest: reading order, titles, front/back matter, markup, metadata, PG boilerplate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ingest_epub_builder import JPEG, PNG, Doc, Toc, write_epub

from audiobook_tts.ingest import load_book

LONG = "Plenty of words in this sentence make a paragraph of real prose for the listener. "
REAL_BOOK = Path(__file__).resolve().parents[2] / "shared/books/love-among-the-chickens.epub"


def _titles(book) -> list[str]:
    return [c.title for c in book.chapters]


def test_epub3_nav_titles_follow_spine_order_and_metadata(tmp_path):
    docs = [
        Doc("text/b.xhtml", "<h2>Interlude</h2><p>Second chapter text.</p>"),
        Doc("text/a.xhtml", "<h2>One</h2><p>First chapter text.</p>"),
    ]
    path = write_epub(
        tmp_path / "b.epub",
        [docs[1], docs[0]],  # spine: a, b
        toc=[Toc("Chapter One: Beginnings", "text/a.xhtml"), Toc("Chapter Two", "text/b.xhtml")],
        creators=(
            '<dc:creator id="a1">Ann Author</dc:creator><meta refines="#a1" property="role">aut</meta>'
            '<dc:creator id="a2">Ivy Illustrator</dc:creator><meta refines="#a2" property="role">ill</meta>'
            '<dc:creator id="a3">Bob Writer</dc:creator>'
        ),
        language="en-GB",
        images={"images/cover.jpg": (JPEG, "image/jpeg", "cover-image")},
    )
    book = load_book(path)
    assert book.format == "epub"
    assert _titles(book) == ["Chapter One: Beginnings", "Chapter Two"]
    # A heading the TOC title covers is not read twice; one it does not cover stays as text.
    assert book.chapters[0].paragraphs == ("First chapter text.",)
    assert book.chapters[1].paragraphs == ("Interlude", "Second chapter text.")
    assert [c.index for c in book.chapters] == [1, 2]
    assert [c.source for c in book.chapters] == ["text/a.xhtml", "text/b.xhtml"]
    assert book.meta.title == "Test Book"
    assert book.meta.authors == ("Ann Author", "Bob Writer")
    assert book.meta.language == "en"
    assert (book.meta.cover, book.meta.cover_mime) == (JPEG, "image/jpeg")
    assert book.word_count() == len("First chapter text. Interlude Second chapter text.".split())


def test_epub2_ncx_in_subfolder_and_meta_cover(tmp_path):
    docs = [Doc("Text/c1.xhtml", "<h1>I</h1><p>Alpha.</p>"), Doc("Text/c2.xhtml", "<h1>II</h1><p>Beta.</p>")]
    path = write_epub(
        tmp_path / "b.epub",
        docs,
        version=2,
        toc=[Toc("I. The First", "Text/c1.xhtml"), Toc("II. The Second", "Text/c2.xhtml")],
        ncx_href="nav/toc.ncx",
        creators='<dc:creator opf:role="aut">Ann Author</dc:creator><dc:creator opf:role="edt">Ed Editor</dc:creator>',
        extra_metadata='<meta name="cover" content="img0"/>',
        images={"Images/front.png": (PNG, "image/png", "")},
    )
    book = load_book(path)
    assert _titles(book) == ["I. The First", "II. The Second"]
    assert [c.paragraphs for c in book.chapters] == [("Alpha.",), ("Beta.",)]
    assert book.meta.authors == ("Ann Author",)
    assert book.meta.cover_mime == "image/png"


def test_toc_fragments_split_one_file_and_text_before_first_anchor_joins_previous(tmp_path):
    docs = [
        Doc("a.xhtml", "<h2>One</h2><p>One text.</p>"),
        Doc(
            "b.xhtml",
            '<p>Tail of one.</p><h2 id="c2">Two</h2><p>Two text.</p>'
            '<div id="c3"><h2>Three</h2><p>Three text.</p></div>',
        ),
    ]
    toc = [Toc("One", "a.xhtml"), Toc("Two", "b.xhtml#c2"), Toc("Three", "b.xhtml#c3")]
    book = load_book(write_epub(tmp_path / "b.epub", docs, toc=toc))
    assert _titles(book) == ["One", "Two", "Three"]
    assert [c.paragraphs for c in book.chapters] == [("One text.", "Tail of one."), ("Two text.",), ("Three text.",)]


def test_files_without_toc_entry_continue_or_start_by_heading(tmp_path):
    docs = [
        Doc("c1.xhtml", "<h2>Chapter 1</h2><p>Start.</p>"),
        Doc("c1b.xhtml", "<p>Continued after a size split.</p>"),
        Doc("c2.xhtml", "<h1>Chapter 2: Untitled in TOC</h1><p>Second.</p>"),
        Doc("c3.xhtml", "<p>Nothing names this one.</p>"),
    ]
    book = load_book(write_epub(tmp_path / "b.epub", docs, toc=[Toc("Chapter 1", "c1.xhtml")]))
    assert _titles(book) == ["Chapter 1", "Chapter 2: Untitled in TOC"]
    assert book.chapters[0].paragraphs == ("Start.", "Continued after a size split.")
    assert book.chapters[1].paragraphs == ("Second.", "Nothing names this one.")


def test_no_toc_falls_back_to_heading_then_chapter_number(tmp_path):
    docs = [Doc("x.xhtml", "<p>No heading at all.</p>"), Doc("y.xhtml", "<h3>Heading Three</h3><p>Text.</p>")]
    book = load_book(write_epub(tmp_path / "b.epub", docs, toc=[]))
    assert _titles(book) == ["Chapter 1", "Heading Three"]
    assert book.chapters[1].paragraphs == ("Text.",)


def test_toc_title_defers_to_fuller_heading_and_hgroup_is_not_repeated(tmp_path):
    docs = [
        Doc("a.xhtml", "<h2>Chapter 1</h2><h3>The Storm</h3><p>Rain.</p>"),
        Doc("b.xhtml", '<hgroup><h2 epub:type="ordinal">II</h2><p epub:type="title">Calm</p></hgroup><p>Sun.</p>'),
    ]
    book = load_book(
        write_epub(tmp_path / "b.epub", docs, toc=[Toc("Chapter 1", "a.xhtml"), Toc("II: Calm", "b.xhtml")])
    )
    assert _titles(book) == ["Chapter 1: The Storm", "II: Calm"]
    assert [c.paragraphs for c in book.chapters] == [("Rain.",), ("Sun.",)]


def _matter_book(tmp_path, version: int) -> Path:
    docs = [
        Doc("cover.xhtml", '<img src="c.jpg" alt="Cover"/>'),
        Doc("title.xhtml", '<section epub:type="titlepage"><h1>Test Book</h1><p>By Ann Author</p></section>'),
        Doc("legal.xhtml", "<p>Copyright 2024. All rights reserved.</p>"),
        Doc("contents.xhtml", "<h2>Contents</h2><p>One</p><p>Two</p>", body_attrs='epub:type="frontmatter"'),
        Doc("dedication.xhtml", '<section epub:type="dedication"><p>For my mother.</p></section>'),
        Doc("ch1.xhtml", "<h2>One</h2><p>Story one.</p>"),
        Doc("ch2.xhtml", "<h2>Two</h2><p>Story two.</p>"),
        Doc("colophon.xhtml", "<p>Set in Garamond.</p>"),
        Doc("notes.xhtml", '<section epub:type="endnotes"><ol><li>A note.</li></ol></section>'),
        Doc("lic.xhtml", "<p>Licence terms.</p>", title="Licence"),
    ]
    names = {"legal.xhtml": "Imprint", "ch1.xhtml": "One", "ch2.xhtml": "Two"}
    toc = [Toc(names.get(d.href, d.href.split(".")[0].title()), d.href) for d in docs]
    return write_epub(
        tmp_path / f"m{version}.epub",
        docs,
        version=version,
        toc=[t for t in toc if t.href != "lic.xhtml"],
        guide=[("cover", "cover.xhtml"), ("copyright-page", "legal.xhtml"), ("text", "ch1.xhtml")],
        landmarks=[("cover", "cover.xhtml"), ("toc", "contents.xhtml"), ("bodymatter", "ch1.xhtml")],
    )


@pytest.mark.parametrize("version", [2, 3])
def test_front_and_back_matter_left_out_and_listed(tmp_path, version):
    book = load_book(_matter_book(tmp_path, version))
    assert _titles(book) == ["Dedication", "One", "Two"]
    assert [c.kind for c in book.chapters] == ["front", "body", "body"]
    assert book.skipped == ("Cover", "Title", "Imprint", "Contents", "Colophon", "Notes", "Licence")


def test_include_front_matter_keeps_matter_with_kinds(tmp_path):
    book = load_book(_matter_book(tmp_path, 3), include_front_matter=True)
    kinds = {c.title: c.kind for c in book.chapters}
    assert kinds == {
        "Title": "front",
        "Imprint": "front",
        "Contents": "front",
        "Dedication": "front",
        "One": "body",
        "Two": "body",
        "Colophon": "back",
        "Licence": "back",
    }
    # Pages with no text (a cover image, notes that are never read inline) stay out.
    assert book.skipped == ("Cover", "Notes")


def test_long_document_named_like_matter_is_still_read(tmp_path):
    docs = [Doc("index.xhtml", f"<p>{LONG * 200}</p>"), Doc("toc.xhtml", "<p>A short contents page.</p>")]
    book = load_book(write_epub(tmp_path / "b.epub", docs, toc=[]))
    assert [c.source for c in book.chapters] == ["index.xhtml"]
    assert book.skipped == ("toc.xhtml",)


def test_markup_notes_pages_images_and_verse(tmp_path):
    body = (
        "<h2>One</h2>"
        '<p>Alpha<a epub:type="noteref" href="#n1">1</a> beta<sup>2</sup> gamma<sup><a href="#x">*</a></sup>'
        ' the 1<sup>st</sup> delta[12] epsilon<span epub:type="pagebreak" title="7">7</span> zeta'
        '<span class="pagenum"><a id="Page_8">[8]</a></span> eta<a href="#fn3">[3]</a>.</p>'
        '<aside epub:type="footnote" id="n1"><p>Footnote body.</p></aside>'
        '<div class="footnote"><p>Gutenberg footnote.</p></div>'
        '<figure><img src="i.png" alt="Alt text of a picture"/><figcaption>A caption.</figcaption></figure>'
        "<blockquote><p>Line one,<br/>\n   line two.</p></blockquote>"
        "<ul><li>Item <em>one</em></li><li>Item two</li></ul>"
        "<div>Loose text<p>Inner para</p>Tail text</div>"
        "<script>var x = 1;</script><!-- a comment -->"
    )
    book = load_book(write_epub(tmp_path / "b.epub", [Doc("a.xhtml", body)], toc=[Toc("One", "a.xhtml")]))
    assert book.chapters[0].paragraphs == (
        "Alpha beta gamma the 1st delta epsilon zeta eta.",
        "A caption.",
        "Line one,\nline two.",
        "Item one",
        "Item two",
        "Loose text",
        "Inner para",
        "Tail text",
    )


def test_html_that_is_not_well_formed_xml_keeps_all_words(tmp_path):
    html = (
        "<html><head><title>x</title></head>"
        "<body><h2>One</h2><p>Caf&eacute;&nbsp;open<br>late.</p><p>Next</body></html>"
    )
    book = load_book(write_epub(tmp_path / "b.epub", [Doc("a.xhtml", html)], toc=[Toc("One", "a.xhtml")]))
    assert book.chapters[0].paragraphs == ("Café open\nlate.", "Next")


def test_self_closing_anchor_does_not_swallow_text(tmp_path):
    body = '<h2>One</h2><p>Before <a id="p5"/>after.</p><p>More<span class="pagenum" id="p6"/> text.</p>'
    book = load_book(write_epub(tmp_path / "b.epub", [Doc("a.xhtml", body)], toc=[Toc("One", "a.xhtml")]))
    assert book.chapters[0].paragraphs == ("Before after.", "More text.")


def test_non_linear_items_are_ignored(tmp_path):
    docs = [Doc("a.xhtml", "<h2>One</h2><p>Main.</p>"), Doc("pop.xhtml", "<p>Pop-up note.</p>", linear=False)]
    book = load_book(write_epub(tmp_path / "b.epub", docs, toc=[Toc("One", "a.xhtml")]))
    assert [c.paragraphs for c in book.chapters] == [("Main.",)]


def test_part_page_title_carries_into_next_chapter(tmp_path):
    docs = [Doc("p1.xhtml", "<h1>Part One</h1>"), Doc("c1.xhtml", "<h2>Chapter 1</h2><p>Text.</p>")]
    toc = [Toc("Part One", "p1.xhtml", [Toc("Chapter 1", "c1.xhtml")])]
    book = load_book(write_epub(tmp_path / "b.epub", docs, toc=toc))
    assert _titles(book) == ["Part One: Chapter 1"]


def test_gutenberg_boilerplate_is_cut(tmp_path):
    docs = [
        Doc(
            "a.xhtml",
            "<p>The Project Gutenberg eBook of Test</p><p>*** START OF THE PROJECT GUTENBERG EBOOK TEST ***</p>"
            "<h2>CHAPTER I.</h2><p>Story.</p>",
        ),
        Doc("b.xhtml", "<h2>CHAPTER II.</h2><p>More story.</p><p>*** END OF THE PROJECT GUTENBERG EBOOK TEST ***</p>"),
        Doc("c.xhtml", "<p>The Full Project Gutenberg License. Terms of use.</p>"),
        Doc("d.xhtml", '<section class="pg-boilerplate" id="pg-footer"><p>Licence</p></section>'),
    ]
    book = load_book(write_epub(tmp_path / "b.epub", docs, toc=[]))
    assert [(c.title, c.paragraphs) for c in book.chapters] == [
        ("CHAPTER I.", ("Story.",)),
        ("CHAPTER II.", ("More story.",)),
    ]
    assert book.skipped == ("Project Gutenberg boilerplate",)


@pytest.mark.parametrize("start_entry", [None, "Title Page"])
def test_gutenberg_style_single_file_with_title_page_and_anchored_chapters(tmp_path, start_entry):
    prose = "It was a long and winding tale told by the fire on a cold winter night. " * 5
    body = (
        '<section class="pg-boilerplate pgheader" id="pg-header"><p>The Project Gutenberg eBook</p>'
        '<div id="pg-start-separator">*** START OF THE PROJECT GUTENBERG EBOOK ***</div></section>'
        "<h1>Test Book</h1><p>by Ann Author</p><h2>Contents</h2>"
        '<table><tr><td><a href="#ch1">CHAPTER I</a></td></tr><tr><td><a href="#ch2">CHAPTER II</a></td></tr></table>'
        f'<h2><a id="ch1"></a>CHAPTER I</h2><p>{prose}</p><h2><a id="ch2"></a>CHAPTER II</h2><p>The end.</p>'
        '<section class="pg-boilerplate" id="pg-footer"><p>*** END OF THE PROJECT GUTENBERG EBOOK ***</p></section>'
    )
    toc = [Toc("CHAPTER I", "a.html#ch1"), Toc("CHAPTER II", "a.html#ch2")]
    if start_entry:
        toc.insert(0, Toc(start_entry, "a.html"))
    # The guide's "toc" points inside the one file: that must not make the whole file matter.
    path = write_epub(tmp_path / "pg.epub", [Doc("a.html", body)], toc=toc, version=2, guide=[("toc", "a.html#toc")])
    book = load_book(path)
    assert [(c.title, c.paragraphs) for c in book.chapters] == [
        ("CHAPTER I", (prose.strip(),)),
        ("CHAPTER II", ("The end.",)),
    ]
    # Untitled, the opening is recognised as the title page by the book's title heading.
    front_title = start_entry or "Test Book"
    assert book.skipped == (front_title,)
    kept = load_book(path, include_front_matter=True).chapters[0]
    front_text = ("by Ann Author", "Contents", "CHAPTER I", "CHAPTER II")
    assert (kept.title, kept.kind, kept.paragraphs) == (
        front_title,
        "front",
        front_text if start_entry is None else ("Test Book", *front_text),
    )


def test_cover_named_image_fallback_and_svg_is_not_a_cover(tmp_path):
    docs = [Doc("a.xhtml", "<p>Text.</p>")]
    named = write_epub(tmp_path / "n.epub", docs, images={"img/cover.jpeg": (JPEG, "image/jpeg", "")})
    svg = write_epub(tmp_path / "s.epub", docs, images={"img/cover.svg": (b"<svg/>", "image/svg+xml", "cover-image")})
    assert load_book(named).meta.cover == JPEG
    assert load_book(svg).meta.cover is None


def test_font_obfuscation_is_not_drm(tmp_path):
    encryption = (
        b'<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        b'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
        b'<enc:EncryptionMethod Algorithm="http://www.idpf.org/2008/embedding"/>'
        b'<enc:CipherData><enc:CipherReference URI="OEBPS/fonts/a.otf"/></enc:CipherData>'
        b"</enc:EncryptedData></encryption>"
    )
    path = write_epub(
        tmp_path / "b.epub", [Doc("a.xhtml", "<p>Readable.</p>")], extra_files={"META-INF/encryption.xml": encryption}
    )
    assert load_book(path).chapters[0].paragraphs == ("Readable.",)


@pytest.mark.shared
@pytest.mark.skipif(not REAL_BOOK.exists(), reason=f"needs {REAL_BOOK}")
def test_love_among_the_chickens():
    import zipfile

    from bs4 import BeautifulSoup

    book = load_book(REAL_BOOK)
    body = [c for c in book.chapters if c.kind == "body"]
    assert len(body) == 23
    assert body[0].title == "I: A Letter with a Postscript"
    assert body[22].title == "XXIII: After the Storm"
    assert {c.title for c in book.chapters} - {c.title for c in body} <= {"Dedication"}
    assert set(book.skipped) == {"Titlepage", "Imprint", "Love Among the Chickens", "Colophon", "Uncopyright"}
    assert (book.meta.title, book.meta.authors, book.meta.language) == (
        "Love Among the Chickens",
        ("P. G. Wodehouse",),
        "en",
    )
    # Every word of every chapter file reaches its chapter (title + paragraphs).
    with zipfile.ZipFile(REAL_BOOK) as z:
        for chapter in body:
            source = BeautifulSoup(z.read(f"epub/{chapter.source}"), "lxml-xml").find("body")
            expected = re.findall(r"\w+", "".join(source.strings))
            got = re.findall(r"\w+", " ".join([chapter.title, *chapter.paragraphs]).replace("\n", " "))
            assert sorted(got) == sorted(expected), chapter.title


def test_svg_cover_yields_the_raster_it_embeds_or_references(tmp_path):
    import base64

    docs = [Doc("a.xhtml", "<p>Text.</p>")]
    embedded = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        b'<image xlink:href="data:image/jpeg;base64,' + base64.b64encode(JPEG) + b'"/></svg>'
    )
    e = write_epub(tmp_path / "e.epub", docs, images={"img/cover.svg": (embedded, "image/svg+xml", "cover-image")})
    assert (load_book(e).meta.cover, load_book(e).meta.cover_mime) == (JPEG, "image/jpeg")
    linked = b'<svg xmlns="http://www.w3.org/2000/svg"><image href="art.jpg"/></svg>'
    images = {
        "img/cover.svg": (linked, "image/svg+xml", "cover-image"),
        "img/art.jpg": (JPEG, "image/jpeg", ""),
    }
    assert load_book(write_epub(tmp_path / "l.epub", docs, images=images)).meta.cover == JPEG

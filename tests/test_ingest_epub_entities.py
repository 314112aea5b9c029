"""XHTML as publishers write it (DTD entities, internal subsets) and as attackers write it
(entity-expansion and zip bombs): decoded where it is text, refused in one line where it is not."""

from __future__ import annotations

import html.entities
import time
import tracemalloc
import zipfile

import pytest
from ingest_epub_builder import XHTML_NS, Doc, Toc, page, write_epub

from audiobook_tts.errors import BookError
from audiobook_tts.ingest import epub_package, load_book, xhtml

XHTML11 = '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">'
MIB = 2**20


def _document(body: str, doctype: str = XHTML11, *, declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    return f"{declaration}\n{doctype}\n<html {XHTML_NS}><head><title>t</title></head><body>{body}</body></html>"


def _read(tmp_path, content: str | bytes) -> tuple[str, ...]:
    """The paragraphs of a one-chapter book whose chapter file is exactly ``content``."""
    data = content.encode() if isinstance(content, str) else content
    path = write_epub(tmp_path / "b.epub", [Doc("a.xhtml", "<p>placeholder</p>")], toc=[Toc("One", "a.xhtml")])
    _replace(path, {"OEBPS/a.xhtml": data})
    return load_book(path).chapters[0].paragraphs


def _replace(path, files: dict[str, bytes], compress: int = zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path) as z:
        kept = {n: z.read(n) for n in z.namelist() if n not in files}
    with zipfile.ZipFile(path, "w") as z:
        for name, data in {**kept, **files}.items():
            z.writestr(name, data, compress_type=compress)


def _error(path) -> str:
    with pytest.raises(BookError) as info:
        load_book(path)
    message = str(info.value)
    assert "\n" not in message
    return message


def _measured_error(path) -> tuple[str, float, int]:
    """:func:`_error`, with the seconds it took and the peak of Python memory traced meanwhile."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        message = _error(path)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return message, time.monotonic() - started, peak


# --- entities publishers use --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doctype", "body", "expected"),
    [
        pytest.param(
            XHTML11,
            "<p>dark&nbsp;and stormy night&mdash;the rain&hellip; it&rsquo;s &ldquo;so&rdquo;</p>",
            "dark and stormy night—the rain… it’s “so”",
            id="xhtml11-dtd-names",
        ),
        pytest.param(
            "", "<p>Caf&eacute; &AElig;sop &euro;5 &check;</p>", "Café Æsop €5 ✓", id="no-doctype-html5-names"
        ),
        pytest.param(
            XHTML11, "<p>&lt;tag&gt; &amp; &quot;q&quot; &apos;a&apos;</p>", "<tag> & \"q\" 'a'", id="xml-five"
        ),
        pytest.param(XHTML11, "<p>a &#8212; b &#x2019; c</p>", "a — b ’ c", id="numeric"),
        pytest.param(XHTML11, "<p>a&nosuchentity;b</p>", "ab", id="unknown-name-dropped"),
        pytest.param('<!DOCTYPE html [ <!ENTITY foo "bar"> ]>', "<p>a &foo; b</p>", "a bar b", id="internal-subset"),
        pytest.param(
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "xhtml11.dtd" [\n'
            '  <!-- publisher: "Smith & Sons" ] -->\n'
            '  <!ENTITY pub "Smith &amp; Sons&#8217;">\n'
            "  <!ENTITY full '&pub; &mdash; London'>\n"
            '  <!ENTITY odd "a]b">\n'
            "]>",
            "<p>&full; &odd;&nbsp;x</p>",
            "Smith & Sons’ — London a]b x",
            id="internal-subset-nested-charrefs-comment",
        ),
        pytest.param(
            '<!DOCTYPE html [ <!ENTITY mdash "--"> <!ENTITY mdash "==="> ]>',
            "<p>a&mdash;b</p>",
            "a--b",
            id="first-declaration-wins-over-html",
        ),
        pytest.param(
            f'<!DOCTYPE html [ <!ENTITY x "&#1;&#xD800;&#{"9" * 5000};&#x41;ok"> ]>',
            "<p>&x;</p>",
            "Aok",
            id="charrefs-that-name-no-character-dropped",
        ),
        pytest.param(
            '<!DOCTYPE html [ <!ENTITY b "<b>bold</b>"> <!ENTITY % p "param"> ]>',
            "<p>a &b; b</p>",
            "a b",
            id="markup-and-parameter-entities-dropped",
        ),
    ],
)
def test_entities_are_decoded(tmp_path, doctype, body, expected):
    assert _read(tmp_path, _document(body, doctype)) == (expected,)


def test_every_html_named_entity_decodes(tmp_path):
    names = sorted(name[:-1] for name in html.entities.html5 if name.endswith(";"))
    # (Letters around each: BeautifulSoup collapses a text node that is only whitespace.)
    soup = xhtml.parse(_document("".join(f'<p id="{i}">x&{name};y</p>' for i, name in enumerate(names))).encode())
    got = {p["id"]: p.get_text() for p in soup.find_all("p")}
    assert got == {str(i): f"x{html.entities.html5[f'{name};']}y" for i, name in enumerate(names)}


@pytest.mark.parametrize("kind", ["SYSTEM", "PUBLIC"])
def test_external_entities_are_never_read(tmp_path, kind):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    ident = f'SYSTEM "{secret.as_uri()}"' if kind == "SYSTEM" else f'PUBLIC "-//X//Y" "{secret.as_uri()}"'
    doctype = f'<!DOCTYPE html [ <!ENTITY ext {ident}> <!ENTITY net SYSTEM "http://127.0.0.1:9/x"> ]>'
    started = time.monotonic()
    assert _read(tmp_path, _document("<p>a &ext;&net; b</p>", doctype)) == ("a b",)
    assert time.monotonic() - started < 5  # nothing waited on the network


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("windows-1252", b"")]
)
def test_entities_in_other_encodings(tmp_path, encoding, bom):
    name = "utf-16" if bom else encoding
    text = _document(
        "<p>&eacute;t&eacute;&nbsp;&foo;</p>",
        '<!DOCTYPE html [ <!ENTITY foo "naïve"> ]>',
        declaration=f'<?xml version="1.0" encoding="{name}"?>',
    )
    assert _read(tmp_path, bom + text.encode(encoding)) == ("été naïve",)


def test_entities_in_nav_and_ncx_titles(tmp_path):
    docs = [Doc("a.xhtml", "<p>Alpha.</p>"), Doc("b.xhtml", "<p>Beta.</p>")]
    nav = _document(
        '<nav epub:type="toc"><ol><li><a href="a.xhtml">Caf&eacute;&nbsp;Noir</a></li>'
        '<li><a href="b.xhtml">&ldquo;Two&rdquo;</a></li></ol></nav>'
    )
    book = load_book(write_epub(tmp_path / "n.epub", docs, nav=nav))
    assert [c.title for c in book.chapters] == ["Café Noir", "“Two”"]
    ncx_book = write_epub(
        tmp_path / "x.epub", docs, version=2, toc=[Toc("Chapter One", "a.xhtml"), Toc("Two", "b.xhtml")]
    )
    with zipfile.ZipFile(ncx_book) as z:
        ncx = z.read("OEBPS/toc.ncx").replace(b"Chapter One", b"Chapter&nbsp;One&mdash;Start")
    _replace(ncx_book, {"OEBPS/toc.ncx": ncx})
    assert [c.title for c in load_book(ncx_book).chapters] == ["Chapter One—Start", "Two"]


def test_entities_in_comments_and_cdata_are_left_alone():
    content = _document("<p>a<!-- &nbsp; &bogus; -->b<![CDATA[ &mdash; ]]>c&mdash;d</p>").encode()
    out = xhtml.expand_entities(content)
    assert b"<!-- &nbsp; &bogus; -->" in out and b"<![CDATA[ &mdash; ]]>" in out and b"c&#8212;d" in out


# --- hostile files ------------------------------------------------------------------------------

LAUGHS = '<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
)


@pytest.mark.parametrize(
    ("subset", "body", "reason"),
    [
        pytest.param(
            LAUGHS, "<p>&lol9;</p>", "declares entities that expand past 1,000,000 characters", id="billion-laughs"
        ),
        pytest.param(
            f'<!ENTITY big "{"x" * 100_000}">',
            "<p>" + "&big;" * 20 + "</p>",
            "declares entities that expand past 1,000,000 characters",
            id="quadratic-blowup",
        ),
        pytest.param(
            '<!ENTITY a "x&b;"><!ENTITY b "y&a;">',
            "<p>&a;</p>",
            "declares the entity &a; in terms of itself",
            id="loop",
        ),
        pytest.param(
            "".join(f'<!ENTITY e{i} "&e{i + 1};">' for i in range(40)) + '<!ENTITY e40 "end">',
            "<p>&e0;</p>",
            "nests entities more than 16 deep",
            id="too-deep",
        ),
    ],
)
def test_entity_bombs_fail_fast_in_one_line(tmp_path, subset, body, reason):
    path = write_epub(
        tmp_path / "b.epub", [Doc("text/a.xhtml", "<p>placeholder</p>")], toc=[Toc("One", "text/a.xhtml")]
    )
    _replace(path, {"OEBPS/text/a.xhtml": _document(body, f"<!DOCTYPE html [ {subset} ]>").encode()})
    message, seconds, peak = _measured_error(path)
    assert message == f"{path} is not a safe EPUB: text/a.xhtml {reason}"
    assert seconds < 5
    assert peak < 64 * MIB


def test_entity_bomb_in_the_nav_names_the_nav(tmp_path):
    nav = _document("<nav><ol><li><a href='a.xhtml'>&lol9;</a></li></ol></nav>", f"<!DOCTYPE html [ {LAUGHS} ]>")
    path = write_epub(tmp_path / "b.epub", [Doc("a.xhtml", "<p>Text.</p>")], nav=nav)
    assert (
        _error(path) == f"{path} is not a safe EPUB: nav.xhtml declares entities that expand past 1,000,000 characters"
    )


def test_entity_bomb_in_the_package_document_fails_in_one_line(tmp_path):
    path = write_epub(tmp_path / "b.epub", [Doc("a.xhtml", "<p>Text.</p>")])
    with zipfile.ZipFile(path) as z:
        opf = z.read("OEBPS/content.opf")
    opf = opf.replace(b"<package", f"<!DOCTYPE package [ {LAUGHS} ]>\n<package".encode(), 1)
    _replace(path, {"OEBPS/content.opf": opf.replace(b"<dc:title>Test Book", b"<dc:title>&lol9;")})
    started = time.monotonic()
    assert _error(path) == f"{path} is not a valid EPUB: its package document (OPF) is not well-formed XML"
    assert time.monotonic() - started < 5


def _zip_bomb(tmp_path, name: str, size: int) -> object:
    """A book whose ``name`` member inflates to ``size`` bytes of spaces (written in pieces)."""
    path = write_epub(tmp_path / "b.epub", [Doc("a.xhtml", "<p>Text.</p>")], toc=[Toc("One", "a.xhtml")])
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "a") as z, z.open(info, "w", force_zip64=True) as out:
        piece = b" " * MIB
        for _ in range(size // MIB):
            out.write(piece)
    return path


def _set_declared_size(path, name: str, size: int) -> None:
    """Rewrite the central directory's uncompressed size of ``name`` (a lying or huge entry)."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_len = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + name_len] == encoded:
            data[at + 24 : at + 28] = size.to_bytes(4, "little")
            path.write_bytes(bytes(data))
            return
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(name)


def test_chapter_that_inflates_past_the_text_limit_is_refused_before_inflating(tmp_path):
    path = write_epub(tmp_path / "b.epub", [Doc("a.xhtml", "<p>Text.</p>")], toc=[Toc("One", "a.xhtml")])
    _replace(path, {"OEBPS/a.xhtml": page("<p>" + " " * 2000 + "x</p>").encode()})
    _set_declared_size(path, "OEBPS/a.xhtml", 300 * MIB)
    assert _error(path) == (
        f"{path} is not a safe EPUB: OEBPS/a.xhtml unpacks to 300 MiB, more than the 32 MiB allowed for a text file"
    )


def test_real_zip_bomb_is_refused_fast_with_bounded_memory(tmp_path):
    path = _zip_bomb(tmp_path, "OEBPS/bomb.xhtml", 48 * MIB)
    message, seconds, peak = _measured_error(path)
    assert message.startswith(f"{path} is not a safe EPUB: OEBPS/bomb.xhtml unpacks to 48 MiB")
    assert seconds < 2 and peak < 16 * MIB


def test_highly_compressed_member_under_the_size_limit_is_a_bomb(tmp_path):
    path = _zip_bomb(tmp_path, "OEBPS/images/blank.bmp", 8 * MIB)
    message = _error(path)
    assert message.startswith(f"{path} is not a safe EPUB: OEBPS/images/blank.bmp unpacks to 8 MiB from ")
    assert message.endswith(f"more than {epub_package.MAX_COMPRESSION_RATIO} times its packed size (a zip bomb)")


def test_any_member_past_the_member_limit(tmp_path):
    path = write_epub(tmp_path / "b.epub", [Doc("a.xhtml", "<p>Text.</p>")], toc=[Toc("One", "a.xhtml")])
    _replace(path, {"OEBPS/media/a.mp4": b"x" * 100}, compress=zipfile.ZIP_STORED)
    _set_declared_size(path, "OEBPS/media/a.mp4", 600 * MIB)
    assert _error(path) == (
        f"{path} is not a safe EPUB: OEBPS/media/a.mp4 unpacks to 600 MiB, more than the 512 MiB allowed for one file"
    )


def test_members_together_past_the_archive_limit(tmp_path):
    path = write_epub(tmp_path / "b.epub", [Doc("a.xhtml", "<p>Text.</p>")], toc=[Toc("One", "a.xhtml")])
    stored = {f"OEBPS/media/{n}.mp3": b"x" * 100 for n in range(5)}
    _replace(path, stored, compress=zipfile.ZIP_STORED)
    for name in stored:
        _set_declared_size(path, name, 500 * MIB)  # stored: no ratio, each under the member limit
    assert _error(path) == f"{path} is not a safe EPUB: it unpacks to more than 2,048 MiB"


def test_member_lying_about_a_small_size_is_damaged_not_inflated(tmp_path):
    path = _zip_bomb(tmp_path, "OEBPS/bomb.xhtml", 4 * MIB)
    _set_declared_size(path, "OEBPS/bomb.xhtml", 1000)
    assert _error(path) == f"{path} is not a valid EPUB: the zip archive is truncated or damaged"


def test_large_honest_chapter_is_read(tmp_path):
    words = [f"word{n} " for n in range(400_000)]  # ~4 MiB that deflates ~4:1
    book = load_book(
        write_epub(
            tmp_path / "b.epub",
            [Doc("a.xhtml", f"<p>{''.join(words)}</p>")],
            toc=[Toc("One", "a.xhtml")],
            compress=zipfile.ZIP_DEFLATED,
        )
    )
    assert book.word_count() == len(words)

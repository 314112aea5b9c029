"""Every way a book can be unusable gives one BookError line naming the file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from ingest_epub_builder import Doc, write_epub

from audiobook_tts.errors import BookError
from audiobook_tts.ingest import load_book

CONTAINER = (
    '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
    '<rootfiles><rootfile full-path="content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>'
)


def _error(path, **kwargs) -> str:
    with pytest.raises(BookError) as info:
        load_book(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def _zip(path, files: dict[str, str | bytes]):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


def test_missing_file(tmp_path):
    assert _error(tmp_path / "nope.epub") == f"Book not found: {tmp_path / 'nope.epub'}"


def test_directory(tmp_path):
    assert _error(tmp_path) == f"{tmp_path} is a directory, not a book file (.epub, .pdf, .txt, .md, .markdown)"


def test_unsupported_extension(tmp_path):
    doc = tmp_path / "book.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0")
    assert _error(doc) == f"{doc} has an unsupported file type '.doc'; supported: .epub, .pdf, .txt, .md, .markdown"


def test_no_extension(tmp_path):
    bare = tmp_path / "book"
    bare.write_text("text")
    assert _error(bare) == f"{bare} has an unsupported file type (no extension); supported: .epub, .pdf, .txt, .md, .markdown"


@pytest.mark.parametrize("name", ["e.epub", "e.txt", "e.md"])
def test_empty_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    assert _error(path) == f"{path} is empty"


def test_whitespace_only_text_is_empty(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text(" \n\n\t\n")
    assert _error(path) == f"{path} is empty"


def test_epub_that_is_not_a_zip(tmp_path):
    path = tmp_path / "fake.epub"
    path.write_text("just text, renamed")
    assert _error(path) == f"{path} is not a valid EPUB: it is not a zip archive"


def test_truncated_epub(tmp_path):
    whole = write_epub(tmp_path / "whole.epub", [Doc("a.xhtml", "<p>Text.</p>")])
    cut = tmp_path / "cut.epub"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert _error(cut) == f"{cut} is not a valid EPUB: the zip archive is truncated or damaged"


def test_epub_without_container(tmp_path):
    path = _zip(tmp_path / "b.epub", {"mimetype": "application/epub+zip", "content.opf": "<package/>"})
    assert _error(path) == f"{path} is not a valid EPUB: META-INF/container.xml is missing"


def test_epub_with_missing_opf(tmp_path):
    path = _zip(tmp_path / "b.epub", {"META-INF/container.xml": CONTAINER})
    assert _error(path) == f"{path} is not a valid EPUB: its package document (OPF) is missing"


def test_epub_with_broken_opf(tmp_path):
    path = _zip(tmp_path / "b.epub", {"META-INF/container.xml": CONTAINER, "content.opf": "<package><metadata>"})
    assert _error(path) == f"{path} is not a valid EPUB: its package document (OPF) is not well-formed XML"


def test_epub_with_opf_missing_its_parts(tmp_path):
    opf = '<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata/></package>'
    path = _zip(tmp_path / "b.epub", {"META-INF/container.xml": CONTAINER, "content.opf": opf})
    assert _error(path) == f"{path} is not a valid EPUB: its package document (OPF) has no <manifest>"


def test_epub_whose_spine_names_a_missing_ncx(tmp_path):
    # A nav without epub:type="toc" is read now (tests/test_ingest_epub_toc.py); a spine whose
    # toc attribute names no manifest item still stops ebooklib.
    path = write_epub(tmp_path / "b.epub", [Doc("a.xhtml", "<p>Text.</p>")], version=2)
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    assert b'toc="ncx"' in files["OEBPS/content.opf"]
    files["OEBPS/content.opf"] = files["OEBPS/content.opf"].replace(b'toc="ncx"', b'toc="nope"')
    path.unlink()
    _zip(path, files)
    assert _error(path) == f"{path} is not a valid EPUB: its package or navigation document is malformed"


def test_epub_manifest_names_a_missing_file(tmp_path):
    path = write_epub(tmp_path / "b.epub", [Doc("a.xhtml", "<p>Text.</p>")])
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist() if n != "OEBPS/a.xhtml"}
    path.unlink()
    _zip(path, files)
    assert _error(path) == f"{path} is not a valid EPUB: its manifest lists a.xhtml but the archive lacks it"


@pytest.mark.parametrize("licence", ["META-INF/rights.xml", "META-INF/sinf.xml"])
def test_drm_licence_file(tmp_path, licence):
    path = write_epub(tmp_path / "b.epub", [Doc("a.xhtml", "<p>Text.</p>")], extra_files={licence: b"<rights/>"})
    assert _error(path) == f"{path} is DRM-protected; audiobook-tts can only read DRM-free books"


def test_drm_encrypted_content(tmp_path):
    encryption = (
        b'<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        b'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
        b'<enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>'
        b'<enc:CipherData><enc:CipherReference URI="OEBPS/a.xhtml"/></enc:CipherData>'
        b"</enc:EncryptedData></encryption>"
    )
    path = write_epub(
        tmp_path / "b.epub", [Doc("a.xhtml", "<p>Text.</p>")], extra_files={"META-INF/encryption.xml": encryption}
    )
    assert _error(path) == f"{path} is DRM-protected; audiobook-tts can only read DRM-free books"


def test_epub_without_text(tmp_path):
    path = write_epub(tmp_path / "b.epub", [Doc("a.xhtml", '<img src="x.png" alt="Only a picture"/>')])
    assert _error(path) == f"{path} contains no readable text"


def test_epub_with_only_front_matter(tmp_path):
    path = write_epub(tmp_path / "b.epub", [Doc("a.xhtml", '<section epub:type="titlepage"><h1>Title</h1></section>')])
    assert _error(path) == f"{path} contains no readable text outside front/back matter (a.xhtml)"
    assert load_book(path, include_front_matter=True).chapters[0].paragraphs == ("Title",)


def test_binary_file_as_text(tmp_path):
    path = tmp_path / "bin.txt"
    path.write_bytes(bytes(range(256)) * 8)
    assert _error(path) == f"{path} is not a text file (it contains binary data)"


def test_zip_named_txt(tmp_path):
    path = write_epub(tmp_path / "book.txt", [Doc("a.xhtml", "<p>Text.</p>")])
    assert _error(path) == f"{path} is not a text file (it is a zip archive, perhaps an EPUB)"


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "locked.txt"
    path.write_text("Text.")

    def refuse(_path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)  # chmod does not stop root, who may run the tests
    assert _error(path) == f"{path} cannot be read: Permission denied"


def test_markdown_of_only_markup(tmp_path):
    path = tmp_path / "pics.md"
    path.write_text("![a picture](p.png)\n\n---\n")
    assert _error(path) == f"{path} contains no readable text"

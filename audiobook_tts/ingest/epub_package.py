"""The EPUB package: archive checks (validity, DRM) before ebooklib sees it, then metadata and cover."""

from __future__ import annotations

import base64
import posixpath
import re
import zipfile
import zlib
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

from ..errors import BookError
from .matter import collapse
from .model import BookMeta

_CONTAINER = "META-INF/container.xml"
_CONTAINER_NS = {"c": "urn:oasis:names:tc:opendocument:xmlns:container"}
_ENCRYPTION = "META-INF/encryption.xml"
# Adobe ADEPT and Apple FairPlay licences; their presence alone means the text is locked.
_DRM_LICENCES = ("META-INF/rights.xml", "META-INF/sinf.xml")
_ENC_NS = {"enc": "http://www.w3.org/2001/04/xmlenc#"}
_CONTENT_SUFFIXES = (".xhtml", ".html", ".htm", ".xml", ".opf", ".ncx")
OPF_NS = "{http://www.idpf.org/2007/opf}"
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)

# Zip-bomb guards, read from the central directory before anything is inflated. zipfile never
# inflates a member past the size its directory entry declares (a lie shows up as a CRC error),
# so these bound what the checks below, ebooklib (which holds every manifest item in memory) and
# the XHTML parser (several times a document's size) can be made to hold.
_MIB = 2**20  # bytes
MAX_TEXT_MEMBER_BYTES = 32 * _MIB  # one XHTML/NCX/OPF file; whole novels in one file run to ~10 MiB
MAX_MEMBER_BYTES = 512 * _MIB  # any other member (EPUB 3 may carry audio and video)
MAX_UNPACKED_BYTES = 2048 * _MIB  # all members together
# Deflated prose and markup shrink 3-10 times and images hardly at all, while deflate can
# shrink a run of one byte ~1000 times: a member this much smaller than its contents is a bomb.
MAX_COMPRESSION_RATIO = 100  # uncompressed bytes per compressed byte
RATIO_MIN_BYTES = 1 * _MIB  # smaller members cost little whatever their ratio


def read_meta(book, path: Path) -> BookMeta:
    """Title (the file name when the book has none), authors, language and cover art."""
    cover = _cover(book)
    return BookMeta(
        title=_first_text(book, "title") or path.stem,
        authors=_authors(book),
        language=_language(book),
        cover=cover[0] if cover else None,
        cover_mime=cover[1] if cover else None,
    )


# --- archive and package ----------------------------------------------------------------------


def check_archive(path: Path) -> None:
    """Errors ebooklib would report as tracebacks, or not at all (DRM), named for the user."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        with path.open("rb") as f:
            is_zip_start = f.read(4) == b"PK\x03\x04"
        if is_zip_start:
            raise BookError(f"{path} is not a valid EPUB: the zip archive is truncated or damaged") from None
        raise BookError(f"{path} is not a valid EPUB: it is not a zip archive") from None
    with archive:
        names = set(archive.namelist())
        if _CONTAINER not in names:
            raise BookError(f"{path} is not a valid EPUB: {_CONTAINER} is missing")
        _check_sizes(archive, path)
        if any(name in names for name in _DRM_LICENCES) or (
            _ENCRYPTION in names and _encrypts_content(archive.read(_ENCRYPTION))
        ):
            raise BookError(f"{path} is DRM-protected; audiobook-tts can only read DRM-free books")
        try:
            intact = archive.testzip() is None  # CRC of every member
        except (zipfile.BadZipFile, zlib.error, EOFError):
            intact = False
        if not intact:
            raise BookError(f"{path} is not a valid EPUB: the zip archive is truncated or damaged")
        opf_path = _rootfile(archive.read(_CONTAINER))
        if opf_path is None or opf_path not in names:
            raise BookError(f"{path} is not a valid EPUB: its package document (OPF) is missing")
        try:
            opf = etree.fromstring(archive.read(opf_path), _XML_PARSER)
        except etree.XMLSyntaxError:
            raise BookError(f"{path} is not a valid EPUB: its package document (OPF) is not well-formed XML") from None
        for part in ("metadata", "manifest", "spine"):
            if opf.find(f"{OPF_NS}{part}") is None:
                raise BookError(f"{path} is not a valid EPUB: its package document (OPF) has no <{part}>")
        folder = posixpath.dirname(opf_path)
        for item in opf.iterfind(f"{OPF_NS}manifest/{OPF_NS}item[@href]"):
            href = item.get("href")
            if "://" not in href and posixpath.normpath(posixpath.join(folder, unquote(href))) not in names:
                raise BookError(f"{path} is not a valid EPUB: its manifest lists {href} but the archive lacks it")


def _check_sizes(archive: zipfile.ZipFile, path: Path) -> None:
    total = 0
    for info in archive.infolist():
        size, name = info.file_size, info.filename
        is_text = name.lower().endswith(_CONTENT_SUFFIXES)
        limit = MAX_TEXT_MEMBER_BYTES if is_text else MAX_MEMBER_BYTES
        if size > limit:
            raise BookError(
                f"{path} is not a safe EPUB: {name} unpacks to {_mib(size)}, more than the "
                f"{_mib(limit)} allowed for {'a text file' if is_text else 'one file'}"
            )
        deflated = info.compress_type != zipfile.ZIP_STORED  # a stored member cannot inflate
        if deflated and size > RATIO_MIN_BYTES and size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise BookError(
                f"{path} is not a safe EPUB: {name} unpacks to {_mib(size)} from "
                f"{info.compress_size:,} bytes, more than {MAX_COMPRESSION_RATIO} times its packed size (a zip bomb)"
            )
        total += size
        if total > MAX_UNPACKED_BYTES:
            raise BookError(f"{path} is not a safe EPUB: it unpacks to more than {_mib(MAX_UNPACKED_BYTES)}")


def _mib(size: int) -> str:
    return f"{size / _MIB:,.0f} MiB" if size >= _MIB else f"{size:,} bytes"


def _rootfile(container: bytes) -> str | None:
    try:
        root = etree.fromstring(container, _XML_PARSER)
    except etree.XMLSyntaxError:
        return None
    found = root.find(".//c:rootfile[@full-path]", _CONTAINER_NS)
    return None if found is None else found.get("full-path")


def _encrypts_content(encryption_xml: bytes) -> bool:
    """Font obfuscation also lives in encryption.xml and is harmless; encrypted text is DRM."""
    try:
        root = etree.fromstring(encryption_xml, _XML_PARSER)
    except etree.XMLSyntaxError:
        return True  # unreadable encryption info: the content cannot be trusted to be readable
    uris = (ref.get("URI", "") for ref in root.iterfind(".//enc:CipherReference", _ENC_NS))
    return any(unquote(uri).lower().endswith(_CONTENT_SUFFIXES) for uri in uris)


def load_package(path: Path):
    """ebooklib's view of the package: manifest items with their bytes, spine, metadata, guide.
    epub.py reads the nav and NCX itself (which to trust, nesting, entities), so ebooklib is kept
    from parsing them: its nav reader fails outright on a nav without epub:type="toc"."""
    from ebooklib import epub

    class Reader(epub.EpubReader):
        def _parse_nav(self, data, base_path, navtype="toc"):
            pass

        def _parse_ncx(self, data):
            pass

    try:
        reader = Reader(str(path), {"ignore_ncx": True})
        book = reader.load()
        reader.process()
        return book
    except Exception:  # ebooklib raises bare AttributeError/IndexError on malformed parts
        raise BookError(f"{path} is not a valid EPUB: its package or navigation document is malformed") from None


# --- metadata -----------------------------------------------------------------------------------


def _first_text(book, name: str) -> str:
    for value, _ in book.get_metadata("DC", name):
        if value and value.strip():
            return collapse(value)
    return ""


def _authors(book) -> tuple[str, ...]:
    creators = [(collapse(v), attrs) for v, attrs in book.get_metadata("DC", "creator") if v and v.strip()]
    # EPUB 3 gives roles in <meta refines="#id" property="role">, EPUB 2 in opf:role.
    refined: dict[str, set[str]] = {}
    for value, attrs in book.get_metadata("OPF", "meta"):
        if attrs.get("property") == "role" and attrs.get("refines", "").startswith("#") and value:
            refined.setdefault(attrs["refines"][1:], set()).add(value.strip())
    authors = []
    for name, attrs in creators:
        roles = refined.get(attrs.get("id", ""), set()) | (
            {attrs[f"{OPF_NS}role"]} if f"{OPF_NS}role" in attrs else set()
        )
        if not roles or "aut" in roles:
            authors.append(name)
    return tuple(authors or (name for name, _ in creators))


def _language(book) -> str:
    tag = _first_text(book, "language")
    return tag.replace("_", "-").split("-")[0].casefold()


def _cover(book) -> tuple[bytes, str] | None:
    """First JPEG/PNG among: cover-image item, <meta name="cover">, images named "cover"."""
    from ebooklib import epub

    items = list(book.get_items())
    candidates = [i for i in items if isinstance(i, epub.EpubCover)]
    for _, attrs in book.get_metadata("OPF", "meta"):
        item = book.get_item_with_id(attrs.get("content", "")) if attrs.get("name") == "cover" else None
        if item is not None:
            candidates.append(item)
    candidates += [
        i
        for i in items
        if (i.media_type or "").startswith("image/") and "cover" in f"{i.id or ''} {i.file_name or ''}".casefold()
    ]
    for item in candidates:
        data = item.get_content()
        if (item.media_type or "") == "image/svg+xml":
            data = _raster_in_svg(data, book, item.file_name or "")
        found = _raster_type(data)
        if found:
            return data, found
    return None


_SVG_IMAGE_REF = re.compile(rb"""(?:xlink:)?href\s*=\s*["']([^"']+)["']""")


def _raster_type(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def _raster_in_svg(svg: bytes, book, svg_name: str) -> bytes:
    """The largest JPEG/PNG an SVG cover embeds (data: URI) or references (Standard Ebooks
    covers are SVG wrapping a JPEG); audio players only show raster cover art."""
    found: list[bytes] = []
    for ref in _SVG_IMAGE_REF.findall(svg):
        if ref.startswith(b"data:image/") and b";base64," in ref:
            try:
                found.append(base64.b64decode(ref.split(b",", 1)[1], validate=False))
            except ValueError:
                continue
        elif not ref.startswith((b"#", b"data:")):
            name = posixpath.normpath(posixpath.join(posixpath.dirname(svg_name), ref.decode("utf-8", "replace")))
            item = book.get_item_with_href(name)
            if item is not None:
                found.append(item.get_content())
    rasters = [d for d in found if _raster_type(d)]
    return max(rasters, key=len) if rasters else b""

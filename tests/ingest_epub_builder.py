"""Small EPUB 2/3 files written with zipfile, so each test controls every byte that matters."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

XHTML_NS = 'xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"'
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00fake-jpeg"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDRfake-png"


def page(body: str, *, title: str = "", body_attrs: str = "") -> str:
    """A complete XHTML content document around ``body``."""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<html {XHTML_NS}><head><title>{escape(title)}</title></head>'
        f"<body {body_attrs}>{body}</body></html>"
    )


@dataclass
class Doc:
    href: str  # relative to the OPF folder
    body: str  # the <body> contents, or a whole document when it starts with "<?xml" / "<html"
    linear: bool = True
    body_attrs: str = ""
    title: str = ""

    def content(self) -> str:
        if self.body.lstrip().startswith(("<?xml", "<html", "<!DOCTYPE")):
            return self.body
        return page(self.body, title=self.title, body_attrs=self.body_attrs)


@dataclass
class Toc:
    title: str
    href: str  # "" in a nav: a heading that links nowhere (<span>)
    children: list[Toc] = field(default_factory=list)


def write_epub(
    path: Path,
    docs: list[Doc],
    *,
    version: int = 3,
    toc: list[Toc] | None = None,
    title: str = "Test Book",
    creators: str = '<dc:creator id="a1">Ann Author</dc:creator>',
    language: str = "en",
    extra_metadata: str = "",
    images: dict[str, tuple[bytes, str, str]] | None = None,  # href -> (bytes, media type, properties)
    guide: list[tuple[str, str]] = (),  # (type, href) for EPUB 2
    landmarks: list[tuple[str, str]] = (),  # (epub:type, href) for EPUB 3
    extra_files: dict[str, bytes] | None = None,
    opf_folder: str = "OEBPS",
    ncx_href: str = "toc.ncx",
    nav_attrs: str = 'epub:type="toc"',  # attributes of the nav that holds the TOC
    nav: str | None = None,  # the whole nav document, instead of one built from ``toc``
    ncx_toc: list[Toc] | None = None,  # version 3: also an NCX, with this TOC
    compress: int = zipfile.ZIP_STORED,
) -> Path:
    """Write an EPUB: ``version`` 3 gets a nav document (TOC + landmarks), 2 an NCX and a guide."""
    toc = toc if toc is not None else [Toc(d.title or d.href, d.href) for d in docs]
    images = images or {}
    manifest, spine = [], []
    for n, doc in enumerate(docs):
        manifest.append(f'<item id="d{n}" href="{doc.href}" media-type="application/xhtml+xml"/>')
        linear = "" if doc.linear else ' linear="no"'
        spine.append(f'<itemref idref="d{n}"{linear}/>')
    for n, (href, (_, media_type, properties)) in enumerate(images.items()):
        props = f' properties="{properties}"' if properties else ""
        item_id = href.rsplit("/", 1)[-1].replace(".", "-") if "cover" in href else f"img{n}"
        manifest.append(f'<item id="{item_id}" href="{href}" media-type="{media_type}"{props}/>')
    files: dict[str, bytes] = {}
    if version == 3:
        manifest.append('<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>')
        files["nav.xhtml"] = (nav if nav is not None else _nav(toc, landmarks, nav_attrs)).encode()
        spine_attr, guide_xml = "", ""
        if ncx_toc is not None:
            manifest.append(f'<item id="ncx" href="{ncx_href}" media-type="application/x-dtbncx+xml"/>')
            files[ncx_href] = _ncx(ncx_toc, ncx_href).encode()
            spine_attr = ' toc="ncx"'
    else:
        manifest.append(f'<item id="ncx" href="{ncx_href}" media-type="application/x-dtbncx+xml"/>')
        files[ncx_href] = _ncx(toc, ncx_href).encode()
        spine_attr = ' toc="ncx"'
        refs = "".join(f'<reference type="{t}" href="{h}" title="{t}"/>' for t, h in guide)
        guide_xml = f"<guide>{refs}</guide>" if guide else ""
    opf = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<package xmlns="http://www.idpf.org/2007/opf" '
        f'xmlns:opf="http://www.idpf.org/2007/opf" version="{version}.0" unique-identifier="uid">'
        f'<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="uid">urn:test</dc:identifier>'
        f"<dc:title>{escape(title)}</dc:title>{creators}<dc:language>{language}</dc:language>{extra_metadata}"
        f"</metadata><manifest>{''.join(manifest)}</manifest><spine{spine_attr}>{''.join(spine)}</spine>"
        f"{guide_xml}</package>"
    )
    with zipfile.ZipFile(path, "w", compression=compress) as z:
        z.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
            f'<rootfiles><rootfile full-path="{opf_folder}/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>",
        )
        z.writestr(f"{opf_folder}/content.opf", opf)
        for doc in docs:
            z.writestr(f"{opf_folder}/{doc.href}", doc.content())
        for href, (data, _, _) in images.items():
            z.writestr(f"{opf_folder}/{href}", data)
        for name, data in files.items():
            z.writestr(f"{opf_folder}/{name}", data)
        for name, data in (extra_files or {}).items():
            z.writestr(name, data)
    return path


def _nav(toc: list[Toc], landmarks: list[tuple[str, str]], nav_attrs: str) -> str:
    def items(entries: list[Toc]) -> str:
        out = []
        for e in entries:
            sub = f"<ol>{items(e.children)}</ol>" if e.children else ""
            label = f'<a href="{e.href}">{escape(e.title)}</a>' if e.href else f"<span>{escape(e.title)}</span>"
            out.append(f"<li>{label}{sub}</li>")
        return "".join(out)

    marks = "".join(f'<li><a epub:type="{t}" href="{h}">{t}</a></li>' for t, h in landmarks)
    landmarks_nav = f'<nav epub:type="landmarks"><ol>{marks}</ol></nav>' if landmarks else ""
    return page(f"<nav {nav_attrs}><h1>Contents</h1><ol>{items(toc)}</ol></nav>{landmarks_nav}", title="Contents")


def _ncx(toc: list[Toc], ncx_href: str) -> str:
    # NCX hrefs are relative to the NCX file itself.
    up = "../" * ncx_href.count("/")
    counter = iter(range(1, 10_000))

    def points(entries: list[Toc]) -> str:
        out = []
        for e in entries:
            n = next(counter)
            out.append(
                f'<navPoint id="np{n}" playOrder="{n}"><navLabel><text>{escape(e.title)}</text></navLabel>'
                f'<content src="{up}{e.href}"/>{points(e.children)}</navPoint>'
            )
        return "".join(out)

    return (
        '<?xml version="1.0" encoding="utf-8"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1">'
        '<head><meta name="dtb:uid" content="urn:test"/></head><docTitle><text>Test</text></docTitle>'
        f"<navMap>{points(toc)}</navMap></ncx>"
    )

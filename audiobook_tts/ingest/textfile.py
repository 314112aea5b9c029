"""Bytes of a .txt/.md file -> str, refusing binary files with a clear message."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from ..errors import BookError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control characters that real text files do contain: tab, newlines, form feed, DOS end-of-file.
_TEXT_CONTROLS = frozenset("\t\n\r\f\v\x1a")
# Share of other control characters above which a decoded "text" is really binary data.
_MAX_CONTROL_FRACTION = 0.001


def read_text_file(path: Path) -> str:
    """Decode UTF-8/16/32 (BOM or not), else the encoding charset-normalizer finds.

    charset-normalizer often names a Baltic or Central-European code page for short Western
    texts, so a Latin-script guess is read as cp1252 (Windows Western, a superset of Latin-1).
    """
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        raise BookError(f"{path} is not a text file (it is a zip archive, perhaps an EPUB)")
    text = _decode(data)
    if text is None or _looks_binary(text):
        raise BookError(f"{path} is not a text file (it contains binary data)")
    if not text.strip():
        raise BookError(f"{path} is empty")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if b"\x00" in data:  # only UTF-16/32 text has NUL bytes
        return str(best) if best is not None and best.encoding.startswith("utf_") else None
    if best is not None and not all(_is_latin_block(a) for a in best.alphabets):
        return str(best)
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return data.decode("latin-1")


def _is_latin_block(alphabet: str) -> bool:
    return "Latin" in alphabet or alphabet in ("Control character", "General Punctuation", "Currency Symbols")


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = sum(1 for c in text if c not in _TEXT_CONTROLS and unicodedata.category(c) == "Cc")
    return controls > _MAX_CONTROL_FRACTION * len(text)

"""Book ingest: EPUB, PDF, plain text or Markdown -> :class:`Book` (metadata + narrated chapters)."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import BookError
from .model import Book, BookMeta, Chapter

__all__ = ["Book", "BookMeta", "Chapter", "SUPPORTED_SUFFIXES", "load_book"]

SUPPORTED_SUFFIXES = (".epub", ".pdf", ".txt", ".md", ".markdown")


def load_book(path: str | os.PathLike, *, include_front_matter: bool = False) -> Book:
    """Read a book; front/back matter is left out (and listed in ``skipped``) unless asked for."""
    path = Path(path)
    if not path.exists():
        raise BookError(f"Book not found: {path}")
    if path.is_dir():
        raise BookError(f"{path} is a directory, not a book file ({', '.join(SUPPORTED_SUFFIXES)})")
    suffix = path.suffix.casefold()
    if suffix not in SUPPORTED_SUFFIXES:
        found = f"type '{path.suffix}'" if path.suffix else "type (no extension)"
        raise BookError(f"{path} has an unsupported file {found}; supported: {', '.join(SUPPORTED_SUFFIXES)}")
    if path.stat().st_size == 0:
        raise BookError(f"{path} is empty")
    try:
        return _read(path, suffix, include_front_matter)
    except OSError as exc:  # unreadable (permissions, I/O error) after the checks above
        raise BookError(f"{path} cannot be read: {exc.strerror or exc}") from None


def _read(path: Path, suffix: str, include_front_matter: bool) -> Book:
    if suffix == ".epub":
        from .epub import read_epub

        return read_epub(path, include_front_matter=include_front_matter)
    if suffix == ".pdf":
        from .pdf import read_pdf  # pypdf is imported here only, so that --help stays instant

        return read_pdf(path, include_front_matter=include_front_matter)
    if suffix == ".txt":
        from .plaintext import read_text

        return read_text(path, include_front_matter=include_front_matter)
    from .markdown import read_markdown

    return read_markdown(path, include_front_matter=include_front_matter)

"""What ingest hands to the rest of the pipeline: a book as titled chapters of paragraphs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Chapter.kind values.
KIND_FRONT = "front"
KIND_BODY = "body"
KIND_BACK = "back"


@dataclass(frozen=True)
class BookMeta:
    title: str
    authors: tuple[str, ...]
    language: str  # primary language subtag, e.g. "en"; "" when the book does not say
    cover: bytes | None  # JPEG or PNG bytes (the formats M4B/MP3 cover art accepts)
    cover_mime: str | None  # "image/jpeg" / "image/png"


@dataclass(frozen=True)
class Chapter:
    index: int  # 1-based position among the chapters returned
    title: str
    # Whitespace-collapsed text, otherwise as in the book; "\n" only where the book breaks a
    # line inside a paragraph (<br/> in verse, addresses). The title heading is not repeated.
    paragraphs: tuple[str, ...]
    kind: str  # KIND_FRONT / KIND_BODY / KIND_BACK
    source: str  # EPUB spine href, "page N" (PDF), or "text" / "markdown"
    # What is read aloud instead of the title, when a book file says (bookfile.py).
    spoken_title: str = ""


@dataclass(frozen=True)
class Book:
    path: Path
    format: str  # "epub" | "pdf" | "text" | "markdown"
    meta: BookMeta
    chapters: tuple[Chapter, ...]
    # Titles (or hrefs) of parts left out as non-narration: title page, licence, index...
    skipped: tuple[str, ...]

    def word_count(self) -> int:
        return sum(len(p.split()) for chapter in self.chapters for p in chapter.paragraphs)

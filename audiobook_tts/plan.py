"""Planning: book -> chapters of bucketed chunks, and each chunk's identity (key and seed).

Torch-free, so ``plan`` and ``chapters`` start instantly. A chunk's key hashes everything
that shapes its audio, so the store reuses exactly the chunks that would come out the same.
The book's language (:mod:`book_language`) decides how its text is normalised and split.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .book_language import BookLanguage, resolve_language
from .config import BUCKETS, Settings
from .engine.variants import get_variant
from .errors import UsageError
from .ingest import Book, load_book as read_book
from .store import chunk_key
from .text import Chunk, chunk_chapter
from .text.lexicon import Lexicon

# Seeds are 31-bit: torch generators and numpy both take them, and JSON keeps them exact.
SEED_MASK = 0x7FFF_FFFF


@dataclass(frozen=True)
class PlannedChapter:
    index: int
    title: str
    chunks: tuple[Chunk, ...]

    @property
    def chars(self) -> int:
        return sum(len(c.text) for c in self.chunks)


@dataclass(frozen=True)
class Plan:
    book: Book
    chapters: tuple[PlannedChapter, ...]
    settings: Settings
    language: BookLanguage
    # The book file's lexicon and how often each entry fired in the planned chapters.
    lexicon: Lexicon = field(default_factory=Lexicon)
    lexicon_counts: dict[str, int] = field(default_factory=dict)

    @property
    def chunks(self) -> list[Chunk]:
        return [c for ch in self.chapters for c in ch.chunks]

    def bucket_counts(self) -> dict[str, int]:
        counts = {b: 0 for b in BUCKETS}
        for c in self.chunks:
            counts[c.bucket] += 1
        return counts

    def lexicon_hits(self) -> dict[str, int]:
        """Every lexicon entry -> times it fired (0: never, usually a typo)."""
        return {name: self.lexicon_counts.get(name, 0) for name in self.lexicon.names()}

    def to_dict(self) -> dict[str, Any]:
        limits = self.settings.chunking.bucket_limits()
        counts = self.bucket_counts()
        extra = {"lexicon": self.lexicon_hits()} if self.lexicon else {}
        return {
            "book": book_summary(self.book, self.language.code),
            "profile": self.settings.profile,
            "buckets": {b: {"max_chars": limits[b], "chunks": counts[b]} for b in BUCKETS},
            "totals": {
                "chapters": len(self.chapters),
                "chunks": sum(counts.values()),
                "chars": sum(ch.chars for ch in self.chapters),
            },
            "chapters": [
                {
                    "index": ch.index,
                    "title": ch.title,
                    "chunks": [{"text": c.text, "bucket": c.bucket} for c in ch.chunks],
                }
                for ch in self.chapters
            ],
            **extra,
        }


def book_summary(book: Book, language: str | None = None) -> dict[str, Any]:
    """The book's metadata as ``plan --json``, ``chapters --json`` and the report show it;
    ``language`` is the one it is read in, when resolved (else what the book says)."""
    meta = book.meta
    return {
        "title": meta.title,
        "authors": list(meta.authors),
        "language": meta.language if language is None else language,
        "format": book.format,
        "path": str(book.path),
        "has_cover": meta.cover is not None,
    }


def load_book(path: Path, settings: Settings) -> Book:
    return read_book(path, include_front_matter=settings.chunking.include_front_matter)


def parse_chapter_spec(spec: str | None, count: int) -> list[int]:
    """``"3"``, ``"2-5"``, ``"1,4,7-9"`` -> sorted 1-based chapter numbers within ``1..count``."""
    if spec is None or spec.strip() == "":
        return list(range(1, count + 1))
    chosen: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", part)
        if not m:
            raise UsageError(
                f"invalid --chapters {spec!r}: use numbers and ranges like 3, 2-5 or 1,4,7-9"
            )
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if lo > hi:
            raise UsageError(f"invalid --chapters {spec!r}: range {lo}-{hi} runs backwards")
        if lo < 1 or hi > count:
            raise UsageError(
                f"--chapters {spec!r} is out of range: the book has chapters 1-{count}"
            )
        chosen.update(range(lo, hi + 1))
    return sorted(chosen)


def plan_book(book: Book, settings: Settings, chapters: str | None = None, lexicon: Lexicon | None = None) -> Plan:
    """``chapters`` numbers the book's chapters (a book file may have left some out, so the
    indices can have gaps); ``lexicon`` rewrites the normalised text before chunking."""
    wanted = set(parse_chapter_spec(chapters, max((ch.index for ch in book.chapters), default=0)))
    language = resolve_language(settings, book)
    lexicon = lexicon or Lexicon()
    counts: Counter[str] = Counter()
    rewrite = (lambda text: lexicon.apply(text, counts)) if lexicon else None
    planned = []
    for ch in book.chapters:
        if ch.index not in wanted:
            continue
        chunks = chunk_chapter(
            ch.index, ch.spoken_title or ch.title, ch.paragraphs, settings.chunking,
            read_title=settings.output.read_titles, language=language.code, rewrite=rewrite,
        )
        if chunks:
            planned.append(PlannedChapter(ch.index, ch.title, tuple(chunks)))
    return Plan(book=book, chapters=tuple(planned), settings=settings, language=language,
                lexicon=lexicon, lexicon_counts=dict(counts))


# --------------------------------------------------------------------------- chunk identity


def chunk_seed(base_seed: int, text: str) -> int:
    """Seed from the base seed and the chunk's own text, so editing one paragraph or choosing
    other chapters never changes the seeds (and cached audio) of the rest."""
    digest = hashlib.sha256(f"{base_seed}\x00{text}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & SEED_MASK


def synthesis_identity(settings: Settings, language: str) -> dict[str, Any]:
    """Everything besides text, voice, model and seed that changes a chunk's audio.

    The language only where the model reads it (a multilingual variant): the standard
    model's keys stay as they were, so its renders resume."""
    syn = dataclasses.asdict(settings.synthesis)
    for key in ("seed", "max_retries"):
        syn.pop(key)
    if syn["sampler"] == "multinomial":
        del syn["sampler"]  # the draws of every chunk made before there was a choice: same keys
    eng = settings.engine
    syn.update(
        t3_dtype=eng.t3_dtype,
        s3gen_dtype=eng.s3gen_dtype,
        fast_decode=eng.fast_decode,
    )
    if get_variant(settings.model.variant).multilingual:
        syn["language"] = language
    return syn


@dataclass(frozen=True)
class Job:
    """One chunk to have in the store: where it sits in the book, its key and first seed."""

    chapter: PlannedChapter
    chunk: Chunk
    key: str
    seed: int
    language: str = "en"  # ISO 639-1, what the engine is told the chunk is in


def plan_jobs(plan: Plan, *, voice_id: str, model_id: str) -> list[Job]:
    """Every chunk of the plan in book order, keyed for this voice and model."""
    settings = plan.settings
    language = plan.language.code
    identity = synthesis_identity(settings, language)
    jobs = []
    for chapter in plan.chapters:
        for chunk in chapter.chunks:
            seed = chunk_seed(settings.synthesis.seed, chunk.text)
            key = chunk_key(text=chunk.text, voice=voice_id, model=model_id, synthesis=identity, seed=seed)
            jobs.append(Job(chapter=chapter, chunk=chunk, key=key, seed=seed, language=language))
    return jobs

"""The finished book: chapter WAVs -> one chaptered M4B and/or one MP3 per chapter."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .audio.encode import build_m4b, encode_mp3, mp3_tags
from .config import Settings
from .ingest import BookMeta
from .plan import PlannedChapter


@dataclass(frozen=True)
class AssembledChapter:
    chapter: PlannedChapter
    wav: Path  # loudness-normalised chapter audio
    seconds: float


@dataclass(frozen=True)
class Published:
    outputs: list[str]  # paths written, in order
    chapters: list[dict[str, Any]]  # index, title, start_s, end_s in the finished book


def slugify(text: str, fallback: str = "audiobook") -> str:
    slug = re.sub(r"[^\w\-]+", "-", text.strip().lower(), flags=re.UNICODE).strip("-_")
    return slug[:80] or fallback


def safe_filename(text: str) -> str:
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", text).strip(" .")
    return re.sub(r"\s+", " ", name)[:100] or "chapter"


def encode_steps(fmt: str, n_chapters: int) -> int:
    """Progress steps of :func:`publish`: one per MP3 chapter, one for the M4B."""
    return (n_chapters if fmt != "m4b" else 0) + (1 if fmt != "mp3" else 0)


def publish(
    assembled: Sequence[AssembledChapter],
    meta: BookMeta,
    out_dir: Path,
    settings: Settings,
    *,
    fallback_title: str,
    on_step=lambda: None,
) -> Published:
    """Encode the chapters as ``output.format`` says; chapter times are the M4B's when there is one."""
    fmt = settings.output.format
    title = meta.title or fallback_title
    authors = list(meta.authors)
    n = len(assembled)
    outputs: list[str] = []

    marks: list[dict[str, Any]] = []
    start = 0.0
    for item in assembled:
        marks.append({"index": item.chapter.index, "title": item.chapter.title, "start_s": start,
                      "end_s": start + item.seconds})
        start += item.seconds

    if fmt in ("mp3", "both"):
        mp3_dir = out_dir / "mp3" if fmt == "both" else out_dir
        for pos, item in enumerate(assembled, start=1):
            chapter = item.chapter
            path = mp3_dir / f"{pos:02d} - {safe_filename(chapter.title)}.mp3"
            tags = mp3_tags(book_title=title, authors=authors, chapter_title=chapter.title, track=pos, total=n)
            encode_mp3(
                item.wav, path, tags=tags, cover=meta.cover, cover_mime=meta.cover_mime,
                bitrate=settings.output.mp3_bitrate, label=f"chapter {chapter.index}",
            )
            outputs.append(str(path))
            on_step()

    if fmt in ("m4b", "both"):
        path = out_dir / f"{slugify(title)}.m4b"
        chapter_marks = build_m4b(
            [(item.wav, item.chapter.title) for item in assembled],
            path,
            title=title,
            authors=authors,
            cover=meta.cover,
            cover_mime=meta.cover_mime,
            bitrate=settings.output.aac_bitrate,
        )
        # The M4B's marks are exact sample counts of the chapter WAVs.
        for mark, cm in zip(marks, chapter_marks):
            mark["start_s"], mark["end_s"] = cm.start_s, cm.end_s
        outputs.append(str(path))
        on_step()
    return Published(outputs=outputs, chapters=marks)

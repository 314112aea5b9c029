"""Subtitles (``output.subtitles = "srt" | "vtt"``): a cue per sentence, from the known text.

The words shown are the book's (the chunk's text), never the recogniser's; the recogniser
only says *when*. Each chunk's place in its chapter comes from :mod:`.timeline`; inside a
chunk, its sentences are found among the recognised words (text and heard words aligned as
in :mod:`.score`), so a sentence starts at its first word and ends at its last. A chunk
without word times (not verified, or it failed: its words are not the text's) shares its
span among its sentences by their lengths.

One file per chapter (beside the chapter's MP3 when there is one, else under
``OUT/subtitles/``) and, with an M4B, one for the whole book beside it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Settings
from ..constants import SAMPLE_RATE_HZ
from ..files import atomic_write_text
from ..publish import Published, safe_filename
from ..store import ChunkStore
from ..text import split_sentences
from .api import Word
from .score import align, tokens

# A cue stays up this long after its last word, unless the next one starts sooner.
HOLD_SECONDS = 0.5
# Shortest cue, so a one-word sentence can still be read.
MIN_CUE_SECONDS = 0.3
# Characters per subtitle line (a common broadcast limit).
LINE_CHARS = 42
SUBTITLES_DIR = "subtitles"


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float
    text: str


def _proportional(sentences: Sequence[str], start: float, end: float) -> list[tuple[float, float]]:
    total = sum(len(s) for s in sentences) or 1
    spans, at = [], start
    for sentence in sentences:
        length = (end - start) * len(sentence) / total
        spans.append((at, at + length))
        at += length
    return spans


def _timed(sentences: Sequence[str], words: Sequence[Word], language: str) -> list[tuple[float, float] | None]:
    """(start, end) of each sentence in take time from the recognised words, None where none
    of its words were found."""
    ref: list[int] = []  # sentence of each text token
    ref_tokens: list[str] = []
    for n, sentence in enumerate(sentences):
        for token in tokens(sentence, language):
            ref.append(n)
            ref_tokens.append(token)
    hyp_tokens: list[str] = []
    hyp_words: list[Word] = []
    for word in words:
        for token in tokens(word.text, language):
            hyp_tokens.append(token)
            hyp_words.append(word)
    found: list[list[float] | None] = [None] * len(sentences)
    for i, j in align(ref_tokens, hyp_tokens):
        if i is None or j is None:
            continue
        n, word = ref[i], hyp_words[j]
        if found[n] is None:
            found[n] = [word.start, word.end]
        else:
            found[n][0] = min(found[n][0], word.start)
            found[n][1] = max(found[n][1], word.end)
    return [None if f is None else (f[0], f[1]) for f in found]


def chunk_cues(entry: Mapping[str, Any], meta: Mapping[str, Any] | None, language: str,
               sample_rate: int = SAMPLE_RATE_HZ) -> list[Cue]:
    """The cues of one chunk, in chapter time. ``entry`` is the report's chunk record (text,
    start_s, end_s, span); ``meta`` what the store keeps (its ``verify`` words)."""
    text = entry["text"]
    sentences = split_sentences(text, language) or [text]
    start, end = float(entry["start_s"]), float(entry["end_s"])
    spans = _proportional(sentences, start, end)
    heard = (meta or {}).get("verify")
    if heard and heard.get("passed") and heard.get("words"):
        words = [Word(str(t), float(s), float(e)) for t, s, e in heard["words"]]
        offset = start - (entry.get("span") or [0, 0])[0] / sample_rate  # take time -> chapter time
        for n, timed in enumerate(_timed(sentences, words, language)):
            if timed is not None:
                spans[n] = (min(max(timed[0] + offset, start), end), min(max(timed[1] + offset, start), end))
    return [Cue(s, e, sentence) for (s, e), sentence in zip(spans, sentences)]


def tidy(cues: Sequence[Cue]) -> list[Cue]:
    """In order, never overlapping, each at least MIN_CUE_SECONDS and held a little after its
    last word (until the next cue starts)."""
    out: list[Cue] = []
    for n, cue in enumerate(cues):
        start = max(cue.start, out[-1].end if out else 0.0)
        following = cues[n + 1].start if n + 1 < len(cues) else float("inf")
        end = max(cue.end + HOLD_SECONDS, start + MIN_CUE_SECONDS)
        end = max(min(end, following), start + MIN_CUE_SECONDS)
        out.append(Cue(start, end, cue.text))
    return out


def _timestamp(seconds: float, decimal: str) -> str:
    ms = int(round(seconds * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{decimal}{ms:03d}"


def format_cues(cues: Sequence[Cue], fmt: str) -> str:
    """SRT or WebVTT text of ``cues``."""
    blocks = ["WEBVTT\n"] if fmt == "vtt" else []
    decimal = "." if fmt == "vtt" else ","
    for n, cue in enumerate(cues, start=1):
        lines = "\n".join(textwrap.wrap(cue.text, LINE_CHARS)) or cue.text
        timing = f"{_timestamp(cue.start, decimal)} --> {_timestamp(cue.end, decimal)}"
        blocks.append(f"{timing}\n{lines}\n" if fmt == "vtt" else f"{n}\n{timing}\n{lines}\n")
    return "\n".join(blocks)


def chapter_cues(entries: Sequence[Mapping[str, Any]], metas: Mapping[str, Mapping[str, Any] | None],
                 language: str) -> dict[int, list[Cue]]:
    """Chapter index -> its tidied cues; ``entries`` in book order, placed (start_s, end_s)."""
    cues: dict[int, list[Cue]] = {}
    for entry in entries:
        cues.setdefault(entry["chapter"], []).extend(chunk_cues(entry, metas.get(entry["key"]), language))
    return {chapter: tidy(c) for chapter, c in cues.items()}


def write_subtitles(entries: Sequence[Mapping[str, Any]], published: Published, store: ChunkStore,
                    language: str, out_dir: Path, settings: Settings) -> list[str]:
    """Write the subtitle files; returns their paths (per chapter, then the book's)."""
    fmt = settings.output.subtitles
    cues = chapter_cues(entries, {e["key"]: store.meta(e["key"]) for e in entries}, language)
    mp3s = [Path(o) for o in published.outputs if o.endswith(".mp3")]
    m4bs = [Path(o) for o in published.outputs if o.endswith(".m4b")]
    written: list[str] = []
    book: list[Cue] = []
    for pos, mark in enumerate(published.chapters, start=1):
        chapter = cues.get(mark["index"], [])
        if len(mp3s) == len(published.chapters):
            path = mp3s[pos - 1].with_suffix(f".{fmt}")
        else:
            path = out_dir / SUBTITLES_DIR / f"{pos:02d} - {safe_filename(mark['title'])}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, format_cues(chapter, fmt))
        written.append(str(path))
        book.extend(Cue(c.start + mark["start_s"], c.end + mark["start_s"], c.text) for c in chapter)
    for m4b in m4bs:
        path = m4b.with_suffix(f".{fmt}")
        atomic_write_text(path, format_cues(book, fmt))
        written.append(str(path))
    return written

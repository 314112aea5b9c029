"""Where each chunk sits in its chapter's audio, from the chunk store's records alone.

The assembler (:mod:`audiobook_tts.audio.assemble`) writes every chunk trimmed of silence
(``speech_span``) and follows it with its pause, so chunk *i* starts at the sum of the
trimmed lengths and pauses of the chunks before it. Takes record their span in the store;
for a chunk stored before spans were recorded, ``span_of(key)`` works it out from the audio.
Loudness normalisation resamples but keeps the length, so these times are the chapter
file's (and, offset by the chapter's start, the M4B's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..audio.assemble import pause_samples
from ..config import PauseOptions
from ..constants import SAMPLE_RATE_HZ

SpanOf = Callable[[str], "tuple[int, int]"]


def place_chunks(
    entries: Sequence[dict[str, Any]], pauses: PauseOptions, span_of: SpanOf | None = None,
    sample_rate: int = SAMPLE_RATE_HZ,
) -> None:
    """Set ``start_s`` and ``end_s`` (seconds in the chapter) on each entry, given in book order
    with ``chapter``, ``key``, ``pause_after`` and ``span`` ([start, end] samples, or None)."""
    position: dict[int, int] = {}
    for entry in entries:
        span = entry.get("span")
        if span is None and span_of is not None:
            span = list(span_of(entry["key"]))
            entry["span"] = span
        at = position.get(entry["chapter"], 0)
        length = (span[1] - span[0]) if span else 0
        entry["start_s"] = round(at / sample_rate, 3)
        entry["end_s"] = round((at + length) / sample_rate, 3)
        position[entry["chapter"]] = at + length + pause_samples(entry["pause_after"], pauses, sample_rate)


def clock(seconds: float) -> str:
    """m:ss (h:mm:ss past an hour), rounded down: where to seek in a player."""
    total = int(seconds)
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"

"""Clean edges: cut a take before its first and after its last recognised word.

Chatterbox sometimes goes on after the text (a breath, babble, a stray syllable) or starts
late. With word times from the recogniser, the audio from ``tail_keep_ms`` after the last
word's end (and up to ``lead_keep_ms`` before the first word's start) is cut, with a short
fade at each cut so it never clicks. Only takes whose words passed are cut (:mod:`.verifier`):
the words of a failed take may not be the text's, and its times then mean nothing.

The chapter assembler still trims silence and adds the ``[pauses]`` after every chunk, so
the joins keep their lengths whether a take was cut or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .api import Word

# Fade at a cut, so cutting inside a sound never clicks.
TRIM_FADE_MS = 20


@dataclass(frozen=True)
class Cut:
    """The part of a take that is kept: samples ``[start, end)``."""

    start: int
    end: int
    samples: int  # length of the take before the cut

    @property
    def is_noop(self) -> bool:
        return self.start == 0 and self.end == self.samples

    def to_dict(self, sample_rate: int) -> dict[str, float]:
        """Seconds cut at each end, for the store and the report."""
        return {"lead_s": round(self.start / sample_rate, 3),
                "tail_s": round((self.samples - self.end) / sample_rate, 3)}


def find_cut(
    samples: int, sample_rate: int, words: Sequence[Word], *, lead_keep_ms: int, tail_keep_ms: int
) -> Cut:
    """Where to cut a take of ``samples`` with these recognised ``words``; no words, no cut."""
    if not words or samples == 0:
        return Cut(0, samples, samples)
    first = min(w.start for w in words)
    last = max(w.end for w in words)
    start = max(0, int(round((first - lead_keep_ms / 1000) * sample_rate)))
    end = min(samples, int(round((last + tail_keep_ms / 1000) * sample_rate)))
    if end <= start:  # nonsense times: keep everything
        return Cut(0, samples, samples)
    return Cut(start, end, samples)


def apply_cut(wav: np.ndarray, cut: Cut, sample_rate: int) -> np.ndarray:
    """``wav`` (samples,) cut to ``[start, end)``, faded in/out where something was cut."""
    if cut.is_noop:
        return wav
    out = np.array(wav[cut.start : cut.end], dtype=np.float32)
    n = min(int(round(TRIM_FADE_MS * sample_rate / 1000)), out.size // 2)
    if n > 0:
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n, dtype=np.float32))).astype(np.float32)
        if cut.start > 0:
            out[:n] *= ramp
        if cut.end < cut.samples:
            out[-n:] *= ramp[::-1]
    return out


def shift_words(words: Sequence[Word], seconds: float) -> tuple[Word, ...]:
    """Word times after ``seconds`` were cut from the front (never below zero)."""
    return tuple(Word(w.text, max(0.0, w.start - seconds), max(0.0, w.end - seconds)) for w in words)

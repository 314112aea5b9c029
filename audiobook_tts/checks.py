"""Checks of a take: each a small function that returns a reason it is suspect, or None.

A suspect take is synthesised again with another seed (see :mod:`takes`); the list
:data:`CHECKS` is the order reasons are reported in, and the place to add a check. Each
check sees the take, its text and, with ``[verify]``, what speech recognition heard in it
(:class:`~audiobook_tts.verify.verifier.Hearing`; None without verification).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .engine.api import SynthesisResult

if TYPE_CHECKING:
    from .verify.verifier import Hearing

# Narrated English runs at ~13-16 characters per second, so a take far outside these
# bounds skipped words or babbled.
MIN_SECONDS_PER_CHAR = 0.02
MAX_SECONDS_PER_CHAR = 0.25
SLACK_SECONDS = 1.5
SILENCE_RMS = 1e-3  # -60 dBFS
CLIP_LEVEL = 0.999
MAX_CLIPPED_FRACTION = 0.01

Check = Callable[[SynthesisResult, str, "Hearing | None"], "str | None"]


def _seconds(take: SynthesisResult) -> float:
    return len(take.wav) / take.sample_rate


def _is_silent(wav: np.ndarray) -> bool:
    return len(wav) == 0 or float(np.sqrt(np.mean(np.square(wav, dtype=np.float64)))) < SILENCE_RMS


def hit_token_cap(take: SynthesisResult, text: str, heard: Hearing | None = None) -> str | None:
    # The cap means the text may be cut off; a take whose every word was heard was not.
    if heard is not None and heard.passed:
        return None
    return "hit the token cap" if take.hit_cap else None


def silent(take: SynthesisResult, text: str, heard: Hearing | None = None) -> str | None:
    return "silent" if _is_silent(take.wav) else None


def clipped(take: SynthesisResult, text: str, heard: Hearing | None = None) -> str | None:
    if _is_silent(take.wav):
        return None
    return "clipped" if float(np.mean(np.abs(take.wav) >= CLIP_LEVEL)) > MAX_CLIPPED_FRACTION else None


def too_long(take: SynthesisResult, text: str, heard: Hearing | None = None) -> str | None:
    seconds = _seconds(take)
    if seconds > MAX_SECONDS_PER_CHAR * len(text) + SLACK_SECONDS:
        return f"too long for its text ({seconds:.1f} s for {len(text)} chars)"
    return None


def too_short(take: SynthesisResult, text: str, heard: Hearing | None = None) -> str | None:
    seconds = _seconds(take)
    if seconds < MIN_SECONDS_PER_CHAR * len(text):
        return f"too short for its text ({seconds:.1f} s for {len(text)} chars)"
    return None


def misheard(take: SynthesisResult, text: str, heard: Hearing | None = None) -> str | None:
    if heard is None or heard.passed:
        return None
    return f"misheard ({heard.error_rate:.0%} of words wrong, limit {heard.limit:.0%})"


CHECKS: tuple[Check, ...] = (hit_token_cap, silent, clipped, too_long, too_short, misheard)


def suspect_reasons(take: SynthesisResult, text: str, heard: Hearing | None = None) -> list[str]:
    """Every check's reason, in :data:`CHECKS` order; empty for a good take."""
    return [reason for check in CHECKS if (reason := check(take, text, heard)) is not None]

"""Take checks and retries: each check's reason, and suspect takes retried together with new seeds."""

from __future__ import annotations

import numpy as np

from audiobook_tts.checks import CHECKS, suspect_reasons
from audiobook_tts.config import build_settings
from audiobook_tts.constants import SAMPLE_RATE_HZ
from audiobook_tts.engine import SynthesisResult
from audiobook_tts.plan import Job, PlannedChapter
from audiobook_tts.takes import RETRY_SEED_STRIDE, take_jobs
from audiobook_tts.text import Chunk
from fakes import FakeEngine, FakeVoice

TEXT = "A line of about forty characters to say."  # 40 chars: 0.8 s to 11.5 s is plausible


def take(wav, hit_cap=False) -> SynthesisResult:
    return SynthesisResult(np.asarray(wav, dtype=np.float32), SAMPLE_RATE_HZ, 0, hit_cap, 0.0, 0)


def tone(seconds: float, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    return level * np.sin(2 * np.pi * 220 * t)


def test_a_good_take_has_no_reasons():
    assert suspect_reasons(take(tone(3.0)), TEXT) == []


def test_each_check_names_its_reason_in_table_order():
    assert suspect_reasons(take(np.zeros(SAMPLE_RATE_HZ), hit_cap=True), TEXT) == ["hit the token cap", "silent"]
    assert suspect_reasons(take(np.clip(tone(3.0, 3.0), -1, 1)), TEXT) == ["clipped"]
    assert suspect_reasons(take(tone(12.0)), TEXT) == ["too long for its text (12.0 s for 40 chars)"]
    assert suspect_reasons(take(tone(0.5)), TEXT) == ["too short for its text (0.5 s for 40 chars)"]
    assert suspect_reasons(take([]), TEXT) == ["silent", "too short for its text (0.0 s for 40 chars)"]
    assert [c.__name__ for c in CHECKS] == ["hit_token_cap", "silent", "clipped", "too_long", "too_short", "misheard"]


def _jobs(texts):
    chunks = tuple(Chunk(1, i, t, "medium", "text", "sentence", 0) for i, t in enumerate(texts))
    chapter = PlannedChapter(1, "One", chunks)
    return [Job(chapter, c, key=f"{i:064x}", seed=100 + i) for i, c in enumerate(chunks)]


def test_suspect_takes_are_retried_together_with_new_seeds():
    texts = [f"{TEXT} {i}" for i in range(4)]
    engine = FakeEngine(build_settings("smoke"), None, suspect_texts={texts[1], texts[3]})
    engine.load()
    takes = take_jobs(engine, FakeVoice("v"), _jobs(texts), max_retries=2)
    assert engine.batches == [4, 2, 2]  # the two suspect chunks go back together
    assert [t.attempts for t in takes] == [1, 3, 1, 3]
    assert [t.reasons == [] for t in takes] == [True, False, True, False]
    seeds = [s for text, s in engine.calls if text == texts[3]]
    assert seeds == [103, 103 + RETRY_SEED_STRIDE, 103 + 2 * RETRY_SEED_STRIDE]
    assert takes[3].result.seed == 103  # every attempt as bad: the first is kept
    assert takes[1].audio_seconds == sum(0.1 for _ in range(3))

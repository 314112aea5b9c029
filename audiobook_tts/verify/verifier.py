"""A take's hearing: transcribe batches of takes, score them against their texts, cut tails.

:class:`Verifier` is what the take loop (:mod:`audiobook_tts.takes`) and the ``check``
command use. Recognition runs on one worker thread: when the engine or the recogniser is on
a GPU, the recogniser hears one batch while the engine synthesises the next (CTranslate2 and
torch both release the GIL); when both are on the CPU they would only fight over its cores,
so a batch is heard as soon as it is synthesised. Either way the time spent is measured:
``seconds`` in the recogniser, ``blocked_seconds`` that synthesis waited for it.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..config import VerifyOptions
from ..engine.api import Engine, SynthesisResult
from . import create_recognizer
from .api import Recognizer, Word
from .score import Score, score
from .tails import Cut, apply_cut, find_cut, shift_words

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hearing:
    """What the recogniser made of one take, against the chunk's text."""

    heard: str
    words: tuple[Word, ...]  # times in the take as kept (after any cut)
    score: Score
    limit: float  # verify.max_error_rate
    cut: Cut | None = None  # what was cut from the take, when it passed

    @property
    def error_rate(self) -> float:
        return self.score.error_rate

    @property
    def passed(self) -> bool:
        return self.score.error_rate <= self.limit

    def to_dict(self, sample_rate: int) -> dict[str, Any]:
        """For the chunk store (the words make subtitles) and the report."""
        return {
            "error_rate": round(self.error_rate, 4),
            "passed": self.passed,
            "heard": self.heard,
            "missing": list(self.score.missing),
            "extra": list(self.score.extra),
            "words": [[w.text, round(w.start, 3), round(w.end, 3)] for w in self.words],
            "cut": self.cut.to_dict(sample_rate) if self.cut is not None and not self.cut.is_noop else None,
        }


def hearing_from_dict(data: dict[str, Any], limit: float) -> Hearing:
    """A stored hearing back (``check`` and resumed renders read them from the store)."""
    words = tuple(Word(str(t), float(s), float(e)) for t, s, e in data.get("words", ()))
    rate = float(data["error_rate"])
    missing, extra = tuple(data.get("missing", ())), tuple(data.get("extra", ()))
    return Hearing(data.get("heard", ""), words, Score(rate, len(missing) + len(extra), 0, missing, extra), limit)


def load_recognizer(options: VerifyOptions, cache_dir: Path, language: str) -> Recognizer | None:
    """The loaded recogniser of ``[verify]`` (None when it is off); a model that cannot be had
    is a ModelError here, before any synthesis."""
    if not options.enabled:
        return None
    recognizer = create_recognizer(options, cache_dir, language)
    recognizer.load()
    return recognizer


class Verifier:
    """Hears takes in batches of ``verify.batch_size``; one worker thread, optionally ahead."""

    @classmethod
    def beside(cls, recognizer: Recognizer, options: VerifyOptions, language: str, engine: Engine) -> Verifier:
        """A verifier for takes of ``engine``: hearing overlaps synthesis unless both would
        share the CPU."""
        both_on_cpu = str(engine.device).startswith("cpu") and recognizer.device == "cpu"
        return cls(recognizer, options, language, overlap=not both_on_cpu)

    def __init__(self, recognizer: Recognizer, options: VerifyOptions, language: str, *, overlap: bool) -> None:
        self.recognizer = recognizer
        self.options = options
        self.language = language
        self.overlap = overlap
        self.seconds = 0.0  # wall time in the recogniser and scoring
        self.blocked_seconds = 0.0  # wall time the caller waited for a hearing
        self.takes = 0  # takes heard
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="verify") if overlap else None

    @property
    def name(self) -> str:
        return self.recognizer.name

    def describe(self) -> dict[str, Any]:
        return {**self.recognizer.describe(), "max_error_rate": self.options.max_error_rate,
                "batch_size": self.options.batch_size, "overlap": self.overlap}

    def _hear_now(self, wavs: Sequence[np.ndarray], sample_rate: int, texts: Sequence[str]) -> list[Hearing]:
        started = time.perf_counter()
        hearings: list[Hearing] = []
        size = self.options.batch_size
        for at in range(0, len(wavs), size):
            batch_texts = texts[at : at + size]
            transcripts = self.recognizer.transcribe_batch(wavs[at : at + size], sample_rate, batch_texts)
            for text, transcript in zip(batch_texts, transcripts, strict=True):
                hearings.append(Hearing(transcript.text, transcript.words,
                                        score(text, transcript.text, self.language), self.options.max_error_rate))
        with self._lock:
            self.seconds += time.perf_counter() - started
            self.takes += len(wavs)
        return hearings

    def hear_later(self, wavs: Sequence[np.ndarray], sample_rate: int, texts: Sequence[str]) -> Future[list[Hearing]]:
        """Start hearing these takes; :meth:`wait` for the result (done at once without overlap)."""
        if self._pool is not None:
            return self._pool.submit(self._hear_now, list(wavs), sample_rate, list(texts))
        future: Future[list[Hearing]] = Future()
        started = time.perf_counter()
        try:
            future.set_result(self._hear_now(wavs, sample_rate, texts))
        except BaseException as exc:  # handed to wait(), as a worker thread's error would be
            future.set_exception(exc)
        self.blocked_seconds += time.perf_counter() - started
        return future

    def wait(self, future: Future[list[Hearing]]) -> list[Hearing]:
        started = time.perf_counter()
        try:
            return future.result()
        finally:
            if self._pool is not None:
                self.blocked_seconds += time.perf_counter() - started

    def hear(self, wavs: Sequence[np.ndarray], sample_rate: int, texts: Sequence[str]) -> list[Hearing]:
        return self.wait(self.hear_later(wavs, sample_rate, texts))

    def hear_results(self, results: Sequence[SynthesisResult], texts: Sequence[str]) -> Future[list[Hearing]]:
        """:meth:`hear_later` for an engine's results (one sample rate per batch)."""
        if not results:
            done: Future[list[Hearing]] = Future()
            done.set_result([])
            return done
        return self.hear_later([r.wav for r in results], results[0].sample_rate, texts)

    def trim(self, result: SynthesisResult, hearing: Hearing) -> tuple[SynthesisResult, Hearing]:
        """A passing take without what comes before its first and after its last word
        (``verify.trim``); any other take as it is."""
        if not (self.options.trim and hearing.passed and hearing.words):
            return result, hearing
        rate = result.sample_rate
        cut = find_cut(len(result.wav), rate, hearing.words,
                       lead_keep_ms=self.options.lead_keep_ms, tail_keep_ms=self.options.tail_keep_ms)
        if cut.is_noop:
            return result, hearing
        wav = apply_cut(result.wav, cut, rate)
        words = shift_words(hearing.words, cut.start / rate)
        return dataclasses.replace(result, wav=wav), dataclasses.replace(hearing, words=words, cut=cut)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

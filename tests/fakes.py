"""A fake engine for pipeline tests: the real Engine protocol, deterministic tones, no torch.

Like simonw/llm's mock model, it enters through the same door as the real engine
(``engine.backend = "fake"`` after :func:`audiobook_tts.engine.register_engine`), so the
render pipeline (store, resume, assembly, encoding, report) is tested in seconds. The real
engine has its own tests on the tiny random model.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from audiobook_tts.constants import SAMPLE_RATE_HZ, SAMPLES_PER_TOKEN
from audiobook_tts.engine import Fallback, SynthesisRequest, SynthesisResult, WarmupSummary

FAKE_BACKEND = "fake"


@dataclass
class FakeVoice:
    id: str


class FakeEngine:
    """Speaks every chunk as a tone whose pitch depends on (text, seed), ~15 chars/s."""

    model_id = "fake-model-v1"
    device = "cpu"

    def __init__(self, settings, cache_dir: Path, *, on_synthesize: Callable[[str], None] | None = None,
                 suspect_texts: set[str] | None = None) -> None:
        self.settings = settings
        self.cache_dir = cache_dir
        self.calls: list[tuple[str, int]] = []
        self.batches: list[int] = []  # size of every synthesize_batch call
        self.fallbacks: list[Fallback] = []
        self.loaded = False
        self.on_synthesize = on_synthesize
        self.suspect_texts = suspect_texts or set()

    def load(self) -> None:
        self.loaded = True

    def describe(self) -> dict:
        return {"devices": {"all": self.device}}

    def prepare_voice(self, path: Path) -> FakeVoice:
        return FakeVoice(id=hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16])

    def warmup(self, voice, buckets: Mapping[str, int], on_sample=None) -> WarmupSummary:
        n = self.settings.engine.warmup_samples
        for bucket in buckets:
            for i in range(n):
                if on_sample:
                    on_sample(bucket, i)
        return WarmupSummary({b: n for b in buckets}, seconds=0.0, fallbacks=list(self.fallbacks))

    def synthesize(self, text: str, *, bucket: str, seed: int, voice) -> SynthesisResult:
        assert self.loaded
        self.calls.append((text, seed))
        if self.on_synthesize:
            self.on_synthesize(text)
        if text in self.suspect_texts:
            wav = np.zeros(SAMPLE_RATE_HZ // 10, dtype=np.float32)  # silent and far too short
        else:
            seconds = max(0.3, len(text) / 15.0)
            t = np.arange(int(seconds * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
            h = int.from_bytes(hashlib.sha256(f"{text}|{seed}".encode()).digest()[:2], "little")
            freq = 150.0 + h % 200
            wav = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
        return SynthesisResult(wav=wav, sample_rate=SAMPLE_RATE_HZ, n_tokens=len(wav) // SAMPLES_PER_TOKEN,
                               hit_cap=False, seconds=0.01, seed=seed)

    def synthesize_batch(self, requests: Sequence[SynthesisRequest], voice) -> list[SynthesisResult]:
        self.batches.append(len(requests))
        return [self.synthesize(r.text, bucket=r.bucket, seed=r.seed, voice=voice) for r in requests]


class FakeEngines:
    """A factory for ``register_engine`` that remembers its engines, so a test can inspect
    what was synthesised."""

    def __init__(self, **kw):
        self.kw = kw
        self.engines: list[FakeEngine] = []

    def __call__(self, settings, cache_dir):
        e = FakeEngine(settings, cache_dir, **self.kw)
        self.engines.append(e)
        return e

    @property
    def calls(self):
        return [c for e in self.engines for c in e.calls]

"""A fake engine for pipeline tests: the real engine's interface, deterministic tones, no torch.

Like simonw/llm's mock model, it lets the render pipeline (store, resume, assembly, encoding,
report) be tested in seconds. The real engine has its own tests on the tiny random model.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

SAMPLE_RATE = 24_000


@dataclass
class FakeVoice:
    id: str


@dataclass
class FakeResult:
    wav: np.ndarray
    sample_rate: int
    n_tokens: int
    hit_cap: bool
    seconds: float
    seed: int


@dataclass
class FakeFallback:
    component: str
    from_: str
    to: str
    reason: str

    def to_dict(self) -> dict:
        return {"component": self.component, "from": self.from_, "to": self.to, "reason": self.reason}


@dataclass
class FakeWarmup:
    samples_per_bucket: dict[str, int]
    seconds: float = 0.0
    fallbacks: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "samples_per_bucket": dict(self.samples_per_bucket),
            "seconds": self.seconds,
            "fallbacks": [f.to_dict() for f in self.fallbacks],
        }


class FakeEngine:
    """Speaks every chunk as a tone whose pitch depends on (text, seed), ~15 chars/s."""

    model_id = "fake-model-v1"
    device = "cpu"

    def __init__(self, settings, cache_dir: Path, *, on_synthesize: Callable[[str], None] | None = None,
                 suspect_texts: set[str] | None = None) -> None:
        self.settings = settings
        self.cache_dir = cache_dir
        self.calls: list[tuple[str, int]] = []
        self.fallbacks: list[FakeFallback] = []
        self.loaded = False
        self.on_synthesize = on_synthesize
        self.suspect_texts = suspect_texts or set()

    def load(self) -> None:
        self.loaded = True

    def prepare_voice(self, path: Path) -> FakeVoice:
        return FakeVoice(id=hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16])

    def warmup(self, voice, buckets: Mapping[str, int], on_sample=None) -> FakeWarmup:
        n = self.settings.engine.warmup_samples
        for bucket in buckets:
            for i in range(n):
                if on_sample:
                    on_sample(bucket, i)
        return FakeWarmup({b: n for b in buckets}, fallbacks=list(self.fallbacks))

    def synthesize(self, text: str, *, bucket: str, seed: int, voice) -> FakeResult:
        assert self.loaded
        self.calls.append((text, seed))
        if self.on_synthesize:
            self.on_synthesize(text)
        if text in self.suspect_texts:
            wav = np.zeros(SAMPLE_RATE // 10, dtype=np.float32)  # silent and far too short
        else:
            seconds = max(0.3, len(text) / 15.0)
            t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
            h = int.from_bytes(hashlib.sha256(f"{text}|{seed}".encode()).digest()[:2], "little")
            freq = 150.0 + h % 200
            wav = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
        return FakeResult(wav=wav, sample_rate=SAMPLE_RATE, n_tokens=len(wav) // 960,
                          hit_cap=False, seconds=0.01, seed=seed)

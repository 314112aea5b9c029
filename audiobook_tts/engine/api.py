"""What an engine is, without torch: the types it returns and the Protocol the pipeline uses.

The render pipeline, the test fake and the real Chatterbox engine all meet here, so the
pipeline is typed against this module and importing it never loads a model library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Fallback:
    """One step down the fallback chain (compiled -> eager, a device -> the CPU)."""

    component: str
    from_: str
    to: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"component": self.component, "from": self.from_, "to": self.to, "reason": self.reason}


@dataclass(frozen=True)
class SynthesisRequest:
    """One take to synthesise: the text, its compile bucket, and the seed of this attempt."""

    text: str
    bucket: str
    seed: int
    language: str = "en"  # ISO 639-1; only a multilingual variant reads it


@dataclass
class SynthesisResult:
    wav: np.ndarray  # (samples,) float32 mono
    sample_rate: int
    n_tokens: int  # speech tokens turned into audio (25 per second)
    hit_cap: bool  # T3 never emitted EOS: the text may be cut off
    seconds: float  # wall time spent on this take (its share of a batch)
    seed: int


@dataclass
class WarmupSummary:
    samples_per_bucket: dict[str, int]
    seconds: float
    per_bucket_seconds: dict[str, list[float]] = field(default_factory=dict)
    fallbacks: list[Fallback] = field(default_factory=list)
    # The shapes warmed up (compiled, when compiling): bucket, batch and the padded sizes.
    shapes: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "samples_per_bucket": dict(self.samples_per_bucket),
            "seconds": self.seconds,
            "per_bucket_seconds": {k: list(v) for k, v in self.per_bucket_seconds.items()},
            "fallbacks": [f.to_dict() for f in self.fallbacks],
            "shapes": [dict(s) for s in self.shapes],
        }


# Seeds of the warm-up samples (their audio is thrown away).
WARMUP_SEED = 1_000_003
# Warm-up text, cut to each bucket's size at a word boundary.
WARMUP_TEXT = (
    "The old house stood at the end of the lane, where the hedges grew tall and the road "
    "turned to grass. Nobody had lived there for years, yet every evening a light burned in "
    "the upper window, and the neighbours, who were sensible people, said it was the moon. "
    "Then one morning a cart came up the lane with a trunk, a birdcage and a lady in a green "
    "coat, who paid the driver in silver and went in without looking back."
)
def warmup_text(n_chars: int) -> str:
    """The warm-up text cut to ``n_chars`` at a word boundary."""
    text = WARMUP_TEXT
    while len(text) < n_chars:
        text = f"{text} {WARMUP_TEXT}"
    cut = text[:n_chars]
    return cut.rsplit(" ", 1)[0] if " " in cut and len(text) > n_chars else cut


def warmup_batches(
    buckets: Mapping[str, int], samples: int, rows: int
) -> Iterator[tuple[str, int, list[SynthesisRequest]]]:
    """(bucket, sample number, requests): ``samples`` batches of ``rows`` per bucket, with texts
    growing to the bucket's size, so T3 sees the bucket's one shape and S3Gen the token counts
    its chunks will produce."""
    for bucket, n_chars in buckets.items():
        for i in range(samples):
            text = warmup_text(n_chars * (i + 1) // samples)
            yield bucket, i, [SynthesisRequest(text, bucket, WARMUP_SEED + i + j) for j in range(rows)]


class Voice(Protocol):
    """A prepared voice; ``id`` is the hash of the sample's content (part of every chunk key)."""

    id: str


@runtime_checkable
class Engine(Protocol):
    """Text -> audio in one voice. Load once, prepare a voice once, warm up, then synthesise.

    The same request (text, bucket, seed) gives the same audio on the same device, alone or
    in a batch.
    """

    model_id: str  # identity of the loaded weights (part of every chunk key)
    device: str
    fallbacks: list[Fallback]  # every step down the fallback chain so far

    def load(self) -> None: ...

    def prepare_voice(self, path: Path) -> Voice: ...

    def warmup(
        self, voice: Voice, buckets: Mapping[str, int], on_sample: Callable[[str, int], None] | None = None
    ) -> WarmupSummary: ...

    def describe(self) -> dict[str, Any]:
        """Facts for the report: devices, dtypes and why, batch size."""
        ...

    def synthesize(self, text: str, *, bucket: str, seed: int, voice: Voice) -> SynthesisResult: ...

    def synthesize_batch(self, requests: Sequence[SynthesisRequest], voice: Voice) -> list[SynthesisResult]:
        """One result per request, in order; all requests share one bucket."""
        ...

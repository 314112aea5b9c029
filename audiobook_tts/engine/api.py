"""What an engine is, without torch: the types it returns and the Protocol the pipeline uses.

The render pipeline, the test fake and the real Chatterbox engine all meet here, so the
pipeline is typed against this module and importing it never loads a model library.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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

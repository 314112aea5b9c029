"""What a recogniser is, without its model library: the types it returns and its Protocol.

The take loop, the ``check`` command, the test fake and the faster-whisper recogniser all meet
here, so importing this module never loads CTranslate2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Word:
    """One recognised word and where it sits in the take, in seconds from the take's start."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Transcript:
    """What a recogniser heard in one take."""

    text: str
    words: tuple[Word, ...]


@runtime_checkable
class Recognizer(Protocol):
    """Takes -> transcripts with word times. Load once, then transcribe batches."""

    name: str  # "faster-whisper small (cpu, int8)": for the report
    device: str  # "cpu" or "cuda", once loaded

    def load(self) -> None:
        """Find (or write) and load the model; raises ModelError when it is unavailable."""
        ...

    def describe(self) -> dict[str, Any]:
        """Facts for the report: engine, model, device, compute type."""
        ...

    def transcribe_batch(
        self, wavs: Sequence[np.ndarray], sample_rate: int, texts: Sequence[str]
    ) -> list[Transcript]:
        """One transcript per take, in order. ``texts`` are what each take should say: a
        recogniser may use them to bound its work (never to guess the words)."""
        ...

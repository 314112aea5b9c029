"""What a render tells its caller: progress events as it goes, and the report at the end.

The pipeline never prints; the CLI draws :class:`Events` with Rich, tests record them, and
the :class:`RenderReport` is written as JSON whatever the outcome.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import __version__
from .takes import Take


class Events(Protocol):
    """Phases are ``load``, ``warmup``, ``synthesis``, ``assembly`` and ``encode``, in order."""

    def phase(self, name: str, total: int | None = None) -> None: ...
    def advance(self, *, chars: int = 0, audio_s: float = 0.0, reused: bool = False) -> None: ...
    def chapter(self, index: int, title: str, chunks: int) -> None: ...
    def note(self, message: str) -> None: ...


class NullEvents:
    def phase(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, *, chars: int = 0, audio_s: float = 0.0, reused: bool = False) -> None:
        pass

    def chapter(self, index: int, title: str, chunks: int) -> None:
        pass

    def note(self, message: str) -> None:
        pass


@dataclass
class RenderReport:
    status: str = "running"  # then "complete", "interrupted" or "failed"
    book: dict[str, Any] = field(default_factory=dict)
    profile: str = ""
    device: str = ""
    engine: dict[str, Any] = field(default_factory=dict)  # devices, dtypes per phase and why, batch
    model_id: str = ""
    voice: dict[str, Any] = field(default_factory=dict)
    chunks: dict[str, int] = field(
        default_factory=lambda: {"total": 0, "synthesized": 0, "reused": 0, "suspect": 0}
    )
    buckets: dict[str, int] = field(default_factory=dict)
    warmup: dict[str, Any] = field(default_factory=dict)
    fallbacks: list[dict[str, Any]] = field(default_factory=list)
    suspects: list[dict[str, Any]] = field(default_factory=list)
    chars: int = 0
    audio_seconds: float = 0.0
    synthesized_audio_seconds: float = 0.0
    synthesis_seconds: float = 0.0
    chars_synthesized: int = 0
    wall_seconds: float = 0.0
    load_seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    chapters: list[dict[str, Any]] = field(default_factory=list)
    work_dir: str = ""
    log_path: str = ""
    error: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    version: str = __version__

    @property
    def rtf(self) -> float | None:
        """Synthesis wall time / audio synthesised: < 1 is faster than real time."""
        if self.synthesized_audio_seconds <= 0:
            return None
        return self.synthesis_seconds / self.synthesized_audio_seconds

    @property
    def chars_per_s(self) -> float | None:
        synthesized_chars = self.chars_synthesized
        if self.synthesis_seconds <= 0 or synthesized_chars == 0:
            return None
        return synthesized_chars / self.synthesis_seconds

    def add_take(self, take: Take) -> None:
        """Count a synthesised chunk (every attempt's time and audio) and list it if suspect."""
        self.chunks["synthesized"] += 1
        self.synthesized_audio_seconds += take.audio_seconds
        self.synthesis_seconds += take.synthesis_seconds
        self.chars_synthesized += len(take.job.chunk.text) * take.attempts
        if take.reasons:
            self.chunks["suspect"] += 1
            self.suspects.append(take.suspect_entry())

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["rtf"] = self.rtf
        d["chars_per_s"] = self.chars_per_s
        return d

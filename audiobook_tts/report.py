"""What a render tells its caller: progress events as it goes, and the report at the end.

The pipeline never prints; the CLI draws :class:`Events` with Rich, tests record them, and
the :class:`RenderReport` is written as JSON whatever the outcome.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import __version__
from .config import PauseOptions
from .plan import Job
from .takes import Take
from .verify.timeline import SpanOf, place_chunks


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
    # [verify]: engine, checked, passed, retaken, unchecked, failed (chunks that never
    # passed, with where they are), and what listening cost; empty without [verify].
    verify: dict[str, Any] = field(default_factory=dict)
    # Every chunk in book order: key, text, pause, takes (attempts), which was kept, its
    # error rate when heard, suspect reasons, span and start_s/end_s in its chapter.
    chunk_takes: list[dict[str, Any]] = field(default_factory=list)
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

    def add_take(self, take: Take, meta: dict[str, Any] | None = None) -> None:
        """Count a synthesised chunk (every attempt's time and audio) and list it if suspect;
        ``meta`` is what the store keeps for it (``take.store_meta()``)."""
        self.chunks["synthesized"] += 1
        self.synthesized_audio_seconds += take.audio_seconds
        self.synthesis_seconds += take.synthesis_seconds
        self.chars_synthesized += len(take.job.chunk.text) * take.attempts
        if take.reasons:
            self.chunks["suspect"] += 1
            self.suspects.append(take.suspect_entry())
        self._add_chunk(take.job, meta if meta is not None else take.store_meta(), reused=False)

    def add_reused(self, job: Job, meta: dict[str, Any] | None) -> None:
        """Count a chunk found in the store; ``meta`` is what the store keeps beside it."""
        self.chunks["reused"] += 1
        self._add_chunk(job, meta or {}, reused=True)

    def _add_chunk(self, job: Job, meta: dict[str, Any], *, reused: bool) -> None:
        heard = meta.get("verify")
        entry = {
            "chapter": job.chapter.index, "index": job.chunk.index, "key": job.key, "text": job.chunk.text,
            "pause_after": job.chunk.pause_after, "takes": meta.get("attempts", 1), "kept": meta.get("kept", 1),
            "error_rate": heard["error_rate"] if heard else None, "passed": heard["passed"] if heard else None,
            "suspect": list(meta.get("suspect", [])), "span": meta.get("span"), "reused": reused,
        }
        if heard and not heard["passed"]:
            entry["heard"] = heard.get("heard", "")
        self.chunk_takes.append(entry)

    def place_chunks(self, pauses: PauseOptions, span_of: SpanOf | None = None) -> None:
        """Book order, and each chunk's start and end in its chapter (:mod:`.verify.timeline`)."""
        self.chunk_takes.sort(key=lambda e: (e["chapter"], e["index"]))
        place_chunks(self.chunk_takes, pauses, span_of)

    def summarise_verify(self, described: dict[str, Any], titles: dict[int, str], *, seconds: float,
                         blocked_seconds: float, takes_heard: int) -> None:
        """The ``verify`` section, after :meth:`place_chunks`."""
        entries = self.chunk_takes
        checked = [e for e in entries if e["error_rate"] is not None]
        failed = [
            {"chapter": e["chapter"], "chapter_title": titles.get(e["chapter"], ""), "index": e["index"],
             "text": e["text"], "heard": e.get("heard", ""), "error_rate": e["error_rate"], "takes": e["takes"],
             "start_s": e.get("start_s")}
            for e in checked if not e["passed"]
        ]
        self.verify = {
            **described,
            "checked": len(checked),
            "passed": len(checked) - len(failed),
            "retaken": sum(1 for e in entries if e["takes"] > 1),
            "unchecked": len(entries) - len(checked),  # reused from a render without [verify]
            "failed": failed,
            "takes_heard": takes_heard,
            "seconds": round(seconds, 3),  # in the recogniser, this run
            "blocked_seconds": round(blocked_seconds, 3),  # of it, what synthesis waited for
            "share_of_synthesis": round(blocked_seconds / self.synthesis_seconds, 4) if self.synthesis_seconds else None,
        }

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["rtf"] = self.rtf
        d["chars_per_s"] = self.chars_per_s
        return d

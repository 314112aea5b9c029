"""Takes: synthesise a batch of jobs, check every take, retry the suspect ones with new seeds.

Retried chunks go back to the engine together (they share the batch's bucket), and each
chunk keeps the take with the fewest reasons against it, the first one on a tie.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .checks import suspect_reasons
from .engine.api import Engine, SynthesisRequest, SynthesisResult, Voice
from .plan import SEED_MASK, Job

# Attempt k of a chunk uses seed + k * stride: a prime, so retry seeds of nearby chunks
# do not line up with each other.
RETRY_SEED_STRIDE = 7919


def attempt_seed(seed: int, attempt: int) -> int:
    return (seed + attempt * RETRY_SEED_STRIDE) & SEED_MASK


@dataclass
class Take:
    """The take kept for one job, and what all its attempts cost."""

    job: Job
    result: SynthesisResult
    reasons: list[str]  # why the kept take is still suspect; empty when it passed
    attempts: int
    audio_seconds: float  # audio of every attempt
    synthesis_seconds: float  # wall time of every attempt

    def store_meta(self) -> dict[str, Any]:
        """What the chunk store keeps beside the audio."""
        chunk, result = self.job.chunk, self.result
        return {
            "text": chunk.text,
            "chapter": self.job.chapter.index,
            "index": chunk.index,
            "bucket": chunk.bucket,
            "seed": result.seed,
            "tokens": result.n_tokens,
            "hit_cap": result.hit_cap,
            "attempts": self.attempts,
            "suspect": self.reasons,
        }

    def suspect_entry(self) -> dict[str, Any]:
        """The report's line for a take that stayed suspect after its retries."""
        chapter = self.job.chapter
        return {
            "chapter": chapter.index,
            "chapter_title": chapter.title,
            "index": self.job.chunk.index,
            "text": self.job.chunk.text,
            "seed": self.result.seed,
            "attempts": self.attempts,
            "reasons": self.reasons,
        }


def take_jobs(engine: Engine, voice: Voice, jobs: Sequence[Job], max_retries: int) -> list[Take]:
    """One :class:`Take` per job, in order; at most ``max_retries`` retries per job."""
    takes: list[Take | None] = [None] * len(jobs)
    pending = list(range(len(jobs)))
    for attempt in range(max_retries + 1):
        if not pending:
            break
        requests = [
            SynthesisRequest(jobs[i].chunk.text, jobs[i].chunk.bucket, attempt_seed(jobs[i].seed, attempt))
            for i in pending
        ]
        retry = []
        for i, result in zip(pending, engine.synthesize_batch(requests, voice), strict=True):
            reasons = suspect_reasons(result, jobs[i].chunk.text)
            audio_s = len(result.wav) / result.sample_rate
            take = takes[i]
            if take is None:
                takes[i] = Take(jobs[i], result, reasons, 1, audio_s, result.seconds)
            else:
                take.attempts += 1
                take.audio_seconds += audio_s
                take.synthesis_seconds += result.seconds
                if len(reasons) < len(take.reasons):
                    take.result, take.reasons = result, reasons
            if reasons:
                retry.append(i)
        pending = retry
    return [take for take in takes if take is not None]

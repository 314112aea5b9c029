"""Takes: synthesise a batch of jobs, check every take, retry the suspect ones with new seeds.

Retried chunks go back to the engine together (they share the batch's bucket), and each
chunk keeps the take with the fewest reasons against it, then the lowest word error rate
when takes are heard (``[verify]``), the first one on a tie.

With a :class:`~audiobook_tts.verify.verifier.Verifier`, every attempt is heard before it is
checked, and a passing take loses what follows its last word. :class:`TakeQueue` keeps one
batch in flight, so the recogniser can hear a batch while the engine synthesises the next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .audio.assemble import speech_span
from .checks import suspect_reasons
from .engine.api import Engine, SynthesisRequest, SynthesisResult, Voice
from .plan import SEED_MASK, Job

if TYPE_CHECKING:
    from .verify.verifier import Hearing, Verifier

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
    attempts: int  # attempts made in this run
    audio_seconds: float  # audio of every attempt
    synthesis_seconds: float  # wall time of every attempt
    hearing: Hearing | None = None  # what was heard in the kept take ([verify])
    kept: int = 1  # which attempt is kept, counting from 1 over earlier runs' attempts too
    earlier: int = 0  # attempts of earlier runs (a redo of a stored take), seeds not to reuse

    @property
    def total_attempts(self) -> int:
        return self.earlier + self.attempts

    def store_meta(self) -> dict[str, Any]:
        """What the chunk store keeps beside the audio."""
        chunk, result = self.job.chunk, self.result
        meta = {
            "text": chunk.text,
            "chapter": self.job.chapter.index,
            "index": chunk.index,
            "bucket": chunk.bucket,
            "seed": result.seed,
            "tokens": result.n_tokens,
            "hit_cap": result.hit_cap,
            "attempts": self.total_attempts,
            "suspect": self.reasons,
            # Where the assembler's silence trim puts the chunk's edges: chapter times
            # (subtitles, where a failed chunk is) come from these without decoding audio.
            "span": list(speech_span(result.wav, result.sample_rate)),
            "kept": self.kept,
        }
        if self.hearing is not None:
            meta["verify"] = self.hearing.to_dict(result.sample_rate)
        return meta

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


@dataclass(frozen=True)
class PriorTake:
    """A stored take that a redo (``check --redo``) must beat; its attempts' seeds are not reused."""

    result: SynthesisResult
    reasons: list[str]
    attempts: int
    kept: int
    hearing: Hearing | None = None


def _rank(reasons: list[str], hearing: Hearing | None) -> tuple[int, float]:
    """Lower is better: fewer reasons, then fewer words wrong."""
    return len(reasons), hearing.error_rate if hearing is not None else 0.0


class _Round:
    """The attempts of one batch of jobs: the best take of each so far and what is in flight."""

    def __init__(self, jobs: Sequence[Job], prior: Mapping[str, PriorTake]) -> None:
        self.jobs = jobs
        self.best: list[Take | None] = []
        self.next_attempt: list[int] = []
        for job in jobs:
            p = prior.get(job.key)
            self.best.append(None if p is None else Take(job, p.result, p.reasons, 0, 0.0, 0.0, p.hearing,
                                                         kept=p.kept, earlier=p.attempts))
            self.next_attempt.append(0 if p is None else p.attempts)
        self.pending: list[int] = []
        self.results: list[SynthesisResult] = []
        self.hearings: Future[list[Hearing]] | None = None

    def synthesize(self, engine: Engine, voice: Voice, pending: list[int], verifier: Verifier | None) -> None:
        """The next attempt of each pending job, in one batch; heard in the background."""
        requests = []
        for i in pending:
            job = self.jobs[i]
            requests.append(SynthesisRequest(job.chunk.text, job.chunk.bucket,
                                             attempt_seed(job.seed, self.next_attempt[i]), job.language))
        self.pending, self.results = pending, engine.synthesize_batch(requests, voice)
        if verifier is not None:
            self.hearings = verifier.hear_results(self.results, [self.jobs[i].chunk.text for i in pending])

    def judge(self, verifier: Verifier | None) -> list[int]:
        """Check the attempts in flight, keep the better takes; the jobs to try again."""
        hearings = verifier.wait(self.hearings) if verifier is not None else [None] * len(self.pending)
        retry = []
        for i, result, hearing in zip(self.pending, self.results, hearings, strict=True):
            audio_s = len(result.wav) / result.sample_rate
            if hearing is not None:
                result, hearing = verifier.trim(result, hearing)
            job, attempt = self.jobs[i], self.next_attempt[i]
            self.next_attempt[i] += 1
            reasons = suspect_reasons(result, job.chunk.text, hearing)
            take = self.best[i]
            if take is None:
                self.best[i] = Take(job, result, reasons, 1, audio_s, result.seconds, hearing, kept=attempt + 1)
            else:
                take.attempts += 1
                take.audio_seconds += audio_s
                take.synthesis_seconds += result.seconds
                if _rank(reasons, hearing) < _rank(take.reasons, take.hearing):
                    take.result, take.reasons, take.hearing, take.kept = result, reasons, hearing, attempt + 1
            if reasons:
                retry.append(i)
        return retry


def _start(engine: Engine, voice: Voice, jobs: Sequence[Job], verifier: Verifier | None,
           prior: Mapping[str, PriorTake]) -> _Round:
    round_ = _Round(jobs, prior)
    round_.synthesize(engine, voice, list(range(len(jobs))), verifier)
    return round_


def _finish(engine: Engine, voice: Voice, round_: _Round, max_retries: int, verifier: Verifier | None) -> list[Take]:
    for retry_number in range(max_retries + 1):
        retry = round_.judge(verifier)
        if not retry or retry_number == max_retries:
            break
        round_.synthesize(engine, voice, retry, verifier)
    return [take for take in round_.best if take is not None]


def take_jobs(
    engine: Engine, voice: Voice, jobs: Sequence[Job], max_retries: int,
    verifier: Verifier | None = None, prior: Mapping[str, PriorTake] | None = None,
) -> list[Take]:
    """One :class:`Take` per job, in order; at most ``max_retries`` retries per job. A job with
    a ``prior`` take (by key) keeps it unless an attempt of this run beats it."""
    return _finish(engine, voice, _start(engine, voice, jobs, verifier, prior or {}), max_retries, verifier)


class TakeQueue:
    """:func:`take_jobs` one batch behind: :meth:`submit` synthesises a batch's first
    attempts, then finishes the batch before (its hearing ran meanwhile) and returns its
    takes; :meth:`drain` finishes the last one. Without a verifier nothing is held back."""

    def __init__(self, engine: Engine, voice: Voice, max_retries: int, verifier: Verifier | None = None,
                 prior: Mapping[str, PriorTake] | None = None) -> None:
        self.engine, self.voice, self.max_retries = engine, voice, max_retries
        self.verifier, self.prior = verifier, prior or {}
        self._in_flight: _Round | None = None

    def submit(self, jobs: Sequence[Job]) -> list[Take]:
        if self.verifier is None:
            return take_jobs(self.engine, self.voice, jobs, self.max_retries, prior=self.prior)
        started = _start(self.engine, self.voice, jobs, self.verifier, self.prior)
        done = self.drain()
        self._in_flight = started
        return done

    def drain(self) -> list[Take]:
        round_, self._in_flight = self._in_flight, None
        if round_ is None:
            return []
        return _finish(self.engine, self.voice, round_, self.max_retries, self.verifier)

"""The render: book -> plan -> engine -> chunk store -> chapters -> M4B/MP3, with a report.

This module only orchestrates; each stage is its own module: :mod:`plan` (chunks and their
keys), :mod:`schedule` (batches), :mod:`takes` (synthesis, checks, retries), :mod:`store`
(resume), :mod:`chapters` (assembly), :mod:`publish` (encoding), :mod:`report` (events and
the report). Engines come from :func:`engine.create_engine`, so torch loads only here.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .chapters import ChapterAssembler
from .config import Settings
from .engine import Engine, Voice, create_engine
from .errors import AudiobookError, Interrupted, UsageError, VoiceError
from .plan import Job, Plan, load_book, plan_book, plan_jobs
from .publish import AssembledChapter, encode_steps, publish
from .report import Events, NullEvents, RenderReport
from .schedule import schedule
from .store import ChunkStore, WorkLock
from .takes import take_jobs
from .workdir import CHUNKS_DIR, prepare_out_dir, render_log, write_report

log = logging.getLogger("audiobook_tts")


@dataclass(frozen=True)
class RenderRequest:
    book: Path
    voice: Path
    out_dir: Path
    settings: Settings
    cache_dir: Path
    chapters: str | None = None
    report_path: Path | None = None


def render(request: RenderRequest, events: Events | None = None, *, stop: threading.Event | None = None) -> RenderReport:
    """Render (or resume) an audiobook. Raises AudiobookError for anything the user can fix;
    the report is written either way (status ``complete``, ``interrupted`` or ``failed``)."""
    events = events or NullEvents()
    stop = stop or threading.Event()
    settings = request.settings
    started = time.perf_counter()
    report = RenderReport(profile=settings.profile, settings=settings.to_dict())

    plan = plan_book(load_book(request.book, settings), settings, request.chapters)
    if not plan.chapters:
        raise UsageError("nothing to render: the selected chapters contain no text")
    _check_voice_file(request.voice)  # before the model loads, not after

    work = prepare_out_dir(request.out_dir)
    with render_log(work) as log_path:
        report.work_dir, report.log_path = str(work), str(log_path)
        report.book = plan.to_dict()["book"]
        report.buckets = plan.bucket_counts()
        report.chunks["total"] = len(plan.chunks)
        report.chars = sum(ch.chars for ch in plan.chapters)
        try:
            with WorkLock(work):
                log.info("render %s -> %s (profile %s)", request.book, request.out_dir, settings.profile)
                _render_locked(request, plan, work, report, events, stop)
                report.status = "complete"
        except Interrupted:
            report.status = "interrupted"
            raise
        except AudiobookError as exc:
            report.status, report.error = "failed", str(exc)
            log.error("render failed: %s", exc)
            raise
        except BaseException as exc:
            report.status, report.error = "failed", f"internal error: {type(exc).__name__}: {exc}"
            log.exception("internal error")
            if isinstance(exc, Exception):
                exc.log_path = report.log_path  # the CLI points the user at the full log
            raise
        finally:
            report.wall_seconds = time.perf_counter() - started
            write_report(report, work, request.report_path)
    return report


def _check_voice_file(path: Path) -> None:
    if not path.exists():
        raise VoiceError(f"voice sample not found: {path}")
    if path.is_dir():
        raise VoiceError(f"voice sample is a directory, not an audio file: {path}")


def _render_locked(
    request: RenderRequest, plan: Plan, work: Path, report: RenderReport, events: Events, stop: threading.Event
) -> None:
    settings = request.settings
    store = ChunkStore(work / CHUNKS_DIR)
    engine, voice = _load(request, report, events)
    jobs = plan_jobs(plan, voice_id=voice.id, model_id=engine.model_id)
    # Checksums of every finished chunk are checked up front, so a damaged file is
    # synthesised again in its turn rather than discovered during assembly.
    finished = {job.key for job in jobs if store.verify(job.key)}
    _warm_up(engine, voice, settings, [job for job in jobs if job.key not in finished], report, events)

    assembler = ChapterAssembler(work, store, settings, jobs)
    try:
        events.phase("synthesis", total=len(jobs))
        started: set[int] = set()
        for step in schedule(jobs, finished, settings.engine.batch_size):
            for job in step.jobs:
                if job.chapter.index not in started:
                    started.add(job.chapter.index)
                    events.chapter(job.chapter.index, job.chapter.title, len(job.chapter.chunks))
            if step.reused:
                for job in step.jobs:
                    report.chunks["reused"] += 1
                    events.advance(chars=len(job.chunk.text), reused=True)
                    assembler.chunk_stored(job)
                continue
            if stop.is_set():
                raise Interrupted()
            for take in take_jobs(engine, voice, step.jobs, settings.synthesis.max_retries):
                store.put(take.job.key, take.result.wav, take.result.sample_rate, take.store_meta())
                report.add_take(take)
                if take.reasons:
                    log.warning("suspect chunk %d.%d after %d attempts: %s", take.job.chapter.index,
                                take.job.chunk.index, take.attempts, ", ".join(take.reasons))
                events.advance(chars=len(take.job.chunk.text), audio_s=len(take.result.wav) / take.result.sample_rate)
                assembler.chunk_stored(take.job)
        report.fallbacks = [f.to_dict() for f in engine.fallbacks]
        report.engine = engine.describe()

        events.phase("assembly", total=len(plan.chapters))
        assembled = []
        for chapter in plan.chapters:
            wav, seconds = assembler.result(chapter.index)
            assembled.append(AssembledChapter(chapter, wav, seconds))
            events.advance(audio_s=seconds)
    finally:
        assembler.close()

    fmt = settings.output.format
    events.phase("encode", total=encode_steps(fmt, len(assembled)))
    published = publish(assembled, plan.book.meta, request.out_dir, settings,
                        fallback_title=request.book.stem, on_step=events.advance)
    report.outputs = published.outputs
    report.chapters = published.chapters
    report.audio_seconds = published.chapters[-1]["end_s"] if published.chapters else 0.0


def _load(request: RenderRequest, report: RenderReport, events: Events) -> tuple[Engine, Voice]:
    events.phase("load", total=1)
    t0 = time.perf_counter()
    engine = create_engine(request.settings, request.cache_dir)
    engine.load()
    voice = engine.prepare_voice(request.voice)
    report.load_seconds = time.perf_counter() - t0
    report.device = str(engine.device)
    report.engine = engine.describe()
    report.model_id = engine.model_id
    report.voice = {"path": str(request.voice), "id": voice.id}
    events.advance()
    return engine, voice


def _warm_up(
    engine: Engine, voice: Voice, settings: Settings, todo: list[Job], report: RenderReport, events: Events
) -> None:
    """Warm up the buckets that have work (compilation happens here); none when all is done."""
    if todo:
        used = {job.chunk.bucket for job in todo}
        buckets = {b: n for b, n in settings.chunking.bucket_limits().items() if b in used}
        events.phase("warmup", total=settings.engine.warmup_samples * len(buckets))
        summary = engine.warmup(voice, buckets, on_sample=lambda bucket, i: events.advance())
        report.warmup = summary.to_dict()
    else:
        report.warmup = {"samples_per_bucket": {}, "seconds": 0.0, "skipped": "every chunk was already rendered"}
    report.fallbacks = [f.to_dict() for f in engine.fallbacks]

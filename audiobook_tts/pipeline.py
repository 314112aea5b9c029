"""The render: book -> plan -> engine -> chunk store -> chapters -> M4B/MP3, with a report.

This module only orchestrates; each stage is its own module: :mod:`plan` (chunks and their
keys), :mod:`preflight` (what is checked before any work), :mod:`schedule` (batches),
:mod:`takes` (synthesis, checks, retries), :mod:`store` (resume), :mod:`chapters` (assembly),
:mod:`publish` (encoding), :mod:`report` (events and the report). Engines come from :func:`engine.create_engine`, so torch loads only here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .audio.assemble import speech_span
from .bookfile import BookFile
from .chapters import ChapterAssembler, discard_assembled
from .config import Settings
from .engine import Engine, Voice, create_engine
from .errors import AudiobookError, Interrupted
from .plan import Job, Plan, load_book, plan_book, plan_jobs
from .preflight import check_render
from .publish import AssembledChapter, encode_steps, publish
from .report import Events, NullEvents, RenderReport
from .schedule import schedule
from .store import ChunkStore, WorkLock
from .takes import PriorTake, TakeQueue
from .verify.verifier import Verifier, load_recognizer
from .verify.subtitles import write_subtitles
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
    # Stored takes to synthesise again (``check --redo``), by chunk key; each is kept unless
    # a new take beats it.
    redo: Mapping[str, PriorTake] = field(default_factory=dict)
    # The book file it came from (bookfile.py): chapter edits and lexicon; settings are in.
    book_file: BookFile | None = None


def render(request: RenderRequest, events: Events | None = None, *, stop: threading.Event | None = None) -> RenderReport:
    """Render (or resume) an audiobook. Raises AudiobookError for anything the user can fix;
    the report is written either way (status ``complete``, ``interrupted`` or ``failed``)."""
    events = events or NullEvents()
    stop = stop or threading.Event()
    settings = request.settings
    started = time.perf_counter()
    report = RenderReport(profile=settings.profile, settings=settings.to_dict())

    book, book_file = load_book(request.book, settings), request.book_file
    if book_file is not None:
        book = book_file.apply(book)
    plan = plan_book(book, settings, request.chapters, book_file.lexicon if book_file else None)
    check_render(plan, request.voice)

    work = prepare_out_dir(request.out_dir)
    with render_log(work) as log_path:
        report.work_dir, report.log_path = str(work), str(log_path)
        report.book = plan.to_dict()["book"]
        if book_file is not None:  # check --redo plans the same chapters and lexicon from it
            report.book["book_file"] = str(book_file.path)
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


def _render_locked(
    request: RenderRequest, plan: Plan, work: Path, report: RenderReport, events: Events, stop: threading.Event
) -> None:
    settings = request.settings
    store = ChunkStore(work / CHUNKS_DIR)
    # Before the TTS model: a missing ASR model is said at once, not after hours.
    recognizer = load_recognizer(settings.verify, request.cache_dir, plan.language.code)
    engine, voice = _load(request, report, events)
    jobs = plan_jobs(plan, voice_id=voice.id, model_id=engine.model_id)
    # Checksums of every finished chunk are checked up front, so a damaged file is
    # synthesised again in its turn rather than discovered during assembly.
    stored = {job.key: meta for job in jobs if (meta := store.meta(job.key)) is not None}
    finished = stored.keys() - request.redo.keys()
    discard_assembled(work, {job.chapter.index for job in jobs if job.key in request.redo})
    _warm_up(engine, voice, settings, [job for job in jobs if job.key not in finished], report, events)

    verifier = None if recognizer is None else Verifier.beside(recognizer, settings.verify, plan.language.code, engine)
    takes = TakeQueue(engine, voice, settings.synthesis.max_retries, verifier, request.redo)
    assembler = ChapterAssembler(work, store, settings, jobs)

    def keep(take):
        meta = take.store_meta()
        store.put(take.job.key, take.result.wav, take.result.sample_rate, meta)
        report.add_take(take, meta)
        if take.reasons:
            log.warning("suspect chunk %d.%d after %d attempts: %s", take.job.chapter.index,
                        take.job.chunk.index, take.attempts, ", ".join(take.reasons))
        events.advance(chars=len(take.job.chunk.text), audio_s=len(take.result.wav) / take.result.sample_rate)
        assembler.chunk_stored(take.job)

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
                    report.add_reused(job, stored.get(job.key))
                    events.advance(chars=len(job.chunk.text), reused=True)
                    assembler.chunk_stored(job)
                continue
            if stop.is_set():
                for take in takes.drain():  # the batch in flight is finished and kept
                    keep(take)
                raise Interrupted()
            for take in takes.submit(step.jobs):
                keep(take)
        for take in takes.drain():
            keep(take)
        report.place_chunks(settings.pauses, lambda key: speech_span(store.get(key).wav) if key in store else (0, 0))
        if verifier is not None:
            report.summarise_verify(verifier.describe(), {c.index: c.title for c in plan.chapters},
                                    seconds=verifier.seconds, blocked_seconds=verifier.blocked_seconds,
                                    takes_heard=verifier.takes)
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
        if verifier is not None:
            verifier.close()

    fmt = settings.output.format
    events.phase("encode", total=encode_steps(fmt, len(assembled)))
    published = publish(assembled, plan.book.meta, request.out_dir, settings,
                        fallback_title=request.book.stem, on_step=events.advance)
    report.outputs = published.outputs
    report.chapters = published.chapters
    if settings.output.subtitles != "none":
        report.outputs += write_subtitles(report.chunk_takes, published, store, plan.language.code,
                                          request.out_dir, settings)
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

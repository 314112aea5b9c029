"""The render job: book -> chunks -> engine -> durable chunk store -> chapters -> M4B/MP3 + report.

Stages and their modules: ``ingest`` (book), ``text`` (normalise, split, bucket), ``engine``
(Chatterbox, imported lazily so ``plan``/``chapters`` never load torch), ``store`` (resume),
``audio`` (assembly, loudness, encoding). Progress is reported through :class:`Events`; this module
never prints, so the CLI decides how things look.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, Sequence

from . import __version__
from .config import Settings
from .errors import AudiobookError, Interrupted, OutputError, UsageError

log = logging.getLogger("audiobook_tts")

WORK_DIR_NAME = ".audiobook-tts"
REPORT_NAME = "report.json"
LOG_NAME = "render.log"
BUCKETS = ("short", "medium", "long")

# Suspect-chunk heuristics. Narrated English runs at ~13-16 characters per second, so a chunk
# far outside these bounds skipped words or babbled.
MIN_SECONDS_PER_CHAR = 0.02
MAX_SECONDS_PER_CHAR = 0.25
SLACK_SECONDS = 1.5
SILENCE_RMS = 1e-3
CLIP_LEVEL = 0.999
MAX_CLIPPED_FRACTION = 0.01


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class PlannedChapter:
    index: int
    title: str
    chunks: tuple  # tuple[text.Chunk, ...]

    @property
    def chars(self) -> int:
        return sum(len(c.text) for c in self.chunks)


@dataclass(frozen=True)
class Plan:
    book: Any  # ingest.Book
    chapters: tuple[PlannedChapter, ...]
    settings: Settings

    @property
    def chunks(self) -> list:
        return [c for ch in self.chapters for c in ch.chunks]

    def bucket_counts(self) -> dict[str, int]:
        counts = {b: 0 for b in BUCKETS}
        for c in self.chunks:
            counts[c.bucket] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        meta = self.book.meta
        limits = self.settings.chunking.bucket_limits()
        counts = self.bucket_counts()
        return {
            "book": {
                "title": meta.title,
                "authors": list(meta.authors),
                "language": meta.language,
                "format": self.book.format,
                "path": str(self.book.path),
                "has_cover": meta.cover is not None,
            },
            "profile": self.settings.profile,
            "buckets": {b: {"max_chars": limits[b], "chunks": counts[b]} for b in BUCKETS},
            "totals": {
                "chapters": len(self.chapters),
                "chunks": sum(counts.values()),
                "chars": sum(ch.chars for ch in self.chapters),
            },
            "chapters": [
                {
                    "index": ch.index,
                    "title": ch.title,
                    "chunks": [{"text": c.text, "bucket": c.bucket} for c in ch.chunks],
                }
                for ch in self.chapters
            ],
        }


def load_book(path: Path, settings: Settings):
    from .ingest import load_book as _load

    return _load(path, include_front_matter=settings.chunking.include_front_matter)


def parse_chapter_spec(spec: str | None, count: int) -> list[int]:
    """``"3"``, ``"2-5"``, ``"1,4,7-9"`` -> sorted 1-based chapter numbers within ``1..count``."""
    if spec is None or spec.strip() == "":
        return list(range(1, count + 1))
    chosen: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", part)
        if not m:
            raise UsageError(
                f"invalid --chapters {spec!r}: use numbers and ranges like 3, 2-5 or 1,4,7-9"
            )
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if lo > hi:
            raise UsageError(f"invalid --chapters {spec!r}: range {lo}-{hi} runs backwards")
        if lo < 1 or hi > count:
            raise UsageError(
                f"--chapters {spec!r} is out of range: the book has chapters 1-{count}"
            )
        chosen.update(range(lo, hi + 1))
    return sorted(chosen)


def plan_book(book, settings: Settings, chapters: str | None = None) -> Plan:
    from .text import chunk_chapter

    wanted = set(parse_chapter_spec(chapters, len(book.chapters)))
    planned = []
    for ch in book.chapters:
        if ch.index not in wanted:
            continue
        chunks = chunk_chapter(
            ch.index, ch.title, ch.paragraphs, settings.chunking, read_title=settings.output.read_titles
        )
        if chunks:
            planned.append(PlannedChapter(ch.index, ch.title, tuple(chunks)))
    return Plan(book=book, chapters=tuple(planned), settings=settings)


# --------------------------------------------------------------------------- progress events


class Events(Protocol):
    """What the pipeline tells its caller; the CLI renders it with Rich, tests record it."""

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


# --------------------------------------------------------------------------- render


@dataclass(frozen=True)
class RenderRequest:
    book: Path
    voice: Path
    out_dir: Path
    settings: Settings
    cache_dir: Path
    chapters: str | None = None
    report_path: Path | None = None


@dataclass
class RenderReport:
    status: str = "running"
    book: dict[str, Any] = field(default_factory=dict)
    profile: str = ""
    device: str = ""
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

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["rtf"] = self.rtf
        d["chars_per_s"] = self.chars_per_s
        return d


def work_dir_for(out_dir: Path) -> Path:
    return out_dir / WORK_DIR_NAME


def chunk_seed(base_seed: int, text: str) -> int:
    """Seed from the base seed and the chunk's own text, so editing one paragraph or choosing
    other chapters never changes the seeds (and cached audio) of the rest."""
    digest = hashlib.sha256(f"{base_seed}\x00{text}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFF_FFFF


def suspect_reasons(wav, sample_rate: int, text: str, hit_cap: bool) -> list[str]:
    """Cheap checks for a broken generation: silence, clipping, a length far off the text."""
    import numpy as np

    reasons = []
    seconds = len(wav) / sample_rate
    if hit_cap:
        reasons.append("hit the token cap")
    if len(wav) == 0 or float(np.sqrt(np.mean(np.square(wav, dtype=np.float64)))) < SILENCE_RMS:
        reasons.append("silent")
    elif float(np.mean(np.abs(wav) >= CLIP_LEVEL)) > MAX_CLIPPED_FRACTION:
        reasons.append("clipped")
    if seconds > MAX_SECONDS_PER_CHAR * len(text) + SLACK_SECONDS:
        reasons.append(f"too long for its text ({seconds:.1f} s for {len(text)} chars)")
    elif seconds < MIN_SECONDS_PER_CHAR * len(text):
        reasons.append(f"too short for its text ({seconds:.1f} s for {len(text)} chars)")
    return reasons


def synthesis_identity(settings: Settings) -> dict[str, Any]:
    """Everything besides text, voice, model and seed that changes a chunk's audio."""
    syn = dataclasses.asdict(settings.synthesis)
    for key in ("seed", "max_retries"):
        syn.pop(key)
    eng = settings.engine
    syn.update(
        t3_dtype=eng.t3_dtype,
        s3gen_dtype=eng.s3gen_dtype,
        fast_decode=eng.fast_decode,
    )
    return syn


def slugify(text: str, fallback: str = "audiobook") -> str:
    slug = re.sub(r"[^\w\-]+", "-", text.strip().lower(), flags=re.UNICODE).strip("-_")
    return slug[:80] or fallback


def safe_filename(text: str) -> str:
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", text).strip(" .")
    return re.sub(r"\s+", " ", name)[:100] or "chapter"


EngineFactory = Callable[[Settings, Path], Any]


def default_engine_factory(settings: Settings, cache_dir: Path):
    from .engine import Engine

    return Engine(settings, cache_dir, logger=log)


class _ChapterWriter:
    """Assembles finished chapters on a worker thread while synthesis goes on.

    ffmpeg runs as a subprocess and numpy releases the GIL, so assembly overlaps the next
    chapter's synthesis at little cost to it.
    """

    def __init__(self, work: Path, store, settings: Settings) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assemble")
        self._futures: dict[int, Future] = {}
        self._work = work
        self._store = store
        self._settings = settings

    def submit(self, chapter: PlannedChapter, keys: Sequence[str]) -> None:
        self._futures[chapter.index] = self._pool.submit(self._assemble, chapter, list(keys))

    def _assemble(self, chapter: PlannedChapter, keys: list[str]) -> tuple[Path, float]:
        """Chunks -> raw chapter WAV -> loudness-normalised WAV (the raw one is deleted)."""
        import soundfile

        from .audio.assemble import assemble_chapter
        from .audio.loudness import normalize_loudness
        from .store import chunk_key

        def pieces() -> Iterator[tuple[Any, str]]:
            # One chunk in memory at a time: a 20-hour book costs no more than a chunk.
            for chunk, key in zip(chapter.chunks, keys):
                stored = self._store.get(key)
                if stored is None:
                    raise OutputError(
                        f"chunk {chunk.index} of chapter {chapter.index} vanished from the work "
                        "directory during assembly; run the same command again to redo it"
                    )
                yield stored.wav, chunk.pause_after

        out = self._settings.output
        # Named by everything that shapes it, so a resumed or repeated render reuses a
        # chapter that is already assembled and normalised instead of redoing it.
        digest = chunk_key(
            chunks=keys,
            pauses=[c.pause_after for c in chapter.chunks],
            pause_options=self._settings.pauses,
            loudness=(out.loudness_lufs, out.true_peak_db),
        )[:16]
        folder = self._work / "chapters"
        final = folder / f"{chapter.index:04d}-{digest}.wav"
        if final.exists():
            info = soundfile.info(str(final))
            return final, info.frames / info.samplerate
        for stale in folder.glob(f"{chapter.index:04d}-*.wav"):
            stale.unlink()
        raw = folder / f"{chapter.index:04d}.raw.wav"
        folder.mkdir(parents=True, exist_ok=True)
        seconds = assemble_chapter(pieces(), raw, self._settings.pauses)
        normalize_loudness(
            raw, final, target_lufs=out.loudness_lufs, true_peak_db=out.true_peak_db,
            label=f"chapter {chapter.index}",
        )
        raw.unlink()
        return final, seconds

    def result(self, index: int) -> tuple[Path, float]:
        return self._futures[index].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _setup_file_log(work: Path) -> logging.Handler:
    handler = logging.FileHandler(work / LOG_NAME, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG)
    # On the root logger: ours at DEBUG, and the libraries' warnings (chatterbox, torch,
    # transformers) too, so the log holds what the terminal leaves out.
    logging.getLogger().addHandler(handler)
    log.setLevel(logging.DEBUG)
    return handler


def prepare_out_dir(out_dir: Path) -> Path:
    work = work_dir_for(out_dir)
    try:
        (work / "chunks").mkdir(parents=True, exist_ok=True)
        probe = work / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(
            f"cannot write to output directory {out_dir}: {exc.strerror or exc}"
        ) from None
    return work


def render(
    request: RenderRequest,
    events: Events | None = None,
    *,
    engine_factory: EngineFactory = default_engine_factory,
    stop: threading.Event | None = None,
) -> RenderReport:
    """Render (or resume) an audiobook. Raises AudiobookError for anything the user can fix;
    the report is written either way (status ``complete``, ``interrupted`` or ``failed``)."""
    from .files import atomic_write_text
    from .store import WorkLock

    events = events or NullEvents()
    stop = stop or threading.Event()
    settings = request.settings
    started = time.perf_counter()
    report = RenderReport(profile=settings.profile, settings=settings.to_dict())

    book = load_book(request.book, settings)
    plan = plan_book(book, settings, request.chapters)
    if not plan.chapters:
        raise UsageError("nothing to render: the selected chapters contain no text")
    _check_voice_file(request.voice)

    work = prepare_out_dir(request.out_dir)
    report.work_dir = str(work)
    report.log_path = str(work / LOG_NAME)
    handler = _setup_file_log(work)
    report.book = plan.to_dict()["book"]
    report.buckets = plan.bucket_counts()
    report.chunks["total"] = len(plan.chunks)
    report.chars = sum(ch.chars for ch in plan.chapters)

    def write_report() -> None:
        report.wall_seconds = time.perf_counter() - started
        text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
        atomic_write_text(work / REPORT_NAME, text)
        if request.report_path is not None:
            try:
                atomic_write_text(request.report_path, text)
            except OSError as exc:
                raise OutputError(f"cannot write report {request.report_path}: {exc.strerror}") from None

    try:
        with WorkLock(work):
            log.info("render %s -> %s (profile %s)", request.book, request.out_dir, settings.profile)
            _render_locked(request, plan, work, report, events, engine_factory, stop)
            report.status = "complete"
    except Interrupted:
        report.status = "interrupted"
        raise
    except AudiobookError as exc:
        report.status = "failed"
        report.error = str(exc)
        log.error("render failed: %s", exc)
        raise
    except BaseException as exc:
        report.status = "failed"
        report.error = f"internal error: {type(exc).__name__}: {exc}"
        log.exception("internal error")
        if isinstance(exc, Exception):
            exc.log_path = report.log_path  # the CLI points the user at the full log
        raise
    finally:
        try:
            write_report()
        finally:
            logging.getLogger().removeHandler(handler)
            handler.close()
    return report


def _check_voice_file(path: Path) -> None:
    from .errors import VoiceError

    if not path.exists():
        raise VoiceError(f"voice sample not found: {path}")
    if path.is_dir():
        raise VoiceError(f"voice sample is a directory, not an audio file: {path}")


def _render_locked(request, plan: Plan, work: Path, report: RenderReport, events, engine_factory, stop) -> None:
    from .store import ChunkStore, chunk_key

    settings = request.settings
    store = ChunkStore(work / "chunks")

    events.phase("load", total=1)
    t0 = time.perf_counter()
    engine = engine_factory(settings, request.cache_dir)
    engine.load()
    voice = engine.prepare_voice(request.voice)
    report.load_seconds = time.perf_counter() - t0
    report.device = str(getattr(engine, "device", ""))
    report.model_id = engine.model_id
    report.voice = {"path": str(request.voice), "id": voice.id}
    events.advance()

    identity = synthesis_identity(settings)
    base_seed = settings.synthesis.seed

    def key_for(chunk) -> str:
        return chunk_key(
            text=chunk.text,
            voice=voice.id,
            model=engine.model_id,
            synthesis=identity,
            seed=chunk_seed(base_seed, chunk.text),
        )

    keys = {id(c): key_for(c) for c in plan.chunks}
    # Checksums of every finished chunk are checked up front, so a damaged file is
    # synthesised again in its turn rather than discovered during assembly.
    finished = {k for k in keys.values() if store.verify(k)}
    todo = [c for c in plan.chunks if keys[id(c)] not in finished]

    # Warm up only when there is work: a fully cached book goes straight to assembly.
    if todo:
        used = {c.bucket for c in todo}
        buckets = {b: n for b, n in settings.chunking.bucket_limits().items() if b in used}
        events.phase("warmup", total=settings.engine.warmup_samples * len(buckets))
        summary = engine.warmup(voice, buckets, on_sample=lambda bucket, i: events.advance())
        report.warmup = summary.to_dict()
    else:
        report.warmup = {"samples_per_bucket": {}, "seconds": 0.0, "skipped": "every chunk was already rendered"}
    report.fallbacks = [f.to_dict() for f in engine.fallbacks]

    writer = _ChapterWriter(work, store, settings)
    try:
        events.phase("synthesis", total=len(plan.chunks))
        for chapter in plan.chapters:
            events.chapter(chapter.index, chapter.title, len(chapter.chunks))
            chapter_keys = []
            for chunk in chapter.chunks:
                key = keys[id(chunk)]
                chapter_keys.append(key)
                if key in finished:
                    report.chunks["reused"] += 1
                    events.advance(chars=len(chunk.text), reused=True)
                    continue
                if stop.is_set():
                    raise Interrupted()
                _synthesize_chunk(engine, voice, chunk, chapter, key, store, settings, report, events)
            writer.submit(chapter, chapter_keys)
        report.fallbacks = [f.to_dict() for f in engine.fallbacks]

        events.phase("assembly", total=len(plan.chapters))
        assembled = []
        for chapter in plan.chapters:
            wav_path, seconds = writer.result(chapter.index)
            assembled.append((chapter, wav_path, seconds))
            events.advance(audio_s=seconds)
    finally:
        writer.close()
    _write_outputs(request, plan, assembled, work, report, events)


def _synthesize_chunk(engine, voice, chunk, chapter, key, store, settings, report, events) -> None:
    """Synthesise one chunk, retrying suspect output with other seeds, and store it durably."""
    seed = chunk_seed(settings.synthesis.seed, chunk.text)
    attempts = []
    best = None
    for attempt in range(settings.synthesis.max_retries + 1):
        attempt_seed = (seed + attempt * 7919) & 0x7FFF_FFFF
        result = engine.synthesize(chunk.text, bucket=chunk.bucket, seed=attempt_seed, voice=voice)
        reasons = suspect_reasons(result.wav, result.sample_rate, chunk.text, result.hit_cap)
        attempts.append((result, reasons))
        report.synthesis_seconds += result.seconds
        if best is None or len(reasons) < len(best[1]):
            best = (result, reasons)
        if not reasons:
            break
    result, reasons = best
    meta = {
        "text": chunk.text,
        "chapter": chapter.index,
        "index": chunk.index,
        "bucket": chunk.bucket,
        "seed": result.seed,
        "tokens": result.n_tokens,
        "hit_cap": result.hit_cap,
        "attempts": len(attempts),
        "suspect": reasons,
    }
    store.put(key, result.wav, result.sample_rate, meta)
    audio_s = len(result.wav) / result.sample_rate
    report.chunks["synthesized"] += 1
    report.synthesized_audio_seconds += sum(len(r.wav) / r.sample_rate for r, _ in attempts)
    report.chars_synthesized += len(chunk.text) * len(attempts)
    if reasons:
        report.chunks["suspect"] += 1
        report.suspects.append(
            {
                "chapter": chapter.index,
                "chapter_title": chapter.title,
                "index": chunk.index,
                "text": chunk.text,
                "seed": result.seed,
                "attempts": len(attempts),
                "reasons": reasons,
            }
        )
        log.warning("suspect chunk %d.%d after %d attempts: %s", chapter.index, chunk.index, len(attempts), ", ".join(reasons))
    events.advance(chars=len(chunk.text), audio_s=audio_s)


def _write_outputs(request, plan: Plan, assembled, work: Path, report: RenderReport, events) -> None:
    from .audio.encode import build_m4b, encode_mp3, mp3_tags

    settings = request.settings
    meta = plan.book.meta
    fmt = settings.output.format
    out_dir = request.out_dir
    title = meta.title or request.book.stem
    authors = list(meta.authors)
    n = len(assembled)
    events.phase("encode", total=(n if fmt != "m4b" else 0) + (1 if fmt != "mp3" else 0))

    marks: list[dict[str, Any]] = []
    start = 0.0
    for chapter, _wav, seconds in assembled:
        marks.append({"index": chapter.index, "title": chapter.title, "start_s": start, "end_s": start + seconds})
        start += seconds

    if fmt in ("mp3", "both"):
        mp3_dir = out_dir / "mp3" if fmt == "both" else out_dir
        for pos, (chapter, wav, _seconds) in enumerate(assembled, start=1):
            path = mp3_dir / f"{pos:02d} - {safe_filename(chapter.title)}.mp3"
            tags = mp3_tags(book_title=title, authors=authors, chapter_title=chapter.title, track=pos, total=n)
            encode_mp3(
                wav, path, tags=tags, cover=meta.cover, cover_mime=meta.cover_mime,
                bitrate=settings.output.mp3_bitrate, label=f"chapter {chapter.index}",
            )
            report.outputs.append(str(path))
            events.advance()

    if fmt in ("m4b", "both"):
        path = out_dir / f"{slugify(title)}.m4b"
        chapter_marks = build_m4b(
            [(wav, chapter.title) for chapter, wav, _ in assembled],
            path,
            title=title,
            authors=authors,
            cover=meta.cover,
            cover_mime=meta.cover_mime,
            bitrate=settings.output.aac_bitrate,
        )
        # The M4B's marks are exact sample counts of the chapter WAVs.
        for mark, cm in zip(marks, chapter_marks):
            mark["start_s"], mark["end_s"] = cm.start_s, cm.end_s
        report.outputs.append(str(path))
        events.advance()

    report.chapters = marks
    report.audio_seconds = marks[-1]["end_s"] if marks else 0.0

"""``audiobook-tts check OUT``: listen again to every chunk of a finished render.

For renders made without ``[verify]`` (or to check with another model): every chunk the
render's report lists is read from the chunk store, heard in batches, and scored against its
text; the result goes to ``OUT/.audiobook-tts/check.json``. ``--redo`` then synthesises the
chunks that failed again, in place: the render runs once more with those chunks marked for a
redo (same keys, new seeds after the ones already tried, the stored take kept unless a new
one beats it) and every other chunk reused, so the chapters that changed are assembled and
the book encoded anew. Resume works as for any render.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..checks import suspect_reasons
from ..config import SECTIONS, Settings, build_settings
from ..engine.api import SynthesisResult
from ..errors import OutputError, UsageError
from ..files import atomic_write_text
from ..report import Events, NullEvents, RenderReport
from ..store import ChunkStore, StoredChunk, WorkLock
from ..takes import PriorTake
from ..workdir import CHUNKS_DIR, REPORT_NAME, work_dir_for
from .verifier import Hearing, Verifier, hearing_from_dict, load_recognizer

CHECK_NAME = "check.json"
# Chunks read from the store per group: one group is heard while the next is read.
GROUP_CHUNKS = 64


@dataclass
class ChunkCheck:
    """One chunk of the render, heard again."""

    entry: dict[str, Any]  # the render report's record: chapter, index, key, text, start_s...
    chapter_title: str
    hearing: Hearing
    reasons: list[str]  # every check's reason with this hearing (misheard included)

    @property
    def passed(self) -> bool:
        return self.hearing.passed

    @property
    def flagged(self) -> bool:
        return bool(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        e = self.entry
        return {"chapter": e["chapter"], "chapter_title": self.chapter_title, "index": e["index"], "key": e["key"],
                "text": e["text"], "heard": self.hearing.heard, "error_rate": round(self.hearing.error_rate, 4),
                "passed": self.passed, "reasons": self.reasons, "takes": e.get("takes", 1),
                "start_s": e.get("start_s"), "end_s": e.get("end_s"),
                "missing": list(self.hearing.score.missing), "extra": list(self.hearing.score.extra)}


@dataclass
class CheckResult:
    out_dir: Path
    engine: dict[str, Any]
    chunks: list[ChunkCheck] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the listening
    audio_seconds: float = 0.0  # audio heard
    redone: int = 0  # chunks synthesised again by --redo
    render: RenderReport | None = None  # the redo's render report

    @property
    def failed(self) -> list[ChunkCheck]:
        return [c for c in self.chunks if not c.passed]

    @property
    def flagged(self) -> list[ChunkCheck]:
        return [c for c in self.chunks if c.flagged]

    def to_dict(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), **self.engine, "checked": len(self.chunks),
                "passed": len(self.chunks) - len(self.failed), "redone": self.redone,
                "seconds": round(self.seconds, 3), "audio_seconds": round(self.audio_seconds, 3),
                "failed": [c.to_dict() for c in self.failed],
                "flagged": [c.to_dict() for c in self.flagged if c.passed]}


def read_render(out_dir: Path) -> dict[str, Any]:
    """The finished render's report, or a one-line error saying what to do."""
    path = work_dir_for(out_dir) / REPORT_NAME
    if not path.is_file():
        raise UsageError(f"{out_dir} holds no render (no {path}): render a book there first")
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OutputError(f"cannot read {path}: {exc}") from None
    if report.get("status") != "complete":
        raise UsageError(f"the render in {out_dir} is not finished (status {report.get('status')!r}): "
                         "run its render command again to finish it, then check")
    if not report.get("chunk_takes"):
        raise UsageError(f"the render in {out_dir} predates per-chunk records: run its render command "
                         "again (every chunk is reused) and then check")
    return report


def settings_for_check(report: Mapping[str, Any], profile: str | None = None,
                       verify: Mapping[str, Any] | None = None) -> Settings:
    """The render's own settings; ``[verify]`` from ``profile`` when given (else the
    render's), then ``verify`` overrides (flags). Verification is on: that is the point."""
    sections = {name: dict(values) for name, values in report.get("settings", {}).items() if name in SECTIONS}
    if profile is not None:
        sections["verify"] = dataclasses.asdict(build_settings(profile).verify)
    sections.setdefault("verify", {}).update({k: v for k, v in (verify or {}).items() if v is not None})
    sections["verify"]["enabled"] = True
    return dataclasses.replace(build_settings(None, sections), profile=report.get("profile") or "defaults")


def _groups(entries: Sequence[dict[str, Any]], store: ChunkStore) -> Iterator[list[tuple[dict[str, Any], StoredChunk]]]:
    group = []
    for entry in entries:
        stored = store.get(entry["key"])
        if stored is None:
            raise OutputError(f"chunk {entry['index']} of chapter {entry['chapter']} is missing from "
                              f"{store.root}: run the render command again to redo it, then check")
        group.append((entry, stored))
        if len(group) == GROUP_CHUNKS:
            yield group
            group = []
    if group:
        yield group


def _stored_result(stored: StoredChunk) -> SynthesisResult:
    meta = stored.meta
    return SynthesisResult(wav=stored.wav, sample_rate=stored.sample_rate, n_tokens=int(meta.get("tokens", 0)),
                           hit_cap=bool(meta.get("hit_cap", False)), seconds=0.0, seed=int(meta.get("seed", 0)))


def _language(report: Mapping[str, Any]) -> str:
    return report.get("book", {}).get("language") or "en"


def check_render(out_dir: Path, settings: Settings, cache_dir: Path, report: Mapping[str, Any],
                 events: Events | None = None) -> CheckResult:
    """Hear every chunk of the render in ``out_dir`` (the render's report is ``report``)."""
    events = events or NullEvents()
    language = _language(report)
    recognizer = load_recognizer(settings.verify, cache_dir, language)
    # Only listening here: a worker thread reads the next group while one is heard.
    verifier = Verifier(recognizer, settings.verify, language, overlap=True)
    titles = {c["index"]: c["title"] for c in report.get("chapters", [])}
    entries = report["chunk_takes"]
    result = CheckResult(out_dir, verifier.describe())
    started = time.perf_counter()
    events.phase("verify", total=len(entries))
    work = work_dir_for(out_dir)
    try:
        with WorkLock(work):
            store = ChunkStore(work / CHUNKS_DIR)
            pending = None
            for group in itertools.chain(_groups(entries, store), [None]):
                future = None
                if group is not None:
                    future = verifier.hear_later([s.wav for _, s in group], group[0][1].sample_rate,
                                                 [e["text"] for e, _ in group])
                if pending is not None:
                    _collect(pending[0], verifier.wait(pending[1]), titles, result, events)
                pending = None if group is None else (group, future)
    finally:
        verifier.close()
    result.seconds = time.perf_counter() - started
    atomic_write_text(work / CHECK_NAME, json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    return result


def _collect(group, hearings: Sequence[Hearing], titles: Mapping[int, str], result: CheckResult, events: Events) -> None:
    for (entry, stored), hearing in zip(group, hearings, strict=True):
        reasons = suspect_reasons(_stored_result(stored), entry["text"], hearing)
        result.chunks.append(ChunkCheck(entry, titles.get(entry["chapter"], ""), hearing, reasons))
        result.audio_seconds += stored.wav.size / stored.sample_rate
        events.advance()


def redo_failures(result: CheckResult, report: Mapping[str, Any], settings: Settings, cache_dir: Path,
                  events: Events | None = None, stop: threading.Event | None = None) -> CheckResult:
    """Synthesise the failed chunks again in place and re-assemble; the result with the redone
    chunks' new hearings."""
    from ..pipeline import RenderRequest, render

    failed = result.failed
    if not failed:
        return result
    book, voice = Path(report["book"]["path"]), Path(report["voice"]["path"])
    work = work_dir_for(result.out_dir)
    prior: dict[str, PriorTake] = {}
    with WorkLock(work):
        store = ChunkStore(work / CHUNKS_DIR)
        for check in failed:
            stored = store.get(check.entry["key"])
            if stored is None:
                continue  # the render redoes a vanished chunk anyway
            meta = stored.meta
            prior[check.entry["key"]] = PriorTake(_stored_result(stored), check.reasons,
                                                  attempts=int(meta.get("attempts", 1)),
                                                  kept=int(meta.get("kept", 1)), hearing=check.hearing)
    chapters = ",".join(str(c["index"]) for c in report.get("chapters", [])) or None
    book_file = None
    if report["book"].get("book_file"):
        from ..bookfile import load_book_file

        book_file = load_book_file(Path(report["book"]["book_file"]))
    request = RenderRequest(book=book, voice=voice, out_dir=result.out_dir, settings=settings,
                            cache_dir=cache_dir, chapters=chapters, redo=prior, book_file=book_file)
    rendered = render(request, events, stop=stop)
    redone = {e["key"]: e for e in rendered.chunk_takes}
    limit = settings.verify.max_error_rate
    store_meta = _redone_meta(work, list(prior))
    for check in failed:
        entry = redone.get(check.entry["key"])
        heard = store_meta.get(check.entry["key"], {}).get("verify")
        if entry is None or heard is None:
            continue
        check.entry = {**check.entry, **{k: entry[k] for k in ("takes", "kept", "start_s", "end_s") if k in entry}}
        check.hearing = hearing_from_dict(heard, limit)
        check.reasons = list(entry.get("suspect", []))
    result.redone = len(prior)
    result.render = rendered
    atomic_write_text(work / CHECK_NAME, json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    return result


def _redone_meta(work: Path, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    with WorkLock(work):
        store = ChunkStore(work / CHUNKS_DIR)
        return {key: meta for key in keys if (meta := store.meta(key)) is not None}


def chunk_audio(out_dir: Path, keys: Sequence[str]) -> dict[str, tuple[np.ndarray, int]]:
    """The stored audio of these chunks (for the HTML page)."""
    work = work_dir_for(out_dir)
    with WorkLock(work):
        store = ChunkStore(work / CHUNKS_DIR)
        found = {}
        for key in keys:
            stored = store.get(key)
            if stored is not None:
                found[key] = (stored.wav, stored.sample_rate)
        return found

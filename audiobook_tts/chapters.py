"""Chapter assembly: as soon as every chunk of a chapter is stored, a worker thread joins them
into one loudness-normalised WAV while synthesis goes on.

ffmpeg runs as a subprocess and numpy releases the GIL, so assembly overlaps the next
chapters' synthesis at little cost to it. One chunk is in memory at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile

from .audio.assemble import assemble_chapter
from .audio.loudness import normalize_loudness
from .config import Settings
from .errors import OutputError
from .files import remove_temp_files
from .plan import Job, PlannedChapter
from .store import ChunkStore, chunk_key
from .workdir import CHAPTERS_DIR


def discard_assembled(work: Path, indexes: set[int]) -> None:
    """Forget the assembled WAVs of these chapters (their chunks were taken again under the
    same keys, which name the WAV), so they are assembled anew."""
    for index in indexes:
        for stale in (work / CHAPTERS_DIR).glob(f"{index:04d}-*.wav"):
            stale.unlink()


class ChapterAssembler:
    """Counts stored chunks per chapter and assembles each chapter once all of its are in."""

    def __init__(self, work: Path, store: ChunkStore, settings: Settings, jobs: Sequence[Job]) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assemble")
        self._futures: dict[int, Future[tuple[Path, float]]] = {}
        self._folder = work / CHAPTERS_DIR
        remove_temp_files(self._folder)
        self._store = store
        self._settings = settings
        self._keys: dict[int, list[str]] = {}
        for job in jobs:
            self._keys.setdefault(job.chapter.index, []).append(job.key)
        self._waiting = Counter(job.chapter.index for job in jobs)

    def chunk_stored(self, job: Job) -> None:
        """Note one stored chunk; the chapter's last one starts its assembly."""
        index = job.chapter.index
        self._waiting[index] -= 1
        if self._waiting[index] == 0:
            self._futures[index] = self._pool.submit(self._assemble, job.chapter, self._keys[index])

    def result(self, index: int) -> tuple[Path, float]:
        """(normalised chapter WAV, seconds); waits for the chapter's assembly."""
        return self._futures[index].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _assemble(self, chapter: PlannedChapter, keys: list[str]) -> tuple[Path, float]:
        """Chunks -> raw chapter WAV -> loudness-normalised WAV (the raw one is deleted)."""

        def pieces() -> Iterator[tuple[np.ndarray, str]]:
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
        final = self._folder / f"{chapter.index:04d}-{digest}.wav"
        if final.exists():
            info = soundfile.info(str(final))
            return final, info.frames / info.samplerate
        for stale in self._folder.glob(f"{chapter.index:04d}-*.wav"):
            stale.unlink()
        raw = self._folder / f"{chapter.index:04d}.raw.wav"
        self._folder.mkdir(parents=True, exist_ok=True)
        seconds = assemble_chapter(pieces(), raw, self._settings.pauses)
        normalize_loudness(
            raw, final, target_lufs=out.loudness_lufs, true_peak_db=out.true_peak_db,
            label=f"chapter {chapter.index}",
        )
        raw.unlink()
        return final, seconds

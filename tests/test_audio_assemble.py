"""Chapter assembly: trimming, pauses, fades, streaming memory."""

from __future__ import annotations

import errno
import tracemalloc
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiobook_tts.audio.assemble import (
    TRIM_FRAME_MS,
    TRIM_MARGIN_MS,
    assemble_chapter,
    pause_samples,
    trim_silence,
)
from audiobook_tts.config import PauseOptions
from audiobook_tts.constants import SAMPLE_RATE_HZ as SR
from audiobook_tts.errors import DiskFullError

PAUSES = PauseOptions(sentence_ms=300, paragraph_ms=700, title_ms=1000, chapter_ms=1500, fade_ms=10)
FRAME = SR * TRIM_FRAME_MS // 1000
MARGIN = SR * TRIM_MARGIN_MS // 1000


def tone(seconds: float, hz: float = 220.0, amplitude: float = 0.3, phase: float = 0.0) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    return (amplitude * np.sin(2 * np.pi * hz * t + phase)).astype(np.float32)


def padded(x: np.ndarray, silence_s: float) -> np.ndarray:
    pad = np.zeros(round(silence_s * SR), dtype=np.float32)
    return np.concatenate([pad, x, pad])


def read(path: Path) -> np.ndarray:
    wav, sr = sf.read(path, dtype="float32")
    assert sr == SR and wav.ndim == 1
    return wav


def test_duration_is_trimmed_chunks_plus_pauses(tmp_path: Path) -> None:
    # Silence padding is frame-aligned, so trimming keeps exactly tone + margin each side.
    a, b = tone(1.0), tone(0.6, hz=330)
    out = tmp_path / "ch.wav"
    seconds = assemble_chapter([(padded(a, 0.5), "paragraph"), (padded(b, 0.3), "chapter")], out, PAUSES)
    expected = a.size + b.size + 4 * MARGIN + (PAUSES.paragraph_ms + PAUSES.chapter_ms) * SR // 1000
    wav = read(out)
    assert wav.size == pytest.approx(expected, abs=2 * FRAME)  # tolerance: one frame per chunk
    assert seconds == pytest.approx(wav.size / SR, abs=1e-9)
    # The paragraph pause really is silence between the two tones.
    gap_start = a.size + 2 * MARGIN
    assert np.abs(wav[gap_start : gap_start + PAUSES.paragraph_ms * SR // 1000]).max() < 1e-4


def test_trim_keeps_quiet_speech_and_drops_noise_floor() -> None:
    rng = np.random.default_rng(1)
    noise = (1e-4 * rng.standard_normal(SR)).astype(np.float32)  # -80 dBFS hiss
    speech = tone(0.5, amplitude=0.02)  # quiet but clearly above the -60 dBFS floor
    trimmed = trim_silence(np.concatenate([noise, speech + noise[: speech.size], noise]))
    assert trimmed.size == pytest.approx(speech.size + 2 * MARGIN, abs=2 * FRAME)
    assert trim_silence(noise).size == 0


def test_joins_have_no_clicks(tmp_path: Path) -> None:
    # Chunks that start and end at full amplitude (cos phase) would click without fades.
    hz, amplitude = 220.0, 0.5
    chunk = tone(0.4, hz=hz, amplitude=amplitude, phase=np.pi / 2)
    out = tmp_path / "ch.wav"
    assemble_chapter([(chunk, "sentence"), (chunk, "sentence"), (chunk, "chapter")], out, PAUSES)
    wav = read(out)
    steepest_sine_step = amplitude * 2 * np.pi * hz / SR
    assert np.abs(np.diff(wav)).max() <= 1.1 * steepest_sine_step
    assert abs(wav[0]) < 0.01 and abs(wav[-1]) < 0.01


def test_zero_pauses_and_silent_chunk(tmp_path: Path) -> None:
    out = tmp_path / "ch.wav"
    no_pauses = PauseOptions(sentence_ms=0, paragraph_ms=0, title_ms=0, chapter_ms=0, fade_ms=10)
    chunk = tone(0.5, phase=np.pi / 2)
    silent = np.zeros(SR, dtype=np.float32)
    seconds = assemble_chapter([(chunk, "sentence"), (silent, "sentence"), (chunk, "sentence")], out, no_pauses)
    assert seconds == pytest.approx(2 * chunk.size / SR)


def test_bad_pause_kind_names_the_choices() -> None:
    with pytest.raises(ValueError, match="^pause kind must be one of sentence, paragraph, title, chapter, not 'line'$"):
        pause_samples("line", PAUSES)


def test_clipping_is_warned(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="samples were clipped"):
        assemble_chapter([(tone(0.3, amplitude=1.5), "sentence")], tmp_path / "ch.wav", PAUSES)


def test_memory_is_one_chunk_whatever_the_chapter_length(tmp_path: Path) -> None:
    chunk = tone(0.5)
    n_chunks = 200

    def chunks():
        for _ in range(n_chunks):
            yield chunk.copy(), "sentence"  # a fresh array each time, as synthesis would give

    tracemalloc.start()
    try:
        seconds = assemble_chapter(chunks(), tmp_path / "long.wav", PAUSES)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seconds > n_chunks * 0.5
    # Working copies of one chunk (padded, squared, faded, PCM) fit in a small multiple of it;
    # holding the chapter would need n_chunks times as much.
    assert peak < 10 * chunk.nbytes


def test_full_disk_is_disk_full_error_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(self, data) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(wave.Wave_write, "writeframes", disk_full)
    out = tmp_path / "ch.wav"
    with pytest.raises(DiskFullError, match=f"^disk full while writing {out}; finished work is kept"):
        assemble_chapter([(tone(0.3), "sentence")], out, PAUSES)
    assert list(tmp_path.iterdir()) == []

"""Stage 1: chunk waveforms -> one chapter WAV, with trimmed edges, fades and pauses.

Chunks are streamed to disk one at a time, so memory stays at one chunk whatever the
chapter length. The WAV is 16-bit PCM at the model's rate, written through Python's
``wave`` module so a full disk surfaces as an ordinary ``OSError(ENOSPC)``.
"""

from __future__ import annotations

import math
import warnings
import wave
from pathlib import Path
from typing import Iterable

import numpy as np

from ..config import PauseOptions
from ..constants import SAMPLE_RATE_HZ
from ..files import atomic_path

PCM_BYTES = 2  # 16-bit WAV
PCM_FULL_SCALE = 32767
# Silence trimming: 10 ms frames; a frame is speech when its RMS is within 40 dB of the
# loudest frame and above -60 dBFS. 40 ms of the original silence is kept on each side so
# soft onsets (f, h, s) and release tails survive the cut.
TRIM_FRAME_MS = 10
TRIM_RELATIVE_DB = -40.0
TRIM_FLOOR_DBFS = -60.0
TRIM_MARGIN_MS = 40

PAUSE_KINDS = ("sentence", "paragraph", "title", "chapter")


def ms_to_samples(ms: float, sample_rate: int) -> int:
    return round(ms * sample_rate / 1000)


def pause_samples(kind: str, pauses: PauseOptions, sample_rate: int = SAMPLE_RATE_HZ) -> int:
    """Length of the silence after a chunk that ends a sentence/paragraph/title/chapter."""
    if kind not in PAUSE_KINDS:
        raise ValueError(f"pause kind must be one of {', '.join(PAUSE_KINDS)}, not {kind!r}")
    return ms_to_samples(getattr(pauses, f"{kind}_ms"), sample_rate)


def speech_span(wav: np.ndarray, sample_rate: int = SAMPLE_RATE_HZ) -> tuple[int, int]:
    """``[start, end)`` of ``wav`` (samples,) that :func:`trim_silence` keeps ((0, 0): silent)."""
    frame = ms_to_samples(TRIM_FRAME_MS, sample_rate)
    n_frames = math.ceil(wav.size / frame)
    if n_frames == 0:
        return 0, int(wav.size)
    frames = np.zeros(n_frames * frame, dtype=np.float32)
    frames[: wav.size] = wav
    rms = np.sqrt(np.mean(np.square(frames.reshape(n_frames, frame)), axis=1))  # (n_frames,)
    threshold = max(float(rms.max()) * 10 ** (TRIM_RELATIVE_DB / 20), 10 ** (TRIM_FLOOR_DBFS / 20))
    voiced = np.flatnonzero(rms >= threshold)
    if voiced.size == 0:
        return 0, 0
    margin = ms_to_samples(TRIM_MARGIN_MS, sample_rate)
    start = max(int(voiced[0]) * frame - margin, 0)
    end = min((int(voiced[-1]) + 1) * frame + margin, wav.size)
    return start, end


def trim_silence(wav: np.ndarray, sample_rate: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """View of ``wav`` (samples,) without leading/trailing silence, plus TRIM_MARGIN_MS."""
    start, end = speech_span(wav, sample_rate)
    return wav[start:end]


def fade_edges(wav: np.ndarray, fade_samples: int) -> np.ndarray:
    """Copy of ``wav`` with raised-cosine fades in and out, so joins never click."""
    out = np.array(wav, dtype=np.float32)
    n = min(fade_samples, out.size // 2)
    if n > 0:
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n, dtype=np.float32))).astype(np.float32)
        out[:n] *= ramp
        out[-n:] *= ramp[::-1]
    return out


def to_pcm16(wav: np.ndarray) -> tuple[bytes, int]:
    """Little-endian 16-bit PCM bytes and the number of samples that had to be clipped."""
    clipped = int(np.count_nonzero(np.abs(wav) > 1.0))
    pcm = np.round(np.clip(wav, -1.0, 1.0) * PCM_FULL_SCALE).astype("<i2")
    return pcm.tobytes(), clipped


def assemble_chapter(
    pieces: Iterable[tuple[np.ndarray, str]],
    out_wav: Path,
    pauses: PauseOptions,
    *,
    sample_rate: int = SAMPLE_RATE_HZ,
) -> float:
    """Write ``(waveform (samples,), pause_after)`` pieces as one WAV; returns its seconds.

    Each piece is trimmed, faded by ``pauses.fade_ms`` and followed by the pause its
    kind asks for (the last piece's pause too: it is the gap before the next chapter).
    """
    fade = ms_to_samples(pauses.fade_ms, sample_rate)
    written = clipped = 0
    with atomic_path(Path(out_wav)) as tmp, wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(PCM_BYTES)
        out.setframerate(sample_rate)
        for wav, pause_after in pieces:
            wav = np.asarray(wav, dtype=np.float32)
            if wav.ndim != 1:
                raise ValueError(f"chunk audio must be mono (samples,), got shape {wav.shape}")
            gap = pause_samples(pause_after, pauses, sample_rate)
            pcm, n_clipped = to_pcm16(fade_edges(trim_silence(wav, sample_rate), fade))
            out.writeframes(pcm)
            out.writeframes(bytes(gap * PCM_BYTES))
            written += len(pcm) // PCM_BYTES + gap
            clipped += n_clipped
    if clipped:
        warnings.warn(
            f"{clipped} samples were clipped while assembling {out_wav}; the voice may distort",
            stacklevel=2,
        )
    return written / sample_rate

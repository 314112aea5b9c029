"""Stage 2: EBU R128 loudness normalisation of a chapter WAV (ffmpeg loudnorm, two passes).

Pass 1 measures the chapter; pass 2 feeds the measurements back so loudnorm can apply
one constant gain (``linear=true``). When that gain would push the true peak above the
limit, loudnorm itself falls back to its dynamic mode, which still lands on the target.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..errors import FfmpegError
from ..proc import run_ffmpeg
from ..files import atomic_path
from ..constants import SAMPLE_RATE_HZ

# loudnorm's default loudness-range target. A chapter with a wider range keeps its own, since
# a smaller target would force the dynamic (compressing) mode on otherwise clean speech.
DEFAULT_LRA_LU = 7.0
MAX_LRA_LU = 50.0  # loudnorm's upper bound for LRA
# EBU R128 absolute gate: anything quieter is silence and has no loudness to correct.
SILENCE_LUFS = -70.0
_JSON_RE = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True)
class LoudnessStats:
    integrated_lufs: float
    true_peak_db: float
    lra_lu: float
    threshold_lufs: float


def _loudnorm_json(stderr: bytes, step: str) -> dict[str, str]:
    text = stderr.decode("utf-8", errors="replace")
    blocks = _JSON_RE.findall(text)
    if not blocks:
        raise FfmpegError(step, 0, f"{text}\nloudnorm printed no measurements")
    return json.loads(blocks[-1])


def measure_loudness(
    wav: Path, *, target_lufs: float, true_peak_db: float, label: str = "chapter"
) -> LoudnessStats:
    """Pass 1: loudnorm's measurement of ``wav`` (printed as JSON on stderr)."""
    step = f"measuring the loudness of {label}"
    proc = run_ffmpeg(
        ["-i", str(wav), "-af", f"loudnorm=I={target_lufs}:TP={true_peak_db}:print_format=json",
         "-f", "null", "-"],
        step=step,
        loglevel="info",
    )
    m = _loudnorm_json(proc.stderr, step)
    # Silence measures as "-inf"; float() parses it.
    return LoudnessStats(
        integrated_lufs=float(m["input_i"]),
        true_peak_db=float(m["input_tp"]),
        lra_lu=float(m["input_lra"]),
        threshold_lufs=float(m["input_thresh"]),
    )


def loudnorm_filter(stats: LoudnessStats, *, target_lufs: float, true_peak_db: float) -> str:
    """Pass 2 filter string: apply the measured correction as one linear gain if possible."""
    lra = min(max(stats.lra_lu, DEFAULT_LRA_LU), MAX_LRA_LU)
    return (
        f"loudnorm=I={target_lufs}:TP={true_peak_db}:LRA={lra}"
        f":measured_I={stats.integrated_lufs}:measured_TP={stats.true_peak_db}"
        f":measured_LRA={stats.lra_lu}:measured_thresh={stats.threshold_lufs}"
        ":linear=true:print_format=none"
    )


def normalize_loudness(
    in_wav: Path,
    out_wav: Path,
    *,
    target_lufs: float,
    true_peak_db: float,
    label: str = "chapter",
    sample_rate: int = SAMPLE_RATE_HZ,
) -> LoudnessStats:
    """Write ``in_wav`` brought to ``target_lufs`` as 16-bit WAV; returns pass-1 stats.

    A silent input is copied unchanged, with a warning.
    """
    stats = measure_loudness(in_wav, target_lufs=target_lufs, true_peak_db=true_peak_db, label=label)
    if math.isfinite(stats.integrated_lufs) and stats.integrated_lufs > SILENCE_LUFS:
        filters = ["-af", loudnorm_filter(stats, target_lufs=target_lufs, true_peak_db=true_peak_db)]
    else:
        warnings.warn(f"{label} is silent; its loudness was not normalised", stacklevel=2)
        filters = []
    with atomic_path(Path(out_wav)) as tmp:
        run_ffmpeg(
            # loudnorm works at 192 kHz internally; -ar brings it back to the model's rate.
            ["-i", str(in_wav), *filters, "-ar", str(sample_rate), "-ac", "1",
             "-c:a", "pcm_s16le", "-f", "wav", str(tmp)],
            step=f"normalising the loudness of {label}",
        )
    return stats

"""faster-whisper (Whisper on CTranslate2): the default recogniser, and the only module that
imports faster_whisper and ctranslate2.

Models come from the Hugging Face cache like the Chatterbox weights (a size such as "small"
or a hub repository of a CTranslate2 conversion), from a local directory
(``verify.model_dir``, ``--asr-model-dir``), or are written by us (``tiny-random``). A model
that is neither cached nor downloadable is a one-line :class:`ModelError` when the render
starts, before any synthesis.

A batch of takes is one call of faster-whisper's batched pipeline: the takes (resampled to
16 kHz) are laid end to end and each is given as a clip of its own (at most 30 s, Whisper's
window), so the encoder and decoder run over all of them together; word times come back
relative to the whole and are moved back to each take.
"""

from __future__ import annotations

import bisect
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..config import VerifyOptions
from ..errors import ConfigError, ModelError
from .api import Transcript, Word
from .random_whisper import MODEL_FILES, RANDOM_WHISPERS, random_directory

logger = logging.getLogger(__name__)

WHISPER_RATE_HZ = 16_000
WINDOW_SECONDS = 30  # Whisper hears 30 s at a time; a longer take is cut into windows
# Decoder positions of every Whisper model; a window's prompt takes a few of them.
MAX_DECODE_TOKENS = 440
# Tokens a take may produce: twice its text's (a sentence read twice still shows in full)
# and some for babble; a take that says more than that fails anyway, so the cap only
# saves time.
DECODE_TOKENS_PER_TEXT_TOKEN = 2
DECODE_SLACK_TOKENS = 16
# Greedy decoding: the question is whether the words are there, not the best transcript.
BEAM_SIZE = 1
# Takes shorter than this are not sent to the model (nothing to hear).
MIN_TAKE_SECONDS = 0.05
# CTranslate2 threads on a CPU: more rarely helps a batch of short clips.
MAX_CPU_THREADS = 8


def _hub_reachable() -> bool:
    """Can the hub's host name be resolved? Offline, say so at once instead of after retries."""
    import socket
    from urllib.parse import urlparse

    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return False
    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        socket.getaddrinfo(host, 443)
    except OSError:
        return False
    return True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_model_directory(directory: Path) -> Path:
    if not directory.is_dir():
        raise ModelError(f"ASR model directory not found: {directory}")
    missing = [name for name in MODEL_FILES if not (directory / name).is_file()]
    if missing:
        raise ModelError(
            f"ASR model directory {directory} lacks {', '.join(missing)} (a CTranslate2 Whisper "
            "conversion, e.g. a snapshot of Systran/faster-whisper-small, has all three)"
        )
    return directory


def hub_model_directory(model: str) -> Path:
    """A faster-whisper model by size or hub repository, from the HF cache (downloaded if the
    hub is reachable)."""
    from faster_whisper.utils import _MODELS, available_models, download_model

    repo = model if "/" in model else _MODELS.get(model)
    if repo is None:
        raise ConfigError(
            f"verify.model {model!r} is not a faster-whisper model: use one of "
            f"{', '.join([*available_models(), *RANDOM_WHISPERS])} or a hub repository"
        )
    try:
        return Path(download_model(model, local_files_only=True))
    except Exception:  # not cached (huggingface_hub raises several kinds for that)
        pass
    offline = ModelError(
        f"the ASR model {model!r} ({repo}) is not in the Hugging Face cache and cannot be "
        "downloaded offline: run once with network access, or pass --asr-model-dir DIR "
        f"holding {', '.join(MODEL_FILES)}"
    )
    if not _hub_reachable():
        raise offline
    try:
        return Path(download_model(model))
    except Exception as exc:  # noqa: BLE001 - network and hub errors of every kind
        raise ModelError(f"cannot download the ASR model {model!r} ({repo}): {_first_line(exc)}") from None


def resample(wav: np.ndarray, sample_rate: int) -> np.ndarray:
    """(samples,) at ``sample_rate`` -> float32 at 16 kHz, Whisper's rate."""
    wav = np.asarray(wav, dtype=np.float32)
    if sample_rate == WHISPER_RATE_HZ or wav.size == 0:
        return wav
    from scipy.signal import resample_poly

    g = math.gcd(WHISPER_RATE_HZ, sample_rate)
    return resample_poly(wav, WHISPER_RATE_HZ // g, sample_rate // g).astype(np.float32)


class FasterWhisperRecognizer:
    """:class:`~audiobook_tts.verify.api.Recognizer` on faster-whisper."""

    def __init__(self, options: VerifyOptions, cache_dir: Path, language: str) -> None:
        self.options = options
        self.cache_dir = Path(cache_dir)
        self.language = language or "en"
        self.model_label = options.model_dir or options.model
        self.device = ""
        self.compute_type = ""
        self.name = f"faster-whisper {self.model_label}"
        self._model = None
        self._pipeline = None

    def _directory(self) -> Path:
        if self.options.model_dir:
            return check_model_directory(Path(self.options.model_dir).expanduser())
        if self.options.model in RANDOM_WHISPERS:
            return random_directory(self.options.model, self.cache_dir)
        return hub_model_directory(self.options.model)

    def load(self) -> None:
        import ctranslate2
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        directory = self._directory()
        device = self.options.device
        if device == "auto":
            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        threads = min(os.cpu_count() or 1, MAX_CPU_THREADS)
        try:
            model = WhisperModel(str(directory), device=device, compute_type=self.options.compute_type,
                                 cpu_threads=threads)
        except (RuntimeError, ValueError, OSError) as exc:
            if device != "cuda" or self.options.device == "cuda":
                raise ModelError(f"cannot load the ASR model from {directory}: {_first_line(exc)}") from None
            # "auto" found a GPU that CTranslate2 cannot use (libraries missing): the CPU will do.
            logger.warning("ASR on the GPU failed (%s); recognising on the CPU", _first_line(exc))
            device = "cpu"
            model = WhisperModel(str(directory), device=device, compute_type=self.options.compute_type,
                                 cpu_threads=threads)
        if not model.model.is_multilingual and self.language != "en":
            if self.options.model not in RANDOM_WHISPERS:
                raise ModelError(
                    f"the ASR model {self.model_label!r} hears only English and this book is "
                    f"{self.language!r}: choose a multilingual model (verify.model = \"small\")"
                )
            self.language = "en"  # the random model hears nothing right in any language
        elif model.model.is_multilingual and self.language not in model.supported_languages:
            raise ModelError(f"the ASR model {self.model_label!r} does not know the language {self.language!r}")
        self._model = model
        self._pipeline = BatchedInferencePipeline(model)
        self.device, self.compute_type = device, model.model.compute_type
        self.name = f"faster-whisper {self.model_label} ({device}, {self.compute_type})"
        logger.info("ASR model %s loaded from %s", self.name, directory)

    def describe(self) -> dict[str, Any]:
        return {"engine": "faster-whisper", "model": self.model_label, "device": self.device,
                "compute_type": self.compute_type, "language": self.language}

    def _decode_cap(self, texts: Sequence[str]) -> int:
        longest = max((len(self._model.hf_tokenizer.encode(" " + t, add_special_tokens=False).ids)
                       for t in texts), default=0)
        return min(MAX_DECODE_TOKENS, DECODE_TOKENS_PER_TEXT_TOKEN * longest + DECODE_SLACK_TOKENS)

    def transcribe_batch(
        self, wavs: Sequence[np.ndarray], sample_rate: int, texts: Sequence[str]
    ) -> list[Transcript]:
        if self._pipeline is None:
            raise RuntimeError("load() the recogniser first")
        audio = [resample(w, sample_rate) for w in wavs]
        window = WINDOW_SECONDS * WHISPER_RATE_HZ
        clips: list[dict[str, float]] = []
        owners: list[int] = []  # take of each clip
        starts: list[int] = []  # sample where each take starts in the concatenation
        position = 0
        for k, a in enumerate(audio):
            starts.append(position)
            if a.size >= MIN_TAKE_SECONDS * WHISPER_RATE_HZ:
                for s in range(0, a.size, window):
                    e = min(s + window, a.size)
                    clips.append({"start": (position + s) / WHISPER_RATE_HZ, "end": (position + e) / WHISPER_RATE_HZ})
                    owners.append(k)
            position += a.size
        texts_out: list[list[str]] = [[] for _ in audio]
        words_out: list[list[Word]] = [[] for _ in audio]
        if clips:
            segments, _ = self._pipeline.transcribe(
                np.concatenate(audio), language=self.language, clip_timestamps=clips, vad_filter=False,
                word_timestamps=True, without_timestamps=True, batch_size=len(clips), beam_size=BEAM_SIZE,
                max_new_tokens=self._decode_cap(texts), log_progress=False,
            )
            clip_starts = [c["start"] for c in clips]
            for segment in segments:
                # A segment's seek is its clip's start in 10 ms frames, rounded down.
                clip = max(bisect.bisect_right(clip_starts, segment.seek / 100 + 0.011) - 1, 0)
                k = owners[clip]
                offset = starts[k] / WHISPER_RATE_HZ
                texts_out[k].append(segment.text.strip())
                for w in segment.words or ():
                    if w.word.strip():
                        words_out[k].append(Word(w.word.strip(), max(0.0, w.start - offset), max(0.0, w.end - offset)))
        return [Transcript(" ".join(t for t in parts if t), tuple(ws)) for parts, ws in zip(texts_out, words_out)]

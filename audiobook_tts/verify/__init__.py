"""Listening to takes: speech recognition, scoring, trimming, and what is built on them.

Importing this package loads no model library; :func:`create_recognizer` imports the chosen
recogniser (CTranslate2 for faster-whisper) only when it is called. Tests enter through
:func:`register_recognizer`, as fake engines do through ``engine.register_engine``.

- :mod:`.api`: the Recognizer protocol and its types; :mod:`.asr`: faster-whisper;
  :mod:`.random_whisper`: the tiny random-weight Whisper for offline runs.
- :mod:`.score`: normalisation and word error rate; :mod:`.tails`: cuts at word times;
  :mod:`.verifier`: a take's hearing, batched and overlapped with synthesis.
- :mod:`.timeline`: where each chunk sits in its chapter; :mod:`.subtitles`; :mod:`.check`:
  the ``check`` command; :mod:`.html`: its page for a person.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..config import VerifyOptions
from ..errors import ConfigError
from .api import Recognizer, Transcript, Word

RecognizerFactory = Callable[[VerifyOptions, Path, str], Recognizer]


def _faster_whisper(options: VerifyOptions, cache_dir: Path, language: str) -> Recognizer:
    from .asr import FasterWhisperRecognizer

    return FasterWhisperRecognizer(options, cache_dir, language)


# verify.engine -> factory(options, cache_dir, language). Nothing else names an implementation.
RECOGNIZERS: dict[str, RecognizerFactory] = {"faster-whisper": _faster_whisper}


def register_recognizer(name: str, factory: RecognizerFactory) -> None:
    """Make ``verify.engine = name`` build recognisers with ``factory(options, cache_dir, language)``."""
    RECOGNIZERS[name] = factory


def create_recognizer(options: VerifyOptions, cache_dir: Path, language: str) -> Recognizer:
    if options.engine not in RECOGNIZERS:
        raise ConfigError(f"verify.engine must be one of {', '.join(RECOGNIZERS)}, not {options.engine!r}")
    return RECOGNIZERS[options.engine](options, Path(cache_dir), language)


__all__ = [
    "RECOGNIZERS",
    "Recognizer",
    "RecognizerFactory",
    "Transcript",
    "Word",
    "create_recognizer",
    "register_recognizer",
]

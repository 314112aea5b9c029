"""Shared fixtures for tests that run the real engine on the tiny random model.

conftest.py loads this module as a plugin, so its fixtures are available everywhere;
import the helpers (``tiny_settings``, ``speech_like``) directly. Everything is session-scoped: the checkpoint is written
once (~1 s) and the voice sample generated once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiobook_tts.config import Settings, build_settings

VOICE_SECONDS = 5.0
VOICE_RATE_HZ = 24_000


def speech_like(seconds: float, rate: int = VOICE_RATE_HZ, seed: int = 0) -> np.ndarray:
    """A voiced-sounding test signal: a wandering 120-220 Hz pitch with harmonics and breath."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    pitch = 170 + 50 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    syllables = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2
    voiced = sum(np.sin(k * phase) / k for k in range(1, 6))
    wav = 0.1 * syllables * voiced + 0.005 * rng.standard_normal(len(t))
    return wav.astype(np.float32)


def tiny_settings(model_dir: Path, variant: str = "standard", **sections: dict) -> Settings:
    """Settings for the tiny checkpoint of ``variant`` in ``model_dir``: eager, no watermark,
    plus overrides."""
    overrides: dict[str, dict] = {
        "model": {"source": "dir", "dir": str(model_dir), "variant": variant},
        "synthesis": {"watermark": False},
        # fp32 whatever the machine: the equivalence tests compare with chatterbox's fp32.
        "engine": {"warmup_samples": 1, "t3_dtype": "float32", "s3gen_dtype": "float32"},
    }
    for section, values in sections.items():
        overrides.setdefault(section, {}).update(values)
    return build_settings(None, overrides)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    from audiobook_tts.engine.checkpoint import write_random_checkpoint

    return write_random_checkpoint(tmp_path_factory.mktemp("models") / "tiny", "tiny")


@pytest.fixture(scope="session")
def tiny_turbo_checkpoint(tmp_path_factory) -> Path:
    from audiobook_tts.engine.checkpoint import write_random_checkpoint
    from audiobook_tts.engine.variants import VARIANTS

    return write_random_checkpoint(tmp_path_factory.mktemp("models") / "tiny-turbo", "tiny", VARIANTS["turbo"])


@pytest.fixture(scope="session")
def tiny_multilingual_checkpoint(tmp_path_factory) -> Path:
    from audiobook_tts.engine.checkpoint import write_random_checkpoint
    from audiobook_tts.engine.variants import VARIANTS

    return write_random_checkpoint(
        tmp_path_factory.mktemp("models") / "tiny-multilingual", "tiny", VARIANTS["multilingual"]
    )


@pytest.fixture(scope="module")
def engine(tiny_checkpoint, tmp_path_factory):
    """The Chatterbox engine on the tiny checkpoint, loaded once per test module (eager, CPU)."""
    from audiobook_tts.engine.chatterbox_engine import ChatterboxEngine

    eng = ChatterboxEngine(tiny_settings(tiny_checkpoint), tmp_path_factory.mktemp("engine-cache"))
    eng.load()
    return eng


@pytest.fixture(scope="session")
def voice_wav(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("voices") / "narrator.wav"
    sf.write(path, speech_like(VOICE_SECONDS), VOICE_RATE_HZ)
    return path

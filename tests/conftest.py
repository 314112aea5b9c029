from pathlib import Path

import pytest
from books import THREE_CHAPTERS

# The tiny-model fixtures (checkpoint, voice) for every test module that asks for them.
pytest_plugins = ["engine_fixtures"]

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """No test reads or writes the real user cache/config or the Hugging Face hub."""
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "xdg-config"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("AUDIOBOOK_TTS_CACHE", str(base / "cache"))


@pytest.fixture
def voice(tmp_path) -> Path:
    """A 5 s tone standing in for a voice sample (the fake engine never listens to it)."""
    import numpy as np
    import soundfile as sf

    p = tmp_path / "voice.wav"
    t = np.arange(16000 * 5) / 16000
    sf.write(p, 0.2 * np.sin(2 * np.pi * 220 * t), 16000)
    return p


def shared_file(rel: str) -> Path:
    path = SHARED / rel
    if not path.exists():
        pytest.skip(f"needs {path} (not part of the repository)")
    return path


@pytest.fixture(scope="module")
def one_torch_thread():
    """Model tests run torch on one thread: on a shared 2-core machine idle-spinning OpenMP
    workers make small models several times slower. (torch is imported only by tests that
    ask for this.)"""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def book(tmp_path) -> Path:
    """A three-chapter Markdown book (books.THREE_CHAPTERS)."""
    p = tmp_path / "book.md"
    p.write_text(THREE_CHAPTERS)
    return p

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """No test reads or writes the real user cache/config or the Hugging Face hub."""
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "xdg-config"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("AUDIOBOOK_TTS_CACHE", str(base / "cache"))


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

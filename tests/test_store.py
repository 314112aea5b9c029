"""Chunk store durability, chunk keys, atomic writes and the work-directory lock."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from audiobook_tts import files
from audiobook_tts.errors import DiskFullError, LockedError, OutputError
from audiobook_tts.files import atomic_write_text
from audiobook_tts.store import CHUNK_SUFFIX, ChunkStore, WorkLock, chunk_key

SR = 24_000
# 24-bit storage: one quantisation step is 2**-23 of full scale.
PCM24_STEP = 2.0**-23

BASE = {"text": "It was a dark night.", "voice": "v1", "model": "m1", "params": {"t": 0.8}, "seed": 3}


def _wav(seconds: float = 0.25, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def _files(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir())


def test_round_trip_keeps_audio_rate_and_meta(tmp_path: Path) -> None:
    cs = ChunkStore(tmp_path / "chunks")
    key = chunk_key(**BASE)
    wav = _wav()
    assert cs.get(key) is None and key not in cs
    path = cs.put(key, wav, SR, {"text": BASE["text"], "seconds": 0.25})
    assert path.parent == tmp_path / "chunks" and key in cs
    got = cs.get(key)
    assert got is not None
    assert got.sample_rate == SR and got.wav.dtype == np.float32 and got.wav.shape == wav.shape
    np.testing.assert_allclose(got.wav, wav, atol=PCM24_STEP)
    assert got.meta == {"text": BASE["text"], "seconds": 0.25}


def test_round_trip_restores_samples_beyond_full_scale(tmp_path: Path) -> None:
    cs = ChunkStore(tmp_path)
    key = chunk_key(**BASE)
    wav = _wav(amplitude=1.7)
    cs.put(key, wav, SR, {})
    got = cs.get(key)
    assert got is not None
    np.testing.assert_allclose(got.wav, wav, atol=1.7 * PCM24_STEP)


@pytest.mark.parametrize(
    "field,value",
    [("text", "It was a dark night!"), ("voice", "v2"), ("model", "m2"), ("params", {"t": 0.81}), ("seed", 4)],
)
def test_key_changes_with_every_field(field: str, value: object) -> None:
    assert chunk_key(**{**BASE, field: value}) != chunk_key(**BASE)


def test_key_ignores_argument_order_and_expands_dataclasses() -> None:
    @dataclass(frozen=True)
    class Params:
        t: float

    reordered = dict(reversed(list(BASE.items())))
    assert chunk_key(**reordered) == chunk_key(**BASE)
    assert chunk_key(**{**BASE, "params": Params(t=0.8)}) == chunk_key(**BASE)
    assert chunk_key(**BASE, extra=None) != chunk_key(**BASE)


def _damage_truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _damage_flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-100] ^= 0x01  # one bit inside the FLAC audio
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_damage_truncate, _damage_flip], ids=["truncated", "flipped-bit"])
def test_damaged_chunk_is_detected_and_removed(tmp_path: Path, damage) -> None:
    cs = ChunkStore(tmp_path)
    key = chunk_key(**BASE)
    path = cs.put(key, _wav(), SR, {})
    damage(path)
    with pytest.warns(UserWarning, match=f"chunk {key[:12]} is damaged"):
        assert cs.get(key) is None
    assert not path.exists() and key not in cs


def test_chunk_under_another_key_is_rejected(tmp_path: Path) -> None:
    cs = ChunkStore(tmp_path)
    a, b = chunk_key(**BASE), chunk_key(**{**BASE, "seed": 9})
    cs.put(a, _wav(), SR, {})
    os.replace(cs.path(a), cs.path(b))
    with pytest.warns(UserWarning, match="holds another chunk"):
        assert cs.get(b) is None


def test_leftover_temp_file_is_ignored_and_cleaned(tmp_path: Path) -> None:
    key = chunk_key(**BASE)
    # What a writer killed between write and rename leaves behind.
    leftover = tmp_path / f".{key}{CHUNK_SUFFIX}.12345{files.TEMP_SUFFIX}"
    leftover.write_bytes(b"half a chunk")
    cs = ChunkStore(tmp_path)
    assert not leftover.exists()
    assert cs.get(key) is None and key not in cs


def test_disk_full_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cs = ChunkStore(tmp_path)
    key = chunk_key(**BASE)
    real_write = os.write
    calls = []

    def write_then_fill(fd: int, data) -> int:
        calls.append(fd)
        if len(calls) == 1:
            return real_write(fd, bytes(data[:100]))  # a partial write, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "write", write_then_fill)
    with pytest.raises(DiskFullError) as info:
        cs.put(key, _wav(), SR, {})
    monkeypatch.undo()
    assert str(info.value) == (
        f"disk full while writing {cs.path(key)}; finished work is kept, "
        "free some space and run the same command again to resume"
    )
    assert len(calls) == 2 and _files(tmp_path) == []


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    atomic_write_text(target, "old")
    atomic_write_text(target, "new ☃")
    assert target.read_text(encoding="utf-8") == "new ☃" and _files(tmp_path) == ["report.json"]


def test_unwritable_location_is_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutputError, match=rf"^cannot create directory {blocker}: File exists$"):
        atomic_write_text(blocker / "x", "data")


_HOLDER = textwrap.dedent(
    """
    import sys
    from audiobook_tts.store import WorkLock
    with WorkLock(sys.argv[1]):
        print("locked", flush=True)
        sys.stdin.read()
    """
)


def test_lock_held_by_another_process_and_freed_by_sigkill(tmp_path: Path) -> None:
    workdir = tmp_path / ".work"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(workdir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert holder.stdout.readline() == "locked\n"
        with pytest.raises(LockedError) as info:
            with WorkLock(workdir):
                pass
        assert str(info.value) == (
            f"another render is already writing to {workdir} (lock held by pid {holder.pid}); "
            "wait for it to finish or use another --out"
        )
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert holder.returncode == -signal.SIGKILL
    with WorkLock(workdir):
        assert (workdir / "lock").read_text() == f"{os.getpid()}\n"


def test_lock_is_released_on_exit(tmp_path: Path) -> None:
    with WorkLock(tmp_path):
        # flock belongs to the open file, so even this process cannot take it twice.
        with pytest.raises(LockedError):
            with WorkLock(tmp_path):
                pass
    with WorkLock(tmp_path):
        pass


def test_empty_audio_round_trips(tmp_path: Path) -> None:
    # A generation that produced no tokens is kept (and reported), not redone forever.
    store = ChunkStore(tmp_path)
    key = chunk_key(text="", seed=1)
    store.put(key, np.zeros(0, dtype=np.float32), 24_000, {"suspect": ["silent"]})
    got = store.get(key)
    assert got is not None
    assert (got.wav.size, got.sample_rate, got.meta) == (0, 24_000, {"suspect": ["silent"]})

"""Fault injection: SIGKILL a real render process at random points, resume, compare."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiobook_tts.proc import ffmpeg_exe
from audiobook_tts.store import ChunkStore

HERE = Path(__file__).resolve().parent
WORKER = HERE / "render_worker.py"
BOOK = """# Fault Lines

## One

First paragraph of the first chapter. It has two sentences.

A second paragraph, which is a little longer, so that it is not merged with anything else at all.

## Two

Mrs. Hale arrived at 5 p.m. exactly. She brought three letters and a parcel.

Nobody spoke.

## Three

The end came quietly; the lamps went out one by one, and the house slept.
"""


def decoded_pcm(path: Path) -> bytes:
    return subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-"],
        capture_output=True, check=True,
    ).stdout


def run_worker(book, voice, out, *, kill_after: int | None = None, batch: int = 1) -> list[str]:
    """Run the worker; with kill_after, SIGKILL it after that many output lines."""
    proc = subprocess.Popen([sys.executable, str(WORKER), str(book), str(voice), str(out), str(batch)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line.strip())
        if kill_after is not None and len(lines) >= kill_after:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    err = proc.stderr.read()
    if kill_after is None:
        assert proc.returncode == 0, err
    return lines


def store_contents(out: Path) -> dict[str, np.ndarray]:
    root = out / ".audiobook-tts" / "chunks"
    store = ChunkStore(root)
    keys = {p.name.split(".")[0] for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")}
    return {k: store.get(k).wav for k in keys}


@pytest.fixture
def inputs(tmp_path):
    book = tmp_path / "book.md"
    book.write_text(BOOK)
    voice = tmp_path / "voice.wav"
    sf.write(voice, 0.2 * np.sin(np.arange(16000 * 4) / 16000 * 2 * np.pi * 200), 16000)
    return book, voice


@pytest.mark.parametrize("batch", [1, 3])
def test_sigkill_at_random_points_then_resume_equals_uninterrupted(inputs, tmp_path, batch):
    book, voice = inputs
    reference = tmp_path / "reference"
    full_lines = run_worker(book, voice, reference)
    n_lines = len(full_lines)
    total = int(full_lines[-1].split()[1])

    resumed = tmp_path / "resumed"
    rng = random.Random(20261129)
    # Several kills at random points: during synthesis, assembly and encoding alike.
    points = sorted(rng.sample(range(1, n_lines - 1), 4))
    for point in points:
        run_worker(book, voice, resumed, kill_after=point, batch=batch)
        # Whatever was killed mid-write never looks finished.
        for wav in store_contents(resumed).values():
            assert wav.size > 0
    last = run_worker(book, voice, resumed, batch=batch)
    synthesized, reused = map(int, last[-1].split()[1:])
    assert synthesized + reused == total
    assert reused > 0

    ref_store, res_store = store_contents(reference), store_contents(resumed)
    assert ref_store.keys() == res_store.keys()
    for key in ref_store:
        assert np.array_equal(ref_store[key], res_store[key])
    ref_report = json.loads((reference / ".audiobook-tts" / "report.json").read_text())
    res_report = json.loads((resumed / ".audiobook-tts" / "report.json").read_text())
    assert ref_report["chapters"] == res_report["chapters"]
    ref_outputs = sorted(Path(p).relative_to(reference) for p in ref_report["outputs"])
    assert ref_outputs == sorted(Path(p).relative_to(resumed) for p in res_report["outputs"])
    for rel in ref_outputs:
        assert decoded_pcm(reference / rel) == decoded_pcm(resumed / rel), rel
    leftovers = [p for p in resumed.rglob("*.tmp")]
    assert leftovers == []


def test_concurrent_render_into_same_out_is_refused(inputs, tmp_path):

    book, voice = inputs
    out = tmp_path / "out"
    (out / ".audiobook-tts").mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from pathlib import Path; from audiobook_tts.store import WorkLock\n"
         f"with WorkLock(Path({str(out / '.audiobook-tts')!r})):\n"
         "    print('locked', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        r = subprocess.run([sys.executable, str(WORKER), str(book), str(voice), str(out)],
                           capture_output=True, text=True)
        assert r.returncode != 0
        assert "LockedError" in r.stderr and "another render is already writing to" in r.stderr
    finally:
        holder.kill()
        holder.wait()
    assert run_worker(book, voice, out)[-1].startswith("done")

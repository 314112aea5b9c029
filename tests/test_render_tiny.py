"""The real render command on the tiny random model: kill -9 mid-run, resume, check the M4B."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from audiobook_tts.audio.probe import probe

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "samples" / "the-lighthouse-keeper.md"
VOICE = REPO / "samples" / "voice.wav"

pytestmark = pytest.mark.slow


def render_cmd(out: Path, cache: Path) -> list[str]:
    return [sys.executable, "-m", "audiobook_tts", "render", str(BOOK), "--voice", str(VOICE),
            "--profile", "smoke", "--out", str(out), "--cache-dir", str(cache)]


def chunk_files(out: Path) -> list[Path]:
    root = out / ".audiobook-tts" / "chunks"
    return [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".tmp")]


def run_until(out: Path, cache: Path, marker: str, sig: signal.Signals) -> subprocess.Popen:
    """Start a render; send ``sig`` when stderr shows ``marker``. Not a terminal, so the CLI
    prints one line per phase and chapter: when chapter N starts, chapter N-1 is durable."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(render_cmd(out, cache), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True, cwd=REPO, env=env)
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if line.strip().startswith(marker):
            proc.send_signal(sig)
            break
    lines += proc.stderr.readlines()
    proc.wait()
    proc.lines = lines
    return proc


def test_ctrl_c_then_kill9_then_resume_reuses_every_finished_chunk(tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    work = out / ".audiobook-tts"

    # Ctrl-C: the current chunk finishes, the run stops cleanly and says how to resume.
    first = run_until(out, cache, "chapter 2:", signal.SIGINT)
    assert first.returncode == 130
    assert first.lines[-1].strip() == (
        "Error: interrupted: finished chunks are saved; run the same command again to resume"
    )
    assert json.loads((work / "report.json").read_text())["status"] == "interrupted"
    after_ctrl_c = len(chunk_files(out))
    assert after_ctrl_c > 0

    # kill -9 later on: whatever was finished stays, nothing half-written looks finished.
    second = run_until(out, cache, "chapter 3:", signal.SIGKILL)
    assert second.returncode == -signal.SIGKILL
    finished = len(chunk_files(out))
    assert finished > after_ctrl_c

    r = subprocess.run(render_cmd(out, cache), capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr
    report = json.loads((work / "report.json").read_text())
    assert report["status"] == "complete"
    chunks = report["chunks"]
    assert chunks["reused"] == finished
    assert chunks["synthesized"] == chunks["total"] - finished
    assert report["warmup"]["samples_per_bucket"] and all(
        n == 3 for n in report["warmup"]["samples_per_bucket"].values()
    )

    [m4b] = report["outputs"]
    info = probe(Path(m4b))
    assert [c.title for c in info["chapters"]] == [
        "Chapter 1. The Lamp", "Chapter 2. The Storm", "Chapter 3. The Letter",
    ]
    assert info["tags"]["title"] == "The Lighthouse Keeper's Notebook"
    assert info["tags"]["artist"] == "The audiobook-tts authors"
    assert abs(info["duration_s"] - report["audio_seconds"]) < 0.1
    assert "Render summary" in r.stdout


def test_fast_profile_batched_renders_the_chapters_of_one_at_a_time(tmp_path):
    """The fast profile's batching on the tiny model (fp32 on the CPU, aot_eager instead of
    inductor): a batch of 4 gives the chunk keys, audio and chapters a batch of 1 gives."""
    import numpy as np

    from audiobook_tts.config import build_settings
    from audiobook_tts.pipeline import RenderRequest, render
    from audiobook_tts.store import ChunkStore

    def run(batch: int):
        settings = build_settings("fast", {
            "model": {"source": "tiny"},
            "engine": {"device": "cpu", "batch_size": batch, "compile_backend": "aot_eager",
                       "t3_dtype": "float32", "s3gen_dtype": "float32", "warmup_samples": 1},
            "synthesis": {"watermark": False, "max_tokens": 60, "max_retries": 0},
        })
        out = tmp_path / f"batch{batch}"
        report = render(RenderRequest(book=BOOK, voice=VOICE, out_dir=out, settings=settings,
                                      cache_dir=tmp_path / "cache", chapters="1-2"))
        store = ChunkStore(out / ".audiobook-tts" / "chunks")
        return report, {p.stem: store.get(p.stem).wav for p in store.root.glob("*.chunk")}

    one, one_audio = run(1)
    four, four_audio = run(4)
    assert one.fallbacks == four.fallbacks == []
    assert {s["batch"] for s in four.warmup["shapes"]} == {4}  # short batches are filled up to the shape
    assert one_audio.keys() == four_audio.keys() and len(one_audio) == one.chunks["total"]
    for key in one_audio:
        assert one_audio[key].shape == four_audio[key].shape
        np.testing.assert_allclose(four_audio[key], one_audio[key], atol=1e-4)
    assert [(c["title"], c["end_s"] - c["start_s"]) for c in four.chapters] == \
        [(c["title"], c["end_s"] - c["start_s"]) for c in one.chapters]

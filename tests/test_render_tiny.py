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
            "--profile", "smoke", "--out", str(out), "--cache-dir", str(cache), "--chapters", "1-2"]


def chunk_files(out: Path) -> list[Path]:
    root = out / ".audiobook-tts" / "chunks"
    return [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".tmp")]


def test_kill9_mid_render_then_resume_reuses_every_finished_chunk(tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(render_cmd(out, cache), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True, cwd=REPO, env=env)
    # Not a terminal: the CLI prints one line per phase and chapter. When chapter 2 starts,
    # every chunk of chapter 1 is already durable, so kill -9 right then.
    for line in proc.stderr:
        if line.strip().startswith("chapter 2:"):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    finished = len(chunk_files(out))
    assert finished > 0

    r = subprocess.run(render_cmd(out, cache), capture_output=True, text=True, cwd=REPO, env=env)
    assert r.returncode == 0, r.stderr
    report = json.loads((out / ".audiobook-tts" / "report.json").read_text())
    assert report["status"] == "complete"
    chunks = report["chunks"]
    assert chunks["reused"] == finished
    assert chunks["synthesized"] == chunks["total"] - finished
    assert report["warmup"]["samples_per_bucket"] and all(
        n == 3 for n in report["warmup"]["samples_per_bucket"].values()
    )

    [m4b] = report["outputs"]
    info = probe(Path(m4b))
    assert [c.title for c in info["chapters"]] == ["Chapter 1. The Lamp", "Chapter 2. The Storm"]
    assert info["tags"]["title"] == "The Lighthouse Keeper's Notebook"
    assert info["tags"]["artist"] == "The audiobook-tts authors"
    assert abs(info["duration_s"] - report["audio_seconds"]) < 0.1
    assert "Render summary" in r.stdout

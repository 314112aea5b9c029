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

"""The GPU kit runs here too (``--dry-run``: tiny model on the CPU), so it does not rot between
the rare occasions a GPU is lent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
KIT = REPO / "scripts" / "gpu"

pytestmark = pytest.mark.slow


def test_prepare_lists_pinned_wheels_without_downloading():
    r = subprocess.run(["bash", str(KIT / "prepare.sh"), "--dry-run", "core", "render"], cwd=REPO,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    pins = [line.removeprefix("would download ") for line in r.stdout.splitlines()]
    assert "chatterbox-tts==0.1.7" in pins and "transformers==5.2.0" in pins and "nltk==3.10.4" in pins
    assert all("==" in pin for pin in pins)


def test_run_dry_run_measures_and_tabulates(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable}
    r = subprocess.run(["bash", str(KIT / "run.sh"), "--dry-run", str(tmp_path)], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    steps = (tmp_path / "steps.txt").read_text()
    for name in ("versions", "bench-batch", "tests", "bench-fast", "table"):
        assert f"== {name}" in steps
    assert "skipped" not in steps
    assert "commit:" in (tmp_path / "env.txt").read_text()
    batch = json.loads((tmp_path / "bench-batch.json").read_text())
    assert set(batch["batches"]) == {"1", "2"} and batch["device"] == "cpu"
    fast = json.loads((tmp_path / "bench-fast.json").read_text())
    assert fast["repeats"] == 2
    table = (tmp_path / "bench.md").read_text()
    assert "| batch | ours | 2 |" in table and "| fast | stock | 1 |" in table

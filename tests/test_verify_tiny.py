"""The whole listening path for real, offline: the tiny random Chatterbox speaks noise, the tiny
random Whisper (written by us, loaded by faster-whisper's own loader) hears nonsense in it, so
every take fails: each chunk is retaken, the best take kept, the render finishes and lists every
chunk as never passing; ``check`` says so too (exit 1) and ``--redo`` retakes them in place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audiobook_tts.cli import main
from audiobook_tts.config import build_settings
from audiobook_tts.pipeline import RenderRequest, render
from audiobook_tts.store import ChunkStore

REPO = Path(__file__).resolve().parents[1]
VOICE = REPO / "samples" / "voice.wav"
BOOK = """# The Lamp

The keeper lit the lamp at dusk.

He slept at dawn.
"""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, one_torch_thread, tiny_checkpoint):
    base = tmp_path_factory.mktemp("tiny-verify")
    settings = build_settings("smoke", {
        "model": {"source": "dir", "dir": str(tiny_checkpoint)},  # written once per session
        "engine": {"warmup_samples": 1},
        "synthesis": {"max_retries": 1, "max_tokens": 30},
        "verify": {"enabled": True},  # smoke's model: tiny-random
        "output": {"subtitles": "vtt"},
    })
    out, book = base / "out", base / "lamp.md"
    book.write_text(BOOK)
    report = render(RenderRequest(book=book, voice=VOICE, out_dir=out, settings=settings, cache_dir=base / "cache"))
    return out, base / "cache", report


def test_every_take_fails_is_retaken_and_listed(rendered):
    out, _, report = rendered
    assert report.status == "complete"
    n = report.chunks["total"]
    v = report.verify
    assert (v["engine"], v["model"], v["device"]) == ("faster-whisper", "tiny-random", "cpu")
    assert (v["checked"], v["passed"], v["retaken"], len(v["failed"])) == (n, 0, n, n)
    assert v["takes_heard"] == 2 * n
    assert all(e["takes"] == 2 and e["kept"] == 1 and e["error_rate"] == 1.0 for e in report.chunk_takes)
    assert [f["start_s"] for f in v["failed"]] == sorted(f["start_s"] for f in v["failed"])
    assert all(f["heard"] and f["chapter_title"] == "The Lamp" for f in v["failed"])
    assert 0 < v["share_of_synthesis"] < 1  # listening costs less than synthesising
    vtts = [o for o in report.outputs if o.endswith(".vtt")]
    assert len(vtts) == 2 and Path(vtts[0]).read_text().startswith("WEBVTT\n\n00:00:00.000 --> ")


def test_check_and_redo_on_the_finished_render(rendered, capsys):
    out, cache, _ = rendered
    assert main(["check", str(out), "--cache-dir", str(cache)]) == 1
    check = json.loads((out / ".audiobook-tts" / "check.json").read_text())
    assert (check["engine"], check["passed"], len(check["failed"])) == ("faster-whisper", 0, check["checked"])
    m4b = next(out.glob("*.m4b"))
    before = m4b.stat().st_mtime_ns
    assert main(["check", str(out), "--redo", "--cache-dir", str(cache)]) == 1
    report = json.loads((out / ".audiobook-tts" / "report.json").read_text())
    assert report["chunks"]["synthesized"] == report["chunks"]["total"]
    store = ChunkStore(out / ".audiobook-tts" / "chunks")
    assert all(store.meta(e["key"])["attempts"] == 4 for e in report["chunk_takes"])  # 2 before + 2 now
    assert m4b.stat().st_mtime_ns > before
    assert "Never passed" in capsys.readouterr().out

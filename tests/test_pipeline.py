"""The render pipeline on the fake engine: resume, selective re-synthesis, outputs, report."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from audiobook_tts.config import build_settings
from audiobook_tts.errors import Interrupted, UsageError
from audiobook_tts.engine import register_engine
from audiobook_tts.pipeline import RenderRequest, render as run_render
from audiobook_tts.plan import chunk_seed, load_book, parse_chapter_spec, plan_book
from books import THREE_CHAPTERS as BOOK
from fakes import FAKE_BACKEND, FakeEngines as Factory


def make_request(book, voice, tmp_path, **kw) -> RenderRequest:
    overrides = kw.pop("overrides", {})
    engine = {"backend": FAKE_BACKEND, **overrides.get("engine", {})}
    settings = build_settings("smoke", {**overrides, "engine": engine})
    return RenderRequest(book=book, voice=voice, out_dir=tmp_path / "out", settings=settings,
                         cache_dir=tmp_path / "cache", **kw)


def render(request, engine_factory, **kw):
    """The real render, with ``engine_factory``'s fake engines behind engine.backend = "fake"."""
    register_engine(FAKE_BACKEND, engine_factory)
    return run_render(request, **kw)


def test_render_writes_m4b_and_report(book, voice, tmp_path):
    from audiobook_tts.audio.probe import probe

    f = Factory()
    req = make_request(book, voice, tmp_path, report_path=tmp_path / "r.json")
    report = render(req, engine_factory=f)
    assert report.status == "complete"
    total = report.chunks["total"]
    assert total == len(f.calls) > 3
    assert report.chunks == {"total": total, "synthesized": total, "reused": 0, "suspect": 0}
    [m4b] = report.outputs
    info = probe(Path(m4b))
    assert [c.title for c in info["chapters"]] == ["Chapter 1. Morning", "Chapter 2. Noon", "Chapter 3. Night"]
    data = json.loads((tmp_path / "r.json").read_text())
    assert data == json.loads((Path(report.work_dir) / "report.json").read_text())
    assert data["warmup"]["samples_per_bucket"]
    assert all(n == 3 for n in data["warmup"]["samples_per_bucket"].values())
    assert data["fallbacks"] == []
    chapters = data["chapters"]
    assert chapters[0]["start_s"] == 0
    for a, b in zip(chapters, chapters[1:]):
        assert a["end_s"] == pytest.approx(b["start_s"], abs=1e-6)
    assert data["audio_seconds"] == pytest.approx(chapters[-1]["end_s"])
    assert abs(info["duration_s"] - data["audio_seconds"]) < 0.1


def test_second_run_reuses_every_chunk(book, voice, tmp_path, monkeypatch):
    import audiobook_tts.chapters as chapters

    render(make_request(book, voice, tmp_path), engine_factory=Factory())
    assembled = []
    real = chapters.assemble_chapter
    monkeypatch.setattr(chapters, "assemble_chapter", lambda *a, **k: assembled.append(1) or real(*a, **k))
    f = Factory()
    report = render(make_request(book, voice, tmp_path), engine_factory=f)
    assert f.calls == []
    assert assembled == []  # finished chapters are reused too
    assert report.chunks["synthesized"] == 0
    assert report.chunks["reused"] == report.chunks["total"]
    assert report.warmup["samples_per_bucket"] == {}  # nothing to do -> no warm-up


def test_changed_paragraph_resynthesises_only_its_chunks(book, voice, tmp_path):
    first = Factory()
    render(make_request(book, voice, tmp_path), engine_factory=first)
    book.write_text(BOOK.replace("Everyone slept.", "Everyone slept soundly."))
    f = Factory()
    report = render(make_request(book, voice, tmp_path), engine_factory=f)
    assert len(f.calls) == 1
    assert "soundly" in f.calls[0][0]
    chapter_wavs = sorted(p.name for p in (tmp_path / "out" / ".audiobook-tts" / "chapters").iterdir())
    assert [n[:4] for n in chapter_wavs] == ["0001", "0002", "0003"]  # the stale chapter 3 is gone
    assert report.chunks["reused"] == report.chunks["total"] - 1


def test_changed_parameter_resynthesises_everything(book, voice, tmp_path):
    render(make_request(book, voice, tmp_path), engine_factory=Factory())
    f = Factory()
    report = render(make_request(book, voice, tmp_path, overrides={"synthesis": {"temperature": 0.5}}),
                    engine_factory=f)
    assert report.chunks["synthesized"] == report.chunks["total"] == len(f.calls)


def test_seeds_are_recorded_and_derive_from_text(book, voice, tmp_path):
    f = Factory()
    report = render(make_request(book, voice, tmp_path, overrides={"synthesis": {"seed": 11}}), engine_factory=f)
    for text, seed in f.calls:
        assert seed == chunk_seed(11, text)
    from audiobook_tts.store import ChunkStore

    store = ChunkStore(Path(report.work_dir) / "chunks")
    metas = [store.get(k).meta for k in _keys(store)]
    assert sorted(m["seed"] for m in metas) == sorted(s for _, s in f.calls)


def _keys(store):
    return [p.name.split(".")[0] for p in Path(store.root).rglob("*") if p.is_file() and not p.name.startswith(".")]


def test_chapter_selection(book, voice, tmp_path):
    f = Factory()
    report = render(make_request(book, voice, tmp_path, chapters="2-3"), engine_factory=f)
    assert [c["title"] for c in report.chapters] == ["Chapter 2. Noon", "Chapter 3. Night"]
    assert all("Jones" not in text for text, _ in f.calls)


def test_interrupt_then_resume(book, voice, tmp_path):
    stop = threading.Event()
    done = []

    def on_synth(text):
        done.append(text)
        if len(done) == 3:
            stop.set()

    with pytest.raises(Interrupted, match="run the same command again to resume"):
        render(make_request(book, voice, tmp_path), engine_factory=Factory(on_synthesize=on_synth), stop=stop)
    work = tmp_path / "out" / ".audiobook-tts"
    assert json.loads((work / "report.json").read_text())["status"] == "interrupted"
    f = Factory()
    report = render(make_request(book, voice, tmp_path), engine_factory=f)
    assert report.chunks["reused"] == 3
    assert report.chunks["synthesized"] == report.chunks["total"] - 3 == len(f.calls)
    assert not {t for t, _ in f.calls} & set(done)


def test_mp3_output(book, voice, tmp_path):
    from audiobook_tts.audio.probe import probe

    report = render(make_request(book, voice, tmp_path, overrides={"output": {"format": "mp3"}}),
                    engine_factory=Factory())
    names = [Path(o).name for o in report.outputs]
    assert names == ["01 - Chapter 1. Morning.mp3", "02 - Chapter 2. Noon.mp3", "03 - Chapter 3. Night.mp3"]
    tags = probe(Path(report.outputs[1]))["tags"]
    assert tags["title"] == "Chapter 2. Noon"
    assert tags["artist"] == "Test Author"
    assert tags["album"] == "Three Small Chapters"


def test_suspect_chunk_is_retried_then_listed(book, voice, tmp_path):
    req = make_request(book, voice, tmp_path, overrides={"synthesis": {"max_retries": 2}})
    plan = plan_book(load_book(book, req.settings), req.settings)
    victim = plan.chapters[1].chunks[1].text
    f = Factory(suspect_texts={victim})
    report = render(req, engine_factory=f)
    seeds = [s for t, s in f.calls if t == victim]
    assert len(seeds) == 3 and len(set(seeds)) == 3  # one try and two retries, each with its own seed
    [suspect] = report.suspects
    assert suspect["text"] == victim and suspect["chapter"] == 2
    assert "silent" in suspect["reasons"]
    assert report.chunks["suspect"] == 1


@pytest.mark.parametrize(
    "spec, expected",
    [("3", [3]), ("2-5", [2, 3, 4, 5]), ("1,4,7-9", [1, 4, 7, 8, 9]), (" 2 , 2-3 ", [2, 3]), (None, list(range(1, 10)))],
)
def test_parse_chapter_spec(spec, expected):
    assert parse_chapter_spec(spec, 9) == expected


@pytest.mark.parametrize(
    "spec, message",
    [
        ("0", "--chapters '0' is out of range: the book has chapters 1-9"),
        ("4-12", "--chapters '4-12' is out of range: the book has chapters 1-9"),
        ("5-2", "invalid --chapters '5-2': range 5-2 runs backwards"),
        ("a", "invalid --chapters 'a': use numbers and ranges like 3, 2-5 or 1,4,7-9"),
        ("1,,2", "invalid --chapters '1,,2': use numbers and ranges like 3, 2-5 or 1,4,7-9"),
    ],
)
def test_bad_chapter_spec(spec, message):
    with pytest.raises(UsageError) as e:
        parse_chapter_spec(spec, 9)
    assert str(e.value) == message


def test_full_disk_mid_run_keeps_finished_chunks(book, voice, tmp_path, monkeypatch):
    from audiobook_tts.errors import DiskFullError
    from audiobook_tts.store import ChunkStore

    real_put = ChunkStore.put
    puts = []

    def put(self, key, wav, sample_rate, meta):
        if len(puts) == 2:
            raise DiskFullError("disk full while writing a chunk; finished work is kept, free some "
                                "space and run the same command again to resume")
        puts.append(key)
        return real_put(self, key, wav, sample_rate, meta)

    monkeypatch.setattr(ChunkStore, "put", put)
    with pytest.raises(DiskFullError, match="finished work is kept"):
        render(make_request(book, voice, tmp_path), engine_factory=Factory())
    work = tmp_path / "out" / ".audiobook-tts"
    report = json.loads((work / "report.json").read_text())
    assert report["status"] == "failed" and "disk full" in report["error"]
    monkeypatch.setattr(ChunkStore, "put", real_put)
    f = Factory()
    resumed = render(make_request(book, voice, tmp_path), engine_factory=f)
    assert resumed.chunks["reused"] == 2
    assert len(f.calls) == resumed.chunks["total"] - 2


def test_ffmpeg_failure_names_step_and_keeps_chunks(book, voice, tmp_path, monkeypatch):
    import audiobook_tts.publish as publish
    from audiobook_tts.errors import FfmpegError

    def broken(*a, **k):
        raise FfmpegError("encoding 3 chapters to AAC (M4B)", 1, "Unknown encoder 'aac'\n")

    monkeypatch.setattr(publish, "build_m4b", broken)
    with pytest.raises(FfmpegError) as e:
        render(make_request(book, voice, tmp_path), engine_factory=Factory())
    assert str(e.value) == "ffmpeg failed while encoding 3 chapters to AAC (M4B) (exit 1): Unknown encoder 'aac'"
    monkeypatch.undo()
    f = Factory()
    report = render(make_request(book, voice, tmp_path), engine_factory=f)
    assert f.calls == [] and report.chunks["reused"] == report.chunks["total"]


def test_damaged_chunk_is_detected_and_redone(book, voice, tmp_path):
    first = render(make_request(book, voice, tmp_path), engine_factory=Factory())
    chunk_files = sorted((Path(first.work_dir) / "chunks").glob("*.chunk"))
    victim = chunk_files[2]
    data = bytearray(victim.read_bytes())
    data[-10] ^= 0xFF  # one flipped byte in the audio
    victim.write_bytes(bytes(data))
    f = Factory()
    with pytest.warns(UserWarning, match=r"is damaged \(checksum mismatch\); deleting .* and synthesising it again"):
        report = render(make_request(book, voice, tmp_path), engine_factory=f)
    assert len(f.calls) == 1
    assert report.chunks["synthesized"] == 1
    assert report.chunks["reused"] == report.chunks["total"] - 1
    assert victim.exists()


def _store_audio(out_dir: Path) -> dict:
    from audiobook_tts.store import ChunkStore

    store = ChunkStore(out_dir / ".audiobook-tts" / "chunks")
    return {key: store.get(key).wav for key in _keys(store)}


def test_batched_render_equals_one_at_a_time(book, voice, tmp_path):
    import numpy as np

    single = render(make_request(book, voice, tmp_path / "one"), engine_factory=Factory())
    f = Factory()
    batched = render(make_request(book, voice, tmp_path / "four", overrides={"engine": {"batch_size": 4}}),
                     engine_factory=f)
    [engine] = f.engines
    assert max(engine.batches) > 1 and all(size <= 4 for size in engine.batches)
    one, four = _store_audio(tmp_path / "one" / "out"), _store_audio(tmp_path / "four" / "out")
    assert one.keys() == four.keys()
    assert all(np.array_equal(one[k], four[k]) for k in one)
    assert single.chapters == batched.chapters
    assert batched.chunks == single.chunks


def test_interrupted_batched_render_resumes(book, voice, tmp_path):
    stop = threading.Event()
    done = []

    def on_synth(text):
        done.append(text)
        if len(done) == 3:
            stop.set()  # mid-batch: the batch finishes, the next one never starts

    overrides = {"engine": {"batch_size": 2}}
    with pytest.raises(Interrupted):
        render(make_request(book, voice, tmp_path, overrides=overrides),
               engine_factory=Factory(on_synthesize=on_synth), stop=stop)
    f = Factory()
    report = render(make_request(book, voice, tmp_path, overrides=overrides), engine_factory=f)
    assert report.chunks["reused"] == len(done) == 4  # two whole batches were stored
    assert report.chunks["synthesized"] == report.chunks["total"] - 4 == len(f.calls)

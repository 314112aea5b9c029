"""``audiobook-tts check OUT`` on a finished render (fake engine, fake recogniser): the summary
and exit code, ``--redo`` in place, the ``--html`` page (parsed, and played in Chromium)."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import soundfile

from audiobook_tts.cli import main
from audiobook_tts.config import build_settings
from audiobook_tts.engine import register_engine
from audiobook_tts.pipeline import RenderRequest, render as run_render
from audiobook_tts.plan import load_book, plan_book
from audiobook_tts.store import ChunkStore
from audiobook_tts.verify import register_recognizer
from fake_asr import FAKE_ASR, FakeRecognizers
from fakes import FAKE_BACKEND, FakeEngines
from test_cli import assert_one_line_error, run_cli
from books import THREE_CHAPTERS as BOOK


@pytest.fixture
def book(tmp_path) -> Path:
    p = tmp_path / "book.md"
    p.write_text(BOOK)
    return p


def _settings(**sections):
    overrides = {"engine": {"backend": FAKE_BACKEND}, "synthesis": {"max_retries": 1},
                 "verify": {"engine": FAKE_ASR}}  # recorded in the report, off for the render
    for name, values in sections.items():
        overrides.setdefault(name, {}).update(values)
    return build_settings("smoke", overrides)


@pytest.fixture
def rendered(book, voice, tmp_path):
    """A finished render made without [verify]; returns (out dir, chunk texts)."""
    settings = _settings()
    register_engine(FAKE_BACKEND, FakeEngines())
    out = tmp_path / "out"
    run_render(RenderRequest(book=book, voice=voice, out_dir=out, settings=settings, cache_dir=tmp_path / "cache"))
    texts = [c.text for ch in plan_book(load_book(book, settings), settings).chapters for c in ch.chunks]
    return out, texts


def _recognizers(monkeypatch, **kw) -> FakeRecognizers:
    factory = FakeRecognizers(**kw)
    register_recognizer(FAKE_ASR, factory)
    return factory


def test_check_passes_a_good_render(capsys, rendered, monkeypatch):
    out, texts = rendered
    _recognizers(monkeypatch)
    code, stdout, _ = run_cli(capsys, "check", out)
    assert code == 0
    assert f"{len(texts)} heard: {len(texts)} passed, 0 failed" in stdout
    data = json.loads((out / ".audiobook-tts" / "check.json").read_text())
    assert (data["checked"], data["passed"], data["failed"]) == (len(texts), len(texts), [])


def test_check_fails_and_lists_a_misread_chunk(capsys, rendered, monkeypatch):
    out, texts = rendered
    never = texts[4]
    _recognizers(monkeypatch, script={never: ["Doctor Watson arrived."]})
    code, stdout, _ = run_cli(capsys, "check", out)
    assert code == 1
    assert f"{len(texts) - 1} passed, 1 failed" in stdout
    report = json.loads((out / ".audiobook-tts" / "report.json").read_text())
    start = next(e["start_s"] for e in report["chunk_takes"] if e["text"] == never)
    assert f"chapter 2 at 0:{int(start):02d}" in stdout and "Doctor Watson arrived" in stdout
    [failed] = json.loads((out / ".audiobook-tts" / "check.json").read_text())["failed"]
    assert failed["missing"] == ["at", "noon", "with", "three", "letters", "nobody", "had", "expected", "him"]
    assert failed["error_rate"] == 0.75  # 9 of 12 words


def test_redo_synthesises_the_failures_in_place_and_reassembles(capsys, rendered, monkeypatch):
    out, texts = rendered
    never = texts[4]
    _recognizers(monkeypatch, script={never: ["Doctor Watson arrived.", never]})  # the retake is right
    engines = FakeEngines()
    register_engine(FAKE_BACKEND, engines)
    work = out / ".audiobook-tts"
    [chapter_2] = (work / "chapters").glob("0002-*.wav")
    chapter_2_before = chapter_2.read_bytes()
    m4b = next(out.glob("*.m4b"))
    before = m4b.stat().st_mtime_ns
    key = next(e["key"] for e in json.loads((work / "report.json").read_text())["chunk_takes"] if e["text"] == never)
    seed = ChunkStore(work / "chunks").get(key).meta["seed"]

    code, stdout, _ = run_cli(capsys, "check", out, "--redo")
    assert code == 0
    assert "Redone" in stdout and f"{len(texts)} heard: {len(texts)} passed, 0 failed" in stdout
    assert [t for t, _ in engines.calls] == [never]  # only the failure, everything else reused
    [(_, new_seed)] = engines.calls
    assert new_seed == (seed + 7919) & 0x7FFF_FFFF  # the seed after the one already tried
    meta = ChunkStore(work / "chunks").get(key).meta
    assert (meta["attempts"], meta["kept"], meta["verify"]["passed"]) == (2, 2, True)
    assert m4b.stat().st_mtime_ns > before
    assert chapter_2.read_bytes() != chapter_2_before  # chapter 2 was assembled anew
    report = json.loads((work / "report.json").read_text())
    assert report["status"] == "complete" and report["chunks"]["synthesized"] == 1

    # The same check again: nothing to redo, nothing synthesised.
    engines.engines.clear()
    code, _, _ = run_cli(capsys, "check", out, "--redo")
    assert code == 0 and engines.calls == []


def test_redo_keeps_the_stored_take_when_no_new_one_beats_it(capsys, rendered, monkeypatch):
    out, texts = rendered
    never = texts[4]
    _recognizers(monkeypatch, script={never: ["Doctor Watson arrived at noon.", "Doctor.", "Nothing."]})
    engines = FakeEngines()
    register_engine(FAKE_BACKEND, engines)
    code, stdout, _ = run_cli(capsys, "check", out, "--redo")
    assert code == 1
    assert len(engines.calls) == 2  # max_retries = 1: two new takes, both worse
    key = next(e["key"] for e in json.loads((out / ".audiobook-tts" / "report.json").read_text())["chunk_takes"]
               if e["text"] == never)
    meta = ChunkStore(out / ".audiobook-tts" / "chunks").get(key).meta
    assert (meta["attempts"], meta["kept"]) == (3, 1)
    assert meta["verify"]["heard"] == "Doctor Watson arrived at noon."  # the stored take's hearing
    [failed] = json.loads((out / ".audiobook-tts" / "check.json").read_text())["failed"]
    assert (failed["heard"], failed["takes"]) == ("Doctor Watson arrived at noon.", 3)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.audio, self.articles, self.links = [], 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "audio":
            self.audio.append(attrs)
        if tag == "article":
            self.articles += 1
        for name in ("src", "href"):
            if name in attrs and tag != "audio":
                self.links.append(attrs[name])


def _page(capsys, rendered, monkeypatch, tmp_path):
    out, texts = rendered
    _recognizers(monkeypatch, script={texts[1]: ["Mister Jones."], texts[6]: ["The lamp was lit."]})
    page = tmp_path / "page" / "flagged.html"
    page.parent.mkdir()
    code, stdout, _ = run_cli(capsys, "check", out, "--html", page)
    assert code == 1 and page.is_file() and "Page" in stdout
    return page


def test_html_page_is_self_contained_with_a_player_per_flagged_chunk(capsys, rendered, monkeypatch, tmp_path):
    page = _page(capsys, rendered, monkeypatch, tmp_path)
    parser = _Page()
    parser.feed(page.read_text())
    assert parser.articles == 2 and len(parser.audio) == 2
    assert parser.links == []  # no stylesheet, script or image from elsewhere
    for attrs in parser.audio:
        mime, _, data = attrs["src"].partition(";base64,")
        assert mime == "data:audio/flac"
        wav, rate = soundfile.read(io.BytesIO(base64.b64decode(data)))
        assert rate == 24_000 and wav.size > rate // 2
    text = page.read_text()
    assert "Mister Jones." in text and "Chapter 1. Morning" in text and "Not heard" in text


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")
def test_html_page_plays_in_a_headless_browser_offline(capsys, rendered, monkeypatch, tmp_path):
    page = _page(capsys, rendered, monkeypatch, tmp_path)
    r = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-extensions",
         "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",  # offline: nothing outside loads
         "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    parser = _Page()
    parser.feed(r.stdout)
    assert len(parser.audio) == 2
    for attrs in parser.audio:
        assert attrs.get("data-state") == "playable", attrs.get("data-state")
        assert float(attrs["data-duration"]) > 0.5
    assert 'data-ready="2" data-failed="0"' in r.stdout


def test_check_errors_are_one_line(capsys, tmp_path, book, voice):
    code, _, err = run_cli(capsys, "check", tmp_path / "nothing")
    assert code == 2
    assert_one_line_error(err, f"{tmp_path / 'nothing'} holds no render (no "
                               f"{tmp_path / 'nothing' / '.audiobook-tts' / 'report.json'}): render a book there first")
    work = tmp_path / "half" / ".audiobook-tts"
    work.mkdir(parents=True)
    (work / "report.json").write_text(json.dumps({"status": "interrupted"}))
    code, _, err = run_cli(capsys, "check", tmp_path / "half")
    assert code == 2
    assert_one_line_error(err, f"the render in {tmp_path / 'half'} is not finished (status 'interrupted'): "
                               "run its render command again to finish it, then check")

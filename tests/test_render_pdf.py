"""A PDF made from text with a nested outline renders with the outline's chapters: M4B
markers, MP3 names and spoken titles, with every word of the text in a chunk."""

from __future__ import annotations

from pathlib import Path

from fakes import FAKE_BACKEND, FakeEngines
from pdf_builder import write_pdf
from test_ingest_pdf import NOVEL

from audiobook_tts.audio.probe import probe
from audiobook_tts.config import build_settings
from audiobook_tts.engine import register_engine
from audiobook_tts.pipeline import RenderRequest, render

TITLES = ["Part One: Chapter 1", "The Stranger", "Part Two: Chapter 3"]


def test_a_pdf_with_an_outline_renders_its_chapters(tmp_path, voice):
    book = write_pdf(tmp_path / "keeper.pdf", NOVEL, title="The Keeper's Daughter", author="Ann Author")
    engines = FakeEngines()
    register_engine(FAKE_BACKEND, engines)
    settings = build_settings("smoke", {"engine": {"backend": FAKE_BACKEND}, "output": {"format": "both"}})
    out = tmp_path / "out"
    # render() checks that the chunks cover every paragraph (the coverage check) or fails.
    report = render(RenderRequest(book=book, voice=voice, out_dir=out, settings=settings, cache_dir=tmp_path / "c"))

    assert report.status == "complete"
    assert [c["title"] for c in report.chapters] == TITLES
    m4b = next(Path(p) for p in report.outputs if p.endswith(".m4b"))
    info = probe(m4b)
    assert [c.title for c in info["chapters"]] == TITLES
    assert info["tags"].get("title") == "The Keeper's Daughter"
    assert sorted(p.name for p in (out / "mp3").glob("*.mp3")) == [
        "01 - Part One Chapter 1.mp3", "02 - The Stranger.mp3", "03 - Part Two Chapter 3.mp3",
    ]
    texts = [text for text, _seed in engines.calls]
    for title in ("Part One", "The Stranger", "Part Two"):  # each chapter opens with its title
        assert any(text.startswith(title) for text in texts), title

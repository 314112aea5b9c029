"""The language in planning and rendering: chunk identity per variant, and what the engine is told."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from audiobook_tts.config import build_settings
from audiobook_tts.engine import register_engine
from audiobook_tts.pipeline import RenderRequest, render
from audiobook_tts.plan import chunk_seed, load_book, plan_book, plan_jobs, synthesis_identity
from audiobook_tts.store import chunk_key
from fakes import FAKE_BACKEND, FakeEngine, FakeEngines

BOOK = """---
title: Deux chapitres
language: {language}
---

# Deux chapitres

## Un

Le 1er mars 1815, il paya 12,50 €. Puis il partit.

## Deux

Il revint le 2e jour.
"""


@pytest.fixture
def book(tmp_path):
    def write(language: str) -> Path:
        path = tmp_path / f"book-{language}.md"
        path.write_text(BOOK.format(language=language))
        return path

    return write


def keys(path: Path, settings) -> list[str]:
    plan = plan_book(load_book(path, settings), settings)
    return [job.key for job in plan_jobs(plan, voice_id="v", model_id="m")]


def test_standard_keys_are_as_before_languages(book):
    """The key of a standard-model chunk hashes exactly what it did before there were languages,
    so existing renders resume."""
    settings = build_settings("smoke")
    plan = plan_book(load_book(book("en"), settings), settings)
    identity = synthesis_identity(settings, "en")
    assert "language" not in identity
    before = dataclasses.asdict(settings.synthesis)
    for key in ("seed", "max_retries", "sampler"):
        before.pop(key)
    eng = settings.engine
    before.update(t3_dtype=eng.t3_dtype, s3gen_dtype=eng.s3gen_dtype, fast_decode=eng.fast_decode)
    assert identity == before
    for job in plan_jobs(plan, voice_id="v", model_id="m"):
        seed = chunk_seed(settings.synthesis.seed, job.chunk.text)
        assert job.key == chunk_key(text=job.chunk.text, voice="v", model="m", synthesis=before, seed=seed)
        assert job.language == "en"


def test_multilingual_keys_hold_the_language(book):
    ml = build_settings("smoke", {"model": {"variant": "multilingual"}})
    fr, de = keys(book("fr"), ml), keys(book("fr"), build_settings("smoke", {"model": {"variant": "multilingual"}, "text": {"language": "de"}}))
    assert synthesis_identity(ml, "fr")["language"] == "fr"
    # Same book read as German: every chunk is another take, even one whose text is the same.
    assert not set(fr) & set(de)
    assert synthesis_identity(ml, "fr") != synthesis_identity(ml, "it")


def test_engine_is_told_the_chunks_language(book, voice, tmp_path, monkeypatch):
    seen = []
    real = FakeEngine.synthesize_batch

    def spy(self, requests, voice):
        seen.extend(r.language for r in requests)
        return real(self, requests, voice)

    monkeypatch.setattr(FakeEngine, "synthesize_batch", spy)
    register_engine(FAKE_BACKEND, FakeEngines())
    settings = build_settings("smoke", {"model": {"variant": "multilingual"}, "engine": {"backend": FAKE_BACKEND}})
    report = render(RenderRequest(book=book("fr"), voice=voice, out_dir=tmp_path / "out", settings=settings,
                                  cache_dir=tmp_path / "cache"))
    assert report.status == "complete"
    assert report.book["language"] == "fr"
    assert seen and set(seen) == {"fr"}

"""Done-when checks on the real public-domain book in ../shared (skipped where it is absent)."""

import re

import pytest

from audiobook_tts.config import build_settings
from audiobook_tts.ingest import load_book
from audiobook_tts.plan import plan_book
from audiobook_tts.text.chunker import coverage_mismatch
from audiobook_tts.text.sentences import ends_with_abbreviation
from conftest import shared_file

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def planned():
    book = load_book(shared_file("books/love-among-the-chickens.epub"))
    settings = build_settings("default")
    return book, plan_book(book, settings), settings


def test_chapters_are_the_23_with_titles(planned):
    book, plan, _ = planned
    body = [c for c in book.chapters if c.kind == "body"]
    assert len(body) == 23
    assert body[0].title == "I: A Letter with a Postscript"
    assert body[-1].title == "XXIII: After the Storm"
    assert [c.title for c in book.chapters if c.kind != "body"] == ["Dedication"]
    text = " ".join(p for c in book.chapters for p in c.paragraphs)
    for unwanted in ("Standard Ebooks", "Uncopyright", "This ebook is the product", "Imprint"):
        assert unwanted not in text


def test_every_word_reaches_a_chunk_and_fits_its_bucket(planned):
    book, plan, settings = planned
    limits = settings.chunking.bucket_limits()
    order = list(limits)
    by_index = {c.index: c for c in book.chapters}
    for ch in plan.chapters:
        assert coverage_mismatch(ch.chunks, by_index[ch.index].paragraphs) is None
        for c in ch.chunks:
            assert len(c.text) <= limits[c.bucket]
            smaller = order[: order.index(c.bucket)]
            assert all(len(c.text) > limits[b] for b in smaller)
            assert not ends_with_abbreviation(c.text), c.text
            assert not re.search(r"\b(Mr|Mrs|Dr|St)\.$", c.text), c.text

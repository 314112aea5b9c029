"""Chunking a chapter: buckets, titles, pauses, long-sentence cuts, packing, no text lost."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiobook_tts.config import ChunkingOptions
from audiobook_tts.text import Chunk, bucket_for, chunk_chapter, normalize
from audiobook_tts.text.chunker import coverage_mismatch, split_long
from audiobook_tts.text.sentences import ends_with_abbreviation

DEFAULT = ChunkingOptions()
# Small limits so that short test strings exercise cutting and packing.
SMALL = ChunkingOptions(short_max_chars=20, medium_max_chars=40, long_max_chars=60, min_chars=8)


def texts(chunks: list[Chunk]) -> list[str]:
    return [c.text for c in chunks if c.kind == "text"]


@pytest.mark.parametrize(
    ("n_chars", "bucket"),
    [(1, "short"), (DEFAULT.short_max_chars, "short"), (DEFAULT.short_max_chars + 1, "medium"),
     (DEFAULT.medium_max_chars, "medium"), (DEFAULT.medium_max_chars + 1, "long"),
     (DEFAULT.long_max_chars, "long")],
)
def test_bucket_for(n_chars: int, bucket: str) -> None:
    assert bucket_for(n_chars, DEFAULT) == bucket


def test_bucket_for_refuses_oversized_text() -> None:
    with pytest.raises(ValueError, match="301 characters exceed long_max_chars=300"):
        bucket_for(301, DEFAULT)


def test_title_chunk_comes_first_and_pauses_follow_the_structure() -> None:
    chunks = chunk_chapter(4, "CHAPTER IV", ["First paragraph here.", "Second one, quite short too."], DEFAULT)
    assert [(c.kind, c.text, c.paragraph, c.pause_after) for c in chunks] == [
        ("title", "Chapter four.", -1, "title"),
        ("text", "First paragraph here.", 0, "paragraph"),
        ("text", "Second one, quite short too.", 1, "chapter"),
    ]
    assert [c.index for c in chunks] == [0, 1, 2]
    assert {c.chapter for c in chunks} == {4}


def test_title_ending_in_punctuation_gets_no_extra_full_stop() -> None:
    chunks = chunk_chapter(1, "Who Goes There?", ["Nobody at all, it seems."], DEFAULT)
    assert chunks[0].text == "Who Goes There?"


def test_read_title_false_and_empty_paragraphs() -> None:
    chunks = chunk_chapter(2, "Chapter II", ["* * *", "Only this paragraph speaks.", "  "], DEFAULT, read_title=False)
    assert [(c.text, c.paragraph, c.pause_after) for c in chunks] == [("Only this paragraph speaks.", 1, "chapter")]


def test_title_alone_ends_the_chapter() -> None:
    (chunk,) = chunk_chapter(1, "Epilogue", [], DEFAULT)
    assert (chunk.kind, chunk.text, chunk.pause_after) == ("title", "Epilogue.", "chapter")


def test_empty_title_is_not_read() -> None:
    assert [c.kind for c in chunk_chapter(1, "  ", ["Some text to read aloud."], DEFAULT)] == ["text"]


def test_title_longer_than_the_limit_is_cut_into_title_chunks() -> None:
    title = "In Which Ukridge Explains His Scheme For The Hens, And I Listen, And Then The Ducks Arrive"
    chunks = chunk_chapter(1, title, ["Text."], SMALL)
    titles = [c for c in chunks if c.kind == "title"]
    assert len(titles) > 1
    assert all(len(c.text) <= SMALL.long_max_chars for c in titles)
    assert [c.pause_after for c in titles] == ["sentence"] * (len(titles) - 1) + ["title"]
    assert " ".join(c.text for c in titles) == title + "."


def test_sentences_are_packed_up_to_medium_within_a_paragraph() -> None:
    sentence = "The hens were restless today."  # 29 chars
    chunks = chunk_chapter(1, "", [" ".join([sentence] * 4)], SMALL, read_title=False)
    # Two sentences (59 chars) would pass medium_max_chars (40): one sentence per chunk.
    assert texts(chunks) == [sentence] * 4
    assert [c.pause_after for c in chunks] == ["sentence"] * 3 + ["chapter"]
    packed = chunk_chapter(1, "", [" ".join([sentence] * 4)], DEFAULT, read_title=False)
    assert texts(packed) == [" ".join([sentence] * 4)]


def test_short_sentences_merge_with_a_neighbour_but_never_across_paragraphs() -> None:
    long_sentence = "Ukridge waved his arms about wildly."  # 36 chars
    chunks = chunk_chapter(1, "", [f"{long_sentence} Yes.", "No.", f"Why? {long_sentence}"], SMALL, read_title=False)
    assert texts(chunks) == [f"{long_sentence} Yes.", "No.", f"Why? {long_sentence}"]
    assert [c.paragraph for c in chunks] == [0, 1, 2]


def test_long_sentence_is_cut_at_a_semicolon_before_commas() -> None:
    first = "The hens, the ducks, and the geese"
    second = "the dog, the cat, and the pig slept."
    (a, b) = texts(chunk_chapter(1, "", [f"{first}; {second}"], SMALL, read_title=False))
    assert (a, b) == (f"{first};", second)


@pytest.mark.parametrize(
    ("joint", "kept"),
    [(":", ":"), (" \u2014", " -"), (",", ",")],
)
def test_long_sentence_cut_prefers_clause_marks_to_spaces(joint: str, kept: str) -> None:
    text = f"Ukridge talked about the hens at length{joint} and we listened to him patiently"
    pieces = texts(chunk_chapter(1, "", [text], SMALL, read_title=False))
    assert pieces[0].endswith(kept)
    assert " ".join(pieces) == normalize(text)


def test_cuts_are_balanced() -> None:
    text = ", ".join(["one two three"] * 8) + "."  # 119 chars, commas every 15
    pieces = texts(chunk_chapter(1, "", [text], SMALL, read_title=False))
    assert len(pieces) == 2
    assert abs(len(pieces[0]) - len(pieces[1])) <= 16


def test_sentence_without_punctuation_is_cut_between_words() -> None:
    words = [f"hen{'s' * (i % 7)}" for i in range(40)]
    pieces = texts(chunk_chapter(1, "", [" ".join(words)], SMALL, read_title=False))
    assert len(pieces) > 1
    assert all(len(p) <= SMALL.long_max_chars for p in pieces)
    assert [w for p in pieces for w in p.split()] == words


def test_only_a_word_longer_than_the_limit_is_cut_inside() -> None:
    limit = SMALL.long_max_chars
    giant = "x" * (2 * limit + 5)
    paragraph = normalize(f"Look at this: {giant} and there it ends.")
    pieces = texts(chunk_chapter(1, "", [paragraph], SMALL, read_title=False))
    assert all(len(p) <= limit for p in pieces)
    cuts_in_words, pos = [], 0
    for piece in pieces[:-1]:
        pos = paragraph.index(piece, pos) + len(piece)
        if not paragraph[pos].isspace():
            cuts_in_words.append(paragraph[pos - 1:pos + 1])
    # Three pieces of the giant word at least: exactly two cuts inside it and nowhere else.
    assert cuts_in_words == ["xx", "xx"]


@pytest.mark.parametrize(
    "paragraph",
    [
        "Mr. Darcy called at noon. Mrs. Bennet was out. Dr. Watson was in. St. Paul's rang.",
        "He wrote to J. R. R. Tolkien and H. G. Wells. They both replied at once.",
        "They came at 5 p.m. Then they left at 9 a.m. The hens were glad of it.",
        "Pi is 3.14 and e is 2.72 roughly. The hens did not care about either.",
    ],
)
def test_abbreviations_never_end_a_chunk(paragraph: str) -> None:
    tiny = ChunkingOptions(short_max_chars=10, medium_max_chars=20, long_max_chars=60, min_chars=0)
    chunks = chunk_chapter(1, "", [paragraph], tiny, read_title=False)
    assert len(chunks) > 1
    assert not [c.text for c in chunks[:-1] if ends_with_abbreviation(c.text)]
    assert coverage_mismatch(chunks, [paragraph]) is None


def test_split_long_never_cuts_after_an_abbreviation_when_it_can_avoid_it() -> None:
    text = "He said that the hens were fed by J. Smith and then by H. Jones"
    pieces = [text[s:e] for s, e in split_long(text, (0, len(text)), SMALL)]
    assert len(pieces) == 2
    assert not any(ends_with_abbreviation(p) for p in pieces)


def test_coverage_mismatch_reports_lost_and_duplicated_text() -> None:
    paragraphs = ["The hens were restless. Ukridge was not.", "Nor was I."]
    chunks = chunk_chapter(1, "Chapter I", paragraphs, SMALL)
    assert coverage_mismatch(chunks, paragraphs) is None
    lost = chunks[:-1]
    assert "differ" in coverage_mismatch(lost, paragraphs)
    duplicated = chunks + [dataclasses.replace(chunks[-1], index=len(chunks))]
    assert coverage_mismatch(duplicated, paragraphs) is not None


# --- properties on generated text ---------------------------------------------------------

_PLAIN = st.from_regex(r"[A-Za-z]{1,10}", fullmatch=True)
# An abbreviation always comes with the word after it: a run of them longer than the limit
# has no cut that avoids ending on one. Before a sentence starter ("p.m. Then") Punkt splits.
_ABBREVIATED = st.tuples(
    st.sampled_from(["Mr.", "Mrs.", "Dr.", "St.", "p.m.", "a.m.", "e.g.", "etc.", "J.", "H.", "Co.", "Jan.", "Vol."]),
    _PLAIN | st.sampled_from(["The", "Then", "He", "But"]),
).map(" ".join)
_TOKEN = st.one_of(
    _PLAIN,
    _PLAIN.map(lambda w: w + ","),
    _PLAIN.map(lambda w: w + ";"),
    _PLAIN.map(lambda w: w + ":"),
    st.sampled_from(["\u2014", "--", "...", "\u201cHe", "said\u201d", "1905", "3.14", "$5", "22nd", "50%"]),
    _ABBREVIATED,
    st.from_regex(r"[a-z]{61,130}", fullmatch=True),  # longer than SMALL.long_max_chars
)
_SENTENCE = st.tuples(st.lists(_TOKEN, min_size=1, max_size=25), st.sampled_from([".", "!", "?", ""])).map(
    lambda t: " ".join(t[0]) + t[1]
)
_PARAGRAPHS = st.lists(st.lists(_SENTENCE, max_size=6).map(" ".join), max_size=4)


def _check_chunks(chunks: list[Chunk], paragraphs: list[str], options: ChunkingOptions) -> None:
    assert coverage_mismatch(chunks, paragraphs) is None
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for i, chunk in enumerate(chunks):
        assert chunk.text and chunk.text == chunk.text.strip()
        assert len(chunk.text) <= options.long_max_chars
        assert chunk.bucket == bucket_for(len(chunk.text), options)
        last_of_paragraph = i == len(chunks) - 1 or chunks[i + 1].paragraph != chunk.paragraph
        assert chunk.pause_after != "sentence" or not last_of_paragraph
        if chunk.kind == "text" and not last_of_paragraph:
            assert not ends_with_abbreviation(chunk.text), chunk.text
    if chunks:
        assert chunks[-1].pause_after == "chapter"
    assert [c.paragraph for c in chunks] == sorted(c.paragraph for c in chunks)


@settings(max_examples=100, deadline=None)
@given(_PARAGRAPHS, st.sampled_from([DEFAULT, SMALL]), st.booleans())
def test_chunking_properties(paragraphs: list[str], options: ChunkingOptions, read_title: bool) -> None:
    chunks = chunk_chapter(1, "Chapter IX", paragraphs, options, read_title=read_title)
    _check_chunks(chunks, paragraphs, options)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=400), max_size=3), st.text(max_size=30))
def test_chunking_arbitrary_unicode(paragraphs: list[str], title: str) -> None:
    chunks = chunk_chapter(1, title, paragraphs, SMALL)
    _check_chunks(chunks, paragraphs, SMALL)

"""Plain-text and Markdown ingest: encodings, chapter headings, Gutenberg header, markup."""

from __future__ import annotations

import pytest

from audiobook_tts.ingest import load_book

STORY = """\
CHAPTER I.

THE START

It was a dark and stormy night; the rain fell in torrents, except at
occasional intervals, when it was checked by a violent gust of wind.[1]

[Illustration: A storm]

"Café," she said, _quite_ sure.

[Footnote 1: A note that is not read inline.]

CHAPTER II. The End

And that was that.
"""


def _titles(book) -> list[str]:
    return [c.title for c in book.chapters]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"])
def test_encodings_decode_to_the_same_book(tmp_path, encoding):
    path = tmp_path / "story.txt"
    path.write_bytes(STORY.encode(encoding))
    book = load_book(path)
    assert book.format == "text"
    assert _titles(book) == ["CHAPTER I. THE START", "CHAPTER II. The End"]
    assert book.chapters[0].paragraphs == (
        "It was a dark and stormy night; the rain fell in torrents, except at occasional intervals, "
        "when it was checked by a violent gust of wind.",
        '"Café," she said, quite sure.',
    )
    assert book.chapters[1].paragraphs == ("And that was that.",)
    assert book.meta.title == "story"


@pytest.mark.parametrize(
    "heading",
    [
        "Chapter 1",
        "CHAPTER IV",
        "Chapter One",
        "Chapter Twenty-Three: Fog",
        "IV",
        "I.",
        "Part 2",
        "PROLOGUE",
        "Epilogue",
        "Chapter the First",
        "CHAPTER THE LAST",
        "Chapter Twenty-First",
        "CHAPTER I.",
        "BOOK I.",
        "PART ONE",
        "Part the Second",
        "Stave III: The Second of the Three Spirits",
    ],
)
def test_heading_styles_start_chapters(tmp_path, heading):
    path = tmp_path / "h.txt"
    path.write_text(f"{heading}\n\nFirst text.\n\nSecond text.\n\nX\n\nLast text.\n")
    book = load_book(path)
    assert _titles(book)[0] == heading
    assert book.chapters[0].paragraphs[:2] == ("First text.", "Second text.")


@pytest.mark.parametrize(
    "line", ["Part 2 of the plan was simple.", "Introduction of the new manager, at last.", "Book one sold well!"]
)
def test_sentences_that_start_like_headings_are_text(tmp_path, line):
    path = tmp_path / "s.txt"
    path.write_text(f"Chapter 1\n\nIt began.\n\n{line}\n\nIt ended.\n")
    book = load_book(path)
    assert [(c.title, c.paragraphs) for c in book.chapters] == [("Chapter 1", ("It began.", line, "It ended."))]


@pytest.mark.parametrize(
    "text, titles",
    [
        ("BOOK ONE\n\nChapter I\n\nIt began.\n\nChapter II\n\nIt went on.\n\nBOOK TWO\n\nChapter I\n\nIt ended.\n",
         ["BOOK ONE: Chapter I", "Chapter II", "BOOK TWO: Chapter I"]),
        ("Book One\n\nCHAPTER THE FIRST\n\nIt began.\n", ["Book One: CHAPTER THE FIRST"]),
        ("PART ONE\n\nCHAPTER I.\n\nIt began.\n\nPART TWO\n\nCHAPTER II.\n\nIt went on.\n",
         ["PART ONE: CHAPTER I.", "PART TWO: CHAPTER II."]),
        ("Part the First\n\nChapter I\n\nIt began.\n\nPart the Second\n\nChapter II\n\nIt went on.\n",
         ["Part the First: Chapter I", "Part the Second: Chapter II"]),
        ("BOOK I.\n\nCHAPTER I.\n\nIt began.\n", ["BOOK I. CHAPTER I."]),
        # A part with text of its own is a chapter; nothing is carried.
        ("PART ONE\n\nA prologue to the part.\n\nChapter 1\n\nIt began.\n", ["PART ONE", "Chapter 1"]),
    ],
)
def test_book_and_part_headings_carry_into_the_next_chapter(tmp_path, text, titles):
    path = tmp_path / "parts.txt"
    path.write_text(text)
    assert _titles(load_book(path)) == titles


def test_heading_followed_by_first_line_of_text(tmp_path):
    path = tmp_path / "h.txt"
    path.write_text("Chapter 1\nThe rain came down all night long and nobody in the house slept at all.\n")
    book = load_book(path)
    assert _titles(book) == ["Chapter 1"]
    assert book.chapters[0].paragraphs == ("The rain came down all night long and nobody in the house slept at all.",)


def test_no_headings_one_chapter_titled_by_first_line(tmp_path):
    path = tmp_path / "tale.txt"
    path.write_text("The Short Tale\n\nOnce upon a time.\n\nThe end.\n")
    book = load_book(path)
    assert [(c.title, c.paragraphs) for c in book.chapters] == [("The Short Tale", ("Once upon a time.", "The end."))]


def test_no_headings_no_title_line_uses_file_stem(tmp_path):
    path = tmp_path / "my-notes.txt"
    path.write_text("Once upon a time, hard\nwrapped.\n\nThe end.\n")
    book = load_book(path)
    assert [(c.title, c.paragraphs) for c in book.chapters] == [
        ("my-notes", ("Once upon a time, hard wrapped.", "The end."))
    ]


def test_gutenberg_header_footer_and_contents(tmp_path):
    path = tmp_path / "pg.txt"
    path.write_text(
        "The Project Gutenberg eBook of Test Book\n\nTitle: Test Book: A Story\n       of Things\n"
        "Author: Jane Doe\nLanguage: English\n\n*** START OF THE PROJECT GUTENBERG EBOOK TEST BOOK ***\n\n"
        "TEST BOOK\n\nby Jane Doe\n\nCONTENTS\n\nCHAPTER I. The Start\nCHAPTER II. The End\n\n"
        + STORY
        + "\n*** END OF THE PROJECT GUTENBERG EBOOK TEST BOOK ***\n\nThe Full Project Gutenberg License\n"
    )
    book = load_book(path)
    assert (book.meta.title, book.meta.authors, book.meta.language) == (
        "Test Book: A Story of Things",
        ("Jane Doe",),
        "en",
    )
    assert _titles(book) == ["CHAPTER I. THE START", "CHAPTER II. The End"]
    assert book.chapters[-1].paragraphs == ("And that was that.",)
    assert book.skipped == ("text before the first chapter", "CONTENTS")
    kept = load_book(path, include_front_matter=True)
    assert [(c.title, c.kind) for c in kept.chapters[:2]] == [("TEST BOOK", "front"), ("CONTENTS", "front")]


LICENCE = (
    "Updated editions will replace the previous one--the old editions will be renamed.\n\n"
    "START: FULL LICENSE\n\nTHE FULL PROJECT GUTENBERG LICENSE\n\nSection 1. General Terms of Use\n"
)


@pytest.mark.parametrize(
    "head, tail",
    [
        # The current form.
        ("*** START OF THE PROJECT GUTENBERG EBOOK TEST ***", "*** END OF THE PROJECT GUTENBERG EBOOK TEST ***"),
        # The 2000s form, with the "End of the Project Gutenberg EBook" line before the marker.
        (
            "*** START OF THIS PROJECT GUTENBERG EBOOK TEST ***",
            "End of the Project Gutenberg EBook of Test, by Jane Doe\n\n"
            "*** END OF THIS PROJECT GUTENBERG EBOOK TEST ***",
        ),
        ("***START OF THE PROJECT GUTENBERG EBOOK TEST***", "***END OF THE PROJECT GUTENBERG EBOOK TEST***"),
        # The 1990s form: the small print first, then the text, then only an "End of" line.
        (
            "**Welcome To The World of Free Plain Vanilla Electronic Texts**\n\n"
            "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*",
            "End of The Project Gutenberg Etext of Test",
        ),
        # No start marker at all, but the trailer is there.
        ("", "End of Project Gutenberg's Test, by Jane Doe"),
    ],
)
def test_gutenberg_header_and_licence_forms(tmp_path, head, tail):
    path = tmp_path / "pg.txt"
    path.write_text(f"The Project Gutenberg EBook of Test\n\nTitle: Test\n\n{head}\n\n{STORY}\n{tail}\n\n{LICENCE}")
    book = load_book(path)
    assert _titles(book) == ["CHAPTER I. THE START", "CHAPTER II. The End"]
    assert book.chapters[-1].paragraphs == ("And that was that.",)
    assert "Gutenberg" not in " ".join(p for c in book.chapters for p in c.paragraphs)


def test_contents_list_of_parts_does_not_leak_into_titles(tmp_path):
    path = tmp_path / "parts.txt"
    path.write_text(
        "CONTENTS\n\nPART I\n\nCHAPTER I. A Letter\n\nPART II\n\nCHAPTER II. Mr. and Mrs.\n\n"
        "PART I\n\nCHAPTER I.\n\nA LETTER\n\nText one.\n\nPART II\n\nCHAPTER II.\n\nText two.\n"
    )
    book = load_book(path)
    assert _titles(book) == ["PART I: CHAPTER I. A LETTER", "PART II: CHAPTER II."]
    assert book.skipped == ("CONTENTS",)


def test_untitled_preface_before_first_chapter_is_narrated(tmp_path):
    preface = " ".join(["This preface has many words of real prose in it."] * 6)
    path = tmp_path / "p.txt"
    path.write_text(f"A Book\n\n{preface}\n\nChapter 1\n\nStory.\n")
    book = load_book(path)
    assert [(c.title, c.kind) for c in book.chapters] == [("A Book", "front"), ("Chapter 1", "body")]
    assert book.chapters[0].paragraphs == (preface,)


MARKDOWN = """\
---
title: "The Lighthouse"
authors:
  - Ann One
  - Bob Two
lang: en-US
---
# The Lighthouse Keeper

An *opening* line with a [link](http://x.org) and ![pic](a.png) image.[^1]

## Chapter 1: Fog

Text with **bold** and `code`
continued line.\\
Hard break here.

> quoted text

- item one
- item two

```
Roses are red,
  violets are blue
```

[^1]: A footnote.

<div>raw <b>html</b> block</div>

### Subhead

## Chapter 2

End.
"""


def test_markdown_title_chapters_and_markup(tmp_path):
    path = tmp_path / "book.md"
    path.write_text(MARKDOWN)
    book = load_book(path)
    assert book.format == "markdown"
    assert (book.meta.title, book.meta.authors, book.meta.language) == ("The Lighthouse", ("Ann One", "Bob Two"), "en")
    assert [(c.title, c.kind) for c in book.chapters] == [
        ("The Lighthouse Keeper", "front"),
        ("Chapter 1: Fog", "body"),
        ("Chapter 2", "body"),
    ]
    assert book.chapters[0].paragraphs == ("An opening line with a link and image.",)
    assert book.chapters[1].paragraphs == (
        "Text with bold and code continued line.\nHard break here.",
        "quoted text",
        "item one",
        "item two",
        "Roses are red,\nviolets are blue",
        "raw html block",
        "Subhead",
    )


def test_markdown_repeated_top_level_headings_are_chapters(tmp_path):
    path = tmp_path / "story.markdown"
    path.write_text("# One\n\nA.\n\n## Scene\n\nB.\n\n# Two\n\nC.\n\n# Contents\n\nOne, Two\n")
    book = load_book(path)
    assert [(c.title, c.paragraphs) for c in book.chapters] == [("One", ("A.", "Scene", "B.")), ("Two", ("C.",))]
    assert book.meta.title == "story"
    assert book.skipped == ("Contents",)


def test_markdown_without_headings(tmp_path):
    path = tmp_path / "note.md"
    path.write_text("Just *one* paragraph.\n")
    book = load_book(path)
    assert [(c.title, c.paragraphs) for c in book.chapters] == [("note", ("Just one paragraph.",))]


def test_markdown_without_front_matter_has_no_authors(tmp_path):
    p = tmp_path / "b.md"
    p.write_text("# Fault Lines\n\n## One\n\nText here.\n")
    assert load_book(p).meta.authors == ()

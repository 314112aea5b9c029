"""Tables of contents: nesting (toc.py's rule), nav vs NCX, and where each chapter's text starts."""

from __future__ import annotations

import re

import pytest
from ingest_epub_builder import Doc, Toc, page, write_epub

from audiobook_tts.ingest import load_book
from audiobook_tts.ingest.toc import Node, is_bare_label, titled_targets


def _titles(book) -> list[str]:
    return [c.title for c in book.chapters]


def _words(texts) -> list[str]:
    return sorted(re.findall(r"\w+", " ".join(texts).casefold()))


# --- the rule, format-independent ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "bare"),
    [
        ("I", True),
        ("II.", True),
        ("XIV", True),
        ("3", True),
        ("[IV]", True),
        ("Part 2", True),
        ("Book One", True),
        ("CHAPTER XII.", True),
        ("Chapter the Third", True),
        ("One", True),
        ("Twenty-One", True),
        ("", True),
        ("The Arrival", False),
        ("Part II: The Return", False),
        ("Chapter 1: The Storm", False),
        # Titles that begin like numbers but are words.
        ("The First Snow", False),
        ("One Day", False),
        ("The Final Problem", False),
        ("Mild", False),
        ("Civil", False),
    ],
)
def test_is_bare_label(title, bare):
    assert is_bare_label(title) is bare


def _n(title, target, *children):
    return Node(title, target, tuple(children))


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        pytest.param(
            [_n("The Gift of the Magi", "s", _n("I", "s1"), _n("II", "s2")), _n("The Ransom", "r")],
            [
                ("The Gift of the Magi", "s"),
                ("The Gift of the Magi: I", "s1"),
                ("The Gift of the Magi: II", "s2"),
                ("The Ransom", "r"),
            ],
            id="story-in-parts",
        ),
        pytest.param(
            [
                _n("Book One", "b1", _n("Chapter 1", "c1"), _n("The Storm", "c2")),
                _n("Book Two", "b2", _n("Chapter 1", "c3")),
            ],
            [
                ("Book One", "b1"),
                ("Book One: Chapter 1", "c1"),
                ("The Storm", "c2"),
                ("Book Two", "b2"),
                ("Book Two: Chapter 1", "c3"),
            ],
            id="novel-in-books",
        ),
        pytest.param(
            [_n("Interlude", "x", _n("Interlude", "y"))],
            [("Interlude", "x"), ("Interlude: Interlude", "y")],
            id="repeated-title-is-qualified",
        ),
        pytest.param(
            [_n("Story", "s", _n("I", "s"), _n("II", "t"))],
            [("Story: I", "s"), ("Story: II", "t")],
            id="parent-merges-with-bare-child-at-same-place",
        ),
        pytest.param(
            [_n("Part One", "p", _n("The Arrival", "p"))],
            [("Part One: The Arrival", "p")],
            id="parent-merges-with-titled-child-at-same-place",
        ),
        pytest.param(
            [_n("Part One", None, _n("I", "a"), _n("II", "b"))],
            [("Part One: I", "a"), ("Part One: II", "b")],
            id="parent-without-place-starts-at-first-child",
        ),
        pytest.param(
            [_n("Lost", None), _n("Found", "f", _n("Gone", None))],
            [("Found", "f")],
            id="entries-without-place-or-children-drop-out",
        ),
    ],
)
def test_titled_targets(tree, expected):
    assert titled_targets(tree) == expected


def test_titled_targets_same_place_is_the_callers():
    tree = [_n("Story", ("s", None), _n("I", ("s", "p1")), _n("II", ("s", "p2")))]
    at_start = {("s", None), ("s", "p1")}
    merged = titled_targets(tree, same_place=lambda a, b: a in at_start and b in at_start)
    assert merged == [("Story: I", ("s", None)), ("Story: II", ("s", "p2"))]


# --- nested EPUB tables of contents -------------------------------------------------------------

STORY = (
    '<h2>The Gift of the Magi</h2><h3 id="p1">I</h3><p>One dollar and eighty-seven cents.</p>'
    '<h3 id="p2">II</h3><p>Della finished her cry.</p>'
    '<div><div id="p3"><h3>III</h3><p>The magi were wise.</p></div></div>'
)


@pytest.mark.parametrize("version", [2, 3])
def test_story_in_parts_inside_one_file_is_named_after_the_story(tmp_path, version):
    toc = [
        Toc(
            "The Gift of the Magi",
            "s.xhtml",
            [Toc("I", "s.xhtml#p1"), Toc("II", "s.xhtml#p2"), Toc("III", "s.xhtml#p3")],
        ),
        Toc("The Ransom", "r.xhtml"),
    ]
    docs = [Doc("s.xhtml", STORY), Doc("r.xhtml", "<h2>The Ransom</h2><p>It looked like a good thing.</p>")]
    book = load_book(write_epub(tmp_path / "b.epub", docs, toc=toc, version=version))
    assert [(c.title, c.paragraphs) for c in book.chapters] == [
        ("The Gift of the Magi: I", ("One dollar and eighty-seven cents.",)),
        ("The Gift of the Magi: II", ("Della finished her cry.",)),
        ("The Gift of the Magi: III", ("The magi were wise.",)),
        ("The Ransom", ("It looked like a good thing.",)),
    ]


@pytest.mark.parametrize("version", [2, 3])
def test_novel_in_books_names_repeated_chapters_after_their_book(tmp_path, version):
    docs = [
        Doc("b1.xhtml", "<h1>Book One</h1>"),
        Doc("c1.xhtml", "<h2>Chapter 1</h2><p>Alpha.</p>"),
        Doc("c2.xhtml", "<h2>Chapter 2</h2><p>Beta.</p>"),
        Doc("b2.xhtml", "<h1>Book Two</h1>"),
        Doc("c3.xhtml", "<h2>Chapter 1</h2><p>Gamma.</p>"),
        Doc("c4.xhtml", "<h2>The Last Word</h2><p>Delta.</p>"),
    ]
    toc = [
        Toc("Book One", "b1.xhtml", [Toc("Chapter 1", "c1.xhtml"), Toc("Chapter 2", "c2.xhtml")]),
        Toc("Book Two", "b2.xhtml", [Toc("Chapter 1", "c3.xhtml"), Toc("The Last Word", "c4.xhtml")]),
    ]
    book = load_book(write_epub(tmp_path / "b.epub", docs, toc=toc, version=version))
    assert _titles(book) == ["Book One: Chapter 1", "Book One: Chapter 2", "Book Two: Chapter 1", "The Last Word"]
    assert [c.paragraphs for c in book.chapters] == [("Alpha.",), ("Beta.",), ("Gamma.",), ("Delta.",)]


def test_heading_only_nav_entry_names_its_bare_children(tmp_path):
    docs = [Doc("a.xhtml", "<h2>I</h2><p>Alpha.</p>"), Doc("b.xhtml", "<h2>II</h2><p>Beta.</p>")]
    toc = [Toc("Part One", "", [Toc("I", "a.xhtml"), Toc("II", "b.xhtml")])]
    book = load_book(write_epub(tmp_path / "b.epub", docs, toc=toc))
    assert _titles(book) == ["Part One: I", "Part One: II"]


def test_bare_toc_entry_takes_the_fuller_heading_after_its_parent(tmp_path):
    docs = [Doc("a.xhtml", "<h2>I. The Beginning</h2><p>Alpha.</p>"), Doc("b.xhtml", "<h2>II</h2><p>Beta.</p>")]
    toc = [Toc("Story", "", [Toc("I", "a.xhtml"), Toc("II", "b.xhtml")])]
    book = load_book(write_epub(tmp_path / "b.epub", docs, toc=toc))
    assert _titles(book) == ["Story: I. The Beginning", "Story: II"]
    assert [c.paragraphs for c in book.chapters] == [("Alpha.",), ("Beta.",)]


def test_nested_titles_reach_the_spoken_title_and_file_names(tmp_path):
    from audiobook_tts.config import build_settings
    from audiobook_tts.plan import plan_book
    from audiobook_tts.publish import safe_filename

    toc = [Toc("The Gift of the Magi", "s.xhtml", [Toc("I", "s.xhtml#p1"), Toc("II", "s.xhtml#p2")])]
    book = load_book(write_epub(tmp_path / "b.epub", [Doc("s.xhtml", STORY)], toc=toc))
    plan = plan_book(book, build_settings("default"))
    spoken = [" ".join(c.text for c in ch.chunks if c.kind == "title") for ch in plan.chapters]
    assert all("Gift of the Magi" in s for s in spoken), spoken
    names = [safe_filename(c.title) for c in book.chapters]
    assert len(set(names)) == len(names) and all("Gift of the Magi" in n for n in names)


# --- which table of contents --------------------------------------------------------------------

DOCS = [Doc("a.xhtml", "<p>Alpha text.</p>"), Doc("b.xhtml", "<p>Beta text.</p>")]
NAV_TOC = [Toc("Nav One", "a.xhtml"), Toc("Nav Two", "b.xhtml")]
NCX_TOC = [Toc("Ncx One", "a.xhtml"), Toc("Ncx Two", "b.xhtml")]


def _nav_doc(inner: str) -> str:
    return page(inner, title="Contents")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({}, ["Nav One", "Nav Two"], id="nav-wins-when-it-resolves"),
        pytest.param({"nav_attrs": ""}, ["Nav One", "Nav Two"], id="nav-without-epub-type-toc"),
        pytest.param({"nav_attrs": 'role="doc-toc"'}, ["Nav One", "Nav Two"], id="nav-with-aria-role"),
        pytest.param(
            {"nav": _nav_doc('<ol><li><a href="a.xhtml">Nav One</a></li><li><a href="b.xhtml">Nav Two</a></li></ol>')},
            ["Nav One", "Nav Two"],
            id="nav-document-without-nav-element",
        ),
        pytest.param(
            {
                "nav": _nav_doc(
                    '<nav epub:type="landmarks"><ol><li><a href="b.xhtml">Start</a></li></ol></nav>'
                    '<nav><ol><li><a href="a.xhtml">Nav One</a></li><li><a href="b.xhtml">Nav Two</a></li></ol></nav>'
                )
            },
            ["Nav One", "Nav Two"],
            id="first-nav-that-is-not-landmarks",
        ),
        pytest.param({"toc": []}, ["Ncx One", "Ncx Two"], id="empty-nav-falls-back-to-ncx"),
        pytest.param(
            {
                "toc": [
                    Toc("Gone", "missing.xhtml"),
                    Toc("Web", "https://example.com/a.xhtml"),
                    Toc("Bad", "http://[x/a"),
                ]
            },
            ["Ncx One", "Ncx Two"],
            id="nav-pointing-nowhere-falls-back-to-ncx",
        ),
        pytest.param(
            {"nav": _nav_doc('<nav epub:type="landmarks"><ol><li><a href="a.xhtml">Start</a></li></ol></nav>')},
            ["Ncx One", "Ncx Two"],
            id="nav-with-only-landmarks-falls-back-to-ncx",
        ),
        pytest.param({"nav": "<html><body><p>broken"}, ["Ncx One", "Ncx Two"], id="broken-nav-falls-back-to-ncx"),
    ],
)
def test_nav_or_ncx(tmp_path, kwargs, expected):
    kwargs = {"toc": NAV_TOC, "ncx_toc": NCX_TOC, **kwargs}
    book = load_book(write_epub(tmp_path / "b.epub", DOCS, **kwargs))
    assert _titles(book) == expected
    assert [c.paragraphs for c in book.chapters] == [("Alpha text.",), ("Beta text.",)]


def test_neither_nav_nor_ncx_resolving_means_no_toc(tmp_path):
    path = write_epub(tmp_path / "b.epub", DOCS, toc=[], ncx_toc=[Toc("Gone", "missing.xhtml")])
    assert [(c.title, c.paragraphs) for c in load_book(path).chapters] == [("Chapter 1", ("Alpha text.", "Beta text."))]


def test_nav_links_with_escapes_and_parent_folders_resolve(tmp_path):
    docs = [Doc("text/chapter one.xhtml", '<p>Lead.</p><p id="s 2">Alpha.</p>'), Doc("text/b.xhtml", "<p>Beta.</p>")]
    nav = _nav_doc(
        '<nav epub:type="toc"><ol><li><a href="text/chapter%20one.xhtml">One</a></li>'
        '<li><a href="./text/../text/chapter%20one.xhtml#s%202">One, later</a></li>'
        '<li><a href="text/b.xhtml">Two</a></li></ol></nav>'
    )
    book = load_book(write_epub(tmp_path / "b.epub", docs, nav=nav))
    assert [(c.title, c.paragraphs) for c in book.chapters] == [
        ("One", ("Lead.",)),
        ("One, later", ("Alpha.",)),
        ("Two", ("Beta.",)),
    ]


# --- where each chapter's text starts -----------------------------------------------------------


@pytest.mark.parametrize(
    ("untitled", "expected"),
    [
        # A file no entry names continues the chapter before it...
        pytest.param(
            "<p>More of one.</p>", [("One", ("One text.", "More of one.")), ("Two", ("Two text.",))], id="continuation"
        ),
        pytest.param(
            "<h4>A Letter</h4><p>More of one.</p>",
            [("One", ("One text.", "A Letter", "More of one.")), ("Two", ("Two text.",))],
            id="minor-heading-continues",
        ),
        # ...unless it opens with its own chapter heading.
        pytest.param(
            "<h2>Interlude</h2><p>Between.</p>",
            [("One", ("One text.",)), ("Interlude", ("Between.",)), ("Two", ("Two text.",))],
            id="own-heading-own-chapter",
        ),
    ],
)
def test_spine_files_missing_from_the_toc_are_narrated(tmp_path, untitled, expected):
    docs = [
        Doc("one.xhtml", "<h2>One</h2><p>One text.</p>"),
        Doc("extra.xhtml", untitled),
        Doc("two.xhtml", "<h2>Two</h2><p>Two text.</p>"),
    ]
    toc = [Toc("One", "one.xhtml"), Toc("Two", "two.xhtml")]
    book = load_book(write_epub(tmp_path / "b.epub", docs, toc=toc))
    assert [(c.title, c.paragraphs) for c in book.chapters] == expected


def test_untitled_files_before_the_first_entry_and_after_matter_are_kept(tmp_path):
    docs = [
        Doc("opening.xhtml", "<p>An untitled opening.</p>"),
        Doc("one.xhtml", "<h2>One</h2><p>One text.</p>"),
        Doc("contents.xhtml", "<h2>Contents</h2><p>One</p>", body_attrs='epub:type="toc"'),
        Doc("after.xhtml", "<p>After the contents.</p>"),
    ]
    book = load_book(write_epub(tmp_path / "b.epub", docs, toc=[Toc("One", "one.xhtml")]))
    assert [(c.title, c.paragraphs) for c in book.chapters] == [
        ("Chapter 1", ("An untitled opening.",)),
        ("One", ("One text.",)),
        ("Chapter 3", ("After the contents.",)),
    ]


def test_anchors_in_the_middle_of_a_file_cut_it_where_they_stand(tmp_path):
    body = (
        "<p>End of the previous chapter.</p>"
        '<div><section><p>Still previous. <a id="two"/>Two starts mid-paragraph.</p><p>Two goes on.</p></section>'
        '<section><h3><span id="three">Three</span></h3><p>Three text.</p></section></div>'
    )
    docs = [Doc("one.xhtml", "<h2>One</h2><p>One text.</p>"), Doc("mixed.xhtml", body)]
    # TOC order need not match the order in the file; the file decides.
    toc = [Toc("One", "one.xhtml"), Toc("Three", "mixed.xhtml#three"), Toc("Two", "mixed.xhtml#two")]
    book = load_book(write_epub(tmp_path / "b.epub", docs, toc=toc))
    assert [(c.title, c.paragraphs) for c in book.chapters] == [
        ("One", ("One text.", "End of the previous chapter.", "Still previous.")),
        ("Two", ("Two starts mid-paragraph.", "Two goes on.")),
        ("Three", ("Three text.",)),
    ]


def test_entry_whose_fragment_is_missing_titles_its_file(tmp_path):
    docs = [Doc("a.xhtml", "<p>Alpha.</p>"), Doc("b.xhtml", "<p>Beta.</p>")]
    toc = [Toc("One", "a.xhtml#nowhere"), Toc("Two", "b.xhtml")]
    book = load_book(write_epub(tmp_path / "b.epub", docs, toc=toc))
    assert [(c.title, c.paragraphs) for c in book.chapters] == [("One", ("Alpha.",)), ("Two", ("Beta.",))]


@pytest.mark.parametrize("version", [2, 3])
def test_no_word_is_lost_whatever_the_toc_points_at(tmp_path, version):
    docs = [
        Doc("front.xhtml", "<p>Before anything.</p>"),
        Doc("s.xhtml", STORY),
        Doc("loose.xhtml", "<p>A loose file.</p><h3>Aside</h3><p>Aside text.</p>"),
        Doc("r.xhtml", '<p>Lead-in.</p><h2 id="r">The Ransom</h2><p>It looked like a good thing.</p>'),
    ]
    toc = [
        Toc(
            "The Gift of the Magi",
            "s.xhtml",
            [Toc("I", "s.xhtml#p1"), Toc("II", "s.xhtml#p2"), Toc("III", "s.xhtml#p3")],
        ),
        Toc("The Ransom", "r.xhtml#r"),
    ]
    book = load_book(write_epub(tmp_path / "b.epub", docs, toc=toc, version=version))
    got = [w for c in book.chapters for w in _words([c.title, *c.paragraphs])]
    source = [re.sub(r"<[^>]+>", " ", d.body) for d in docs]
    # Every word of the text is narrated; only the story's heading moves into its chapters' titles.
    assert set(_words(source)) <= set(got)
    assert _titles(book)[-1] == "The Ransom"

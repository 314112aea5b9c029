"""The book file (BOOK.audiobook.toml): init, settings precedence, lexicon, chapter edits,
exact one-line errors, and re-rendering only what a lexicon entry changed."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from audiobook_tts.bookfile import is_book_file, load_book_file
from audiobook_tts.config import build_settings
from audiobook_tts.engine import register_engine
from audiobook_tts.pipeline import RenderRequest, render as run_render
from audiobook_tts.plan import load_book, plan_book
from audiobook_tts.text.lexicon import Lexicon, rule_entry, word_entry
from fakes import FAKE_BACKEND, FakeEngines
from test_cli import assert_one_line_error, run_cli

HEAD = 'book = "book.md"\nprofile = "default"\n'


def write(tmp_path: Path, text: str, name: str = "book.audiobook.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def plan_json(capsys, *args) -> tuple[dict, str]:
    code, out, err = run_cli(capsys, "plan", *args, "--json")
    assert code == 0, err
    return json.loads(out), err


# --------------------------------------------------------------------------- init


def test_init_round_trips(capsys, book):
    code, out, _ = run_cli(capsys, "init", book)
    assert code == 0
    file = book.with_name("book.audiobook.toml")
    assert out.strip() == f"Wrote {file}"
    text = file.read_text()
    assert "# Title:    Three Small Chapters" in text and "# Authors:  Test Author" in text
    assert 'book = "book.md"\nprofile = "default"\n' in text
    assert '[lexicon]' in text and '# narrator = "voice.wav"' in text
    assert text.count("[[chapters]]") == 3 and '# spoken_title = "Chapter 2. Noon"' in text
    assert plan_json(capsys, file) == plan_json(capsys, book)
    code, chapters_from_file, _ = run_cli(capsys, "chapters", file, "--json")
    assert chapters_from_file == run_cli(capsys, "chapters", book, "--json")[1]


def test_init_out_and_voice(capsys, book, voice):
    target = book.parent / "sub" / "mine.toml"
    target.parent.mkdir()
    assert run_cli(capsys, "init", book, "--voice", voice, "--out", target)[0] == 0
    assert is_book_file(target)  # a plain .toml with a top-level `book`
    bf = load_book_file(target)
    assert bf.book == target.parent / "../book.md"
    assert bf.narrator == target.parent / "../voice.wav"
    assert 'narrator = "../voice.wav"' in target.read_text()


def test_init_refuses_to_overwrite(capsys, book):
    file = book.with_name("book.audiobook.toml")
    file.write_text("mine")
    code, _, err = run_cli(capsys, "init", book)
    assert code == 5
    assert_one_line_error(err, f"{file} already exists; edit it, or remove it to start again")
    assert file.read_text() == "mine"


# --------------------------------------------------------------------------- settings


def test_file_names_profile_and_flags_override_it(capsys, book):
    file = write(book.parent, 'book = "book.md"\nprofile = "smoke"\n[text]\nlanguage = "fr"\n[chunking]\nmedium_max_chars = 150\n')
    data, _ = plan_json(capsys, file)
    assert data["profile"] == "smoke"
    assert data["book"]["language"] == "fr"
    assert data["buckets"]["medium"]["max_chars"] == 150
    data, _ = plan_json(capsys, file, "--profile", "default", "--language", "en")
    assert data["profile"] == "default"
    assert data["book"]["language"] == "en"
    assert data["buckets"]["medium"]["max_chars"] == 150  # the file still beats the profile


# --------------------------------------------------------------------------- lexicon


def test_lexicon_whole_words_and_case():
    lower = Lexicon((word_entry("colonel", "kernel"),))
    assert lower.apply("The colonel, Colonel and COLONEL; colonels.") == "The kernel, Kernel and Kernel; colonels."
    exact = Lexicon((word_entry("Reading", "Redding"),))
    assert exact.apply("Reading is in Reading, reading.") == "Redding is in Redding, reading."
    assert Lexicon((word_entry("AT&T", "A T and T"),)).apply("Call AT&T now") == "Call A T and T now"


def test_lexicon_rules_and_counts():
    counts: Counter[str] = Counter()
    lex = Lexicon((word_entry("hen", "chicken"), rule_entry(r"\bch\. (\d+)", r"chapter \1")))
    assert lex.apply("A hen; see ch. 3 and ch. 12.", counts) == "A chicken; see chapter 3 and chapter 12."
    assert counts == {"hen": 1, r"\bch\. (\d+)": 2}


LEXICON_FILE = HEAD + r'''
[lexicon]
"hens" = "chickens"
"lamp" = "lantern"
"zebra" = "horse"

[[lexicon.rules]]
pattern = "\\bnoon\\b"
replace = "midday"
'''


def test_plan_counts_lexicon_and_warns_of_entries_never_fired(capsys, book):
    file = write(book.parent, LEXICON_FILE)
    data, err = plan_json(capsys, file)
    assert data["lexicon"] == {"hens": 1, "lamp": 1, "zebra": 0, r"\bnoon\b": 1}
    assert err.strip() == "Warning: lexicon entries that never fired (typos?): zebra"
    texts = [c["text"] for ch in data["chapters"] for c in ch["chunks"]]
    assert any("The chickens ran out" in t for t in texts)
    assert any("The lantern was lit." in t for t in texts)
    assert any("at midday" in t for t in texts)
    assert any(t.startswith("Chapter two.") and t.endswith(" Noon.") for t in texts)  # the rule is case-sensitive
    code, out, _ = run_cli(capsys, "plan", file)
    assert code == 0
    assert "Lexicon 'hens': 1 time" in out and "Lexicon 'zebra': 0 times" in out
    assert "lexicon" not in plan_json(capsys, book)[0]


# --------------------------------------------------------------------------- chapters


CHAPTERS_FILE = HEAD + '''
[[chapters]]
index = 2
include = false

[[chapters]]
index = 3
title = "Finale"
spoken_title = "And at last, night"
'''


def test_chapter_include_title_and_spoken_title(capsys, book):
    file = write(book.parent, CHAPTERS_FILE)
    data, _ = plan_json(capsys, file)
    assert [(c["index"], c["title"]) for c in data["chapters"]] == [(1, "Chapter 1. Morning"), (3, "Finale")]
    assert data["chapters"][1]["chunks"][0]["text"] == "And at last, night."
    assert [c["index"] for c in plan_json(capsys, file, "--chapters", "3")[0]["chapters"]] == [3]
    code, out, _ = run_cli(capsys, "chapters", file, "--json")
    assert [(c["index"], c["title"]) for c in json.loads(out)["chapters"]] == [(1, "Chapter 1. Morning"), (3, "Finale")]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "body, message",
    [
        (HEAD + "narator = 'x'\n", "{f}:3: unknown key 'narator' (known: book, profile, lexicon, voices, chapters, "
         "model, engine, synthesis, chunking, text, pauses, output, verify)"),
        (HEAD + "[voice]\nnarrator = 'a.wav'\n", "{f}:3: unknown key 'voice' (known: book, profile, lexicon, voices, "
         "chapters, model, engine, synthesis, chunking, text, pauses, output, verify)"),
        (HEAD + "[[chapters]]\nindex = 1\ntitel = 'x'\n", "{f}:5: unknown key 'titel' in [[chapters]] "
         "(known: index, include, title, spoken_title)"),
        (HEAD + "[[chapters]]\nindex = 1\ninclude = 'no'\n", "{f}:5: chapters.include must be true or false, not 'no'"),
        (HEAD + "[[chapters]]\ninclude = false\n", "{f}:3: [[chapters]] needs 'index' (the chapter's number in "
         "`audiobook-tts chapters`)"),
        (HEAD + "[[chapters]]\nindex = 9\n", "{f}:3: chapters: no chapter 9 in the book (it has chapters 1-3)"),
        (HEAD + "[lexicon]\n'hens' = 3\n", '{f}:4: lexicon."hens" must be a string, not 3'),
        (HEAD + "[[lexicon.rules]]\npattern = '(ch'\nreplace = 'x'\n", "{f}:3: lexicon rule pattern '(ch' is not "
         "a valid regular expression: missing ), unterminated subpattern at position 0"),
        (HEAD + "[[lexicon.rules]]\npattern = 'ch'\nreplace = '\\1'\n", "{f}:3: lexicon rule replace '\\\\1' does not "
         "fit its pattern: invalid group reference 1 at position 1"),
        (HEAD + "[voices]\nhero = 'a.wav'\n", "{f}:4: unknown key 'hero' in [voices] (known: narrator)"),
        (HEAD + "[synthesis]\nseed = -1\n", "{f}: synthesis.seed must be between 0 and 2147483647, not -1"),
    ],
)
def test_errors_are_one_line_with_file_and_line(capsys, book, body, message):
    file = write(book.parent, body)
    code, _, err = run_cli(capsys, "plan", file)
    assert code == 2
    assert_one_line_error(err, message.format(f=file))


def test_missing_book_is_exit_3(capsys, tmp_path):
    file = write(tmp_path, 'profile = "default"\nbook = "gone.epub"\n')
    code, _, err = run_cli(capsys, "plan", file)
    assert code == 3
    assert_one_line_error(err, f"{file}:2: book = 'gone.epub': no such file ({tmp_path / 'gone.epub'})")


def test_render_without_voice_or_narrator(capsys, book):
    file = write(book.parent, HEAD)
    code, _, err = run_cli(capsys, "render", file)
    assert code == 2
    assert_one_line_error(err, "Missing option '--voice' / '-v'.")


# --------------------------------------------------------------------------- render


def planned_texts(file: Path) -> set[str]:
    bf, settings = load_book_file(file), build_settings("smoke")
    return {c.text for c in plan_book(bf.apply(load_book(bf.book, settings)), settings, lexicon=bf.lexicon).chunks}


def render_file(file: Path, voice: Path, tmp_path: Path) -> tuple[FakeEngines, object]:
    bf = load_book_file(file)
    settings = build_settings("smoke", {"engine": {"backend": FAKE_BACKEND}}, (bf.path, bf.settings))
    factory = FakeEngines()
    register_engine(FAKE_BACKEND, factory)
    request = RenderRequest(book=bf.book, voice=voice, out_dir=tmp_path / "out", settings=settings,
                            cache_dir=tmp_path / "cache", book_file=bf)
    return factory, run_render(request)


def test_new_lexicon_entry_resynthesises_only_changed_chunks(book, voice, tmp_path):
    file = write(book.parent, CHAPTERS_FILE)
    first, report = render_file(file, voice, tmp_path)
    assert report.status == "complete"
    assert len(first.calls) == report.chunks["total"]
    assert [c["title"] for c in report.chapters] == ["Chapter 1. Morning", "Finale"]
    assert report.book["book_file"] == str(file)  # check --redo re-plans from it
    before = planned_texts(file)

    file.write_text(CHAPTERS_FILE + '\n[lexicon]\n"hens" = "chickens"\n')
    again, report = render_file(file, voice, tmp_path)
    changed = planned_texts(file) - before
    assert len(changed) == 1 and "chickens" in next(iter(changed))
    assert [text for text, _ in again.calls] == list(changed)
    assert report.chunks["synthesized"] == 1
    assert report.chunks["reused"] == report.chunks["total"] - 1


def test_cli_render_takes_narrator_and_voice_flag_overrides_it(capsys, book, voice, tmp_path):
    other = shutil.copy(voice, tmp_path / "other.wav")
    file = write(book.parent, f'book = "book.md"\nprofile = "smoke"\n[engine]\nbackend = "{FAKE_BACKEND}"\n'
                              '[voices]\nnarrator = "voice.wav"\n')
    register_engine(FAKE_BACKEND, FakeEngines())
    for args, used in (((), voice), (("--voice", other), Path(other))):
        code, _, err = run_cli(capsys, "render", file, "--out", tmp_path / "o", "--report", tmp_path / "r.json", *args)
        assert code == 0, err
        report = json.loads((tmp_path / "r.json").read_text())
        assert report["voice"]["path"] == str(used)
        assert report["profile"] == "smoke"

"""The CLI and the book's language: --language, the plan's warning and render's one-line error."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import SAMPLE_BOOK, assert_one_line_error, run_cli

from audiobook_tts.languages import SUPPORTED

REPO = Path(__file__).resolve().parents[1]
FRENCH = REPO / "samples" / "le-gardien-du-phare.md"
GERMAN = REPO / "samples" / "der-leuchtturmwaerter.md"
FRENCH_ON_STANDARD = (
    'this book is in French (fr); the standard model speaks only English: '
    'use --variant multilingual (model.variant = "multilingual" in a profile)'
)


def test_render_stops_on_a_language_the_model_cannot_speak(capsys, voice, tmp_path):
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "render", FRENCH, "--voice", voice, "--profile", "smoke", "--out", out)
    assert code == 2
    assert_one_line_error(err, FRENCH_ON_STANDARD)
    assert not out.exists()  # before any work


def test_render_language_flag_overrides_the_book(capsys, voice, tmp_path):
    code, _, err = run_cli(capsys, "render", SAMPLE_BOOK, "--voice", voice, "--profile", "smoke",
                           "--out", tmp_path / "o", "--language", "de-AT")
    assert code == 2
    assert_one_line_error(
        err,
        'this book is to be read in German (de); the standard model speaks only English: '
        'use --variant multilingual (model.variant = "multilingual" in a profile)',
    )


def test_bad_language_is_rejected_on_the_parameter(capsys, voice):
    code, _, err = run_cli(capsys, "plan", SAMPLE_BOOK, "--language", "xx")
    assert code == 2
    assert_one_line_error(
        err,
        f"Invalid value for '--language': 'xx' is not a language Chatterbox speaks (use one of: {', '.join(SUPPORTED)})",
    )


def test_plan_warns_and_still_shows_the_french_plan(capsys):
    code, out, err = run_cli(capsys, "plan", FRENCH, "--json")
    assert code == 0
    assert err.strip() == f"Warning: {FRENCH_ON_STANDARD}"
    data = json.loads(out)
    assert data["book"]["language"] == "fr"
    texts = [c["text"] for ch in data["chapters"] for c in ch["chunks"]]
    assert texts[0] == "Chapitre un. La lampe."
    assert "le premier mars mille neuf cent douze." in texts[3]
    assert any("douze euros et cinquante centimes" in t for t in texts)


def test_plan_with_the_multilingual_profile_has_no_warning(capsys):
    code, out, err = run_cli(capsys, "plan", GERMAN, "--profile", "multilingual")
    assert code == 0
    assert err == ""
    assert "Read in German (de, from the book)" in out


def test_plan_and_chapters_language_flag(capsys):
    code, out, _ = run_cli(capsys, "plan", SAMPLE_BOOK, "--json", "--language", "fr")
    assert code == 0 and json.loads(out)["book"]["language"] == "fr"
    code, out, _ = run_cli(capsys, "chapters", FRENCH, "--json", "--language", "ger")
    assert code == 0 and json.loads(out)["book"]["language"] == "de"
    code, out, _ = run_cli(capsys, "chapters", SAMPLE_BOOK, "--json")
    assert code == 0 and json.loads(out)["book"]["language"] == "en"  # the book does not say

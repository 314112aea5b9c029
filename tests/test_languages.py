"""The book's language: codes as books spell them, where the language comes from, and whether
the chosen model speaks it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from audiobook_tts.book_language import BookLanguage, check_speakable, resolve_language, unspeakable_reason
from audiobook_tts.config import build_settings
from audiobook_tts.errors import ConfigError, UsageError
from audiobook_tts.ingest import load_book
from audiobook_tts.languages import SUPPORTED, normalize_code, parse_language

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("en", "en"), ("en-GB", "en"), ("EN_us", "en"), ("fr_FR", "fr"), ("fr-CA", "fr"),
        ("ger", "de"), ("deu", "de"), ("fre", "fr"), ("fra", "fr"), ("dut", "nl"), ("jpn", "ja"),
        ("nb", "no"), ("nn-NO", "no"), ("iw", "he"), ("zh-Hans-CN", "zh"), ("cmn", "zh"),
        ("French", "fr"), ("german", "de"), (" pt-BR ", "pt"),
        ("", ""), ("und", ""), ("mul", ""), ("zxx", ""),
        ("la", "la"), ("cy-GB", "cy"),  # unknown languages keep their code, for the error
    ],
)
def test_normalize_code(raw, code):
    assert normalize_code(raw) == code


def test_every_multilingual_language_is_supported():
    from audiobook_tts.engine.variants import get_variant

    assert SUPPORTED == tuple(sorted(get_variant("multilingual").languages))


def test_parse_language_rejects_what_no_model_speaks():
    assert parse_language("fr-FR") == "fr"
    assert parse_language("") == ""
    with pytest.raises(ValueError) as e:
        parse_language("la")
    assert str(e.value) == f"'la' is not a language Chatterbox speaks (use one of: {', '.join(SUPPORTED)})"


# --------------------------------------------------------------------------- configuration


def test_profile_sets_the_language_normalised(tmp_path):
    p = tmp_path / "fr.toml"
    p.write_text('[text]\nlanguage = "fr_FR"\n')
    assert build_settings(str(p)).text.language == "fr"
    assert build_settings(None).text.language == ""


def test_bad_language_in_profile_names_key_and_file(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('[text]\nlanguage = "klingon"\n')
    with pytest.raises(ConfigError) as e:
        build_settings(str(p))
    assert str(e.value).startswith(f"{p.resolve()}: text.language: 'klingon' is not a language Chatterbox speaks")


# --------------------------------------------------------------------------- resolution order

BOOK_FR = "---\ntitle: Un livre\nlanguage: fr-FR\n---\n\n# Un\n\nBonjour.\n\n# Deux\n\nAu revoir.\n"
BOOK_NONE = "---\ntitle: A book\n---\n\n# One\n\nHello.\n\n# Two\n\nGoodbye.\n"


@pytest.fixture
def books(tmp_path):
    (tmp_path / "fr.md").write_text(BOOK_FR)
    (tmp_path / "none.md").write_text(BOOK_NONE)
    return {name: load_book(tmp_path / f"{name}.md", include_front_matter=False) for name in ("fr", "none")}


@pytest.mark.parametrize(
    ("book", "profile", "flag", "expected"),
    [
        ("none", "", None, BookLanguage("en", "default")),  # nothing says: English
        ("fr", "", None, BookLanguage("fr", "the book")),  # the book's metadata
        ("fr", "de", None, BookLanguage("de", "--language or profile")),  # profile beats the book
        ("fr", "de", "it", BookLanguage("it", "--language or profile")),  # flag beats the profile
        ("none", "", "es", BookLanguage("es", "--language or profile")),
    ],
)
def test_resolution_order_flag_profile_book_default(books, tmp_path, book, profile, flag, expected):
    path = tmp_path / "p.toml"
    path.write_text(f'[text]\nlanguage = "{profile}"\n')
    settings = build_settings(str(path), {"text": {"language": flag}})
    assert resolve_language(settings, books[book]) == expected


def test_book_metadata_in_any_spelling(books):
    meta = dataclasses.replace(books["none"].meta, language="ger")
    book = dataclasses.replace(books["none"], meta=meta)
    assert resolve_language(build_settings(None), book) == BookLanguage("de", "the book")


# --------------------------------------------------------------------------- can the model speak it


def test_standard_model_speaks_only_english():
    assert unspeakable_reason(BookLanguage("en", "the book"), "standard") is None
    with pytest.raises(UsageError) as e:
        check_speakable(BookLanguage("fr", "the book"), "standard")
    assert str(e.value) == (
        'this book is in French (fr); the standard model speaks only English: '
        'use --variant multilingual (model.variant = "multilingual" in a profile)'
    )


def test_language_from_the_flag_is_said_so():
    reason = unspeakable_reason(BookLanguage("de", "--language or profile"), "turbo")
    assert reason.startswith("this book is to be read in German (de); the turbo model speaks only English")


def test_multilingual_model_speaks_all_23():
    for code in SUPPORTED:
        if code not in ("ja", "zh"):
            assert unspeakable_reason(BookLanguage(code, "the book"), "multilingual") is None


def test_a_language_no_model_speaks():
    reason = unspeakable_reason(BookLanguage("la", "the book"), "multilingual")
    assert reason == (
        "this book is in 'la', a language no Chatterbox model speaks: "
        "use --language CODE if the book's metadata is wrong"
    )


@pytest.mark.parametrize(("code", "package"), [("ja", "pykakasi"), ("zh", "spacy-pkuseg")])
def test_japanese_and_chinese_need_the_cjk_extra(monkeypatch, code, package):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in ("pykakasi", "spacy_pkuseg") else real(name, *a))
    reason = unspeakable_reason(BookLanguage(code, "the book"), "multilingual")
    assert reason.endswith(
        f"needs {package}, which this install leaves out: install the cjk extra "
        "(uv sync --extra cjk, or uv tool install '.[cjk]' --overrides overrides.txt)"
    )
    # The English-only model's own reason comes first: no extra would help it.
    assert "speaks only English" in unspeakable_reason(BookLanguage(code, "the book"), "standard")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object())
    assert unspeakable_reason(BookLanguage(code, "the book"), "multilingual") is None


@pytest.mark.parametrize(
    ("front_matter", "language"),
    [("language: fr", "fr"), ("lang: de-AT", "de"), ("language: French", "fr"), ("lang: ger", "de"),
     ("language: und", ""), ("title: none given", "")],
)
def test_markdown_front_matter_language(tmp_path, front_matter, language):
    path = tmp_path / "book.md"
    path.write_text(f"---\n{front_matter}\n---\n\n# One\n\nText.\n\n# Two\n\nMore.\n")
    assert load_book(path, include_front_matter=False).meta.language == language

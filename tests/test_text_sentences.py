"""Sentence splitting with Punkt and the parameters shipped in the package."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from audiobook_tts.text import sentences, split_sentences
from audiobook_tts.text.sentences import ends_with_abbreviation, sentence_spans

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("Mr. Darcy bowed. Mrs. Bennet smiled.", ["Mr. Darcy bowed.", "Mrs. Bennet smiled."]),
        ("We met at St. Paul's. It rained.", ["We met at St. Paul's.", "It rained."]),
        ("Dr. Watson wrote. Holmes read.", ["Dr. Watson wrote.", "Holmes read."]),
        ("J. R. R. Tolkien met H. G. Wells. They talked.", ["J. R. R. Tolkien met H. G. Wells.", "They talked."]),
        ("Pi is 3.14 or so. Really.", ["Pi is 3.14 or so.", "Really."]),
        ("At 5 p.m. sharp he came. At 7 a.m. he left.", ["At 5 p.m. sharp he came.", "At 7 a.m. he left."]),
        ("Hens, ducks, etc. The farm was loud.", ["Hens, ducks, etc.", "The farm was loud."]),
        ('"Go away." She did. "Why?" Nothing.', ['"Go away."', "She did.", '"Why?"', "Nothing."]),
        # Words that look like abbreviations but end sentences in fiction.
        ("No. I won't. We sat in the sun. It was hot.", ["No.", "I won't.", "We sat in the sun.", "It was hot."]),
    ],
)
def test_split_sentences(paragraph: str, expected: list[str]) -> None:
    assert split_sentences(paragraph) == expected


def test_spans_cover_the_paragraph_up_to_whitespace() -> None:
    paragraph = "One.  Two?\tThree!  Mr. Four."
    spans = sentence_spans(paragraph)
    gaps = [paragraph[end:start] for (_, end), (start, _) in zip(spans, spans[1:])]
    assert all(gap.isspace() for gap in gaps)
    assert paragraph[spans[0][0]:spans[-1][1]] == paragraph.strip()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("he met Mr.", True),
        ('he said ("Mr.', True),
        ("at 5 p.m.", True),
        ("written by H.", True),
        ("see e.g.", True),
        ("a pre-Jan.", True),
        ("he left.", False),
        ("I.", False),
        ("he said no.", False),
        ("wait...", False),
        ("Mr. Darcy", False),
        ("", False),
    ],
)
def test_ends_with_abbreviation(text: str, expected: bool) -> None:
    assert ends_with_abbreviation(text) is expected


def _load_build_script():
    spec = importlib.util.spec_from_file_location("build_punkt_params", ROOT / "scripts" / "build_punkt_params.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_parameters_are_what_the_build_script_writes() -> None:
    build = _load_build_script()
    shipped = (ROOT / "audiobook_tts" / "text" / sentences.PARAMS_RESOURCE).read_text("utf-8")
    assert shipped == build.render(build.build_params())


def test_build_script_is_deterministic(tmp_path: Path) -> None:
    build = _load_build_script()
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert build.main(["build", str(first)]) == 0
    assert build.main(["build", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()


def test_never_looks_in_nltk_data(monkeypatch: pytest.MonkeyPatch) -> None:
    import nltk.data

    def refuse(*args, **kwargs):
        raise AssertionError(f"nltk.data lookup: {args}")

    monkeypatch.setattr(nltk.data, "find", refuse)
    monkeypatch.setattr(nltk.data, "load", refuse)
    sentences._tokenizer.cache_clear()
    try:
        assert split_sentences("Mr. Darcy came. He left.") == ["Mr. Darcy came.", "He left."]
    finally:
        sentences._tokenizer.cache_clear()


def test_importing_the_text_package_loads_neither_nltk_nor_torch() -> None:
    code = "import sys, audiobook_tts.text; print(sorted({'nltk', 'torch'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"

"""Sentence splitting: English with NLTK Punkt, other languages with sentencex.

English uses Punkt and the parameters shipped in ``data/punkt_en.json`` (curated
abbreviations and sentence starters, built by ``scripts/build_punkt_params.py``), never looked
up in ``nltk_data``: splitting, and so chunking and the chunk cache, must not depend on what a
machine has downloaded. Other languages use sentencex (Wikimedia's rule-based splitter: its
rules and abbreviation lists are compiled into the pinned wheel, so it is just as offline and
identical everywhere); it knows abbreviations of its own, so the chunker's abbreviation test
below is Punkt's, for English only.
"""

from __future__ import annotations

import functools
import json
import re
import string
from importlib import resources
from typing import TYPE_CHECKING

from ..languages import DEFAULT_LANGUAGE

if TYPE_CHECKING:
    from nltk.tokenize.punkt import PunktSentenceTokenizer

PARAMS_RESOURCE = "data/punkt_en.json"
# What may follow a sentence's end: nothing, or a capital, a quote or a bracket.
_NEXT_SENTENCE_RE = re.compile(r"\s*(?:$|[A-Z\"'(\[])")


def stop_if_sentence_ends(m: re.Match[str]) -> str:
    """"." when the abbreviation just matched (expanded by the normaliser) also closes its sentence."""
    return "." if _NEXT_SENTENCE_RE.match(m.string, m.end()) else ""


@functools.cache
def _params_data() -> dict:
    return json.loads(resources.files(__package__).joinpath(PARAMS_RESOURCE).read_text("utf-8"))


@functools.cache
def _tokenizer() -> PunktSentenceTokenizer:
    # Imported here: importing nltk takes seconds, and `--help` must start instantly.
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    data = _params_data()
    params = PunktParameters()
    params.abbrev_types = set(data["abbrev_types"])
    params.collocations = {tuple(pair) for pair in data["collocations"]}
    params.sent_starters = set(data["sent_starters"])
    params.ortho_context.update(data["ortho_context"])
    return PunktSentenceTokenizer(params)


@functools.cache
def abbreviations() -> frozenset[str]:
    """Known abbreviations, lower-case without the final full stop ("mr", "e.g", "p.m")."""
    return frozenset(_params_data()["abbrev_types"])


def _sentencex_spans(paragraph: str, language: str) -> list[tuple[int, int]]:
    # Imported here, like nltk: only books in other languages need it.
    from sentencex import get_sentence_boundaries

    spans = []
    for boundary in get_sentence_boundaries(language, paragraph):
        start, end = boundary["start_index"], boundary["end_index"]  # characters, not bytes
        text = paragraph[start:end]
        # sentencex keeps the following whitespace with a sentence; Punkt's spans do not.
        start += len(text) - len(text.lstrip())
        end -= len(text) - len(text.rstrip())
        if start < end:
            spans.append((start, end))
    return spans


def sentence_spans(paragraph: str, language: str = DEFAULT_LANGUAGE) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``paragraph``; the gaps between them are whitespace."""
    if language == "en":
        return list(_tokenizer().span_tokenize(paragraph))
    return _sentencex_spans(paragraph, language)


def split_sentences(paragraph: str, language: str = DEFAULT_LANGUAGE) -> list[str]:
    """Sentences of one paragraph in ``language`` (an ISO 639-1 code)."""
    return [paragraph[start:end] for start, end in sentence_spans(paragraph, language)]


def ends_with_abbreviation(text: str, language: str = DEFAULT_LANGUAGE) -> bool:
    """Does ``text`` end with a known abbreviation ("... Mr.", "... 5 p.m.")?

    Mirrors Punkt's own test, so a chunk is never cut where Punkt might have seen an
    abbreviation rather than the end of a sentence. Other languages: sentencex has already
    kept its abbreviations inside their sentences, and has no such test to mirror.
    """
    if language != "en":
        return False
    words = text.split()
    if not words or not words[-1].endswith(".") or words[-1].endswith(".."):
        return False
    # Punkt splits leading punctuation off a word: '("Mr.' ends with the word "Mr.".
    word = words[-1][:-1].lstrip(string.punctuation).lower()
    known = abbreviations()
    return word in known or word.split("-")[-1] in known

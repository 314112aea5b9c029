"""Sentence splitting with NLTK Punkt and the parameters shipped in ``data/punkt_en.json``.

The parameters (curated abbreviations and sentence starters, built by
``scripts/build_punkt_params.py``) are never looked up in ``nltk_data``: splitting, and so
chunking and the chunk cache, must not depend on what a machine has downloaded.
"""

from __future__ import annotations

import functools
import json
import re
import string
from importlib import resources
from typing import TYPE_CHECKING

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


def sentence_spans(paragraph: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``paragraph``; the gaps between them are whitespace."""
    return list(_tokenizer().span_tokenize(paragraph))


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph, as Punkt splits them with the shipped parameters."""
    return [paragraph[start:end] for start, end in sentence_spans(paragraph)]


def ends_with_abbreviation(text: str) -> bool:
    """Does ``text`` end with a known abbreviation ("... Mr.", "... 5 p.m.")?

    Mirrors Punkt's own test, so a chunk is never cut where Punkt might have seen an
    abbreviation rather than the end of a sentence.
    """
    words = text.split()
    if not words or not words[-1].endswith(".") or words[-1].endswith(".."):
        return False
    # Punkt splits leading punctuation off a word: '("Mr.' ends with the word "Mr.".
    word = words[-1][:-1].lstrip(string.punctuation).lower()
    known = abbreviations()
    return word in known or word.split("-")[-1] in known

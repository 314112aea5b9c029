"""Abbreviations said in full, for languages other than English (English: normalize rule 8).

A short table per language of abbreviations a narrator expands and a model would otherwise
spell out or misread ("z. B.", "M. Dupont", "p. ex."). Expanding them before the sentence
splitter also spares it the hardest full stops: sentencex splits "M. Dupont" after "M.".
Languages without a table keep their abbreviations; sentencex knows many of them and keeps
them inside their sentences.

Each entry is (pattern, words, where): ``where`` is "name" when the abbreviation is a title
before a capitalised name ("M." only then means "Monsieur"), "number" when it precedes a
number ("p. 5"), "end" when it may close a sentence ("usw."), whose full stop then stays, and
"" otherwise.
"""

from __future__ import annotations

import functools
import re

_TABLES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "fr": (
        (r"M\.", "Monsieur", "name"), (r"MM\.", "Messieurs", "name"),
        (r"Mmes\.?", "Mesdames", "name"), (r"Mme\.?", "Madame", "name"),
        (r"Mlles\.?", "Mesdemoiselles", "name"), (r"Mlle\.?", "Mademoiselle", "name"),
        (r"Dr\.?", "Docteur", "name"), (r"Pr\.?", "Professeur", "name"),
        (r"p\.\s?ex\.", "par exemple", ""), (r"c\.-à-d\.", "c'est-à-dire", ""),
        (r"av\.\s?J\.-C\.", "avant Jésus-Christ", "end"), (r"apr\.\s?J\.-C\.", "après Jésus-Christ", "end"),
        (r"etc\.", "et cetera", "end"), (r"n[°o]\s?", "numéro ", "number"),
        (r"p\.\s?", "page ", "number"), (r"chap\.\s?", "chapitre ", "number"),
        (r"vol\.\s?", "volume ", "number"),
    ),
    "de": (
        (r"z\.\s?B\.", "zum Beispiel", ""), (r"d\.\s?h\.", "das heißt", ""),
        (r"u\.\s?a\.", "unter anderem", ""), (r"usw\.", "und so weiter", "end"),
        (r"bzw\.", "beziehungsweise", ""), (r"ca\.", "circa", ""), (r"vgl\.", "vergleiche", ""),
        (r"evtl\.", "eventuell", ""), (r"ggf\.", "gegebenenfalls", ""), (r"inkl\.", "inklusive", ""),
        (r"v\.\s?Chr\.", "vor Christus", "end"), (r"n\.\s?Chr\.", "nach Christus", "end"),
        (r"Jh\.", "Jahrhundert", "end"), (r"Dr\.", "Doktor", "name"), (r"Prof\.", "Professor", "name"),
        (r"Nr\.\s?", "Nummer ", "number"), (r"S\.\s?", "Seite ", "number"),
    ),
    "es": (
        (r"Sr\.", "Señor", "name"), (r"Sra\.", "Señora", "name"), (r"Srta\.", "Señorita", "name"),
        (r"Dr\.", "Doctor", "name"), (r"Dra\.", "Doctora", "name"), (r"Ud\.", "usted", ""),
        (r"Uds\.", "ustedes", ""), (r"p\.\s?ej\.", "por ejemplo", ""), (r"etc\.", "etcétera", "end"),
        (r"núm\.\s?", "número ", "number"), (r"pág\.\s?", "página ", "number"),
    ),
    "it": (
        (r"Sig\.ra", "Signora", "name"), (r"Sig\.na", "Signorina", "name"), (r"Sig\.", "Signor", "name"),
        (r"Dott\.", "Dottor", "name"), (r"Prof\.", "Professor", "name"),
        (r"p\.\s?es\.", "per esempio", ""), (r"ecc\.", "eccetera", "end"),
        (r"pag\.\s?", "pagina ", "number"),
    ),
}
_NEXT_WORD_RE = re.compile(r"\s*(\w)")
_NEXT_SENTENCE_RE = re.compile(r"\s*(?:$|[\"'(\[])")


def _starts_capitalised(text: str, end: int) -> bool:
    nxt = _NEXT_WORD_RE.match(text, end)
    return bool(nxt) and nxt[1].isupper()


def _closes_sentence(text: str, end: int) -> bool:
    """Nothing, a quote or a capitalised word follows: the expansion's full stop ends a sentence."""
    return bool(_NEXT_SENTENCE_RE.match(text, end)) or _starts_capitalised(text, end)


@functools.cache
def _rules(language: str) -> tuple[tuple[re.Pattern[str], str, str], ...]:
    rules = []
    for pattern, words, where in _TABLES.get(language, ()):
        follow = r"(?=\s?\d)" if where == "number" else r"(?!\w)" if not pattern.endswith(r"\.") else ""
        rules.append((re.compile(rf"(?<![\w.]){pattern}{follow}"), words, where))
    return tuple(rules)


def expand_abbreviations(text: str, language: str) -> str:
    """Abbreviations of ``language`` (ISO 639-1) in words; languages without a table unchanged."""
    for pattern, words, where in _rules(language):

        def replace(m: re.Match[str], words: str = words, where: str = where) -> str:
            if where == "name" and not _starts_capitalised(m.string, m.end()):
                return m[0]
            stop = "." if where == "end" and _closes_sentence(m.string, m.end()) else ""
            return words + stop

        text = pattern.sub(replace, text)
    return text

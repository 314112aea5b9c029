"""How far a take's words are from its text: both normalised alike, then a word error rate.

The text of a chunk is already what the narrator says ("Doctor Watson ... three letters");
a recogniser writes what it hears as people write ("Dr. Watson ... 3 letters"). Both sides go
through the same steps, so only real differences count:

1. The narration normaliser of :mod:`audiobook_tts.text` (numbers, dates, abbreviations and
   symbols read as the narrator reads them), in the book's language.
2. :func:`tokens`: case folded; hyphens, dashes and slashes split words; apostrophes joined
   ("don't" -> "dont"); every other punctuation mark and symbol removed.
3. English only: spellings that sound alike are folded (:data:`SPELLING_FOLDS`), so a British
   book is not marked down for a recogniser's American spelling ("colour" / "color").

The word error rate is (substituted + missing + extra words) / words of the text, from a
word-level edit distance; a skipped clause shows as missing words, a sentence read twice or
babble as extra ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..text import normalize

# Characters that split words: hyphens, dashes, slashes.
_SPLITTERS_RE = re.compile(r"[\-\u2010-\u2015/\\]+")
_APOSTROPHES_RE = re.compile(r"['\u2019\u02bc]")

# English spellings that sound alike, folded to one form on both sides; (pattern, replacement)
# applied in order to each word.
SPELLING_FOLDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"our(s?)$"), r"or\1"),  # colour/color, honours/honors
    (re.compile(r"is(e|es|ed|ing|ation|ations)$"), r"iz\1"),  # realise/realize
    (re.compile(r"yse(s|d)?$"), r"yze\1"),  # analyse/analyze
    (re.compile(r"tre(s?)$"), r"ter\1"),  # centre/center, theatres/theaters
    (re.compile(r"^grey"), "gray"),
    (re.compile(r"^okay$"), "ok"),
)


@dataclass(frozen=True)
class Score:
    """A take's words against its text."""

    error_rate: float  # errors / words of the text (0.0 for an empty text heard as nothing)
    errors: int  # substituted + missing + extra words
    words: int  # words of the text
    missing: tuple[str, ...]  # words of the text not heard (deleted)
    extra: tuple[str, ...]  # words heard that the text does not have (inserted)


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def _plain(text: str) -> list[str]:
    """Step 2: ``"Don't stop - it's 'Grey'!"`` -> ``["dont", "stop", "its", "grey"]``."""
    text = _APOSTROPHES_RE.sub("", _SPLITTERS_RE.sub(" ", text.casefold()))
    return "".join(" " if _is_mark(ch) else ch for ch in text).split()


def _fold(word: str, language: str) -> str:
    """Step 3."""
    if language == "en":
        for pattern, replacement in SPELLING_FOLDS:
            word = pattern.sub(replacement, word)
    return word


def tokens(text: str, language: str = "en") -> list[str]:
    """Steps 2 and 3, without the narration normaliser: one word in, its tokens out
    (``"Don't stop - it's 'Grey'!"`` -> ``["dont", "stop", "its", "gray"]``)."""
    return [_fold(word, language) for word in _plain(text)]


def words(text: str, language: str = "en") -> list[str]:
    """All three steps: what is compared."""
    return tokens(normalize(text, language), language)


def align(ref: Sequence[str], hyp: Sequence[str]) -> list[tuple[int | None, int | None]]:
    """A least-cost word alignment: pairs (ref index, hyp index); None on one side is a word
    missing from ``hyp`` (deleted) or extra in it (inserted). Matches are preferred on ties."""
    n, m = len(ref), len(hyp)
    # cost[i][j]: edits turning ref[:i] into hyp[:j].
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = i
    for j in range(m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        row, above, r = cost[i], cost[i - 1], ref[i - 1]
        for j in range(1, m + 1):
            diagonal = above[j - 1] + (r != hyp[j - 1])
            row[j] = min(diagonal, above[j] + 1, row[j - 1] + 1)
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and cost[i][j] == cost[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i > 0 and cost[i][j] == cost[i - 1][j] + 1:
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    pairs.reverse()
    return pairs


def score_words(ref: Sequence[str], hyp: Sequence[str], *, shown: tuple[Sequence[str], Sequence[str]] | None = None) -> Score:
    """``ref`` against ``hyp``; ``shown`` are the same words as a person should read them
    (missing and extra words are listed in that form)."""
    ref_shown, hyp_shown = shown if shown is not None else (ref, hyp)
    missing, extra, errors = [], [], 0
    for i, j in align(ref, hyp):
        if i is None:
            extra.append(hyp_shown[j])
            errors += 1
        elif j is None:
            missing.append(ref_shown[i])
            errors += 1
        elif ref[i] != hyp[j]:
            errors += 1
    if not ref:
        rate = 0.0 if not hyp else 1.0
    else:
        rate = errors / len(ref)
    return Score(error_rate=rate, errors=errors, words=len(ref), missing=tuple(missing), extra=tuple(extra))


def score(text: str, heard: str, language: str = "en") -> Score:
    """The chunk's ``text`` against what was ``heard``, normalised alike."""
    ref_shown, hyp_shown = _plain(normalize(text, language)), _plain(normalize(heard, language))
    return score_words([_fold(w, language) for w in ref_shown], [_fold(w, language) for w in hyp_shown],
                       shown=(ref_shown, hyp_shown))

"""A chapter's paragraphs -> chunks of text sized for Chatterbox and its compile buckets.

Each paragraph is normalised and split into sentences in the book's language (Punkt for
English, sentencex for the rest: :mod:`.sentences`), and then:

1. A sentence that ends with a known abbreviation is joined to the next one, so no chunk
   ends on "Mr." or "p.m." unless the paragraph does.
2. A sentence longer than ``long_max_chars`` is cut at clause boundaries, choosing the cuts
   of least cost: every piece costs the same (fewer pieces first), a cut after ";", "!",
   "?" or "." costs least, then ":", then a dash, then ",", and a bare space most; pieces
   under ``min_chars`` cost extra, and uneven pieces cost more than even ones. Cutting after
   an abbreviation is the last resort (only in a run of abbreviations longer than the limit).
3. A single word longer than ``long_max_chars`` (a URL, a row of "=") is cut into pieces
   within the limit: the only place a chunk boundary falls inside a word.
4. Consecutive pieces are packed while the chunk stays within ``medium_max_chars``:
   Chatterbox reads one to a few sentences best, and fewer, fuller chunks spend less time on
   per-chunk overhead. A piece shorter than ``min_chars`` ("Yes.") is merged with a
   neighbour up to ``long_max_chars`` instead, since alone it gets poor prosody and a whole
   forward pass. Nothing is packed across paragraphs.

Every chunk text is a slice of its normalised paragraph (after a book's lexicon, if any), so
the chunks of a chapter put together are exactly its normalised text (``coverage_mismatch``
checks this, without a lexicon).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..config import ChunkingOptions
from ..languages import DEFAULT_LANGUAGE
from .normalize import normalize, normalize_title
from .sentences import ends_with_abbreviation, sentence_spans

Span = tuple[int, int]

# Cut costs for long sentences, in units of one extra piece (PIECE_COST).
PIECE_COST = 10.0
CUT_COST_BY_END = {";": 0.0, "!": 0.0, "?": 0.0, ".": 0.0, ":": 1.0, "-": 2.0, ",": 3.0}
SPACE_CUT_COST = 20.0
MID_WORD_CUT_COST = 50.0
AFTER_ABBREVIATION_CUT_COST = 1000.0
SHORT_PIECE_COST = 10.0
# Weight of (unused fraction of the limit)^2 per piece: even pieces cost less than uneven ones.
UNEVEN_COST = 4.0
_CLOSERS = "\"')]}"


@dataclass(frozen=True)
class Chunk:
    chapter: int  # chapter index (1-based, as given)
    index: int  # 0-based index within the chapter
    text: str  # normalised text to synthesise
    bucket: str  # "short" | "medium" | "long"
    kind: str  # "title" | "text"
    pause_after: str  # "sentence" | "paragraph" | "title" | "chapter"
    paragraph: int  # paragraph index within the chapter; -1 for the title


def bucket_for(n_chars: int, options: ChunkingOptions) -> str:
    """Smallest bucket whose max_chars holds ``n_chars``."""
    for name, limit in options.bucket_limits().items():
        if n_chars <= limit:
            return name
    raise ValueError(f"{n_chars} characters exceed long_max_chars={options.long_max_chars}")


_WORD_RE = re.compile(r"\S+")


def _atoms(text: str, span: Span, limit: int) -> tuple[list[Span], list[str]]:
    """Units a cut may fall between: the words of text[span] -> (atom spans, word of each).

    A word longer than ``limit`` must be cut inside. It becomes single characters at both
    ends, so a cut can land anywhere there and its first and last pieces can take in the
    neighbouring words, and pieces of ``limit`` characters in the middle, which keeps the
    search short.
    """
    atoms: list[Span] = []
    words: list[str] = []
    for m in _WORD_RE.finditer(text, *span):
        start, end = m.span()
        if end - start <= limit:
            parts = [(start, end)]
        else:
            tail = max(start + limit, end - limit)
            middle = range(start + limit, tail, limit)
            parts = (
                [(i, i + 1) for i in range(start, start + limit)]
                + [(i, min(i + limit, tail)) for i in middle]
                + [(i, i + 1) for i in range(tail, end)]
            )
        atoms += parts
        words += [m[0]] * len(parts)
    return atoms, words


def _cut_cost(atom: Span, word: str, next_atom: Span, language: str) -> float:
    """Cost of ending a piece after ``atom``, a part of ``word``."""
    if atom[1] == next_atom[0]:
        return MID_WORD_CUT_COST
    if ends_with_abbreviation(word, language):
        return AFTER_ABBREVIATION_CUT_COST
    last = word.rstrip(_CLOSERS)[-1:]
    return CUT_COST_BY_END.get(last, SPACE_CUT_COST)


def split_long(text: str, span: Span, options: ChunkingOptions, language: str = DEFAULT_LANGUAGE) -> list[Span]:
    """Cut text[span] into pieces of at most ``long_max_chars`` at the cheapest cuts."""
    limit = options.long_max_chars
    if span[1] - span[0] <= limit:
        return [span]
    atoms, words = _atoms(text, span, limit)
    n = len(atoms)
    cut_costs = [_cut_cost(atoms[k], words[k], atoms[k + 1], language) for k in range(n - 1)] + [0.0]
    # best[j]: least cost of cutting atoms[:j] into pieces; start[j]: first atom of the last one.
    best = [0.0] + [math.inf] * n
    start = [0] * (n + 1)
    for j in range(1, n + 1):
        end = atoms[j - 1][1]
        for i in range(j - 1, -1, -1):
            length = end - atoms[i][0]
            if length > limit:
                break
            unused = (limit - length) / limit
            cost = (
                best[i]
                + PIECE_COST
                + UNEVEN_COST * unused * unused
                + (SHORT_PIECE_COST if length < options.min_chars else 0.0)
                + cut_costs[j - 1]
            )
            if cost < best[j]:
                best[j], start[j] = cost, i
    pieces = []
    j = n
    while j > 0:
        i = start[j]
        pieces.append((atoms[i][0], atoms[j - 1][1]))
        j = i
    return pieces[::-1]


def _join_abbreviation_ends(text: str, spans: list[Span], language: str) -> list[Span]:
    joined: list[Span] = []
    for span in spans:
        if joined and ends_with_abbreviation(text[joined[-1][0]:joined[-1][1]], language):
            joined[-1] = (joined[-1][0], span[1])
        else:
            joined.append(span)
    return joined


def _pack(pieces: list[Span], options: ChunkingOptions) -> list[Span]:
    packed: list[Span] = []
    start, end = pieces[0]
    for piece_start, piece_end in pieces[1:]:
        joined = piece_end - start
        short = end - start < options.min_chars
        if joined <= options.medium_max_chars or (short and joined <= options.long_max_chars):
            end = piece_end
        else:
            packed.append((start, end))
            start, end = piece_start, piece_end
    # A short last piece joins the chunk before it (a short first piece already joined the next).
    if packed and end - start < options.min_chars and end - packed[-1][0] <= options.long_max_chars:
        start = packed.pop()[0]
    packed.append((start, end))
    return packed


def paragraph_spans(text: str, options: ChunkingOptions, language: str = DEFAULT_LANGUAGE) -> list[Span]:
    """Chunk spans of one normalised paragraph."""
    if not text:
        return []
    sentences = _join_abbreviation_ends(text, sentence_spans(text, language), language)
    pieces = [piece for sentence in sentences for piece in split_long(text, sentence, options, language)]
    return _pack(pieces, options)


def _title_text(title: str, language: str, rewrite: Callable[[str], str] | None = None) -> str:
    text = normalize(normalize_title(title, language), language)
    if rewrite is not None:
        text = rewrite(text)
    text = text.rstrip(",;:- ")
    if text and text[-1] not in ".!?":
        text += "."
    return text


def chunk_chapter(
    chapter: int,
    title: str,
    paragraphs: Sequence[str],
    options: ChunkingOptions,
    *,
    read_title: bool = True,
    language: str = DEFAULT_LANGUAGE,
    rewrite: Callable[[str], str] | None = None,
) -> list[Chunk]:
    """Chunks of one chapter, in reading order: the spoken title (if read), then its text,
    normalised and split by the rules of ``language`` (an ISO 639-1 code). ``rewrite`` (a
    book's lexicon) is applied to each normalised paragraph and the title before splitting."""
    parts: list[tuple[str, str, int]] = []  # (text, kind, paragraph)
    if read_title:
        text = _title_text(title, language, rewrite)
        if text:
            parts += [(text[s:e], "title", -1) for s, e in split_long(text, (0, len(text)), options, language)]
    for number, paragraph in enumerate(paragraphs):
        text = normalize(paragraph, language)
        if rewrite is not None:
            text = rewrite(text)
        parts += [(text[s:e], "text", number) for s, e in paragraph_spans(text, options, language)]

    chunks = []
    for index, (text, kind, paragraph) in enumerate(parts):
        if index == len(parts) - 1:
            pause = "chapter"
        elif parts[index + 1][2] == paragraph:
            pause = "sentence"
        else:
            pause = "title" if kind == "title" else "paragraph"
        chunks.append(
            Chunk(
                chapter=chapter,
                index=index,
                text=text,
                bucket=bucket_for(len(text), options),
                kind=kind,
                pause_after=pause,
                paragraph=paragraph,
            )
        )
    return chunks


def _squash(text: str) -> str:
    return "".join(text.split())


def coverage_mismatch(
    chunks: Sequence[Chunk], paragraphs: Sequence[str], language: str = DEFAULT_LANGUAGE
) -> str | None:
    """None if the text chunks, put together, are exactly the normalised paragraphs
    (whitespace aside); otherwise where they first differ."""
    got = "".join(_squash(c.text) for c in chunks if c.kind == "text")
    want = "".join(_squash(normalize(p, language)) for p in paragraphs)
    if got == want:
        return None
    at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    return (
        f"chunks differ from the normalised paragraphs at character {at}: "
        f"{got[max(0, at - 20):at + 20]!r} != {want[max(0, at - 20):at + 20]!r}"
    )

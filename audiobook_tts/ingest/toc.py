"""A nested table of contents (EPUB nav/NCX, PDF outline) -> one title per place the text starts.

The rule, the same for every format:

- Every entry of the tree, at any depth, marks where a chapter starts; entries that point to the
  same place as the entry before them (a "Book One" entry whose first child starts on the same
  page) are merged into one chapter.
- A child keeps its parent's title in front of its own ("The Gift of the Magi: I",
  "Book One: Chapter 3") when its own title does not say what it is: a bare number or label
  ("I", "II.", "3", "Part 2", "Chapter the Third", "One"), or a title that occurs more than once
  in the tree ("Chapter 1" under each of three books). A child with a title of its own ("The
  Arrival") keeps just that, so that a novel's chapter list reads as the book prints it.
- Merged entries join their titles the same way: a parent merged with its bare-numbered first
  child is "Parent: I"; merged with a titled child it is "Parent: Child".
- An entry that points nowhere (a heading-only nav entry, a PDF outline item without a
  destination, a link the reader could not resolve) starts where its first child with a place
  starts, so it merges with that child; with no such child it only names its children.

So a story split into parts gives one chapter per part, each named after the story, and a novel
in books gives its chapters, each named after its book where the chapter's own name repeats.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from .matter import join_title

T = TypeVar("T", bound=Hashable)

_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth thirtieth last final"
)
_NUMBER_WORD = rf"(?:{'|'.join(_NUMBER_WORDS.split())})"
# Roman numerals strictly ("mild" and "civil" are words, not numbers).
_ROMAN = r"(?=[ivxlcdm])m{0,4}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
# "Twenty-One", "the Third"; a second word only when it is a number too ("The First Snow" is a title).
_NUMERAL = rf"(?:{_ROMAN}|\d+|[a-z]|(?:the\s+)?{_NUMBER_WORD}(?:[\s-]{_NUMBER_WORD})?)"
_LABEL = r"(?:chapter|chap|part|book|volume|vol|section|canto|act|scene|story|letter|stave)"
# A title that only numbers its place: "I", "II.", "3", "Part 2", "Chapter the Third", "[IV]".
_BARE_RE = re.compile(rf"^[\s\[(]*(?:{_LABEL}\.?\s+)?{_NUMERAL}[\s.:)\]]*$", re.IGNORECASE)


@dataclass(frozen=True)
class Node(Generic[T]):
    title: str
    target: T | None  # where the entry points: (href, fragment) for an EPUB, a page index for a
    # PDF; None where it points nowhere the reader can follow
    children: tuple[Node[T], ...] = field(default=())


def is_bare_label(title: str) -> bool:
    """Whether a title only numbers its place ("II", "Part 2", "Chapter the Third")."""
    return bool(_BARE_RE.match(title.strip())) or not title.strip()


def titled_targets(
    nodes: Sequence[Node[T]], *, same_place: Callable[[T, T], bool] | None = None
) -> list[tuple[str, T]]:
    """Flatten the tree in reading order into (title, target), applying the module's rule.

    ``same_place(a, b)`` says whether two targets start at the same point of the text (default:
    equality); a run of such entries becomes one, under the joined title.
    """
    same = same_place or (lambda a, b: a == b)
    counts = Counter(_key(n.title) for n in _walk(nodes))
    flat: list[tuple[str, T]] = []
    for path in _paths(nodes):
        node = path[-1]
        target = _first_target(node)
        if target is None:
            continue
        title = node.title.strip()
        for ancestor in reversed(path[:-1]):
            if not (is_bare_label(title) or counts[_key(title)] > 1):
                break
            title = join_title([ancestor.title, title])
        flat.append((title, target))

    merged: list[tuple[str, T]] = []
    for title, target in flat:
        if merged and same(merged[-1][1], target):
            previous = merged[-1][0]
            merged[-1] = (title if title.startswith(previous) else join_title([previous, title]), merged[-1][1])
            continue
        merged.append((title, target))
    return merged


def _first_target(node: Node[T]) -> T | None:
    if node.target is not None:
        return node.target
    return next((t for t in map(_first_target, node.children) if t is not None), None)


def _key(title: str) -> str:
    return " ".join(re.findall(r"\w+", title.casefold()))


def _walk(nodes: Iterable[Node[T]]) -> Iterable[Node[T]]:
    for node in nodes:
        yield node
        yield from _walk(node.children)


def _paths(nodes: Iterable[Node[T]], above: tuple[Node[T], ...] = ()) -> Iterable[tuple[Node[T], ...]]:
    for node in nodes:
        path = (*above, node)
        yield path
        yield from _paths(node.children, path)

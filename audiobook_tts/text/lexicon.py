"""A book's lexicon: how to say its words, applied after normalisation and before chunking.

Two kinds of entry, applied in this order, each in the order the book file lists them:

1. Whole words, ``"word" = "spoken form"``. A key in lowercase matches the word in any case
   ("colonel" matches "Colonel" and "COLONEL") and the replacement takes the capitalisation
   of the text's first letter ("Colonel" -> "Kernel"); a key with any capital letter matches
   exactly that spelling and is replaced exactly as written. A word never matches inside a
   longer word.
2. Regular-expression rules, ``pattern`` -> ``replace`` (Python :mod:`re` syntax, ``\\1`` for
   groups), applied to the whole normalised paragraph.

Only the text an entry matches changes, so chunk texts (and the chunk keys that reuse audio)
change only where an entry fires. :meth:`Lexicon.apply` counts the hits per entry, which
``plan`` shows so that entries that never fire (usually typos) stand out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class LexiconEntry:
    name: str  # as the user wrote it: the word, or the rule's pattern
    pattern: re.Pattern[str]
    replace: str
    keep_case: bool  # a lowercase word key: capitalise the replacement like the matched text

    def apply(self, text: str) -> tuple[str, int]:
        if not self.keep_case:
            return self.pattern.subn(self.replace, text)

        def spoken(m: re.Match[str]) -> str:
            if m.group(0)[:1].isupper():
                return self.replace[:1].upper() + self.replace[1:]
            return self.replace

        return self.pattern.subn(spoken, text)


def word_entry(word: str, spoken: str) -> LexiconEntry:
    """A whole-word replacement (case rule in the module docstring)."""
    keep_case = word == word.lower()
    flags = re.IGNORECASE if keep_case else 0
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", flags)
    # A literal replacement: backslashes in the spoken form are not group references.
    return LexiconEntry(word, pattern, spoken if keep_case else spoken.replace("\\", "\\\\"), keep_case)


def rule_entry(pattern: str, replace: str) -> LexiconEntry:
    """A regular-expression rule; raises re.error for a bad pattern, and ValueError for a
    replacement that refers to a group the pattern lacks."""
    compiled = re.compile(pattern)
    try:
        compiled.sub(replace, "")  # checks the replacement's group references, even with no match
    except re.error as exc:
        raise ValueError(str(exc)) from None
    return LexiconEntry(pattern, compiled, replace, keep_case=False)


@dataclass(frozen=True)
class Lexicon:
    entries: tuple[LexiconEntry, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.entries)

    def apply(self, text: str, counts: Counter[str] | None = None) -> str:
        """``text`` with every entry applied in order; hits are added to ``counts``."""
        for entry in self.entries:
            text, n = entry.apply(text)
            if counts is not None and n:
                counts[entry.name] += n
        return text

    def names(self) -> list[str]:
        return [e.name for e in self.entries]

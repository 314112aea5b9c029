"""Which language a book is narrated in, and whether the chosen model speaks it.

Resolution, first that says: ``text.language`` (``--language``, else the profile), the book's
own metadata (EPUB ``dc:language``, PDF ``/Lang``, Markdown front matter ``language:``), else
English. ``plan`` only warns about a language the model cannot speak (a plan is how a book
is inspected, whichever model will read it); ``render`` stops before any work.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from .config import Settings
from .engine.variants import VARIANTS, get_variant
from .errors import UsageError
from .ingest import Book
from .languages import DEFAULT_LANGUAGE, NAMES, name, normalize_code

# Python modules chatterbox's multilingual tokenizer needs for a language, and the package
# (in our `cjk` extra) that provides each. Without pykakasi, kanji reach the model unread;
# without spacy-pkuseg, Chinese is not segmented into words.
TOKENIZER_MODULES = {"ja": ("pykakasi", "pykakasi"), "zh": ("spacy_pkuseg", "spacy-pkuseg")}
CJK_INSTALL = "uv sync --extra cjk, or uv tool install '.[cjk]' --overrides overrides.txt"


@dataclass(frozen=True)
class BookLanguage:
    code: str  # ISO 639-1 when known ("fr"); an unknown book language keeps its own code
    source: str  # "--language or profile" | "the book" | "default"

    @property
    def name(self) -> str:
        return name(self.code)

    def describe(self) -> str:
        """"French (fr, from the book)"."""
        return f"{self.name} ({self.code}, {'from ' if self.source == 'the book' else ''}{self.source})"


def resolve_language(settings: Settings, book: Book) -> BookLanguage:
    if settings.text.language:
        return BookLanguage(settings.text.language, "--language or profile")
    from_book = normalize_code(book.meta.language)
    if from_book:
        return BookLanguage(from_book, "the book")
    return BookLanguage(DEFAULT_LANGUAGE, "default")


def _fix(code: str) -> str:
    """How to get a model that speaks ``code``, from the variant table."""
    speaker = next((v.name for v in VARIANTS.values() if code in v.languages), None)
    if speaker is None:
        return "no model variant here speaks it"
    return f'use --variant {speaker} (model.variant = "{speaker}" in a profile)'


def unspeakable_reason(language: BookLanguage, variant_name: str) -> str | None:
    """Why the variant cannot narrate this language, as one line; None when it can."""
    variant = get_variant(variant_name)
    code = language.code
    if code in variant.languages:
        missing = TOKENIZER_MODULES.get(code) if variant.multilingual else None
        if missing and importlib.util.find_spec(missing[0]) is None:
            return (f"{language.name} ({code}) needs {missing[1]}, which this install leaves out: "
                    f"install the cjk extra ({CJK_INSTALL})")
        return None
    said = "is in" if language.source == "the book" else "is to be read in"
    if code not in NAMES:  # only a book's metadata can name one: flags and profiles are checked
        return (f"this book {said} {code!r}, a language no Chatterbox model speaks: "
                "use --language CODE if the book's metadata is wrong")
    spoken = (f"speaks only {name(variant.languages[0])}" if len(variant.languages) == 1
              else f"does not speak {language.name}")
    return f"this book {said} {language.name} ({code}); the {variant.name} model {spoken}: {_fix(code)}"


def check_speakable(language: BookLanguage, variant_name: str) -> None:
    """Raise :class:`UsageError` when the variant cannot narrate the language."""
    reason = unspeakable_reason(language, variant_name)
    if reason is not None:
        raise UsageError(reason)

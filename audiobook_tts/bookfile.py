"""A book file (``BOOK.audiobook.toml``): the book, its profile, lexicon and chapter edits.

``audiobook-tts init BOOK`` writes one; ``render``, ``plan`` and ``chapters`` take it in place
of the book. Its layout::

    book = "novel.epub"          # relative to this file
    profile = "default"          # a profile name or path, as --profile takes

    [synthesis]                  # optional: any profile table, over the profile
    seed = 7

    [lexicon]                    # whole words; rules after them (text/lexicon.py)
    "colonel" = "kernel"
    [[lexicon.rules]]
    pattern = "\\\\bch\\\\. (\\\\d+)"
    replace = "chapter \\\\1"

    [voices]
    narrator = "voice.wav"       # the voice when --voice is not given

    [[chapters]]                 # one table per chapter to change; others stay as they are
    index = 3                    # as `audiobook-tts chapters` numbers them (required)
    include = true               # false leaves the chapter out
    title = "Chapter Three"      # in M4B markers, MP3 names and the report
    spoken_title = "Three."      # read aloud instead of the title

Settings go defaults <- profile <- book file <- flags. Every mistake is one
:class:`ConfigError` line naming the file, the line where it can be found, and the key.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10 only
    import tomli as tomllib

from .config import SECTIONS
from .errors import BookError, ConfigError
from .ingest import Book
from .text.lexicon import Lexicon, LexiconEntry, rule_entry, word_entry

BOOK_FILE_SUFFIX = ".audiobook.toml"
TOP_KEYS = ("book", "profile", "lexicon", "voices", "chapters")
CHAPTER_KEYS = ("index", "include", "title", "spoken_title")
RULE_KEYS = ("pattern", "replace")
VOICE_KEYS = ("narrator",)


@dataclass(frozen=True)
class ChapterEdit:
    index: int
    include: bool = True
    title: str = ""  # "" keeps the book's title
    spoken_title: str = ""  # "" reads the title
    where: str = ""  # "FILE:LINE" of its [[chapters]] table, for errors found later


@dataclass(frozen=True)
class BookFile:
    path: Path
    book: Path  # resolved against the file's folder
    profile: str | None
    lexicon: Lexicon
    chapters: tuple[ChapterEdit, ...]
    narrator: Path | None  # [voices] narrator, resolved against the file's folder
    settings: dict[str, dict[str, Any]]  # profile tables given in the file, unchecked (config checks)

    def apply(self, book: Book) -> Book:
        """``book`` with the chapter edits made; an index the book lacks is a ConfigError."""
        edits = {e.index: e for e in self.chapters}
        known = {c.index for c in book.chapters}
        for e in self.chapters:
            if e.index not in known:
                span = f"1-{max(known)}" if known else "none"
                raise ConfigError(f"{e.where}: chapters: no chapter {e.index} in the book (it has chapters {span})")
        chapters = []
        for c in book.chapters:
            e = edits.get(c.index)
            if e is None:
                chapters.append(c)
            elif e.include:
                chapters.append(dataclasses.replace(c, title=e.title or c.title, spoken_title=e.spoken_title or c.spoken_title))
        return dataclasses.replace(book, chapters=tuple(chapters))


def is_book_file(path: Path) -> bool:
    """A ``.audiobook.toml`` file, or any ``.toml`` whose top level has ``book``."""
    if path.name.endswith(BOOK_FILE_SUFFIX):
        return True
    if path.suffix != ".toml" or not path.is_file():
        return False
    try:
        return "book" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


class _Locator:
    """``FILE:LINE`` for a key, found by searching the file's text (TOML keeps no positions)."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def line(self, pattern: str, nth: int = 0, after: int = 0) -> int | None:
        found = 0
        for number, line in enumerate(self.lines[after:], start=after + 1):
            if re.match(pattern, line):
                if found == nth:
                    return number
                found += 1
        return None

    def key(self, key: str, after: int = 0) -> str:
        k = re.escape(key)
        return self.at(self.line(rf"\s*(?:[\"']?{k}[\"']?\s*=|\[\[?\s*{k}\s*\]\]?)", after=after))

    def at(self, line: int | None) -> str:
        return f"{self.path}:{line}" if line else str(self.path)


def load_book_file(path: Path) -> BookFile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read book file: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}") from None
    loc = _Locator(path, text)

    for key in data:
        if key not in TOP_KEYS and key not in SECTIONS:
            raise ConfigError(f"{loc.key(key)}: unknown key '{key}' (known: {', '.join((*TOP_KEYS, *SECTIONS))})")
    if "book" not in data:
        raise ConfigError(f"{path}: missing key 'book' (the book's path, relative to this file)")
    book_rel = _string(data["book"], "book", loc.key("book"))
    book = path.parent / book_rel
    if not book.is_file():
        raise BookError(f"{loc.key('book')}: book = {book_rel!r}: no such file ({book})")
    profile = _string(data["profile"], "profile", loc.key("profile")) if "profile" in data else None
    settings = {}
    for section in SECTIONS:
        if section in data:
            if not isinstance(data[section], dict):
                raise ConfigError(f"{loc.key(section)}: '{section}' must be a table ([{section}])")
            settings[section] = data[section]
    return BookFile(
        path=path,
        book=book,
        profile=profile,
        lexicon=_lexicon(_table(data, "lexicon", loc), loc),
        chapters=_chapters(data.get("chapters", []), loc),
        narrator=_narrator(_table(data, "voices", loc), loc),
        settings=settings,
    )


def _table(data: dict, name: str, loc: _Locator) -> dict:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{loc.key(name)}: '{name}' must be a table ([{name}])")
    return value


def _string(value: Any, name: str, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {name} must be a string, not {value!r}")
    return value


def _lexicon(table: dict, loc: _Locator) -> Lexicon:
    start = loc.line(r"\s*\[lexicon\]") or 0
    words: list[LexiconEntry] = []
    for word, spoken in table.items():
        if word == "rules":
            continue
        where = loc.key(word, after=start)
        spoken = _string(spoken, f"lexicon.{json.dumps(word, ensure_ascii=False)}", where)
        if not word.strip():
            raise ConfigError(f"{where}: lexicon: an empty word cannot be replaced")
        words.append(word_entry(word, spoken))
    rules = table.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise ConfigError(f"{loc.key('rules')}: lexicon.rules must be [[lexicon.rules]] tables")
    compiled = []
    for n, rule in enumerate(rules):
        where = loc.at(loc.line(r"\s*\[\[lexicon\.rules\]\]", nth=n))
        for key in rule:
            if key not in RULE_KEYS:
                raise ConfigError(f"{where}: unknown key '{key}' in [[lexicon.rules]] (known: {', '.join(RULE_KEYS)})")
        for key in RULE_KEYS:
            if key not in rule:
                raise ConfigError(f"{where}: [[lexicon.rules]] needs '{key}'")
            _string(rule[key], f"lexicon.rules.{key}", where)
        try:
            compiled.append(rule_entry(rule["pattern"], rule["replace"]))
        except re.error as exc:
            raise ConfigError(
                f"{where}: lexicon rule pattern {rule['pattern']!r} is not a valid regular expression: {exc}"
            ) from None
        except ValueError as exc:
            raise ConfigError(f"{where}: lexicon rule replace {rule['replace']!r} does not fit its pattern: {exc}") from None
    return Lexicon((*words, *compiled))


def _chapters(tables: Any, loc: _Locator) -> tuple[ChapterEdit, ...]:
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{loc.key('chapters')}: chapters must be [[chapters]] tables")
    edits: dict[int, ChapterEdit] = {}
    for n, table in enumerate(tables):
        line = loc.line(r"\s*\[\[chapters\]\]", nth=n)
        where = loc.at(line)
        for key in table:
            if key not in CHAPTER_KEYS:
                raise ConfigError(f"{loc.key(key, after=line or 0)}: unknown key '{key}' in [[chapters]] (known: {', '.join(CHAPTER_KEYS)})")
        if "index" not in table:
            raise ConfigError(f"{where}: [[chapters]] needs 'index' (the chapter's number in `audiobook-tts chapters`)")
        index = table["index"]
        if isinstance(index, bool) or not isinstance(index, int) or index < 1:
            raise ConfigError(f"{loc.key('index', after=line or 0)}: chapters.index must be a chapter number (1, 2, ...), not {index!r}")
        include = table.get("include", True)
        if not isinstance(include, bool):
            raise ConfigError(f"{loc.key('include', after=line or 0)}: chapters.include must be true or false, not {include!r}")
        title = _string(table.get("title", ""), "chapters.title", loc.key("title", after=line or 0))
        spoken = _string(table.get("spoken_title", ""), "chapters.spoken_title", loc.key("spoken_title", after=line or 0))
        if index in edits:
            raise ConfigError(f"{where}: chapter {index} is listed twice in [[chapters]]")
        edits[index] = ChapterEdit(index, include, title.strip(), spoken.strip(), where)
    return tuple(edits.values())


def _narrator(table: dict, loc: _Locator) -> Path | None:
    for key in table:
        if key not in VOICE_KEYS:
            raise ConfigError(f"{loc.key(key)}: unknown key '{key}' in [voices] (known: {', '.join(VOICE_KEYS)})")
    if "narrator" not in table:
        return None
    return loc.path.parent / _string(table["narrator"], "voices.narrator", loc.key("narrator"))


# --------------------------------------------------------------------------- init


def default_path(book: Path) -> Path:
    """``novel.epub`` -> ``novel.audiobook.toml`` beside it."""
    return book.with_name(book.stem + BOOK_FILE_SUFFIX)


def _q(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def init_text(book: Book, book_path: Path, file: Path, voice: Path | None = None) -> str:
    """The book file ``init`` writes: metadata as comments, every chapter included."""
    meta = book.meta
    rel = Path(os.path.relpath(book_path.resolve(), file.resolve().parent)).as_posix()
    lines = [
        "# Book file for audiobook-tts: give it to render, plan or chapters in place of the book.",
        "# Settings: profile <- the tables here <- command-line flags.",
        "#",
        f"# Title:    {meta.title}",
        f"# Authors:  {', '.join(meta.authors) or '(unknown)'}",
        f"# Language: {meta.language or '(not given)'}",
        f"# Format:   {book.format}",
        f"# Chapters: {len(book.chapters)}",
    ]
    if book.skipped:
        lines.append(f"# Left out as front/back matter: {', '.join(book.skipped)}")
    lines += [
        "",
        f"book = {_q(rel)}",
        'profile = "default"',
        "",
        "[lexicon]",
        '# Whole words: "word" = "spoken form". A lowercase word matches any case and keeps the',
        "# text's capital first letter; a word with capitals matches exactly.",
        '# "colonel" = "kernel"',
        "# Regular expressions, applied after the words:",
        "# [[lexicon.rules]]",
        '# pattern = "\\\\bch\\\\. (\\\\d+)"',
        '# replace = "chapter \\\\1"',
        "",
        "[voices]",
        f"narrator = {_q(Path(os.path.relpath(voice.resolve(), file.resolve().parent)).as_posix())}"
        if voice is not None else '# narrator = "voice.wav"',
        "",
    ]
    for c in book.chapters:
        lines += [
            "[[chapters]]",
            f"index = {c.index}",
            f"title = {_q(c.title)}",
            "include = true",
            f"# spoken_title = {_q(c.title)}",
            "",
        ]
    return "\n".join(lines)

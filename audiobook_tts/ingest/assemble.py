"""Shared last step of every reader: drafts -> numbered chapters plus the skipped list."""

from __future__ import annotations

from dataclasses import dataclass, field

from .matter import is_part_title, join_title, words
from .model import KIND_BACK, KIND_BODY, KIND_FRONT, Chapter


@dataclass
class Draft:
    """A chapter under construction."""

    title: str | None  # None: "Chapter N" once N is known
    source: str
    paragraphs: list[str] = field(default_factory=list)
    kind: str | None = None  # None: body for narration, front/back by position for matter
    matter: bool = False  # not narration: left out unless front matter is asked for
    label: str = ""  # what `skipped` lists for it; defaults to the title, then the source


def finish(drafts: list[Draft], *, include_front_matter: bool) -> tuple[tuple[Chapter, ...], tuple[str, ...]]:
    """Number the drafts that have text; matter drafts go to the skipped list unless included."""
    drafts = _carry_part_titles(drafts)
    narrated = [i for i, d in enumerate(drafts) if not d.matter and d.paragraphs]
    first_body = narrated[0] if narrated else len(drafts)

    chapters: list[Chapter] = []
    skipped: list[str] = []
    for i, draft in enumerate(drafts):
        if draft.matter and not (include_front_matter and draft.paragraphs):
            skipped.append(draft.label or draft.title or draft.source)
            continue
        if not draft.paragraphs:
            continue
        kind = draft.kind or (KIND_BODY if not draft.matter else KIND_FRONT if i < first_body else KIND_BACK)
        index = len(chapters) + 1
        chapters.append(
            Chapter(
                index=index,
                title=draft.title or f"Chapter {index}",
                paragraphs=tuple(draft.paragraphs),
                kind=kind,
                source=draft.source,
            )
        )
    return tuple(chapters), tuple(skipped)


def _carry_part_titles(drafts: list[Draft]) -> list[Draft]:
    # A "Part One" page has no text of its own once its heading is the title; rather than lose
    # the announcement, it becomes the start of the next chapter's title (only the very next:
    # a list of contents must not stack up "Part I: Part II: ...").
    out: list[Draft] = []
    pending = None
    for draft in drafts:
        if not draft.matter and not draft.paragraphs and draft.title and is_part_title(draft.title):
            pending = draft.title
            continue
        if pending and not draft.matter and draft.paragraphs and not _starts_with(draft.title or "", pending):
            # A nested TOC may have put the part's title there already ("Part One: I").
            draft.title = join_title([pending, draft.title or ""])
        pending = None
        out.append(draft)
    return out


def _starts_with(title: str, prefix: str) -> bool:
    return words(title)[: len(words(prefix))] == words(prefix)

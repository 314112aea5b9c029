"""Checks a render passes before it loads a model or writes a file, each a one-line error."""

from __future__ import annotations

from pathlib import Path

from .book_language import check_speakable
from .errors import UsageError, VoiceError
from .plan import Plan


def check_render(plan: Plan, voice: Path) -> None:
    """Something to read, a model that speaks the book's language, a voice sample file."""
    if not plan.chapters:
        raise UsageError("nothing to render: the selected chapters contain no text")
    check_speakable(plan.language, plan.settings.model.variant)
    _check_voice_file(voice)  # before the model loads, not after


def _check_voice_file(path: Path) -> None:
    if not path.exists():
        raise VoiceError(f"voice sample not found: {path}")
    if path.is_dir():
        raise VoiceError(f"voice sample is a directory, not an audio file: {path}")

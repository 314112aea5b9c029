"""One error family for everything a user can cause or fix.

The CLI prints any :class:`AudiobookError` as a single ``Error: ...`` line and exits with
its ``exit_code``; anything else is an internal error, logged in full to the work directory.
"""

from __future__ import annotations


class AudiobookError(Exception):
    """Base class: the message is complete, user-facing and fits on one line."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(AudiobookError):
    """A flag or argument is malformed (e.g. ``--chapters 5-2``)."""

    exit_code = 2


class ConfigError(AudiobookError):
    """A profile is missing, unparsable or holds a bad key/value."""

    exit_code = 2


class BookError(AudiobookError):
    """The book cannot be read: missing, not an EPUB, DRM, empty, binary..."""

    exit_code = 3


class VoiceError(AudiobookError):
    """The voice sample cannot be used: missing, unreadable, silent, too short."""

    exit_code = 3


class ModelError(AudiobookError):
    """Model weights are unavailable or do not match the expected layout."""

    exit_code = 4


class OutputError(AudiobookError):
    """The output cannot be written: permissions, full disk, locked work directory."""

    exit_code = 5


class DiskFullError(OutputError):
    """No space left while writing; everything finished before stays on disk."""


class LockedError(OutputError):
    """Another render is already writing into the same work directory."""


class FfmpegError(OutputError):
    """An ffmpeg step failed; carries the step name and ffmpeg's stderr tail."""

    def __init__(self, step: str, returncode: int, stderr: str) -> None:
        tail = " | ".join(line.strip() for line in stderr.strip().splitlines()[-3:] if line.strip())
        super().__init__(f"ffmpeg failed while {step} (exit {returncode}): {tail or 'no output'}")
        self.step = step
        self.returncode = returncode
        self.stderr = stderr


class Interrupted(AudiobookError):
    """The user pressed Ctrl-C; finished chunks are kept."""

    exit_code = 130

    def __init__(
        self, message: str = "interrupted: finished chunks are saved; run the same command again to resume"
    ) -> None:
        super().__init__(message)

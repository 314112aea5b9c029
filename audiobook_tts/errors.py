"""One error family for everything a user can cause or fix.

The CLI prints any :class:`AudiobookError` as a single ``Error: ...`` line and exits with
its ``exit_code``; anything else is an internal error, logged in full to the work directory.
"""

from __future__ import annotations

# Exit codes, one per kind of failure (the CLI returns them; tests and scripts check them).
EXIT_FAILURE = 1
EXIT_USAGE = 2  # a flag, argument or profile is wrong
EXIT_INPUT = 3  # the book or the voice sample cannot be used
EXIT_MODEL = 4  # the model weights are unavailable or do not fit
EXIT_OUTPUT = 5  # the output cannot be written
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug; the full log says where
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


class AudiobookError(Exception):
    """Base class: the message is complete, user-facing and fits on one line."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(AudiobookError):
    """A flag or argument is malformed (e.g. ``--chapters 5-2``)."""

    exit_code = EXIT_USAGE


class ConfigError(AudiobookError):
    """A profile is missing, unparsable or holds a bad key/value."""

    exit_code = EXIT_USAGE


class BookError(AudiobookError):
    """The book cannot be read: missing, not an EPUB, DRM, empty, binary..."""

    exit_code = EXIT_INPUT


class VoiceError(AudiobookError):
    """The voice sample cannot be used: missing, unreadable, silent, too short."""

    exit_code = EXIT_INPUT


class ModelError(AudiobookError):
    """Model weights are unavailable or do not match the expected layout."""

    exit_code = EXIT_MODEL


class OutputError(AudiobookError):
    """The output cannot be written: permissions, full disk, locked work directory."""

    exit_code = EXIT_OUTPUT


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

    exit_code = EXIT_INTERRUPTED

    def __init__(
        self, message: str = "interrupted: finished chunks are saved; run the same command again to resume"
    ) -> None:
        super().__init__(message)

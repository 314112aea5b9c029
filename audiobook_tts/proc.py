"""The one place where the project starts subprocesses (in practice: ffmpeg).

ffmpeg comes from the ``imageio-ffmpeg`` wheel, so users need no system install; the
``IMAGEIO_FFMPEG_EXE`` environment variable points it at another binary.
"""

from __future__ import annotations

import functools
import subprocess
from typing import Sequence

from .errors import DiskFullError, FfmpegError, OutputError

# ffmpeg's text for ENOSPC; it reports write errors only in stderr, never as an errno.
_ENOSPC_TEXT = "No space left on device"


def run(
    args: Sequence[str],
    *,
    step: str,
    input: bytes | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``args`` with captured output; the caller judges the exit code.

    ``step`` says what the command is for ("encoding chapter 3 to MP3") and names it in
    errors: a program that cannot start or runs past ``timeout`` seconds is an OutputError.
    """
    argv = [str(a) for a in args]
    try:
        return subprocess.run(
            argv,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise OutputError(f"{argv[0]} timed out after {timeout:g} s while {step}") from None
    except OSError as exc:
        raise OutputError(f"cannot run {argv[0]} while {step}: {exc.strerror or exc}") from None


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary bundled with imageio-ffmpeg."""
    import imageio_ffmpeg  # deferred: only encoding needs it

    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        raise OutputError(f"ffmpeg is not available: {exc}") from None


def run_ffmpeg(
    args: Sequence[str],
    *,
    step: str,
    loglevel: str = "error",
    input: bytes | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg non-interactively; a failure is a FfmpegError naming ``step``.

    ``loglevel="info"`` is needed when the caller parses what a filter prints
    (loudnorm's JSON, ebur128's summary, ``-i`` stream listings).
    """
    argv = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", loglevel, *args]
    proc = run(argv, step=step, input=input, timeout=timeout)
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", errors="replace")
        if _ENOSPC_TEXT in stderr:
            raise DiskFullError(
                f"disk full while {step}; finished work is kept, "
                "free some space and run the same command again to resume"
            )
        raise FfmpegError(step, proc.returncode, stderr)
    return proc

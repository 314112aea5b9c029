"""Atomic, durable file writes: a reader sees the old file or the complete new one, never a torn one.

Every file is written to a temporary name in its final directory, fsynced, renamed over the
final name, and the directory fsynced, so Ctrl-C, kill -9, power loss or a full disk never
leave a half-written file under a final name.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
from pathlib import Path
from typing import Iterator

from .errors import DiskFullError, OutputError

TEMP_SUFFIX = ".tmp"
# Disk-full errnos: no space, and over quota (which users fix the same way).
FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


def write_error(path: Path, exc: OSError) -> OutputError:
    if exc.errno in FULL_ERRNOS:
        return DiskFullError(
            f"disk full while writing {path}; finished work is kept, "
            "free some space and run the same command again to resume"
        )
    return OutputError(f"cannot write {path}: {exc.strerror or exc}")


def make_dir(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno in FULL_ERRNOS:
            raise write_error(directory, exc) from None
        raise OutputError(f"cannot create directory {directory}: {exc.strerror or exc}") from None


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_temp_files(directory: Path, pattern: str = "*") -> None:
    """Delete what killed writers left in ``directory``: temporary files (``.NAME.PID.tmp``).

    Only for directories the caller owns (under the render's work lock).
    """
    try:
        for leftover in directory.glob(f".{pattern}{TEMP_SUFFIX}"):
            leftover.unlink(missing_ok=True)
    except OSError as exc:
        raise write_error(directory, exc) from None


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is fsynced and renamed to it.

    For files written by other programs (ffmpeg, soundfile). On an exception the
    temporary file is removed and ``path`` is left as it was. Temporary files of ``path``
    left by a writer that was killed are removed first.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")
    make_dir(path.parent)
    remove_temp_files(path.parent, f"{glob.escape(path.name)}.*")
    try:
        # Creating it now turns an unwritable directory into a clear error before work starts.
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
    except OSError as exc:
        raise write_error(path, exc) from None
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as exc:
        raise write_error(path, exc) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` all-or-nothing; ENOSPC -> DiskFullError."""
    with atomic_path(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))

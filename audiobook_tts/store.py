"""The resumable chunk store and the work-directory lock.

A render can be killed at any moment (Ctrl-C, kill -9, power loss, full disk). Every file
is therefore written to a temporary name in its final directory, fsynced, renamed over the
final name and the directory fsynced, so a reader sees the old file or the complete new
one, never a torn one. Chunk files also carry a SHA-256 of their contents, which catches
what renames cannot (bit rot, a copy cut short, a file edited by hand).
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import io
import json
import os
import re
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import soundfile as sf

from .errors import LockedError, OutputError
from .files import atomic_write_bytes, make_dir, remove_temp_files, write_error

CHUNK_SUFFIX = ".chunk"
# Chunk file: MAGIC | sha256(payload) | payload, payload = u32 header length | header JSON |
# FLAC. Bump the magic's digit when the layout changes: old files then read as damaged.
CHUNK_MAGIC = b"ABTTSCK1"
_DIGEST_BYTES = 32
_LEN = struct.Struct("<I")
# 24-bit FLAC: lossless for TTS output (noise floor -144 dBFS) at ~1/3 the size of float32.
CHUNK_SUBTYPE = "PCM_24"
_KEY_RE = re.compile(r"^[0-9a-f]{64}$")


def _json_default(obj: object) -> object:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    raise TypeError(f"chunk_key: cannot hash a {type(obj).__name__}; pass plain values")


def chunk_key(**fields: object) -> str:
    """Hex SHA-256 of everything that determines a chunk's audio.

    Pass e.g. ``text=, voice=, model=, params=, seed=``; any change to any value (or a new
    field) gives a new key, so stale audio is never reused. Dataclasses are expanded.
    """
    canonical = json.dumps(
        fields,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_json_default,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredChunk:
    wav: np.ndarray  # (samples,) float32 mono
    sample_rate: int
    meta: dict


class _Damaged(Exception):
    pass


def _encode_chunk(key: str, wav: np.ndarray, sample_rate: int, meta: Mapping[str, object]) -> bytes:
    wav = np.asarray(wav, dtype=np.float32)
    if wav.ndim != 1:
        raise ValueError(f"chunk audio must be mono (samples,), got shape {wav.shape}")
    peak = float(np.max(np.abs(wav))) if wav.size else 0.0
    # Integer FLAC cannot hold |x| > 1; scale down and store the gain so get() restores it.
    gain = peak if peak > 1.0 else 1.0
    flac = io.BytesIO()
    if wav.size:  # libsndfile cannot read back a FLAC stream of zero samples
        sf.write(flac, wav / gain, sample_rate, subtype=CHUNK_SUBTYPE, format="FLAC")
    header = json.dumps(
        {"key": key, "gain": gain, "samples": int(wav.size), "rate": int(sample_rate), "meta": dict(meta)},
        ensure_ascii=False,
    ).encode("utf-8")
    payload = _LEN.pack(len(header)) + header + flac.getvalue()
    return CHUNK_MAGIC + hashlib.sha256(payload).digest() + payload


def _check_chunk(key: str, data: bytes) -> tuple[dict, memoryview]:
    """(header, FLAC bytes) of an intact chunk file holding ``key``; _Damaged otherwise."""
    start = len(CHUNK_MAGIC) + _DIGEST_BYTES
    if len(data) < start + _LEN.size or not data.startswith(CHUNK_MAGIC):
        raise _Damaged("bad header")
    payload = memoryview(data)[start:]
    if hashlib.sha256(payload).digest() != data[len(CHUNK_MAGIC) : start]:
        raise _Damaged("checksum mismatch")
    (header_len,) = _LEN.unpack_from(payload)
    header = json.loads(bytes(payload[_LEN.size : _LEN.size + header_len]))
    if header["key"] != key:
        raise _Damaged("file holds another chunk")
    return header, payload[_LEN.size + header_len :]


def _decode_chunk(key: str, data: bytes) -> StoredChunk:
    header, flac = _check_chunk(key, data)
    if header["samples"] == 0:
        return StoredChunk(wav=np.zeros(0, dtype=np.float32), sample_rate=header["rate"], meta=header["meta"])
    wav, sample_rate = sf.read(io.BytesIO(flac), dtype="float32")
    if wav.size != header["samples"]:
        raise _Damaged("sample count mismatch")
    if header["gain"] != 1.0:
        wav *= np.float32(header["gain"])
    return StoredChunk(wav=wav, sample_rate=int(sample_rate), meta=header["meta"])


class ChunkStore:
    """Synthesised chunks by key, one file each, under ``root``.

    The caller must hold the :class:`WorkLock` of the work directory: opening the store
    deletes temporary files that only a crashed writer can have left.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        make_dir(self.root)
        remove_temp_files(self.root)

    def path(self, key: str) -> Path:
        if not _KEY_RE.match(key):
            raise ValueError(f"not a chunk key: {key!r}")
        return self.root / f"{key}{CHUNK_SUFFIX}"

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.path(key).is_file()

    def get(self, key: str) -> StoredChunk | None:
        """The stored chunk, or None if absent or damaged (a damaged file is deleted)."""
        return self._read(key, _decode_chunk)

    def meta(self, key: str) -> dict | None:
        """What was stored beside an intact chunk's audio; None if absent or damaged (a damaged
        file is deleted). Checks the checksum without decoding the audio: cheap enough to run
        over a whole book at start."""
        found = self._read(key, _check_chunk)
        return None if found is None else found[0]["meta"]

    def _read(self, key: str, parse):
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise OutputError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            return parse(key, data)
        except (_Damaged, ValueError, KeyError, TypeError, sf.LibsndfileError, RuntimeError) as exc:
            # JSON/FLAC errors can only follow a matching checksum if the writer was buggy,
            # but re-synthesising is always a safe answer.
            warnings.warn(
                f"chunk {key[:12]} is damaged ({exc}); deleting {path} and synthesising it again",
                stacklevel=3,
            )
            path.unlink(missing_ok=True)
            return None

    def put(self, key: str, wav: np.ndarray, sample_rate: int, meta: Mapping[str, object]) -> Path:
        """Store a chunk durably; returns its path. ENOSPC -> DiskFullError, nothing left."""
        path = self.path(key)
        atomic_write_bytes(path, _encode_chunk(key, wav, sample_rate, meta))
        return path


class WorkLock:
    """Exclusive lock on ``<workdir>/lock`` so two renders never share a work directory.

    flock locks belong to the open file, so the kernel drops them when the holder exits,
    even by SIGKILL: a stale lock file never blocks the next run.
    """

    FILE_NAME = "lock"

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self._fd: int | None = None

    def __enter__(self) -> WorkLock:
        path = self.workdir / self.FILE_NAME
        make_dir(self.workdir)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise write_error(path, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", errors="replace").strip() or "unknown"
            os.close(fd)
            raise LockedError(
                f"another render is already writing to {self.workdir} (lock held by pid "
                f"{holder}); wait for it to finish or use another --out"
            ) from None
        # The pid is only for the message above; the lock itself is the flock.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the flock
            self._fd = None

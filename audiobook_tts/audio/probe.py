"""Read an encoded file back (duration, tags, chapters, cover, loudness) with ffmpeg alone.

The bundled ffmpeg has no ffprobe: ``ffmpeg -i FILE -f ffmetadata -`` prints the tags and
chapters on stdout and the stream listing on stderr.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import Iterator

from ..errors import FfmpegError
from ..proc import run_ffmpeg
from .encode import ChapterMark

_DURATION_RE = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_AUDIO_RE = re.compile(r"Stream #\S+.*?: Audio: (\w+).*?, (\d+) Hz, (\w+)")
_COVER_RE = re.compile(r"Stream #\S+.*?: Video: .*\(attached pic\)")
_INTEGRATED_RE = re.compile(r"Integrated loudness:\s+I:\s+(-?[\d.]+|-inf) LUFS", re.S)


def _entries(text: str) -> Iterator[tuple[str, str | None]]:
    """``(key, value)`` per ffmetadata line with escapes undone; ``value`` is None on
    lines without ``=`` (headers, comments). An escaped newline continues the value."""
    key: list[str] = []
    value: list[str] | None = None
    escaped = False
    for c in text + "\n":
        if escaped:
            (key if value is None else value).append(c)
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == "\n":
            yield "".join(key), None if value is None else "".join(value)
            key, value = [], None
        elif c == "=" and value is None:
            value = []
        else:
            (key if value is None else value).append(c)


def parse_ffmetadata(text: str) -> tuple[dict[str, str], list[ChapterMark]]:
    """Global tags and chapters of an ffmetadata document (stream sections are skipped)."""
    tags: dict[str, str] = {}
    chapters: list[ChapterMark] = []
    section: dict[str, str] | None = tags
    raw_chapters: list[dict[str, str]] = []
    for key, value in _entries(text):
        if value is None:
            if key == "[CHAPTER]":
                raw_chapters.append({})
                section = raw_chapters[-1]
            elif key.startswith("["):
                section = None
        elif section is not None and not key.startswith((";", "#")):
            section[key] = value
    for ch in raw_chapters:
        timebase = Fraction(ch.get("TIMEBASE", "1/1000"))
        chapters.append(
            ChapterMark(
                title=ch.get("title", ""),
                start_s=float(int(ch["START"]) * timebase),
                end_s=float(int(ch["END"]) * timebase),
            )
        )
    return tags, chapters


def probe(path: Path) -> dict:
    """Keys: duration_s, tags (dict), chapters (list of ChapterMark), has_cover,
    audio_codec, sample_rate, channels. Duration has ffmpeg's 10 ms resolution."""
    proc = run_ffmpeg(["-i", str(path), "-f", "ffmetadata", "-"], step=f"reading {path}", loglevel="info")
    listing = proc.stderr.decode("utf-8", errors="replace")
    tags, chapters = parse_ffmetadata(proc.stdout.decode("utf-8", errors="replace"))
    duration = _DURATION_RE.search(listing)
    audio = _AUDIO_RE.search(listing)
    if duration is None or audio is None:
        raise FfmpegError(f"reading {path}", 0, f"{listing}\nno audio stream with a duration")
    h, m, s = duration.groups()
    return {
        "duration_s": int(h) * 3600 + int(m) * 60 + float(s),
        "tags": tags,
        "chapters": chapters,
        "has_cover": _COVER_RE.search(listing) is not None,
        "audio_codec": audio.group(1),
        "sample_rate": int(audio.group(2)),
        "channels": audio.group(3),
    }


def integrated_loudness(path: Path) -> float:
    """EBU R128 integrated loudness in LUFS, by ffmpeg's ebur128 meter (not loudnorm)."""
    proc = run_ffmpeg(
        ["-nostats", "-i", str(path), "-map", "0:a", "-af", "ebur128", "-f", "null", "-"],
        step=f"measuring the loudness of {path}",
        loglevel="info",
    )
    matches = _INTEGRATED_RE.findall(proc.stderr.decode("utf-8", errors="replace"))
    if not matches:
        raise FfmpegError(f"measuring the loudness of {path}", 0, "ebur128 printed no summary")
    return float(matches[-1])

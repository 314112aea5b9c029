"""Stage 3: normalised chapter WAVs -> per-chapter MP3s or one chaptered M4B.

The M4B is one AAC encode over the chapter WAVs joined by ffmpeg's concat demuxer: it
streams (memory stays flat for any book length), leaves no encoder-priming gaps at the
chapter joins, and makes chapter times exact, since they are the WAVs' sample counts.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import soundfile as sf

from ..proc import run_ffmpeg
from ..files import atomic_path

GENRE = "Audiobook"
# iTunes "stik" media kind 2 marks the file as an audiobook (bookmarking, speed controls).
ITUNES_MEDIA_TYPE_AUDIOBOOK = "2"
# Codecs MP4 'covr' and ID3 APIC store as they are; anything else is re-encoded as JPEG.
_COPYABLE_COVER_MIMES = {"image/jpeg", "image/png"}
_FFMETADATA_SPECIAL = "\\=;#\n"


@dataclass(frozen=True)
class ChapterMark:
    title: str
    start_s: float
    end_s: float


def escape_ffmetadata(value: str) -> str:
    """Backslash-escape ``\\ = ; #`` and newline, as the ffmetadata format requires."""
    return "".join(f"\\{c}" if c in _FFMETADATA_SPECIAL else c for c in value)


def ffmetadata(tags: Mapping[str, str], chapters: Sequence[ChapterMark]) -> str:
    """An ``;FFMETADATA1`` document with global ``tags`` and millisecond chapter marks."""
    lines = [";FFMETADATA1"]
    lines += [f"{key}={escape_ffmetadata(value)}" for key, value in tags.items()]
    for ch in chapters:
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={round(ch.start_s * 1000)}",
            f"END={round(ch.end_s * 1000)}",
            f"title={escape_ffmetadata(ch.title)}",
        ]
    return "\n".join(lines) + "\n"


def _cover_args(cover_mime: str | None, stream: str) -> list[str]:
    """Output options that store the image input ``stream`` as front-cover art."""
    codec = "copy" if cover_mime in _COPYABLE_COVER_MIMES else "mjpeg"
    return [
        "-map", stream, "-c:v", codec, "-disposition:v", "attached_pic",
        "-metadata:s:v", "title=Cover", "-metadata:s:v", "comment=Cover (front)",
    ]


def _cover_input(cover: bytes | None) -> list[str]:
    # Read from stdin: the image needs no temporary file.
    return ["-i", "pipe:0"] if cover is not None else []


def mp3_tags(*, book_title: str, authors: Sequence[str], chapter_title: str, track: int, total: int) -> dict[str, str]:
    """ID3 tags for one chapter file of a book."""
    artist = ", ".join(authors)
    return {
        "title": chapter_title,
        "artist": artist,
        "album_artist": artist,
        "album": book_title,
        "track": f"{track}/{total}",
        "genre": GENRE,
    }


def encode_mp3(
    chapter_wav: Path,
    out_mp3: Path,
    *,
    tags: Mapping[str, str],
    cover: bytes | None = None,
    cover_mime: str | None = None,
    bitrate: str = "96k",
    label: str = "chapter",
) -> None:
    """One chapter as an MP3 with ID3v2.3 ``tags`` and optional cover art, written atomically."""
    args = ["-i", str(chapter_wav), *_cover_input(cover), "-map", "0:a", "-map_metadata", "-1"]
    if cover is not None:
        args += _cover_args(cover_mime, "1:v")
    for key, value in tags.items():
        args += ["-metadata", f"{key}={value}"]
    with atomic_path(Path(out_mp3)) as tmp:
        run_ffmpeg(
            [*args, "-c:a", "libmp3lame", "-b:a", bitrate, "-id3v2_version", "3",
             "-f", "mp3", str(tmp)],
            step=f"encoding {label} to MP3",
            input=cover,
        )


def chapter_marks(chapters: Sequence[tuple[Path, str]]) -> list[ChapterMark]:
    """Contiguous marks from each chapter WAV's exact length."""
    marks: list[ChapterMark] = []
    start = 0.0
    formats = set()
    for wav, title in chapters:
        info = sf.info(str(wav))
        formats.add((info.samplerate, info.channels))
        end = start + info.frames / info.samplerate
        marks.append(ChapterMark(title=title, start_s=start, end_s=end))
        start = end
    if len(formats) > 1:
        # The concat demuxer would play them at the first file's rate: wrong pitch and times.
        raise ValueError(f"chapter WAVs differ in (sample rate, channels): {sorted(formats)}")
    return marks


def _concat_list(paths: Sequence[Path]) -> str:
    # concat demuxer syntax: single-quoted paths, a quote written as '\''.
    return "".join("file '{}'\n".format(str(p.resolve()).replace("'", "'\\''")) for p in paths)


def build_m4b(
    chapters: Sequence[tuple[Path, str]],
    out_m4b: Path,
    *,
    title: str,
    authors: Sequence[str],
    cover: bytes | None = None,
    cover_mime: str | None = None,
    bitrate: str = "64k",
    extra_tags: Mapping[str, str] | None = None,
) -> list[ChapterMark]:
    """Encode ``(chapter WAV, chapter title)`` pairs to one AAC ``.m4b`` with chapter marks.

    Tags: title/album = ``title``, artist/album_artist = ``authors``, genre Audiobook,
    plus ``extra_tags`` (e.g. ``date``, ``comment``). Written atomically.
    """
    if not chapters:
        raise ValueError("build_m4b needs at least one chapter")
    marks = chapter_marks(chapters)
    artist = ", ".join(authors)
    tags = {
        "title": title,
        "album": title,
        "artist": artist,
        "album_artist": artist,
        "genre": GENRE,
        "media_type": ITUNES_MEDIA_TYPE_AUDIOBOOK,
        **(extra_tags or {}),
    }
    with tempfile.TemporaryDirectory(prefix="audiobook-m4b-") as tmpdir:
        concat = Path(tmpdir) / "chapters.txt"
        concat.write_text(_concat_list([wav for wav, _ in chapters]), encoding="utf-8")
        meta = Path(tmpdir) / "metadata.txt"
        meta.write_text(ffmetadata(tags, marks), encoding="utf-8")
        args = ["-f", "concat", "-safe", "0", "-i", str(concat), "-f", "ffmetadata", "-i", str(meta),
                *_cover_input(cover), "-map", "0:a", "-map_metadata", "1", "-map_chapters", "1"]
        if cover is not None:
            args += _cover_args(cover_mime, "2:v")
        with atomic_path(Path(out_m4b)) as tmp:
            run_ffmpeg(
                # faststart puts the index first so players can start before reading it all.
                [*args, "-c:a", "aac", "-b:a", bitrate, "-movflags", "+faststart",
                 "-f", "ipod", str(tmp)],
                step=f"encoding {len(chapters)} chapters to AAC (M4B)",
                input=cover,
            )
    return marks

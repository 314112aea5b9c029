"""Audio stages: assemble chunks into chapter WAVs, normalise loudness, encode M4B/MP3."""

from .assemble import assemble_chapter
from .encode import ChapterMark, build_m4b, encode_mp3, mp3_tags
from .loudness import LoudnessStats, normalize_loudness
from .probe import integrated_loudness, probe

__all__ = [
    "ChapterMark",
    "LoudnessStats",
    "assemble_chapter",
    "build_m4b",
    "encode_mp3",
    "integrated_loudness",
    "mp3_tags",
    "normalize_loudness",
    "probe",
]

"""Loudness normalisation, M4B/MP3 encoding and reading them back, through real ffmpeg."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given
from hypothesis import strategies as st

from audiobook_tts import proc
from audiobook_tts.constants import SAMPLE_RATE_HZ as SR
from audiobook_tts.audio.encode import ChapterMark, build_m4b, encode_mp3, ffmetadata, mp3_tags
from audiobook_tts.audio.loudness import normalize_loudness
from audiobook_tts.audio.probe import integrated_loudness, parse_ffmetadata, probe
from audiobook_tts.errors import DiskFullError, FfmpegError, OutputError

TARGET_LUFS = -18.0
TRUE_PEAK_DB = -1.5
CHAPTER_TOLERANCE_S = 0.05
AAC_FRAME_S = 1024 / SR  # AAC pads the end to whole 1024-sample frames


def write_speechlike(path: Path, seconds: float, amplitude: float, hz: float = 200.0) -> Path:
    """Syllable-like bursts (a tone gated at 4 Hz) so loudness gating behaves as for speech."""
    t = np.arange(round(seconds * SR)) / SR
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0, None)
    sf.write(path, (amplitude * envelope * np.sin(2 * np.pi * hz * t)).astype(np.float32), SR, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def cover_jpeg(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("cover") / "cover.jpg"
    proc.run_ffmpeg(
        ["-f", "lavfi", "-i", "color=c=red:s=32x32", "-frames:v", "1", "-c:v", "mjpeg", "-f", "image2", str(path)],
        step="making a test cover",
    )
    return path.read_bytes()


@pytest.mark.parametrize("amplitude", [0.01, 0.9], ids=["quiet", "loud"])
def test_loudnorm_reaches_target(tmp_path: Path, amplitude: float) -> None:
    src = write_speechlike(tmp_path / "in.wav", 4.0, amplitude)
    out = tmp_path / "out.wav"
    stats = normalize_loudness(src, out, target_lufs=TARGET_LUFS, true_peak_db=TRUE_PEAK_DB, label="chapter 1")
    assert abs(stats.integrated_lufs - TARGET_LUFS) > 5  # the input really was off target
    # Checked with a different meter (ebur128) than the one that did the work (loudnorm).
    assert integrated_loudness(out) == pytest.approx(TARGET_LUFS, abs=1.0)
    info = sf.info(str(out))
    assert (info.samplerate, info.channels, info.subtype) == (SR, 1, "PCM_16")
    assert info.frames == sf.info(str(src)).frames


def test_silent_chapter_is_copied_with_warning(tmp_path: Path) -> None:
    src = tmp_path / "in.wav"
    sf.write(src, np.zeros(SR, dtype=np.float32), SR, subtype="PCM_16")
    with pytest.warns(UserWarning, match="^chapter 2 is silent; its loudness was not normalised$"):
        stats = normalize_loudness(src, tmp_path / "out.wav", target_lufs=TARGET_LUFS, true_peak_db=TRUE_PEAK_DB, label="chapter 2")
    assert not math.isfinite(stats.integrated_lufs) or stats.integrated_lufs <= -70
    assert sf.info(str(tmp_path / "out.wav")).frames == SR


TITLES = ["Chapter One", "Two = 2; a #hash and a \\ backslash", "Three"]


def test_m4b_has_exact_chapters_tags_and_cover(tmp_path: Path, cover_jpeg: bytes) -> None:
    seconds = [1.5, 2.25, 1.0]
    wavs = [write_speechlike(tmp_path / f"c{i}.wav", s, 0.3, hz=200 + 100 * i) for i, s in enumerate(seconds)]
    out = tmp_path / "book.m4b"
    marks = build_m4b(
        list(zip(wavs, TITLES)), out, title="A Book", authors=["Ann Author", "Bo Writer"],
        cover=cover_jpeg, cover_mime="image/jpeg", bitrate="48k",
    )
    starts = np.concatenate([[0.0], np.cumsum(seconds)[:-1]])
    assert [m.title for m in marks] == TITLES
    np.testing.assert_allclose([m.start_s for m in marks], starts, atol=1e-9)
    np.testing.assert_allclose([m.end_s for m in marks], np.cumsum(seconds), atol=1e-9)

    info = probe(out)
    assert [c.title for c in info["chapters"]] == TITLES
    for got, want in zip(info["chapters"], marks):
        assert got.start_s == pytest.approx(want.start_s, abs=CHAPTER_TOLERANCE_S)
        assert got.end_s == pytest.approx(want.end_s, abs=CHAPTER_TOLERANCE_S)
    chapters = info["chapters"]
    assert all(a.end_s == b.start_s for a, b in zip(chapters, chapters[1:]))  # contiguous
    assert info["duration_s"] == pytest.approx(sum(seconds), abs=AAC_FRAME_S)
    tags = info["tags"]
    assert (tags["title"], tags["album"], tags["artist"], tags["genre"]) == (
        "A Book", "A Book", "Ann Author, Bo Writer", "Audiobook")
    assert info["has_cover"] and (info["audio_codec"], info["sample_rate"], info["channels"]) == ("aac", SR, "mono")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".wav")) == ["book.m4b"]


def test_m4b_audio_lines_up_with_chapter_marks(tmp_path: Path) -> None:
    # Silence then a burst at the very end of chapter 1: the burst must end where chapter 2
    # starts in the decoded AAC, i.e. no priming or padding is inserted at the join.
    silence = np.zeros(SR, dtype=np.float32)
    burst = (0.5 * np.sin(2 * np.pi * 300 * np.arange(SR // 2) / SR)).astype(np.float32)
    sf.write(tmp_path / "a.wav", np.concatenate([silence, burst]), SR, subtype="PCM_16")
    sf.write(tmp_path / "b.wav", silence, SR, subtype="PCM_16")
    out = tmp_path / "book.m4b"
    marks = build_m4b([(tmp_path / "a.wav", "A"), (tmp_path / "b.wav", "B")], out, title="T", authors=["X"])
    pcm = proc.run_ffmpeg(["-i", str(out), "-f", "f32le", "-ac", "1", "-"], step="decoding the test book").stdout
    decoded = np.frombuffer(pcm, dtype="<f4")
    loud = np.flatnonzero(np.abs(decoded) > 0.1)
    assert loud[0] / SR == pytest.approx(1.0, abs=0.01)
    assert loud[-1] / SR == pytest.approx(marks[1].start_s, abs=0.01)


def test_mp3_per_chapter_tags_and_cover(tmp_path: Path, cover_jpeg: bytes) -> None:
    for n, title in enumerate(TITLES[:2], start=1):
        wav = write_speechlike(tmp_path / f"c{n}.wav", 1.0, 0.3)
        tags = mp3_tags(book_title="A Book", authors=["Ann Author"], chapter_title=title, track=n, total=2)
        encode_mp3(wav, tmp_path / f"{n:02d}.mp3", tags=tags, cover=cover_jpeg, cover_mime="image/jpeg", bitrate="64k")
    for n, title in enumerate(TITLES[:2], start=1):
        info = probe(tmp_path / f"{n:02d}.mp3")
        tags = info["tags"]
        assert (tags["title"], tags["track"], tags["artist"], tags["album"], tags["genre"]) == (
            title, f"{n}/2", "Ann Author", "A Book", "Audiobook")
        assert info["has_cover"] and info["audio_codec"] == "mp3"
        assert info["duration_s"] == pytest.approx(1.0, abs=CHAPTER_TOLERANCE_S)


def test_ffmpeg_failure_names_the_step_and_leaves_nothing(tmp_path: Path) -> None:
    wav = write_speechlike(tmp_path / "c.wav", 0.5, 0.3)
    with pytest.raises(FfmpegError) as info:
        encode_mp3(wav, tmp_path / "out.mp3", tags={}, bitrate="lots", label="chapter 3")
    assert str(info.value).startswith("ffmpeg failed while encoding chapter 3 to MP3 (exit ")
    assert "lots" in info.value.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.wav"]


def test_output_under_a_file_is_output_error(tmp_path: Path) -> None:
    wav = write_speechlike(tmp_path / "c.wav", 0.5, 0.3)
    with pytest.raises(OutputError, match=f"^cannot create directory {tmp_path / 'c.wav'}: File exists$"):
        build_m4b([(wav, "One")], tmp_path / "c.wav" / "book.m4b", title="T", authors=["X"])


def test_m4b_refuses_chapters_of_different_rates(tmp_path: Path) -> None:
    a = write_speechlike(tmp_path / "a.wav", 0.5, 0.3)
    b = tmp_path / "b.wav"
    sf.write(b, np.zeros(SR // 2, dtype=np.float32), SR // 2)
    with pytest.raises(ValueError, match=r"differ in \(sample rate, channels\): \[\(12000, 1\), \(24000, 1\)\]$"):
        build_m4b([(a, "A"), (b, "B")], tmp_path / "book.m4b", title="T", authors=["X"])
    assert not (tmp_path / "book.m4b").exists()


def test_full_disk_in_ffmpeg_is_disk_full_error() -> None:
    with pytest.raises(DiskFullError, match="^disk full while writing a test file; finished work is kept"):
        proc.run_ffmpeg(["-f", "lavfi", "-i", "anullsrc=d=1", "-f", "wav", "/dev/full"], step="writing a test file")


def test_missing_program_is_output_error() -> None:
    with pytest.raises(OutputError, match="^cannot run /nonexistent/ffmpeg while probing: No such file or directory$"):
        proc.run(["/nonexistent/ffmpeg"], step="probing")


# Titles as books have them: any printable text, including ffmetadata's special characters.
_titles = st.text(st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n=;#\\"), min_size=1)


@given(st.lists(_titles, min_size=1, max_size=4), _titles)
def test_ffmetadata_round_trips_any_title(titles: list[str], book_title: str) -> None:
    marks = [ChapterMark(t, i * 1.5, (i + 1) * 1.5) for i, t in enumerate(titles)]
    tags, chapters = parse_ffmetadata(ffmetadata({"title": book_title}, marks))
    assert tags == {"title": book_title} and chapters == marks

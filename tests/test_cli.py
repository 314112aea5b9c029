"""The CLI's contract: exact one-line errors with exit codes, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audiobook_tts.cli import main

REPO = Path(__file__).resolve().parents[1]
SAMPLE_BOOK = REPO / "samples" / "the-lighthouse-keeper.md"


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def assert_one_line_error(err: str, expected: str | None = None) -> str:
    """Exactly one ``Error:`` line, last on stderr (progress lines may precede it)."""
    lines = [l for l in err.splitlines() if l.strip()]
    errors = [l for l in lines if l.startswith("Error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], err
    assert "Traceback" not in err
    if expected is not None:
        assert errors[0] == f"Error: {expected}"
    return errors[0]



def test_help_lists_commands(capsys):
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    for cmd in ("render", "chapters", "plan", "bench", "check"):
        assert cmd in out


def test_help_chapters_and_plan_do_not_import_torch():
    code = ("import sys; from audiobook_tts.cli import main; main(['--help']); "
            "main(['chapters', %r]); main(['plan', %r, '--json']); "
            "assert 'torch' not in sys.modules, 'torch imported'") % (str(SAMPLE_BOOK), str(SAMPLE_BOOK))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr
    assert '"chapters": 3' in r.stdout


def test_missing_voice_option(capsys, tmp_path):
    code, _, err = run_cli(capsys, "render", SAMPLE_BOOK)
    assert code == 2
    assert_one_line_error(err, "Missing option '--voice' / '-v'.")


def test_negative_seed_rejected_by_parameter(capsys, voice):
    code, _, err = run_cli(capsys, "render", SAMPLE_BOOK, "--voice", voice, "--seed", "-1")
    assert code == 2
    assert_one_line_error(err, "Invalid value for '--seed': Input should be greater than or equal to 0")


def test_missing_book(capsys, tmp_path, voice):
    missing = tmp_path / "nope.epub"
    code, _, err = run_cli(capsys, "render", missing, "--voice", voice)
    assert code == 3
    assert str(missing) in assert_one_line_error(err)


def test_missing_voice_file(capsys, tmp_path):
    code, _, err = run_cli(capsys, "render", SAMPLE_BOOK, "--voice", tmp_path / "v.wav", "--out", tmp_path / "o")
    assert code == 3
    assert_one_line_error(err, f"voice sample not found: {tmp_path / 'v.wav'}")


def test_unknown_profile(capsys, voice):
    code, _, err = run_cli(capsys, "plan", SAMPLE_BOOK, "--profile", "nope")
    assert code == 2
    assert_one_line_error(err, "unknown profile 'nope' (available: cpu, default, fast, multilingual, multilingual-cpu, quality, smoke, turbo, turbo-cpu)")


def test_toml_syntax_error(capsys, tmp_path):
    p = tmp_path / "p.toml"
    p.write_text("[engine\n")
    code, _, err = run_cli(capsys, "plan", SAMPLE_BOOK, "--profile", p)
    assert code == 2
    line = assert_one_line_error(err)
    assert line.startswith(f"Error: {p.resolve()}: TOML syntax error:") and "line 1" in line


def test_invalid_profile_value(capsys, tmp_path):
    p = tmp_path / "p.toml"
    p.write_text('[output]\nformat = "wav"\n')
    code, _, err = run_cli(capsys, "plan", SAMPLE_BOOK, "--profile", p)
    assert code == 2
    assert_one_line_error(err, f"{p.resolve()}: output.format must be one of m4b, mp3, both, not 'wav'")


@pytest.mark.parametrize("spec, message", [
    ("9", "--chapters '9' is out of range: the book has chapters 1-3"),
    ("x-1", "invalid --chapters 'x-1': use numbers and ranges like 3, 2-5 or 1,4,7-9"),
])
def test_bad_chapters(capsys, voice, tmp_path, spec, message):
    code, _, err = run_cli(capsys, "render", SAMPLE_BOOK, "--voice", voice, "--chapters", spec, "--out", tmp_path / "o")
    assert code == 2
    assert_one_line_error(err, message)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_out_dir_as_user(capsys, voice, tmp_path):  # pragma: no cover - CI runs as root
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    code, _, err = run_cli(capsys, "render", SAMPLE_BOOK, "--voice", voice, "--out", ro / "x", "--profile", "smoke")
    assert code == 5


def test_out_dir_is_a_file(capsys, voice, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    code, _, err = run_cli(capsys, "render", SAMPLE_BOOK, "--voice", voice, "--out", f, "--profile", "smoke")
    assert code == 5
    assert assert_one_line_error(err).startswith(f"Error: cannot write to output directory {f}:")


def test_plan_json_shape(capsys):
    code, out, _ = run_cli(capsys, "plan", SAMPLE_BOOK, "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data["buckets"]) == {"short", "medium", "long"}
    limits = {b: data["buckets"][b]["max_chars"] for b in data["buckets"]}
    assert data["book"]["title"] == "The Lighthouse Keeper's Notebook"
    for ch in data["chapters"]:
        assert set(ch) == {"index", "title", "chunks"}
        for c in ch["chunks"]:
            assert len(c["text"]) <= limits[c["bucket"]]
    counts = {b: sum(c["bucket"] == b for ch in data["chapters"] for c in ch["chunks"]) for b in limits}
    assert counts == {b: data["buckets"][b]["chunks"] for b in limits}


def test_chapters_json(capsys):
    code, out, _ = run_cli(capsys, "chapters", SAMPLE_BOOK, "--json")
    assert code == 0
    data = json.loads(out)
    assert [c["title"] for c in data["chapters"]] == ["Chapter 1. The Lamp", "Chapter 2. The Storm", "Chapter 3. The Letter"]
    assert data["book"]["authors"] == ["The audiobook-tts authors"]


def test_internal_error_points_to_log(capsys, monkeypatch, tmp_path, voice):
    from audiobook_tts.engine import ENGINES

    def boom(*a, **k):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(ENGINES, "boom", boom)
    profile = tmp_path / "boom.toml"
    profile.write_text('extends = "smoke"\n\n[engine]\nbackend = "boom"\n')
    code, _, err = run_cli(capsys, "render", SAMPLE_BOOK, "--voice", voice, "--out", tmp_path / "o", "--profile", profile)
    assert code == 70
    log = tmp_path / "o" / ".audiobook-tts" / "render.log"
    assert_one_line_error(err, f"internal error (ZeroDivisionError: division by zero); full log: {log}")
    assert "Traceback" in log.read_text()


@pytest.mark.parametrize("name, content", [
    ("book.epub", b"this is not a zip file"),
    ("book.epub", b"PK\x03\x04truncated"),
    ("book.txt", b"\x00\x01\x02binary\x00" * 50),
    ("book.txt", b""),
])
def test_bad_books_are_one_line_exit_3(capsys, tmp_path, voice, name, content):
    p = tmp_path / name
    p.write_bytes(content)
    for args in (("chapters", p), ("plan", p), ("render", p, "--voice", voice, "--out", tmp_path / "o")):
        code, _, err = run_cli(capsys, *args)
        assert code == 3
        assert str(p) in assert_one_line_error(err)


def test_missing_asr_model_is_one_line_before_any_synthesis(capsys, voice, tmp_path):
    """The quality profile listens with faster-whisper "small": offline and not cached, the
    render stops before the TTS model loads, with the fix in the message."""
    code, _, err = run_cli(capsys, "render", SAMPLE_BOOK, "--voice", voice, "--out", tmp_path / "o",
                           "--profile", "quality", "--cache-dir", tmp_path / "cache")
    assert code == 4
    assert_one_line_error(err, (
        "the ASR model 'small' (Systran/faster-whisper-small) is not in the Hugging Face cache and cannot "
        "be downloaded offline: run once with network access, or pass --asr-model-dir DIR holding "
        "model.bin, config.json, tokenizer.json"))
    assert not (tmp_path / "cache" / "models").exists()  # no TTS weights were looked for
    code, _, err = run_cli(capsys, "render", SAMPLE_BOOK, "--voice", voice, "--out", tmp_path / "o",
                           "--profile", "quality", "--asr-model-dir", tmp_path / "nowhere")
    assert code == 4
    assert_one_line_error(err, f"ASR model directory not found: {tmp_path / 'nowhere'}")

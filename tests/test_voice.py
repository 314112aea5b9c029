"""Voice conditioning: the on-disk cache, readable formats and the errors for unusable samples."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

torch = pytest.importorskip("torch")

from engine_fixtures import speech_like  # noqa: E402

from audiobook_tts.engine import voice as voice_mod  # noqa: E402
from audiobook_tts.errors import VoiceError  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_second_prepare_voice_reads_the_cache(engine, voice_wav, monkeypatch):
    first = engine.prepare_voice(voice_wav)  # computed by the module fixture or here
    calls = []
    monkeypatch.setattr(voice_mod, "compute_conditionals", lambda *a, **k: calls.append(a))
    second = engine.prepare_voice(voice_wav)
    assert calls == []
    assert second.id == first.id
    assert torch.equal(second.speaker_emb, first.speaker_emb)
    assert torch.equal(second.ref_dict["prompt_feat"], first.ref_dict["prompt_feat"])


def test_voice_cache_is_keyed_by_content(engine, voice_wav, tmp_path):
    copy = tmp_path / "same.wav"
    copy.write_bytes(voice_wav.read_bytes())
    other = tmp_path / "other.wav"
    sf.write(other, speech_like(4.0, seed=1), 24_000)
    assert engine.prepare_voice(copy).id == engine.prepare_voice(voice_wav).id
    assert engine.prepare_voice(other).id != engine.prepare_voice(voice_wav).id


def test_missing_voice(engine, tmp_path):
    with pytest.raises(VoiceError) as err:
        engine.prepare_voice(tmp_path / "nope.wav")
    assert str(err.value) == f"voice sample not found: {tmp_path / 'nope.wav'}"


def test_unreadable_voice(engine, tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not audio")
    with pytest.raises(
        VoiceError, match=r"^cannot read voice sample .*notes\.wav: it is not an audio file that can be decoded; use a WAV, FLAC, MP3, OGG or M4A file$"
    ):
        engine.prepare_voice(bad)


def test_m4a_voice_is_decoded_with_ffmpeg(engine, voice_wav, tmp_path):
    from audiobook_tts.proc import run_ffmpeg

    m4a = tmp_path / "phone.m4a"
    run_ffmpeg(["-i", str(voice_wav), "-c:a", "aac", "-b:a", "96k", str(m4a)], step="making a test M4A")
    voice = engine.prepare_voice(m4a)
    assert voice.seconds == pytest.approx(engine.prepare_voice(voice_wav).seconds, abs=0.1)


def test_silent_voice(engine, tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(5 * 16_000, dtype=np.float32), 16_000)
    with pytest.raises(VoiceError) as err:
        engine.prepare_voice(path)
    assert str(err.value) == f"voice sample {path} is silent (RMS level below -60 dBFS)"


def test_too_short_voice(engine, tmp_path):
    path = tmp_path / "short.flac"
    sf.write(path, speech_like(2.0, rate=44_100), 44_100)
    with pytest.raises(VoiceError) as err:
        engine.prepare_voice(path)
    assert str(err.value) == f"voice sample {path} is 2.0 s long; it needs at least 3 s of speech"


def test_long_stereo_voice_is_trimmed_with_a_warning(engine, tmp_path):
    path = tmp_path / "long.wav"
    mono = speech_like(12.0, rate=16_000)
    sf.write(path, np.stack([mono, mono], axis=1), 16_000)
    with pytest.warns(UserWarning, match=r"long\.wav is 12\.0 s long; Chatterbox uses its first 10 s"):
        voice = engine.prepare_voice(path)
    assert voice.notes and "12.0 s" in voice.notes[0]
    # S3Gen's reference is 10 s: 250 prompt tokens at 25 tokens/s, 2 mel frames each.
    assert voice.ref_dict["prompt_token"].shape[1] == 250
    assert voice.ref_dict["prompt_feat"].shape[1] == 500

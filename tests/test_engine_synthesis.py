"""The Chatterbox engine end to end on the tiny model: seeds, caps, warm-up, devices."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from engine_fixtures import tiny_settings  # noqa: E402

from audiobook_tts.engine.chatterbox_engine import ChatterboxEngine as Engine  # noqa: E402
from audiobook_tts.engine.t3_decode import token_cap  # noqa: E402
from audiobook_tts.errors import ConfigError  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TEXT = "A short line to say."  # 20 chars: cap = 2.5 * 20 + 50 = 100 tokens


@pytest.fixture(scope="module")
def voice(engine, voice_wav):
    return engine.prepare_voice(voice_wav)

def test_same_seed_same_audio_other_seed_other_audio(engine, voice):
    a = engine.synthesize(TEXT, bucket="short", seed=1, voice=voice)
    b = engine.synthesize(TEXT, bucket="short", seed=1, voice=voice)
    c = engine.synthesize(TEXT, bucket="short", seed=2, voice=voice)
    assert a.wav.dtype == np.float32 and a.wav.ndim == 1 and a.sample_rate == 24_000
    assert np.array_equal(a.wav, b.wav)
    assert not np.array_equal(a.wav, c.wav)
    assert (a.seed, c.seed) == (1, 2)


def test_random_weights_run_to_the_cap(engine, voice):
    result = engine.synthesize(TEXT, bucket="short", seed=3, voice=voice)
    cap = token_cap(len(TEXT), engine.settings.synthesis)
    assert result.hit_cap
    assert result.n_tokens == cap
    # 25 tokens per second of audio at 24 kHz.
    assert len(result.wav) == cap * 24_000 // 25


def test_stock_decode_setting_gives_the_fast_path_audio(engine, voice, tiny_checkpoint, tmp_path):
    stock = Engine(tiny_settings(tiny_checkpoint, engine={"fast_decode": False}), tmp_path)
    stock.load()
    stock_voice = stock.prepare_voice(voice.path)
    a = stock.synthesize(TEXT, bucket="short", seed=4, voice=stock_voice)
    b = engine.synthesize(TEXT, bucket="short", seed=4, voice=voice)
    assert np.array_equal(a.wav, b.wav)


def test_warmup_synthesises_each_bucket(engine, voice):
    seen = []
    summary = engine.warmup(voice, {"short": 20, "medium": 30}, on_sample=lambda b, i: seen.append((b, i)))
    assert seen == [("short", 0), ("medium", 0)]
    assert summary.samples_per_bucket == {"short": 1, "medium": 1}
    data = summary.to_dict()
    assert len(data["per_bucket_seconds"]["medium"]) == 1
    assert data["fallbacks"] == []


def test_unavailable_device_is_a_config_error(tiny_checkpoint, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    eng = Engine(tiny_settings(tiny_checkpoint, engine={"device": "cuda"}), tmp_path)
    with pytest.raises(ConfigError) as err:
        eng.load()
    assert str(err.value) == "engine.device is 'cuda' but PyTorch sees no such device here; use auto or cpu"

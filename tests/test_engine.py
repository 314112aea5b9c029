"""The Chatterbox engine on the tiny random model: checkpoints, voices, decoding, synthesis."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

torch = pytest.importorskip("torch")

from engine_fixtures import speech_like, tiny_settings  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

from audiobook_tts.engine import Engine, write_random_checkpoint  # noqa: E402
from audiobook_tts.engine import checkpoint as checkpoint_mod  # noqa: E402
from audiobook_tts.engine import voice as voice_mod  # noqa: E402
from audiobook_tts.engine.arch import TINY, build_voice_encoder  # noqa: E402
from audiobook_tts.engine.t3_decode import Sampling, T3Decoder, stock_generate, text_to_tokens, token_cap  # noqa: E402
from audiobook_tts.errors import ConfigError, ModelError, VoiceError  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TEXT = "A short line to say."  # 20 chars: cap = 2.5 * 20 + 50 = 100 tokens


@pytest.fixture(scope="module")
def engine(tiny_checkpoint, tmp_path_factory):
    eng = Engine(tiny_settings(tiny_checkpoint), tmp_path_factory.mktemp("engine-cache"))
    eng.load()
    return eng


@pytest.fixture(scope="module")
def voice(engine, voice_wav):
    return engine.prepare_voice(voice_wav)


# ---- checkpoints ----------------------------------------------------------------------


def test_random_checkpoint_is_reproducible(tiny_checkpoint, tmp_path):
    again = write_random_checkpoint(tmp_path / "again", "tiny")
    for name in checkpoint_mod.CHECKPOINT_FILES:
        assert (again / name).read_bytes() == (tiny_checkpoint / name).read_bytes(), name
    assert checkpoint_mod.model_identity(again) == checkpoint_mod.model_identity(tiny_checkpoint)


def test_dir_loader_rebuilds_the_recorded_architecture(engine):
    models = engine.models
    assert models.t3.cfg.hidden_size == TINY.t3_hidden
    assert models.t3.cfg.num_hidden_layers == TINY.t3_layers
    assert models.ve.hp.ve_hidden_size == TINY.ve_hidden
    assert models.s3gen.flow.encoder.output_size() == TINY.flow_dim
    assert engine.model_id.startswith("chatterbox-")


def test_tiny_source_writes_into_the_cache_and_loads_the_same_weights(tiny_checkpoint, tmp_path):
    settings = tiny_settings(tiny_checkpoint, model={"source": "tiny", "dir": ""})
    ckpt = checkpoint_mod.resolve_checkpoint(settings.model, tmp_path)
    assert ckpt.directory == tmp_path / "models" / "random-tiny-v1"
    assert ckpt.model_id == checkpoint_mod.model_identity(tiny_checkpoint)


def test_dir_with_a_missing_file(tiny_checkpoint, tmp_path):
    for name in ("ve.safetensors", "t3_cfg.safetensors", "tokenizer.json"):
        (tmp_path / name).write_bytes((tiny_checkpoint / name).read_bytes())
    settings = tiny_settings(tmp_path)
    with pytest.raises(ModelError) as err:
        checkpoint_mod.resolve_checkpoint(settings.model, tmp_path / "cache")
    assert str(err.value) == f"model directory {tmp_path} lacks s3gen.safetensors"


def test_dir_that_does_not_exist(tmp_path):
    settings = tiny_settings(tmp_path / "nowhere")
    with pytest.raises(ModelError, match="^model directory not found: .*nowhere$"):
        checkpoint_mod.resolve_checkpoint(settings.model, tmp_path)


def test_weights_of_another_architecture(tiny_checkpoint, tmp_path):
    for name in checkpoint_mod.CHECKPOINT_FILES:
        (tmp_path / name).write_bytes((tiny_checkpoint / name).read_bytes())
    # A voice encoder file without the tiny-architecture record: built at stock size.
    save_file(build_voice_encoder(TINY).state_dict(), str(tmp_path / "ve.safetensors"))
    with pytest.raises(ModelError, match=r"ve\.safetensors does not fit the Chatterbox architecture: "):
        checkpoint_mod.load_models(tmp_path)


def test_s3gen_extra_weights_are_ignored_missing_ones_are_not(tiny_checkpoint, tmp_path):
    from safetensors import safe_open
    from safetensors.torch import load_file

    for name in checkpoint_mod.CHECKPOINT_FILES:
        (tmp_path / name).write_bytes((tiny_checkpoint / name).read_bytes())
    path = tmp_path / "s3gen.safetensors"
    with safe_open(str(path), "pt") as f:
        metadata = f.metadata()
    state = load_file(str(path))
    # As chatterbox (strict=False for S3Gen): a released file may carry unused weights.
    save_file({**state, "flow.unused_extra.weight": torch.zeros(2)}, str(path), metadata=metadata)
    assert checkpoint_mod.load_models(tmp_path).s3gen is not None
    del state["flow.input_embedding.weight"]
    save_file(state, str(path), metadata=metadata)
    with pytest.raises(ModelError, match=r"s3gen\.safetensors does not fit .*: it lacks flow\.input_embedding\.weight"):
        checkpoint_mod.load_models(tmp_path)


def test_hub_offline_is_one_actionable_line(monkeypatch, tmp_path):
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    def offline(**kwargs):
        raise LocalEntryNotFoundError("outgoing traffic has been disabled")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", offline)
    settings = tiny_settings(tmp_path, model={"source": "hub", "dir": ""})
    with pytest.raises(ModelError) as err:
        checkpoint_mod.resolve_checkpoint(settings.model, tmp_path)
    assert str(err.value) == (
        "Chatterbox weights (ResembleAI/chatterbox) are not in the Hugging Face cache and cannot be "
        "downloaded offline: run once with network access, or pass --model-dir DIR holding "
        "ve.safetensors, t3_cfg.safetensors, s3gen.safetensors, tokenizer.json"
    )


def test_hub_without_dns_fails_at_once_without_retrying(monkeypatch, tmp_path):
    import socket

    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    calls = []

    def download(**kwargs):
        calls.append(kwargs)
        raise LocalEntryNotFoundError("not in the cache")

    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    settings = tiny_settings(tmp_path, model={"source": "hub", "dir": ""})
    with pytest.raises(ModelError, match="are not in the Hugging Face cache and cannot be downloaded offline"):
        checkpoint_mod.resolve_checkpoint(settings.model, tmp_path)
    assert [c.get("local_files_only") for c in calls] == [True]  # the network was never tried


# ---- voices -----------------------------------------------------------------------------


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


# ---- decoding ---------------------------------------------------------------------------


def _decode_inputs(engine, voice, text=TEXT):
    models = engine.models
    cond = voice.t3_cond(0.5, "cpu", torch.float32)
    tokens = text_to_tokens(models.tokenizer, text, models.t3)
    return models.t3, cond, tokens, Sampling.from_options(engine.settings.synthesis)


def test_padded_prefill_gives_the_same_tokens(engine, voice):
    t3, cond, tokens, sampling = _decode_inputs(engine, voice)
    decoder = T3Decoder(t3)
    exact = decoder.generate(cond, tokens, sampling, cap=60, seed=11)
    padded = decoder.generate(
        voice.t3_cond(0.5, "cpu", torch.float32), tokens, sampling, cap=60, seed=11, prefill_len=128, cache_len=384
    )
    assert exact.n_generated == 60
    assert torch.equal(exact.tokens, padded.tokens)


def test_fast_decode_matches_chatterbox_inference(engine, voice):
    # Same maths, same sampling order, and a generator seeded like chatterbox's global RNG:
    # on the CPU the token sequences are identical.
    t3, cond, tokens, sampling = _decode_inputs(engine, voice)
    fast = T3Decoder(t3).generate(cond, tokens, sampling, cap=60, seed=5)
    stock = stock_generate(t3, voice.t3_cond(0.5, "cpu", torch.float32), tokens, sampling, cap=60, seed=5)
    assert torch.equal(fast.tokens, stock.tokens)
    assert fast.hit_cap and stock.hit_cap


def test_decode_stops_at_eos(engine, voice, monkeypatch):
    t3, cond, tokens, sampling = _decode_inputs(engine, voice)
    eos = t3.hp.stop_speech_token
    decoder = T3Decoder(t3)
    steps = []

    def eos_on_fifth(self, logits, ids):
        steps.append(1)
        probs = torch.zeros(1, logits.shape[-1])
        probs[0, eos if len(steps) == 5 else len(steps)] = 1.0
        return probs

    monkeypatch.setattr("audiobook_tts.engine.t3_decode.Sampler.__call__", eos_on_fifth)
    out = decoder.generate(cond, tokens, sampling, cap=80, seed=0)
    assert out.tokens.tolist() == [1, 2, 3, 4]
    assert not out.hit_cap and out.n_generated == 4


# ---- synthesis --------------------------------------------------------------------------


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

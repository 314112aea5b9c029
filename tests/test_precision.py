"""Precision ``auto``: the capability branch, the calibration branch, the cache, and the engine
running prefill and decode in different dtypes."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from engine_fixtures import tiny_settings  # noqa: E402

from audiobook_tts.config import EngineOptions  # noqa: E402
from audiobook_tts.engine import precision  # noqa: E402
from audiobook_tts.engine.chatterbox_engine import ChatterboxEngine  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

AUTO = EngineOptions(t3_dtype="auto", s3gen_dtype="auto")
# What the issue measured on an AVX2 CPU: prefill 5x slower in bf16, one-chunk decode 2.4x
# faster, the flow several times slower.
AVX2_TIMINGS = {
    "t3_prefill": {"float32": 8.6, "bfloat16": 44.6},
    "t3_decode": {"float32": 0.46, "bfloat16": 0.195},
    "s3gen": {"float32": 1.0, "bfloat16": 3.4},
}


def never(*_):
    raise AssertionError("calibration should not run")


def test_choose_takes_bf16_only_when_clearly_faster():
    chosen = precision.choose({"a": {"float32": 1.0, "bfloat16": 0.5}, "b": {"float32": 1.0, "bfloat16": 0.95}})
    assert chosen["a"] == ("bfloat16", "calibrated: bf16 2.00x faster than fp32")
    assert chosen["b"] == ("float32", "calibrated: bf16 1.05x of fp32, not worth it")


def test_dtypes_set_in_the_profile_are_kept_without_calibrating():
    p = precision.resolve(EngineOptions(t3_dtype="bfloat16", s3gen_dtype="float32"), "cpu", never)
    assert (p.t3_prefill, p.t3_decode, p.s3gen) == ("bfloat16", "bfloat16", "float32")
    assert set(p.reasons.values()) == {"set in the profile"}


def test_native_bf16_cpu_takes_bf16_without_calibrating(monkeypatch):
    monkeypatch.setattr(precision, "bf16_native", lambda: True)
    p = precision.resolve(AUTO, "cpu", never)
    assert (p.t3_prefill, p.t3_decode, p.s3gen) == ("bfloat16",) * 3
    assert p.bf16_native and p.reasons["s3gen"].startswith("CPU with native bf16")


def test_cpu_without_native_bf16_calibrates_once_per_machine(monkeypatch, tmp_path):
    monkeypatch.setattr(precision, "bf16_native", lambda: False)
    calls = []
    cache = tmp_path / "calibration.json"
    p = precision.resolve(AUTO, "cpu", lambda: calls.append(1) or AVX2_TIMINGS, cache)
    # Prefill and flow compute-bound: fp32; one chunk's decode memory-bound: bf16.
    assert (p.t3_prefill, p.t3_decode, p.s3gen) == ("float32", "bfloat16", "float32")
    assert p.timings == AVX2_TIMINGS and not p.bf16_native
    again = precision.resolve(AUTO, "cpu", never, cache)  # the cached calibration
    assert again == p and calls == [1]


def test_a_profile_choice_and_auto_mix(monkeypatch):
    monkeypatch.setattr(precision, "bf16_native", lambda: False)
    p = precision.resolve(EngineOptions(t3_dtype="auto", s3gen_dtype="bfloat16"), "cpu", lambda: AVX2_TIMINGS)
    assert (p.t3_prefill, p.t3_decode, p.s3gen) == ("float32", "bfloat16", "bfloat16")
    assert p.reasons["s3gen"] == "set in the profile"


def test_cuda_auto_follows_bf16_support(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert precision.resolve(AUTO, "cuda", never).t3_decode == "bfloat16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert precision.resolve(AUTO, "cuda", never).s3gen == "float32"


def test_calibration_times_the_models_own_layers(engine):
    models = engine.models
    timings = precision.calibrate_cpu(
        models.t3.tfmr.layers[0], models.t3.cfg.num_attention_heads,
        models.s3gen.flow.decoder.estimator.down_blocks[0][1][0], batch_size=2,
    )
    assert set(timings) == set(precision.PHASES)
    assert all(t[name] > 0 for t in timings.values() for name in ("float32", "bfloat16"))


def test_engine_runs_prefill_and_decode_in_their_own_dtypes(tiny_checkpoint, voice_wav, tmp_path, monkeypatch):
    monkeypatch.setattr(precision, "bf16_native", lambda: False)
    monkeypatch.setattr(ChatterboxEngine, "_calibrate", lambda self: AVX2_TIMINGS)
    eng = ChatterboxEngine(tiny_settings(tiny_checkpoint, engine={"t3_dtype": "auto", "s3gen_dtype": "auto"}),
                           tmp_path)
    eng.load()
    decoder = eng.t3_decoder
    assert decoder.prefill_t3 is not decoder.t3
    assert decoder.prefill_t3.speech_head.weight.dtype == torch.float32
    assert decoder.t3.speech_head.weight.dtype == torch.bfloat16
    assert next(eng.models.s3gen.flow.parameters()).dtype == torch.float32
    described = eng.describe()["precision"]
    assert described["t3_decode"] == "bfloat16" and described["reasons"]["t3_decode"].startswith("calibrated")
    result = eng.synthesize("A short line to say.", bucket="short", seed=1, voice=eng.prepare_voice(voice_wav))
    assert result.hit_cap and len(result.wav) > 0

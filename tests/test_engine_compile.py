"""Compilation and the fallback chain (compiled -> eager, device -> CPU) on the tiny model."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from engine_fixtures import tiny_settings  # noqa: E402

from audiobook_tts.config import EngineOptions  # noqa: E402
from audiobook_tts.engine import Fallback  # noqa: E402
from audiobook_tts.engine import chatterbox_engine as engine_mod  # noqa: E402
from audiobook_tts.engine import compile as compile_mod  # noqa: E402
from audiobook_tts.engine.chatterbox_engine import ChatterboxEngine as Engine  # noqa: E402
from audiobook_tts.engine.t3_decode import Sampling, T3Decoder, text_to_tokens  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TEXT = "A short line to say."
S3GEN_PARTS = ("s3gen.flow_encoder", "s3gen.cfm_estimator", "s3gen.hift_decode")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("compile-cache")


def _engine(checkpoint, cache_dir, **engine_options) -> Engine:
    eng = Engine(tiny_settings(checkpoint, engine=engine_options), cache_dir)
    eng.load()
    return eng


@pytest.fixture(scope="module")
def eager(tiny_checkpoint, cache_dir):
    return _engine(tiny_checkpoint, cache_dir)


@pytest.fixture(scope="module")
def reference(eager, voice_wav):
    """The eager engine's audio for TEXT, seed 9."""
    voice = eager.prepare_voice(voice_wav)
    return eager.synthesize(TEXT, bucket="short", seed=9, voice=voice).wav


def _decoder_run(engine, voice_wav, wrap, cap=40):
    t3 = engine.models.t3
    voice = engine.prepare_voice(voice_wav)
    tokens = text_to_tokens(engine.models.tokenizer, TEXT, t3)
    decoder = T3Decoder(t3, wrap=wrap)
    sampling = Sampling.from_options(engine.settings.synthesis)
    cond = voice.t3_cond(0.5, "cpu", torch.float32)
    return decoder.generate(cond, [tokens], sampling, caps=[cap], seeds=[21], prefill_len=64, cache_len=128)[0].tokens


@pytest.mark.parametrize("backend", ["eager", "aot_eager"])
def test_compiled_decode_gives_the_eager_tokens(eager, voice_wav, cache_dir, backend):
    compile_mod.configure_compilation(cache_dir)
    fallbacks = []
    options = EngineOptions(compile=True, compile_backend=backend)
    compiled = _decoder_run(eager, voice_wav, lambda name, fn: compile_mod.Guarded(name, fn, options, fallbacks.append))
    assert fallbacks == []
    assert torch.equal(compiled, _decoder_run(eager, voice_wav, lambda name, fn: fn))


@pytest.mark.slow
def test_inductor_decode_step_gives_the_eager_tokens(eager, voice_wav, cache_dir):
    # Inductor on this CPU takes ~40 s per graph: compile only the per-token step.
    compile_mod.configure_compilation(cache_dir)
    fallbacks = []
    options = EngineOptions(compile=True, compile_backend="inductor")

    def wrap(name, fn):
        return compile_mod.Guarded(name, fn, options, fallbacks.append) if name == "t3.decode_one_token" else fn

    compiled = _decoder_run(eager, voice_wav, wrap, cap=20)
    assert fallbacks == []
    assert torch.equal(compiled, _decoder_run(eager, voice_wav, lambda name, fn: fn, cap=20))


def test_unknown_backend_falls_back_to_eager_and_still_speaks(tiny_checkpoint, cache_dir, voice_wav, reference, caplog):
    eng = _engine(tiny_checkpoint, cache_dir, compile=True, compile_backend="no_such_backend")
    assert [f.component for f in eng.fallbacks] == ["t3.prefill", "t3.decode_one_token", *S3GEN_PARTS]
    first = eng.fallbacks[0]
    assert (first.from_, first.to) == ("compiled", "eager")
    assert first.reason.startswith("InvalidBackend: Invalid backend: 'no_such_backend'")
    assert first.to_dict() == {"component": "t3.prefill", "from": "compiled", "to": "eager", "reason": first.reason}
    assert caplog.text.count("falling back from compiled to eager") == 5
    voice = eng.prepare_voice(voice_wav)
    # Eager, but S3Gen's input padded to S3GEN_PAD_MULTIPLE tokens: the same audio up to
    # float rounding (other matrix shapes, other summation order).
    wav = eng.synthesize(TEXT, bucket="short", seed=9, voice=voice).wav
    assert wav.shape == reference.shape
    np.testing.assert_allclose(wav, reference, atol=1e-5)


def test_compiled_call_failure_reruns_eagerly_once(monkeypatch):
    calls = []

    def broken_compile(fn, **kwargs):
        def run(*args):
            calls.append("compiled")
            raise RuntimeError("inductor: C++ compile error")

        return run

    monkeypatch.setattr(torch, "compile", broken_compile)
    fallbacks = []
    guarded = compile_mod.Guarded("part", lambda x: x + 1, EngineOptions(compile=True), fallbacks.append)
    assert guarded(1) == 2
    assert guarded(2) == 3
    assert calls == ["compiled"]
    assert fallbacks == [Fallback("part", "compiled", "eager", "RuntimeError: inductor: C++ compile error")]


def test_device_failure_in_compiled_code_is_left_to_the_device_fallback(monkeypatch):
    def oom_compile(fn, **kwargs):
        def run(*args):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

        return run

    monkeypatch.setattr(torch, "compile", oom_compile)
    fallbacks = []
    guarded = compile_mod.Guarded("part", lambda x: x, EngineOptions(compile=True), fallbacks.append)
    with pytest.raises(torch.OutOfMemoryError):
        guarded(1)
    assert fallbacks == []


def _fail_once(exc):
    state = {"raised": False}

    def maybe_raise():
        if not state["raised"]:
            state["raised"] = True
            raise exc

    return maybe_raise


def test_t3_device_failure_moves_t3_to_cpu_and_redoes_the_chunk(
    tiny_checkpoint, cache_dir, voice_wav, reference, monkeypatch
):
    eng = _engine(tiny_checkpoint, cache_dir)
    voice = eng.prepare_voice(voice_wav)
    monkeypatch.setitem(eng._devices, "t3", "cuda:0")  # pretend T3 sits on a GPU
    head = eng.models.t3.speech_head
    fail = _fail_once(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 MiB"))
    original = head.forward

    def forward(x):
        fail()
        return original(x)

    monkeypatch.setattr(head, "forward", forward)
    result = eng.synthesize(TEXT, bucket="short", seed=9, voice=voice)
    assert eng.fallbacks == [
        Fallback("t3", "cuda:0", "cpu", "OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB")
    ]
    assert eng.component_devices["t3"] == "cpu"
    assert np.array_equal(result.wav, reference)


def test_s3gen_device_failure_moves_s3gen_to_cpu(tiny_checkpoint, cache_dir, voice_wav, reference, monkeypatch):
    eng = _engine(tiny_checkpoint, cache_dir)
    voice = eng.prepare_voice(voice_wav)
    monkeypatch.setitem(eng._devices, "s3gen", "cuda:0")
    fail = _fail_once(RuntimeError("CUDA error: an illegal memory access was encountered"))
    original = engine_mod.tokens_to_wavs

    def tokens_to_wavs(*args, **kwargs):
        fail()
        return original(*args, **kwargs)

    monkeypatch.setattr(engine_mod, "tokens_to_wavs", tokens_to_wavs)
    result = eng.synthesize(TEXT, bucket="short", seed=9, voice=voice)
    assert [(f.component, f.from_, f.to) for f in eng.fallbacks] == [("s3gen", "cuda:0", "cpu")]
    assert np.array_equal(result.wav, reference)


def test_code_errors_are_not_device_failures(eager, voice_wav, monkeypatch):
    voice = eager.prepare_voice(voice_wav)
    monkeypatch.setitem(eager._devices, "t3", "cuda:0")

    def forward(x):
        raise ValueError("shapes do not match")

    monkeypatch.setattr(eager.models.t3.speech_head, "forward", forward)
    with pytest.raises(ValueError, match="shapes do not match"):
        eager.synthesize(TEXT, bucket="short", seed=9, voice=voice)
    assert eager.fallbacks == []

"""The engine on a CUDA GPU, tiny model: what only a GPU can show. Skipped without one; the GPU
kit (scripts/gpu/run.sh) runs these with ``-m cuda``."""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from engine_fixtures import tiny_settings  # noqa: E402

from audiobook_tts.config import EngineOptions  # noqa: E402
from audiobook_tts.engine import SynthesisRequest, s3gen_fast  # noqa: E402
from audiobook_tts.engine import compile as compile_mod  # noqa: E402
from audiobook_tts.engine.chatterbox_engine import ChatterboxEngine  # noqa: E402
from audiobook_tts.engine.t3_decode import Sampling, T3Decoder, text_to_tokens  # noqa: E402

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]

TEXTS = ["Hi there.", "A short line to say.", "This one is a good deal longer, with a clause or two."]
SEEDS = [11, 12, 13]
CAP = 15  # under the EOS check interval: a generate() of this many tokens never syncs


@pytest.fixture(scope="module")
def cuda_engine(tiny_checkpoint, tmp_path_factory):
    eng = ChatterboxEngine(tiny_settings(tiny_checkpoint, engine={"device": "cuda"}), tmp_path_factory.mktemp("c"))
    eng.load()
    return eng


@pytest.fixture(scope="module")
def cuda_voice(cuda_engine, voice_wav):
    return cuda_engine.prepare_voice(voice_wav)


def _generate(engine, voice, sampler, indices, wrap=lambda name, fn: fn, prefill_len=None, cache_len=256):
    t3 = engine.models.t3
    base = Sampling.from_options(engine.settings.synthesis)
    sampling = Sampling(**{**base.__dict__, "sampler": sampler})
    decoder = T3Decoder(t3, wrap=wrap, sampler=sampler)
    tokens = [text_to_tokens(engine.models.tokenizer, TEXTS[i], t3) for i in indices]
    out = decoder.generate(voice.t3_cond(0.5, t3.device, torch.float32), tokens, sampling, caps=[CAP] * len(indices),
                           seeds=[SEEDS[i] for i in indices], prefill_len=prefill_len, cache_len=cache_len)
    return [d.tokens for d in out]


@pytest.mark.parametrize("sampler", ["multinomial", "gumbel"])
def test_batched_padded_and_single_runs_give_the_same_tokens(cuda_engine, cuda_voice, sampler):
    alone = [_generate(cuda_engine, cuda_voice, sampler, [i])[0] for i in range(3)]
    padded = [_generate(cuda_engine, cuda_voice, sampler, [i], prefill_len=192)[0] for i in range(3)]
    together = _generate(cuda_engine, cuda_voice, sampler, [0, 1, 2])
    for i in range(3):
        assert torch.equal(padded[i], alone[i]), i
        assert torch.equal(together[i], alone[i]), i


@pytest.mark.slow
def test_compiled_decode_with_cuda_graphs_gives_the_eager_tokens(cuda_engine, cuda_voice, tmp_path):
    compile_mod.configure_compilation(tmp_path)
    fallbacks = []
    options = EngineOptions(compile=True, compile_mode="reduce-overhead")

    def wrap(name, fn):
        return compile_mod.Guarded(name, fn, options, fallbacks.append)

    eager = _generate(cuda_engine, cuda_voice, "gumbel", [0, 1], prefill_len=192)
    compiled = _generate(cuda_engine, cuda_voice, "gumbel", [0, 1], wrap=wrap, prefill_len=192)
    compiled_again = _generate(cuda_engine, cuda_voice, "gumbel", [0, 1], wrap=wrap, prefill_len=192)
    assert fallbacks == []
    for a, b, c in zip(eager, compiled, compiled_again):
        assert torch.equal(a, b) and torch.equal(a, c)


def test_gumbel_decode_steps_never_sync(cuda_engine, cuda_voice, monkeypatch):
    """The decode loop syncs only at its EOS checks, so a generate() of fewer tokens than the
    check interval never does. Sync debugging goes on at the first decode step (the setup
    copies small host tensors) and off before the tokens are read back."""
    from audiobook_tts.engine import t3_decode

    t3 = cuda_engine.models.t3
    sampling = Sampling(**{**Sampling.from_options(cuda_engine.settings.synthesis).__dict__, "sampler": "gumbel"})
    decoder = T3Decoder(t3, sampler="gumbel")
    inner, finish = decoder.decode_and_sample, t3_decode._finish
    steps = []

    def step(*args):
        torch.cuda.set_sync_debug_mode("error")  # any sync from here on raises
        steps.append(1)
        return inner(*args)

    def read_back(generated, eos):
        torch.cuda.set_sync_debug_mode("default")
        return finish(generated, eos)

    decoder.decode_and_sample = step
    monkeypatch.setattr(t3_decode, "_finish", read_back)
    tokens = [text_to_tokens(cuda_engine.models.tokenizer, TEXTS[0], t3)]
    try:
        [out] = decoder.generate(cuda_voice.t3_cond(0.5, t3.device, torch.float32), tokens, sampling, caps=[CAP],
                                 seeds=[1], cache_len=256)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert len(steps) == CAP - 1 and out.n_generated == CAP


def test_bf16_flow_stays_close_to_fp32_on_cuda(cuda_engine, cuda_voice):
    s3gen = cuda_engine.models.s3gen
    ref = cuda_voice.s3gen_ref("cuda")
    tokens = torch.randint(0, 6561, (40,), generator=torch.Generator().manual_seed(0)).cuda()
    fp32 = s3gen_fast.tokens_to_wav(s3gen, tokens, ref, generator=torch.Generator("cuda").manual_seed(5))
    bf16_model = copy.deepcopy(s3gen)
    s3gen_fast.cast_flow(bf16_model, torch.bfloat16)
    bf16 = s3gen_fast.tokens_to_wav(bf16_model, tokens, ref, generator=torch.Generator("cuda").manual_seed(5))
    rms = fp32.pow(2).mean().sqrt()
    assert float((bf16 - fp32).pow(2).mean().sqrt() / rms) < 0.05


def test_engine_batches_on_cuda_match_single_chunks(cuda_engine, cuda_voice):
    requests = [SynthesisRequest(t, "medium", s) for t, s in zip(TEXTS, SEEDS)]
    together = cuda_engine.synthesize_batch(requests, cuda_voice)
    for request, result in zip(requests, together):
        alone = cuda_engine.synthesize(request.text, bucket="medium", seed=request.seed, voice=cuda_voice)
        assert result.n_tokens == alone.n_tokens
        np.testing.assert_allclose(result.wav, alone.wav, atol=1e-3)

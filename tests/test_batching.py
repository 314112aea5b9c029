"""Batched synthesis on the tiny model in fp32 on the CPU: a chunk's tokens and audio do not
depend on the chunks it shares a batch with, for either sampler."""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from engine_fixtures import tiny_settings  # noqa: E402

from audiobook_tts.engine import Fallback, SynthesisRequest  # noqa: E402
from audiobook_tts.engine import s3gen_fast  # noqa: E402
from audiobook_tts.engine.chatterbox_engine import ChatterboxEngine  # noqa: E402
from audiobook_tts.engine.t3_decode import T3Decoder, text_to_tokens  # noqa: E402
from audiobook_tts.engine.t3_sampling import (  # noqa: E402
    Sampler,
    Sampling,
    gumbel_sample,
    seed_keys,
    uniform_noise,
    vocab_keys,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TEXTS = [
    "Hi there.",
    "A short line to say.",
    "This one is a good deal longer than the others, with a clause or two.",
    "Medium length text, here.",
]
CAPS = [40, 23, 57, 33]
SEEDS = [11, 12, 2**40 + 3, 7]
PREFILL, CACHE = 192, 320  # one bucket for every run in a comparison
# Waveforms of a row batched vs alone: same tokens, other matrix shapes in the flow, so the
# sums round differently; 1e-4 of full scale is far below audibility (-80 dBFS).
WAVE_ATOL = 1e-4


@pytest.fixture(scope="module")
def voice(engine, voice_wav):
    return engine.prepare_voice(voice_wav)


def _decode(engine, voice, sampler, indices, decoder=None):
    t3 = engine.models.t3
    sampling = Sampling.from_options(engine.settings.synthesis)
    sampling = Sampling(**{**sampling.__dict__, "sampler": sampler})
    decoder = decoder or T3Decoder(t3, sampler=sampler)
    tokens = [text_to_tokens(engine.models.tokenizer, TEXTS[i], t3) for i in indices]
    return decoder.generate(
        voice.t3_cond(0.5, "cpu", torch.float32), tokens, sampling, caps=[CAPS[i] for i in indices],
        seeds=[SEEDS[i] for i in indices], prefill_len=PREFILL, cache_len=CACHE,
    )


@pytest.mark.parametrize("sampler", ["multinomial", "gumbel"])
def test_a_batch_of_four_gives_the_tokens_of_four_single_runs(engine, voice, sampler):
    alone = [_decode(engine, voice, sampler, [i])[0] for i in range(4)]
    together = _decode(engine, voice, sampler, [0, 1, 2, 3])
    shuffled = _decode(engine, voice, sampler, [2, 0, 3, 1])
    for i in range(4):
        assert torch.equal(together[i].tokens, alone[i].tokens), i
        assert together[i].n_generated == CAPS[i] and together[i].hit_cap
    for position, i in enumerate([2, 0, 3, 1]):
        assert torch.equal(shuffled[position].tokens, alone[i].tokens)


def test_the_samplers_draw_differently_from_the_same_seed(engine, voice):
    assert not torch.equal(_decode(engine, voice, "gumbel", [1])[0].tokens,
                           _decode(engine, voice, "multinomial", [1])[0].tokens)


def test_a_prefill_copy_of_the_weights_gives_the_same_tokens(engine, voice):
    # The mixed-dtype path (prefill weights apart, cache copied over), here with an fp32 copy.
    t3 = engine.models.t3
    split = T3Decoder(t3, prefill_t3=copy.deepcopy(t3))
    for a, b in zip(_decode(engine, voice, "multinomial", [0, 2], decoder=split),
                    _decode(engine, voice, "multinomial", [0, 2])):
        assert torch.equal(a.tokens, b.tokens)


def test_batched_sampler_rows_equal_the_single_pair_sampler():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 300, generator=gen) * 3  # three CFG pairs
    ids = torch.randint(0, 300, (3, 20), generator=gen)
    sampler = Sampler(Sampling(temperature=0.8, cfg_weight=0.5, repetition_penalty=1.2, min_p=0.05, top_p=0.9))
    batched = sampler(logits, ids)
    for i in range(3):
        assert torch.equal(batched[i : i + 1], sampler(logits[2 * i : 2 * i + 2], ids[i : i + 1]))


def test_gumbel_draws_follow_the_probabilities():
    from scipy.stats import chisquare

    probs = torch.tensor([[0.4, 0.25, 0.15, 0.1, 0.06, 0.04, 0.0]])
    vkeys = vocab_keys(probs.shape[1], "cpu")
    n = 20_000
    keys = seed_keys(range(n), "cpu")  # one draw per seed, step 0...
    draws = gumbel_sample(probs.expand(n, -1), keys, torch.zeros(1, dtype=torch.long), vkeys)[:, 0]
    steps = torch.cat([gumbel_sample(probs, keys[:1], torch.tensor([s]), vkeys) for s in range(2000)])[:, 0]
    for sample in (draws, steps):  # ...and one seed over many steps
        counts = torch.bincount(sample, minlength=probs.shape[1]).double()
        assert counts[-1] == 0  # a zero-probability token is never drawn
        expected = probs[0, :-1].double() * len(sample)
        assert chisquare(counts[:-1].numpy(), expected.numpy()).pvalue > 1e-3


def test_gumbel_noise_is_uniform_and_a_function_of_seed_step_and_token():
    vkeys = vocab_keys(1000, "cpu")
    keys = seed_keys([1, 2, 2**32 + 1], "cpu")
    u = uniform_noise(keys, torch.tensor([5]), vkeys)
    assert bool(((u > 0) & (u < 1)).all())
    assert abs(float(u.mean()) - 0.5) < 0.03
    assert torch.equal(u, uniform_noise(keys, torch.tensor([5]), vkeys))  # same inputs, same noise
    assert not torch.equal(u[0], u[1]) and not torch.equal(u[0], u[2])  # high seed bits count too
    assert not torch.equal(u, uniform_noise(keys, torch.tensor([6]), vkeys))
    # A row's noise does not depend on the other rows.
    assert torch.equal(uniform_noise(keys[1:2], torch.tensor([5]), vkeys), u[1:2])


def test_batched_s3gen_equals_one_utterance_at_a_time(engine, voice):
    s3gen = engine.models.s3gen
    ref = voice.s3gen_ref("cpu")
    gen = torch.Generator().manual_seed(3)
    tokens = [torch.randint(0, 6561, (n,), generator=gen) for n in (17, 40, 29)]

    def gens():
        return [torch.Generator().manual_seed(100 + i) for i in range(3)]

    together = s3gen_fast.tokens_to_wavs(s3gen, tokens, ref, n_cfm_timesteps=3, generators=gens(), pad_to=64)
    for i, (toks, g) in enumerate(zip(tokens, gens())):
        alone = s3gen_fast.tokens_to_wav(s3gen, toks, ref, n_cfm_timesteps=3, generator=g)
        assert together[i].shape == alone.shape
        torch.testing.assert_close(together[i], alone, atol=WAVE_ATOL, rtol=0)


def _batch_engine(tiny_checkpoint, cache_dir, **engine_options):
    eng = ChatterboxEngine(tiny_settings(tiny_checkpoint, engine=engine_options), cache_dir)
    eng.load()
    return eng


REQUESTS = [SynthesisRequest(text, "medium", seed) for text, seed in zip(TEXTS, SEEDS)]


@pytest.mark.parametrize("options", [{"batch_size": 4}, {"batch_size": 4, "compile": True, "compile_backend": "aot_eager"}])
def test_engine_batches_give_each_chunk_its_own_audio(engine, voice_wav, tiny_checkpoint, tmp_path, options):
    batched = _batch_engine(tiny_checkpoint, tmp_path, **options)
    voice = batched.prepare_voice(voice_wav)
    together = batched.synthesize_batch(REQUESTS[:3], voice)  # a short batch: filled up when compiled
    alone_voice = engine.prepare_voice(voice_wav)
    for request, result in zip(REQUESTS, together):
        alone = engine.synthesize(request.text, bucket="medium", seed=request.seed, voice=alone_voice)
        assert result.n_tokens == alone.n_tokens and result.seed == request.seed
        np.testing.assert_allclose(result.wav, alone.wav, atol=WAVE_ATOL)
    assert batched.fallbacks == []


def test_out_of_memory_halves_the_batch_before_leaving_the_device(tiny_checkpoint, voice_wav, tmp_path, monkeypatch):
    eng = _batch_engine(tiny_checkpoint, tmp_path, batch_size=4)
    voice = eng.prepare_voice(voice_wav)
    reference = [eng.synthesize(r.text, bucket=r.bucket, seed=r.seed, voice=voice) for r in REQUESTS]
    monkeypatch.setitem(eng._devices, "t3", "cuda:0")  # pretend T3 sits on a GPU
    head = eng.models.t3.speech_head
    original = head.forward

    def forward(x):
        if x.shape[0] > 2:  # more than one chunk's CFG pair: "out of memory"
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return original(x)

    monkeypatch.setattr(head, "forward", forward)
    results = eng.synthesize_batch(REQUESTS, voice)
    assert [(f.component, f.from_, f.to) for f in eng.fallbacks] == [
        ("batch", "4 chunks", "2 chunks"), ("batch", "2 chunks", "1 chunks"),
    ]
    assert eng.fallbacks[0] == Fallback("batch", "4 chunks", "2 chunks",
                                        "OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB")
    assert eng.component_devices["t3"] == "cuda:0"  # still on the "GPU": no CPU fallback
    for got, want in zip(results, reference):
        np.testing.assert_array_equal(got.wav, want.wav)

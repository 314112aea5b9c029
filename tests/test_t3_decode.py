"""T3 decoding: padding invariance, equality with chatterbox's loop, stopping at EOS."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from audiobook_tts.engine.t3_decode import Sampling, T3Decoder, stock_generate, text_to_tokens  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TEXT = "A short line to say."  # 20 chars: cap = 2.5 * 20 + 50 = 100 tokens


@pytest.fixture(scope="module")
def voice(engine, voice_wav):
    return engine.prepare_voice(voice_wav)

def _decode_inputs(engine, voice, text=TEXT):
    models = engine.models
    cond = voice.t3_cond(0.5, "cpu", torch.float32)
    tokens = text_to_tokens(models.tokenizer, text, models.t3)
    return models.t3, cond, tokens, Sampling.from_options(engine.settings.synthesis)


def test_padded_prefill_gives_the_same_tokens(engine, voice):
    t3, cond, tokens, sampling = _decode_inputs(engine, voice)
    decoder = T3Decoder(t3)
    exact = decoder.generate(cond, [tokens], sampling, caps=[60], seeds=[11])[0]
    padded = decoder.generate(
        voice.t3_cond(0.5, "cpu", torch.float32), [tokens], sampling, caps=[60], seeds=[11], prefill_len=128, cache_len=384
    )[0]
    assert exact.n_generated == 60
    assert torch.equal(exact.tokens, padded.tokens)


def test_fast_decode_matches_chatterbox_inference(engine, voice):
    # Same maths, same sampling order, and a generator seeded like chatterbox's global RNG:
    # on the CPU the token sequences are identical.
    t3, cond, tokens, sampling = _decode_inputs(engine, voice)
    fast = T3Decoder(t3).generate(cond, [tokens], sampling, caps=[60], seeds=[5])[0]
    stock = stock_generate(t3, voice.t3_cond(0.5, "cpu", torch.float32), tokens, sampling, cap=60, seed=5)
    assert torch.equal(fast.tokens, stock.tokens)
    assert fast.hit_cap and stock.hit_cap


def test_decode_stops_at_eos(engine, voice, monkeypatch):
    t3, cond, tokens, sampling = _decode_inputs(engine, voice)
    eos = t3.hp.stop_speech_token
    decoder = T3Decoder(t3)
    steps = []

    def eos_on_fifth(self, logits, ids, n=None):
        steps.append(1)
        probs = torch.zeros(1, logits.shape[-1])
        probs[0, eos if len(steps) == 5 else len(steps)] = 1.0
        return probs

    monkeypatch.setattr("audiobook_tts.engine.t3_decode.Sampler.__call__", eos_on_fifth)
    out = decoder.generate(cond, [tokens], sampling, caps=[80], seeds=[0])[0]
    assert out.tokens.tolist() == [1, 2, 3, 4]
    assert not out.hit_cap and out.n_generated == 4

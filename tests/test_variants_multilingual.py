"""Chatterbox Multilingual on the tiny random model: its loaders, the language of each chunk,
the sync-free guard that stands in for the alignment analyzer, and our decode against
chatterbox's own ``T3.inference`` (analyzer included)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from engine_fixtures import tiny_settings  # noqa: E402

from audiobook_tts.engine import SynthesisRequest  # noqa: E402
from audiobook_tts.engine import checkpoint as checkpoint_mod  # noqa: E402
from audiobook_tts.engine.chatterbox_engine import ChatterboxEngine  # noqa: E402
from audiobook_tts.engine.t3_decode import Sampling, T3Decoder, stock_generate, text_to_tokens  # noqa: E402
from audiobook_tts.engine.t3_sampling import FORCE_LOGIT, Sampler, min_speech_tokens  # noqa: E402
from audiobook_tts.engine.variants import VARIANTS  # noqa: E402
from audiobook_tts.errors import ConfigError, ModelError  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

MTL = VARIANTS["multilingual"]
# Longer (in text tokens) than any cap below: chatterbox's analyzer cannot reach the end of
# the text, so it never forces an early EOS that ours (without attention maps) would not.
LONG = "Le phare brillait chaque nuit depuis quarante ans, et la tempete n'y changeait rien du tout."
TEXTS = ["Hola, buenos dias.", "Guten Morgen, wie geht es dir heute?", LONG]
LANGUAGES = ["es", "de", "fr"]
CAPS = [30, 23, 41]
SEEDS = [11, 12, 2**40 + 3]
WAVE_ATOL = 1e-4


@pytest.fixture(scope="module")
def mtl(tiny_multilingual_checkpoint, tmp_path_factory):
    eng = ChatterboxEngine(
        tiny_settings(tiny_multilingual_checkpoint, "multilingual", synthesis={"cfm_steps": 2}),
        tmp_path_factory.mktemp("mtl-cache"),
    )
    eng.load()
    return eng


@pytest.fixture(scope="module")
def voice(mtl, voice_wav):
    return mtl.prepare_voice(voice_wav)


# ---- loading ---------------------------------------------------------------------------------


def test_random_multilingual_is_written_in_from_locals_layout(tiny_multilingual_checkpoint, mtl):
    directory = tiny_multilingual_checkpoint
    assert {p.name for p in directory.iterdir()} == set(MTL.files.all())
    # from_local reads the .pt files as plain state dicts, weights only.
    ve_state = torch.load(directory / "ve.pt", map_location="cpu", weights_only=True)
    assert set(ve_state) == set(mtl.models.ve.state_dict())
    assert mtl.models.t3.hp.is_multilingual and not mtl.models.s3gen.meanflow
    # Deep enough for chatterbox's alignment analyzer (it reads layers 9, 12 and 13).
    assert mtl.models.t3.cfg.num_hidden_layers == MTL.t3_min_layers
    assert mtl.models.t3.cfg.num_attention_heads == MTL.t3_min_heads


def test_hub_offline_names_the_multilingual_files(monkeypatch, tmp_path):
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    def offline(**kwargs):
        raise LocalEntryNotFoundError("outgoing traffic has been disabled")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", offline)
    settings = tiny_settings(tmp_path, "multilingual", model={"source": "hub", "dir": ""})
    with pytest.raises(ModelError) as err:
        checkpoint_mod.resolve_checkpoint(settings.model, tmp_path)
    assert str(err.value) == (
        "Chatterbox weights (ResembleAI/chatterbox) are not in the Hugging Face cache and cannot be "
        "downloaded offline: run once with network access, or pass --model-dir DIR holding "
        "ve.pt, t3_mtl23ls_v2.safetensors, s3gen.pt, grapheme_mtl_merged_expanded_v1.json"
    )


def test_model_dir_and_cache_names(tiny_multilingual_checkpoint, tmp_path):
    ckpt = checkpoint_mod.resolve_checkpoint(
        tiny_settings(tiny_multilingual_checkpoint, "multilingual").model, tmp_path
    )
    assert ckpt.directory == tiny_multilingual_checkpoint and ckpt.variant is MTL
    random = tiny_settings(tmp_path, "multilingual", model={"source": "tiny", "dir": ""})
    assert checkpoint_mod.random_directory_name("tiny", MTL) == "random-multilingual-tiny-v1"
    assert checkpoint_mod.resolve_checkpoint(random.model, tmp_path).model_id == ckpt.model_id


def test_a_damaged_pt_file_is_one_line(tiny_multilingual_checkpoint, tmp_path):
    for path in tiny_multilingual_checkpoint.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "s3gen.pt").write_bytes(b"not a state dict")
    with pytest.raises(ModelError, match=r"^cannot read .*s3gen\.pt: "):
        checkpoint_mod.load_models(tmp_path, MTL)


# ---- language --------------------------------------------------------------------------------


def test_the_language_token_leads_the_text(mtl):
    tok, t3 = mtl.models.tokenizer, mtl.models.t3
    fr = text_to_tokens(tok, "Bonjour.", t3, MTL, "fr")[0].tolist()
    de = text_to_tokens(tok, "Bonjour.", t3, MTL, "de")[0].tolist()
    assert fr[0] == t3.hp.start_text_token and fr[-1] == t3.hp.stop_text_token
    assert fr[1] == tok.tokenizer.token_to_id("[fr]") and de[1] == tok.tokenizer.token_to_id("[de]")
    assert fr[2:] == de[2:]
    # Korean is decomposed into jamo, as chatterbox does, and each is a known token.
    ko = text_to_tokens(tok, "안녕", t3, MTL, "ko")[0].tolist()
    # [START] [ko], 2 syllables of 3 jamo each, the full stop punc_norm adds, [STOP].
    assert len(ko) == 2 + 6 + 1 + 1 and tok.tokenizer.token_to_id("[UNK]") not in ko


def test_a_language_the_model_does_not_speak_is_a_config_error(mtl, voice):
    with pytest.raises(ConfigError) as err:
        mtl.synthesize_batch([SynthesisRequest("Hello.", "short", 1, language="xx")], voice)
    assert str(err.value).startswith("the multilingual model does not speak language 'xx' (it speaks ar, da, de,")


def test_each_chunk_is_tokenised_in_its_own_language(mtl, voice, monkeypatch):
    # (Random weights barely listen to the text, so the audio alone would not show it.)
    from audiobook_tts.engine import chatterbox_engine

    seen = []

    def spy(tokenizer, text, t3, variant, language="en"):
        seen.append((text, language))
        return text_to_tokens(tokenizer, text, t3, variant, language)

    monkeypatch.setattr(chatterbox_engine, "text_to_tokens", spy)
    mtl.synthesize_batch(
        [SynthesisRequest("Bonjour.", "short", 5, language="fr"), SynthesisRequest("Hallo.", "short", 6, language="de")],
        voice,
    )
    assert seen == [("Bonjour.", "fr"), ("Hallo.", "de")]


# ---- the guard: the analyzer's attention-free rules, on the device ---------------------------


def _sampling(engine):
    return Sampling.from_options(engine.settings.synthesis, MTL.t3_loop)


def test_guard_masks_eos_before_the_minimum_and_forces_it_on_a_repeat():
    eos, vocab = 5, 8
    sampling = Sampling(temperature=0.8, cfg_weight=0.5, repetition_penalty=1.2, min_p=0.05, top_p=1.0, loop=MTL.t3_loop)
    sampler = Sampler(sampling, eos=eos, min_tokens=torch.tensor([10, 0, 0]))
    logits = torch.zeros(6, vocab)
    logits[:, eos] = 20.0  # EOS is by far the likeliest in every row
    ids = torch.tensor([[6, 1, 2, 3], [6, 1, 2, 3], [6, 1, 3, 3]])  # BOS, then 3 tokens
    probs = sampler(logits, ids, torch.tensor([3]))
    assert probs[0, eos] == 0  # 3 tokens < 10: EOS masked
    assert probs[1, eos] > 0.99  # free to stop
    assert probs[2, eos] == 1  # the last two tokens repeat: EOS forced
    # The first token is never compared with BOS (slot 0), even when they are equal.
    first = Sampler(sampling, eos=eos, min_tokens=torch.zeros(1, dtype=torch.long))
    assert first.guard(torch.zeros(1, vocab), torch.tensor([[6, 6, 0, 0]]), torch.tensor([1]))[0, eos] == 0


def test_minimum_tokens_follow_the_text_length():
    assert min_speech_tokens(5) == 0  # like the analyzer: short texts are not held back
    assert min_speech_tokens(50) == 40


def test_decode_cannot_stop_before_the_minimum_and_stops_on_a_repeat(mtl, voice, monkeypatch):
    t3 = mtl.models.t3
    eos = t3.hp.stop_speech_token
    tokens = text_to_tokens(mtl.models.tokenizer, LONG, t3, MTL, "fr")
    minimum = min_speech_tokens(tokens.shape[1])
    original = Sampler.guard

    def eos_first(self, logits, ids, n):  # a model that wants to stop at once
        logits = logits.clone()
        logits[:, eos] = FORCE_LOGIT / 2
        return original(self, logits, ids, n)

    monkeypatch.setattr(Sampler, "guard", eos_first)
    out = T3Decoder(t3).generate(voice.t3_cond(0.5, "cpu", torch.float32), [tokens], _sampling(mtl), caps=[200],
                                 seeds=[3])[0]
    # Held back until the minimum, then EOS ends it at once; only a repeated token (the
    # analyzer's other rule, which wins over the minimum as in chatterbox) ends it earlier.
    assert not out.hit_cap and out.n_generated <= minimum
    assert out.n_generated == minimum or out.tokens[-1] == out.tokens[-2]


# ---- T3: our decode vs T3.inference with its analyzer -----------------------------------------


def test_fast_decode_matches_chatterbox_inference(mtl, voice):
    t3 = mtl.models.t3
    tokens = text_to_tokens(mtl.models.tokenizer, LONG, t3, MTL, "fr")
    assert tokens.shape[1] > 40 + 3  # the analyzer never reaches the text's end in 40 tokens
    fast = T3Decoder(t3).generate(voice.t3_cond(0.5, "cpu", torch.float32), [tokens], _sampling(mtl), caps=[40],
                                  seeds=[5])[0]
    stock = stock_generate(t3, voice.t3_cond(0.5, "cpu", torch.float32), tokens, _sampling(mtl), cap=40, seed=5)
    assert torch.equal(fast.tokens, stock.tokens)
    assert fast.n_generated == stock.n_generated


def _decode(engine, voice, indices, sampler="multinomial"):
    t3 = engine.models.t3
    sampling = Sampling(**{**_sampling(engine).__dict__, "sampler": sampler})
    tokens = [text_to_tokens(engine.models.tokenizer, TEXTS[i], t3, MTL, LANGUAGES[i]) for i in indices]
    return T3Decoder(t3, sampler=sampler).generate(
        voice.t3_cond(0.5, "cpu", torch.float32), tokens, sampling, caps=[CAPS[i] for i in indices],
        seeds=[SEEDS[i] for i in indices], prefill_len=192, cache_len=320,
    )


@pytest.mark.parametrize("sampler", ["multinomial", "gumbel"])
def test_a_batch_of_languages_gives_the_tokens_of_single_runs(mtl, voice, sampler):
    alone = [_decode(mtl, voice, [i], sampler)[0] for i in range(3)]
    together = _decode(mtl, voice, [2, 0, 1], sampler)
    for got, i in zip(together, [2, 0, 1]):
        assert torch.equal(got.tokens, alone[i].tokens), i
        assert got.n_generated == alone[i].n_generated


def test_compiled_decode_with_the_guard_gives_the_eager_tokens(mtl, voice, tmp_path):
    # (S3Gen compiles as the standard model's does; the guard is what is new to the graph.)
    from audiobook_tts.config import EngineOptions
    from audiobook_tts.engine import compile as compile_mod

    compile_mod.configure_compilation(tmp_path)
    fallbacks = []
    options = EngineOptions(compile=True, compile_backend="eager")
    compiled = T3Decoder(mtl.models.t3, wrap=lambda name, fn: compile_mod.Guarded(name, fn, options, fallbacks.append))
    eager = T3Decoder(mtl.models.t3)
    tokens = [text_to_tokens(mtl.models.tokenizer, t, mtl.models.t3, MTL, lang) for t, lang in zip(TEXTS, LANGUAGES)]
    runs = [
        decoder.generate(voice.t3_cond(0.5, "cpu", torch.float32), tokens, _sampling(mtl), caps=CAPS, seeds=SEEDS,
                         prefill_len=192, cache_len=320)
        for decoder in (compiled, eager)
    ]
    assert fallbacks == []
    for a, b in zip(*runs):
        assert torch.equal(a.tokens, b.tokens)


def test_engine_batches_equal_one_at_a_time(mtl, voice, tiny_multilingual_checkpoint, tmp_path):
    batched = ChatterboxEngine(
        tiny_settings(tiny_multilingual_checkpoint, "multilingual", engine={"batch_size": 3},
                      synthesis={"cfm_steps": 2}), tmp_path)
    batched.load()
    requests = [SynthesisRequest(t, "medium", s, language=lang) for t, s, lang in zip(TEXTS, SEEDS, LANGUAGES)]
    together = batched.synthesize_batch(requests, batched.prepare_voice(voice.path))
    for request, result in zip(requests, together):
        [alone] = mtl.synthesize_batch([request], voice)
        assert result.n_tokens == alone.n_tokens
        np.testing.assert_allclose(result.wav, alone.wav, atol=WAVE_ATOL)
    assert batched.fallbacks == []

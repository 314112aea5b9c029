"""Chatterbox Turbo on the tiny random model: its loaders (random, directory, hub) and our fast
paths against chatterbox's own (``T3.inference_turbo``, the meanflow ``S3Gen.inference``)."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from engine_fixtures import tiny_settings  # noqa: E402

from audiobook_tts.engine import SynthesisRequest  # noqa: E402
from audiobook_tts.engine import checkpoint as checkpoint_mod  # noqa: E402
from audiobook_tts.engine import s3gen_fast  # noqa: E402
from audiobook_tts.engine.chatterbox_engine import ChatterboxEngine  # noqa: E402
from audiobook_tts.engine.t3_decode import Sampling, T3Decoder, stock_generate, text_to_tokens  # noqa: E402
from audiobook_tts.engine.variants import VARIANTS  # noqa: E402
from audiobook_tts.errors import ModelError  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TURBO = VARIANTS["turbo"]
TEXT = "A short line to say [laugh] at last."
TEXTS = ["Hi there.", "A short line to say.", "This one is a good deal longer than the others, with a clause."]
CAPS = [30, 23, 41]
SEEDS = [11, 12, 2**40 + 3]
# Waveforms of a row batched vs alone, padded vs not: other matrix shapes, other summation
# order; 1e-4 of full scale is far below audibility (-80 dBFS).
WAVE_ATOL = 1e-4


@pytest.fixture(scope="module")
def turbo(tiny_turbo_checkpoint, tmp_path_factory):
    eng = ChatterboxEngine(
        tiny_settings(tiny_turbo_checkpoint, "turbo", synthesis={"cfm_steps": 2, "top_p": 0.95}),
        tmp_path_factory.mktemp("turbo-cache"),
    )
    eng.load()
    return eng


@pytest.fixture(scope="module")
def voice(turbo, voice_wav):
    return turbo.prepare_voice(voice_wav)


# ---- loading ---------------------------------------------------------------------------------


def test_random_turbo_is_written_in_from_locals_layout(tiny_turbo_checkpoint, turbo):
    names = {p.name for p in tiny_turbo_checkpoint.iterdir()}
    assert {"ve.safetensors", "t3_turbo_v1.safetensors", "s3gen_meanflow.safetensors", "vocab.json",
            "merges.txt", "tokenizer_config.json", "added_tokens.json"} <= names
    models = turbo.models
    assert models.t3.is_gpt and type(models.t3.tfmr).__name__ == "GPT2Model"
    assert not hasattr(models.t3.tfmr, "wte")  # deleted after loading, as from_local does
    assert models.t3.speech_pos_emb is None and models.t3.cond_enc.perceiver is None
    assert models.s3gen.meanflow and models.s3gen.flow.decoder.estimator.meanflow
    # Turbo's tokenizer reads a paralinguistic tag as one token.
    [laugh] = models.tokenizer("[laugh]").input_ids
    assert models.tokenizer.convert_ids_to_tokens(laugh) == "[laugh]"
    assert turbo.describe()["variant"] == "turbo"


def test_random_checkpoints_are_cached_under_their_variants_name(tiny_turbo_checkpoint, tmp_path):
    settings = tiny_settings(tiny_turbo_checkpoint, "turbo", model={"source": "tiny", "dir": ""})
    ckpt = checkpoint_mod.resolve_checkpoint(settings.model, tmp_path)
    assert ckpt.directory == tmp_path / "models" / "random-turbo-tiny-v1"
    assert ckpt.model_id == checkpoint_mod.model_identity(
        tiny_turbo_checkpoint, TURBO.files.all() + TURBO.files.optional
    )


def test_model_dir_must_hold_the_turbo_layout(tiny_turbo_checkpoint, tmp_path):
    for path in tiny_turbo_checkpoint.iterdir():
        if path.name != "merges.txt":
            (tmp_path / path.name).write_bytes(path.read_bytes())
    with pytest.raises(ModelError) as err:
        checkpoint_mod.resolve_checkpoint(tiny_settings(tmp_path, "turbo").model, tmp_path / "cache")
    assert str(err.value) == f"model directory {tmp_path} lacks merges.txt"
    (tmp_path / "merges.txt").write_bytes((tiny_turbo_checkpoint / "merges.txt").read_bytes())
    ckpt = checkpoint_mod.resolve_checkpoint(tiny_settings(tmp_path, "turbo").model, tmp_path / "cache")
    assert checkpoint_mod.load_models(ckpt.directory, ckpt.variant).t3.is_gpt


def test_hub_offline_names_the_turbo_repository_and_files(monkeypatch, tmp_path):
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    def offline(**kwargs):
        raise LocalEntryNotFoundError("outgoing traffic has been disabled")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", offline)
    settings = tiny_settings(tmp_path, "turbo", model={"source": "hub", "dir": ""})
    with pytest.raises(ModelError) as err:
        checkpoint_mod.resolve_checkpoint(settings.model, tmp_path)
    assert str(err.value) == (
        "Chatterbox weights (ResembleAI/chatterbox-turbo) are not in the Hugging Face cache and cannot be "
        "downloaded offline: run once with network access, or pass --model-dir DIR holding "
        "ve.safetensors, t3_turbo_v1.safetensors, s3gen_meanflow.safetensors, vocab.json, merges.txt, "
        "tokenizer_config.json"
    )


def test_hub_snapshot_loads_with_its_optional_files(monkeypatch, tiny_turbo_checkpoint, tmp_path):
    import huggingface_hub
    from huggingface_hub.errors import EntryNotFoundError

    calls = []

    def cached(repo_id, filename, **kwargs):
        calls.append((repo_id, filename))
        if filename == "special_tokens_map.json":
            raise EntryNotFoundError("not in this repository")
        return str(tiny_turbo_checkpoint / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", cached)
    settings = tiny_settings(tmp_path, "turbo", model={"source": "hub", "dir": ""})
    ckpt = checkpoint_mod.resolve_checkpoint(settings.model, tmp_path)
    assert ckpt.directory == tiny_turbo_checkpoint
    assert {repo for repo, _ in calls} == {"ResembleAI/chatterbox-turbo"}
    assert [name for _, name in calls] == [*TURBO.files.all(), *TURBO.files.optional]


# ---- T3: static-cache GPT-2 decode vs T3.inference_turbo --------------------------------------


def _sampling(engine):
    return Sampling.from_options(engine.settings.synthesis, TURBO.t3_loop)


def _tokens(engine, text):
    return text_to_tokens(engine.models.tokenizer, text, engine.models.t3, TURBO)


def test_turbo_text_is_not_framed_and_keeps_its_tags(turbo):
    tokens = _tokens(turbo, TEXT)
    expected = turbo.models.tokenizer(TEXT, return_tensors="pt").input_ids
    assert torch.equal(tokens, expected)  # punc_norm leaves this text as it is; no [START]/[STOP]


def test_sampling_without_cfg(turbo):
    sampling = _sampling(turbo)
    assert sampling.cfg_weight == 0.0 and sampling.loop.top_k == 1000


def test_fast_decode_matches_inference_turbo(turbo, voice):
    # Same maths, the processors in chatterbox's order, the generator seeded like its global
    # RNG: the same tokens.
    t3, sampling, tokens = turbo.models.t3, _sampling(turbo), _tokens(turbo, TEXT)
    fast = T3Decoder(t3).generate(voice.t3_cond(0.5, "cpu", torch.float32), [tokens], sampling, caps=[60], seeds=[5])[0]
    stock = stock_generate(t3, voice.t3_cond(0.5, "cpu", torch.float32), tokens, sampling, cap=60, seed=5)
    assert fast.n_generated == stock.n_generated == 60
    assert torch.equal(fast.tokens, stock.tokens)


def _decode(engine, voice, indices, sampler="multinomial", **lengths):
    t3 = engine.models.t3
    sampling = Sampling(**{**_sampling(engine).__dict__, "sampler": sampler})
    tokens = [_tokens(engine, TEXTS[i]) for i in indices]
    return T3Decoder(t3, sampler=sampler).generate(
        voice.t3_cond(0.5, "cpu", torch.float32), tokens, sampling, caps=[CAPS[i] for i in indices],
        seeds=[SEEDS[i] for i in indices], **lengths,
    )


def test_padded_prefill_gives_the_same_tokens(turbo, voice):
    exact = _decode(turbo, voice, [1])[0]
    padded = _decode(turbo, voice, [1], prefill_len=128, cache_len=256)[0]
    assert torch.equal(exact.tokens, padded.tokens)


@pytest.mark.parametrize("sampler", ["multinomial", "gumbel"])
def test_a_batch_gives_the_tokens_of_single_runs(turbo, voice, sampler):
    alone = [_decode(turbo, voice, [i], sampler, prefill_len=128, cache_len=256)[0] for i in range(3)]
    together = _decode(turbo, voice, [2, 0, 1], sampler, prefill_len=128, cache_len=256)
    for got, i in zip(together, [2, 0, 1]):
        assert torch.equal(got.tokens, alone[i].tokens), i
        assert got.n_generated == CAPS[i]


# ---- S3Gen: the sync-free meanflow path vs S3Gen.inference(n_cfm_timesteps=2) ------------------


def _speech_tokens(n: int, seed: int = 2) -> torch.Tensor:
    return torch.randint(0, 6561, (1, n), generator=torch.Generator().manual_seed(seed))


def test_meanflow_matches_stock_inference(turbo, voice):
    s3gen, ref = turbo.models.s3gen, voice.s3gen_ref("cpu")
    tokens = _speech_tokens(23)
    ours = s3gen_fast.tokens_to_wav(s3gen, tokens, ref, n_cfm_timesteps=2, generator=torch.Generator().manual_seed(7))
    torch.manual_seed(7)
    stock, _ = s3gen.inference(speech_tokens=tokens, ref_dict=copy.copy(ref), n_cfm_timesteps=2)
    assert ours.shape == stock.shape
    # Same ops on the same random draws: equal to float32 rounding.
    torch.testing.assert_close(ours, stock, rtol=0, atol=1e-6)


def test_meanflow_padded_and_batched_equal_alone(turbo, voice):
    s3gen, ref = turbo.models.s3gen, voice.s3gen_ref("cpu")
    tokens = [_speech_tokens(n, seed=n).view(-1) for n in (17, 40, 29)]

    def gens():
        return [torch.Generator().manual_seed(100 + i) for i in range(3)]

    together = s3gen_fast.tokens_to_wavs(s3gen, tokens, ref, n_cfm_timesteps=2, generators=gens(), pad_to=64)
    for i, (toks, g) in enumerate(zip(tokens, gens())):
        alone = s3gen_fast.tokens_to_wav(s3gen, toks, ref, n_cfm_timesteps=2, generator=g)
        torch.testing.assert_close(together[i], alone, atol=WAVE_ATOL, rtol=0)


# ---- the engine ------------------------------------------------------------------------------


def test_engine_speaks_to_the_cap_with_turbos_trailing_silence(turbo, voice):
    result = turbo.synthesize("A short line to say.", bucket="short", seed=3, voice=voice)
    cap = 100  # 2.5 tokens per character x 20 + 50
    assert result.hit_cap and result.n_tokens == cap
    # Turbo's generate appends 3 silence tokens before S3Gen: 25 tokens per second at 24 kHz.
    assert len(result.wav) == (cap + TURBO.trailing_silence_tokens) * 24_000 // 25


def test_stock_decode_setting_gives_the_fast_path_audio(turbo, voice, tiny_turbo_checkpoint, tmp_path):
    stock = ChatterboxEngine(
        tiny_settings(tiny_turbo_checkpoint, "turbo", engine={"fast_decode": False},
                      synthesis={"cfm_steps": 2, "top_p": 0.95}), tmp_path)
    stock.load()
    a = stock.synthesize("Hi there.", bucket="short", seed=4, voice=stock.prepare_voice(voice.path))
    b = turbo.synthesize("Hi there.", bucket="short", seed=4, voice=voice)
    np.testing.assert_array_equal(a.wav, b.wav)


@pytest.mark.parametrize("options", [{"batch_size": 3}, {"batch_size": 3, "compile": True, "compile_backend": "aot_eager"}])
def test_engine_batches_equal_one_at_a_time(turbo, voice, tiny_turbo_checkpoint, tmp_path, options):
    batched = ChatterboxEngine(
        tiny_settings(tiny_turbo_checkpoint, "turbo", engine=options, synthesis={"cfm_steps": 2, "top_p": 0.95}),
        tmp_path)
    batched.load()
    requests = [SynthesisRequest(text, "medium", seed) for text, seed in zip(TEXTS, SEEDS)]
    together = batched.synthesize_batch(requests[:2], batched.prepare_voice(voice.path))
    for request, result in zip(requests, together):
        alone = turbo.synthesize(request.text, bucket="medium", seed=request.seed, voice=voice)
        assert result.n_tokens == alone.n_tokens
        np.testing.assert_allclose(result.wav, alone.wav, atol=WAVE_ATOL)
    assert batched.fallbacks == []
    if options.get("compile"):
        warm = batched.warmup(batched.prepare_voice(voice.path), {"short": 20})
        assert warm.samples_per_bucket == {"short": 1} and warm.fallbacks == []


def test_added_tokens_file_is_what_the_tokenizer_reads(tiny_turbo_checkpoint):
    added = json.loads((tiny_turbo_checkpoint / "added_tokens.json").read_text())
    assert "[laugh]" in added and "[sigh]" in added


@pytest.mark.slow
def test_the_cli_renders_a_book_with_tiny_turbo(tmp_path):
    """``render --profile smoke --variant turbo`` end to end (one chapter, to keep it short)."""
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "out"
    r = subprocess.run(
        [sys.executable, "-m", "audiobook_tts", "render", str(repo / "samples" / "the-lighthouse-keeper.md"),
         "--voice", str(repo / "samples" / "voice.wav"), "--profile", "smoke", "--variant", "turbo",
         "--chapters", "1", "--out", str(out), "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, cwd=repo,
    )
    assert r.returncode == 0, r.stderr
    report = json.loads((out / ".audiobook-tts" / "report.json").read_text())
    assert report["status"] == "complete" and report["engine"]["variant"] == "turbo"
    assert report["settings"]["model"]["variant"] == "turbo"
    assert (tmp_path / "cache" / "models" / "random-turbo-tiny-v1" / "t3_turbo_v1.safetensors").is_file()


def test_linear_layout_computes_what_conv1d_does(turbo, voice, tiny_turbo_checkpoint, tmp_path):
    from audiobook_tts.engine.t3_decode import linear_layout

    t3 = copy.deepcopy(turbo.models.t3)
    linear_layout(t3.tfmr)
    assert isinstance(t3.tfmr.h[0].mlp.c_fc, torch.nn.Linear)
    tokens, sampling = _tokens(turbo, TEXT), _sampling(turbo)
    a = T3Decoder(t3).generate(voice.t3_cond(0.5, "cpu", torch.float32), [tokens], sampling, caps=[40], seeds=[5])[0]
    b = T3Decoder(turbo.models.t3).generate(voice.t3_cond(0.5, "cpu", torch.float32), [tokens], sampling, caps=[40],
                                            seeds=[5])[0]
    assert torch.equal(a.tokens, b.tokens)
    # The engine uses the Linear layout where T3 runs in bf16 (fp32 stays as chatterbox has it).
    assert type(turbo.models.t3.tfmr.h[0].mlp.c_fc).__name__ == "Conv1D"
    bf16 = ChatterboxEngine(tiny_settings(tiny_turbo_checkpoint, "turbo", engine={"t3_dtype": "bfloat16"}), tmp_path)
    bf16.load()
    assert isinstance(bf16.models.t3.tfmr.h[0].mlp.c_fc, torch.nn.Linear)
    assert bf16.synthesize("Hi there.", bucket="short", seed=1, voice=bf16.prepare_voice(voice.path)).hit_cap

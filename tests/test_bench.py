"""``run_bench`` on the tiny random model: shape of the results and forced token counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")

from audiobook_tts.bench import BENCH_TEXT, bench_settings, format_results, model_options, run_bench  # noqa: E402
from audiobook_tts.config import Settings, build_settings  # noqa: E402
from audiobook_tts.engine.t3_decode import token_cap  # noqa: E402

TOKENS = 12
REPEATS = 2
RATES = ("t3_tokens_per_s", "s3gen_audio_s_per_s", "rtf")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    messages: list[str] = []
    out = run_bench(
        model="tiny",
        device="cpu",
        tokens=TOKENS,
        repeats=REPEATS,
        settings=build_settings("default", {"synthesis": {"cfm_steps": 2}}),
        cache_dir=tmp_path_factory.mktemp("bench-cache"),
        progress=messages.append,
    )
    out["_messages"] = messages
    return out


def test_results_have_the_documented_keys(results):
    for path in ("stock", "ours", "speedup"):
        for key in RATES:
            assert results[path][key] > 0, (path, key)
    assert results["device"] == "cpu"
    assert results["model"] == "tiny"
    assert results["peak_rss_mb"] > 0
    assert results["ours_settings"]["cfm_steps"] == 2
    json.dumps({k: v for k, v in results.items() if k != "_messages"})  # JSON-ready


def test_both_paths_generate_exactly_the_forced_token_count(results):
    for path in ("stock", "ours"):
        assert results[path]["tokens_generated"] == [TOKENS] * REPEATS, path
        # The random model's head never samples special ids: every token becomes audio.
        assert results[path]["tokens_vocoded"] == [TOKENS] * REPEATS, path
        assert results[path]["audio_s"] == pytest.approx(TOKENS / 25)


def test_speedups_are_ratios_of_the_medians(results):
    stock, ours, speedup = results["stock"], results["ours"], results["speedup"]
    assert speedup["t3_tokens_per_s"] == pytest.approx(ours["t3_tokens_per_s"] / stock["t3_tokens_per_s"])
    assert speedup["rtf"] == pytest.approx(stock["rtf"] / ours["rtf"])


def test_progress_reports_every_run(results):
    runs = [m for m in results["_messages"] if m.startswith("run ")]
    assert len(runs) == 2 * REPEATS


def test_format_results_shows_every_rate(results):
    text = format_results(results)
    for label in ("T3 tokens/s", "S3Gen audio s per s", "real-time factor", "warm-up s"):
        assert label in text


def test_bench_settings_force_the_token_cap():
    settings = bench_settings(Settings(), "full", "cpu", 300)
    assert token_cap(len(BENCH_TEXT), settings.synthesis) == 300
    assert settings.model.source == "full"
    assert settings.engine.device == "cpu"


def test_a_directory_is_a_dir_checkpoint(tmp_path: Path):
    options = model_options(str(tmp_path))
    assert (options.source, options.dir) == ("dir", str(tmp_path))


@pytest.fixture(scope="module")
def batched(tmp_path_factory):
    """A second run: default repeats under a budget nothing fits, and a batch of 2."""
    return run_bench(
        model="tiny", device="cpu", tokens=TOKENS, repeats=None,
        settings=build_settings("default", {"synthesis": {"cfm_steps": 2}}),
        cache_dir=tmp_path_factory.mktemp("bench-cache"), batches=(1, 2), budget_s=0.0,
    )


def test_a_slow_machine_gets_fewer_repeats_and_is_told(batched):
    assert batched["repeats"] == 1
    assert batched["notes"] and "1 run(s) of each path instead of 2" in batched["notes"][0]
    assert "note: 1 run(s) of each path instead of 2" in format_results(batched)


def test_batches_report_chunk_tokens_for_each_size(batched):
    assert set(batched["batches"]) == {"1", "2"}
    for size, entry in batched["batches"].items():
        assert entry["chunks"] == int(size)
        for key in ("t3_tokens_per_s", "s3gen_audio_s_per_s", "audio_s_per_s", "peak_mem_mib"):
            assert entry[key] > 0, (size, key)
        # Every chunk of the batch made its forced tokens' worth of audio.
        assert entry["audio_s"] == pytest.approx(int(size) * TOKENS / 25)
    assert set(batched["precision"]) == {"1", "2"}
    assert "batch" in format_results(batched)


def test_results_state_the_cpu_capability(results):
    assert results["cpu_capability"] in ("DEFAULT", "AVX2", "AVX512", "AVX512_BF16", "NO AVX", "VSX", "ZVECTOR", "SVE256")
    assert isinstance(results["bf16_native"], bool)
    assert results["speedup"]["t3_decode_tokens_per_s"] > 0
    assert results["ours"]["t3_prefill_s"] > 0 and results["stock"]["t3_prefill_s"] > 0
    for phase in ("t3_prefill", "t3_decode", "s3gen"):
        assert results["precision"]["1"][phase] in ("float32", "bfloat16")


@pytest.fixture(scope="module", params=["turbo", "multilingual"])
def variant_results(request, tmp_path_factory):
    """One run of each path on the tiny random model of each other variant."""
    from audiobook_tts.engine.variants import VARIANTS

    settings = build_settings(VARIANTS[request.param].cpu_profile, {"synthesis": {"cfm_steps": 2}})
    return run_bench(model="tiny", device="cpu", tokens=TOKENS, repeats=1, settings=settings,
                     cache_dir=tmp_path_factory.mktemp("bench-cache"))


def test_other_variants_bench_the_same_forced_tokens(variant_results):
    from audiobook_tts.engine.variants import VARIANTS

    variant = VARIANTS[variant_results["variant"]]
    assert variant_results["profile"] == variant.cpu_profile
    silence_s = variant.trailing_silence_tokens / 25  # Turbo's generate appends 3 silence tokens
    for path in ("stock", "ours"):
        assert variant_results[path]["tokens_generated"] == [TOKENS], path
        assert variant_results[path]["audio_s"] == pytest.approx(TOKENS / 25 + silence_s), path
    assert variant_results["speedup"]["t3_tokens_per_s"] > 0
    assert f"tiny {variant.name} model on cpu" in format_results(variant_results)

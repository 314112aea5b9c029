"""``audiobook-tts bench``: stock Chatterbox against our engine, in one process.

Both paths use the same checkpoint (loaded twice, so the engine's dtype casts and
compilation never touch the stock copy), the same voice, text, sampling options and seeds,
and generate exactly ``tokens`` speech tokens per chunk (EOS is off for the run). Runs
alternate stock/ours and medians are reported.

* stock: the variant's ``generate`` body (``ChatterboxTTS``: ``t3.inference`` with chatterbox's
  loop, ``s3gen.inference`` with 10 flow steps; ``ChatterboxTurboTTS``: ``t3.inference_turbo``,
  3 silence tokens, the meanflow ``s3gen.inference`` with 2 steps; ``ChatterboxMultilingualTTS``:
  ``t3.inference`` with its alignment analyzer, language "en"; then the Perth watermark), with
  the token count forced.
* ours: the stages of ``Engine.synthesize_batch`` under the given settings (static-cache T3
  decode, the fast S3Gen path, compilation and the profile's dtypes, ``auto`` resolved for
  this machine), at batch size 1 and at every size in ``batches``.

T3 is reported whole and split: the prefill (conditioning and text in one pass, reported as
positions/s) and the decode (tokens/s), so neither hides the other.
"""

from __future__ import annotations

import dataclasses
import datetime
import gc
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import soundfile
import torch
from chatterbox.mtl_tts import ChatterboxMultilingualTTS
from chatterbox.tts import ChatterboxTTS, Conditionals
from chatterbox.tts_turbo import ChatterboxTurboTTS

from ..config import ModelOptions, Settings
from ..constants import SAMPLE_RATE_HZ
from ..engine.chatterbox_engine import ChatterboxEngine
from ..engine.checkpoint import load_models, resolve_checkpoint
from ..engine.precision import bf16_native, cpu_capability, cpu_model
from ..engine.t3_decode import text_to_tokens
from ..engine.voice import Voice
from .runs import BENCH_TEXT, Run, eos_disabled, ours_run, stock_run

__all__ = ["BENCH_TEXT", "bench_settings", "format_results", "model_options", "run_bench"]

# Chatterbox conditions S3Gen on up to 10 s of the voice; the reference length sets most of
# S3Gen's cost (its frames are re-run at every flow step), so the bench uses the full 10 s.
VOICE_SECONDS = 10.0
VOICE_F0_HZ = 120.0
RANDOM_SOURCES = ("tiny", "full")
DEFAULT_REPEATS = 2
# With the default repeats, the whole command aims to end within this (a slow CPU gets
# fewer repeats, and says so).
BUDGET_S = 300.0
# Variant name -> chatterbox's own TTS class, whose generate() the stock path runs.
STOCK_TTS = {"standard": ChatterboxTTS, "turbo": ChatterboxTurboTTS, "multilingual": ChatterboxMultilingualTTS}


def model_options(model: str, variant: str = "standard") -> ModelOptions:
    """``tiny``/``full`` random weights, or a checkpoint directory, of ``variant``."""
    if model in RANDOM_SOURCES:
        return ModelOptions(variant=variant, source=model)
    return ModelOptions(variant=variant, source="dir", dir=model)


def bench_settings(settings: Settings, model: str, device: str, tokens: int, batch_size: int = 1) -> Settings:
    """The profile's settings with the model, device, batch size and a token cap of exactly ``tokens``."""
    synthesis = dataclasses.replace(
        settings.synthesis,
        max_tokens=tokens,
        # token_cap = min(max_tokens, tokens_per_char * chars + 50): make max_tokens the minimum.
        tokens_per_char=tokens / len(BENCH_TEXT) + 1.0,
    )
    engine = dataclasses.replace(settings.engine, device=device, batch_size=batch_size)
    return dataclasses.replace(
        settings, model=model_options(model, settings.model.variant), engine=engine, synthesis=synthesis
    )


def write_bench_voice(path: Path) -> Path:
    """A deterministic 10 s voiced signal (harmonics with vibrato, plus breath noise)."""
    rng = np.random.default_rng(0)
    t = np.arange(int(VOICE_SECONDS * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    f0 = VOICE_F0_HZ * (1 + 0.05 * np.sin(2 * np.pi * 0.7 * t))
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE_HZ
    wav = sum(np.sin(k * phase) / k for k in range(1, 12)) * 0.1
    wav = wav + 0.01 * rng.standard_normal(t.shape)
    soundfile.write(path, wav.astype(np.float32), SAMPLE_RATE_HZ)
    return path


def summarise(runs: list[Run], warmup_s: float, prefill_positions: int) -> dict:
    """Medians over the runs; rates are computed per run, then the median taken."""

    def median(values) -> float:
        return float(statistics.median(values))

    return {
        "t3_tokens_per_s": median(r.chunks * r.n_generated / r.t3_s for r in runs),
        "t3_prefill_s": median(r.t3_prefill_s for r in runs),
        "t3_prefill_positions_per_s": median(r.chunks * prefill_positions / r.t3_prefill_s for r in runs),
        "t3_decode_tokens_per_s": median(r.chunks * r.n_generated / (r.t3_s - r.t3_prefill_s) for r in runs),
        "s3gen_audio_s_per_s": median(r.audio_s / r.s3gen_s for r in runs),
        "audio_s_per_s": median(r.audio_s / r.total_s for r in runs),
        "rtf": median(r.total_s / r.audio_s for r in runs),
        "t3_s": median(r.t3_s for r in runs),
        "s3gen_s": median(r.s3gen_s for r in runs),
        "watermark_s": median(r.watermark_s for r in runs),
        "total_s": median(r.total_s for r in runs),
        "audio_s": median(r.audio_s for r in runs),
        "chunks": runs[0].chunks,
        "warmup_s": warmup_s,
        "tokens_generated": [r.n_generated for r in runs],
        "tokens_vocoded": [r.n_vocoded for r in runs],
        # Every run's stage times, so a run disturbed by other work on the machine can be told apart.
        "runs": [dataclasses.asdict(r) for r in runs],
    }


def peak_rss_mb() -> float:
    """The process's high-water resident memory (both paths: they share the process)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes vs KiB


def reset_peak_memory(device: str) -> Callable[[], float]:
    """Start a new peak-memory window; returns a function giving its peak in MiB (the GPU's
    allocations on CUDA; the process's resident memory on Linux, else since the start)."""
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
        return lambda: torch.cuda.max_memory_allocated() / 2**20
    try:  # Linux: writing 5 resets the process's VmHWM
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return peak_rss_mb

    def peak() -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**10
        return peak_rss_mb()

    return peak


def _build_stock(settings: Settings, cache_dir: Path, device: str, voice: Voice):
    """A second, untouched copy of the checkpoint, fp32, as the variant's from_local has it."""
    checkpoint = resolve_checkpoint(settings.model, cache_dir)
    models = load_models(checkpoint.directory, checkpoint.variant)
    for module in (models.ve, models.t3, models.s3gen):
        module.to(device)
    conds = Conditionals(
        voice.t3_cond(settings.synthesis.exaggeration, device, torch.float32), voice.s3gen_ref(device)
    )
    tts = STOCK_TTS[checkpoint.variant.name]
    return tts(models.t3, models.s3gen, models.ve, models.tokenizer, device, conds=conds)


def _load_engine(settings: Settings, cache_dir: Path, voice_path: Path) -> tuple[ChatterboxEngine, Voice]:
    engine = ChatterboxEngine(settings, cache_dir)
    engine.load()
    return engine, engine.prepare_voice(voice_path)


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_bench(
    model: str,
    device: str,
    tokens: int,
    repeats: int | None,
    settings: Settings,
    cache_dir: Path,
    progress: Callable[[str], None] | None = None,
    batches: tuple[int, ...] = (),
    budget_s: float = BUDGET_S,
) -> dict:
    """Benchmark both paths; see the module docstring. ``repeats=None``: :data:`DEFAULT_REPEATS`,
    fewer when the first runs show they would not fit ``budget_s``. Returns a JSON-ready dict."""
    say = progress or (lambda _msg: None)
    began = time.perf_counter()
    notes: list[str] = []
    base = bench_settings(settings, model, device, tokens)
    with tempfile.TemporaryDirectory() as tmp:
        voice_path = write_bench_voice(Path(tmp) / "bench-voice.wav")
        say(f"loading the {model} model for our engine")
        engine, voice = _load_engine(base, cache_dir, voice_path)
        device = engine.device
        say("loading a second copy for stock chatterbox")
        stock = _build_stock(base, cache_dir, device, voice)
        variant = engine.variant
        # The conditioning, the text (with [START]/[STOP] where framed) and the speech BOS (twice
        # in the Llama loop).
        prefill_positions = engine.conditioning_length(voice) + text_to_tokens(
            engine.models.tokenizer, BENCH_TEXT, engine.models.t3, variant).shape[1] + (
            2 if variant.t3_loop.second_bos else 1)

        with eos_disabled(stock.t3, engine.models.t3):
            say("warming up stock")
            stock_warmup = _timed(lambda: stock_run(stock, base, base.synthesis.seed, variant))
            # Compiled paths need the profile's warm-up samples (each shape compiles once);
            # eager ones only the first-call allocations, like stock.
            samples = base.engine.warmup_samples if base.engine.compile else 1
            say(f"warming up ours ({samples} sample{'s' if samples != 1 else ''})")
            ours_warmup = _timed(lambda: [ours_run(engine, voice, [base.synthesis.seed + i]) for i in range(samples)])
            if repeats is None:
                per_repeat = stock_warmup + ours_warmup / samples
                fit = int((budget_s - (time.perf_counter() - began)) // max(per_repeat, 1e-9))
                repeats = max(1, min(DEFAULT_REPEATS, fit))
                if repeats < DEFAULT_REPEATS:
                    notes.append(f"{repeats} run(s) of each path instead of {DEFAULT_REPEATS}: one pair takes "
                                 f"~{per_repeat:.0f} s here, and the default aims to end within {budget_s:.0f} s")
                    say(notes[-1])

            runs: dict[str, list[Run]] = {"stock": [], "ours": []}
            peak = {"stock": 0.0, "ours": 0.0}
            for r in range(repeats):
                seed = base.synthesis.seed + r
                # Alternate which path goes first, so drift in machine load hits both alike.
                for name in ("stock", "ours") if r % 2 == 0 else ("ours", "stock"):
                    window = reset_peak_memory(device)
                    run = stock_run(stock, base, seed, variant) if name == "stock" else ours_run(engine, voice, [seed])
                    peak[name] = max(peak[name], window())
                    runs[name].append(run)
                    say(f"run {r + 1}/{repeats} {name}: T3 {run.t3_s:.1f} s (prefill {run.t3_prefill_s:.1f} s), "
                        f"S3Gen {run.s3gen_s:.1f} s, {run.audio_s:.1f} s of audio")
        stock_sum = summarise(runs["stock"], stock_warmup, prefill_positions)
        ours_sum = summarise(runs["ours"], ours_warmup, prefill_positions)
        stock_sum["peak_mem_mib"], ours_sum["peak_mem_mib"] = peak["stock"], peak["ours"]
        precision = {1: engine.describe()["precision"]}
        fallbacks = [f.to_dict() for f in engine.fallbacks]
        stock = None  # free the stock copy before the batch engines load
        batch_results = {1: _batch_entry(ours_sum)}
        for size in [b for b in batches if b != 1]:
            del engine
            gc.collect()
            say(f"loading our engine for batches of {size}")
            engine, voice = _load_engine(bench_settings(settings, model, device, tokens, size), cache_dir, voice_path)
            seeds = [base.synthesis.seed + i for i in range(size)]
            with eos_disabled(engine.models.t3):
                # Compiled code compiles its batch shape on the first call; eager code has only
                # first-call allocations, small beside a batch's minutes on a CPU.
                warm = _timed(lambda: ours_run(engine, voice, seeds)) if base.engine.compile else 0.0
                batch_runs = []
                window = reset_peak_memory(device)
                for r in range(repeats):
                    batch_runs.append(ours_run(engine, voice, [s + r for s in seeds]))
                    say(f"batch {size} run {r + 1}/{repeats}: T3 {batch_runs[-1].t3_s:.1f} s, "
                        f"S3Gen {batch_runs[-1].s3gen_s:.1f} s, {batch_runs[-1].audio_s:.1f} s of audio")
            summary = summarise(batch_runs, warm, prefill_positions)
            summary["peak_mem_mib"] = window()
            batch_results[size] = _batch_entry(summary)
            precision[size] = engine.describe()["precision"]
            fallbacks += [f.to_dict() for f in engine.fallbacks]

    engine_opts = base.engine
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": device,
        "cpu": cpu_model(),
        "cpu_capability": cpu_capability(),
        "bf16_native": bf16_native(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "model": model,
        "variant": engine.variant.name,
        "model_id": engine.model_id,
        "profile": base.profile,
        "tokens": tokens,
        "repeats": repeats,
        "voice_seconds": VOICE_SECONDS,
        "ours_settings": {
            "t3_dtype": engine_opts.t3_dtype,
            "s3gen_dtype": engine_opts.s3gen_dtype,
            "compile": engine_opts.compile,
            "compile_mode": engine_opts.compile_mode,
            "fast_decode": engine_opts.fast_decode,
            "cfm_steps": base.synthesis.cfm_steps,
            "watermark": base.synthesis.watermark,
            "sampler": base.synthesis.sampler,
        },
        "precision": {str(size): p for size, p in precision.items()},
        "fallbacks": fallbacks,
        "notes": notes,
        "peak_rss_mb": peak_rss_mb(),
        "wall_s": time.perf_counter() - began,
        "stock": stock_sum,
        "ours": ours_sum,
        "speedup": {
            key: ours_sum[key] / stock_sum[key]
            for key in ("t3_tokens_per_s", "t3_prefill_positions_per_s", "t3_decode_tokens_per_s",
                        "s3gen_audio_s_per_s", "audio_s_per_s")
        } | {"rtf": stock_sum["rtf"] / ours_sum["rtf"]},
        "batches": {str(size): entry for size, entry in sorted(batch_results.items())},
    }


def _batch_entry(summary: dict) -> dict:
    keys = ("t3_tokens_per_s", "t3_decode_tokens_per_s", "t3_prefill_s", "s3gen_audio_s_per_s", "audio_s_per_s",
            "peak_mem_mib", "chunks", "t3_s", "s3gen_s", "audio_s", "warmup_s")
    return {key: summary[key] for key in keys}


def format_results(results: dict) -> str:
    """A short plain-text table of the medians."""
    stock, ours, speedup = results["stock"], results["ours"], results["speedup"]
    rows = [
        ("T3 tokens/s", "t3_tokens_per_s", "{:.1f}"),
        ("  prefill positions/s", "t3_prefill_positions_per_s", "{:.0f}"),
        ("  decode tokens/s", "t3_decode_tokens_per_s", "{:.1f}"),
        ("S3Gen audio s per s", "s3gen_audio_s_per_s", "{:.3f}"),
        ("audio s per wall s", "audio_s_per_s", "{:.3f}"),
        ("real-time factor", "rtf", "{:.2f}"),
    ]
    native = "native bf16" if results["bf16_native"] else "no native bf16"
    lines = [
        f"{results['model']} {results['variant']} model on {results['device']} "
        f"({results['cpu']}, {results['cpu_capability']}, "
        f"{native}, {results['torch_threads']} threads), torch {results['torch']}, {results['tokens']} tokens x "
        f"{results['repeats']} runs, profile {results['profile']}",
        f"{'':24}{'stock':>10}{'ours':>10}{'speedup':>10}",
    ]
    for label, key, fmt in rows:
        lines.append(f"{label:24}{fmt.format(stock[key]):>10}{fmt.format(ours[key]):>10}{speedup[key]:>9.2f}x")
    lines.append(f"{'warm-up s':24}{stock['warmup_s']:>10.1f}{ours['warmup_s']:>10.1f}")
    p = results["precision"]["1"]
    lines.append(f"our dtypes: T3 prefill {p['t3_prefill']}, T3 decode {p['t3_decode']}, S3Gen flow {p['s3gen']}")
    if len(results["batches"]) > 1:
        lines.append(f"{'batch':>6}{'T3 tok/s':>10}{'decode':>10}{'S3Gen':>9}{'audio/s':>9}{'vs b1':>8}"
                     f"{'vs stock':>9}{'peak MiB':>10}")
        first = results["batches"]["1"]
        for size, b in results["batches"].items():
            lines.append(
                f"{size:>6}{b['t3_tokens_per_s']:>10.1f}{b['t3_decode_tokens_per_s']:>10.1f}"
                f"{b['s3gen_audio_s_per_s']:>9.3f}{b['audio_s_per_s']:>9.3f}"
                f"{b['t3_tokens_per_s'] / first['t3_tokens_per_s']:>7.2f}x"
                f"{b['t3_tokens_per_s'] / stock['t3_tokens_per_s']:>8.2f}x{b['peak_mem_mib']:>10.0f}"
            )
            if size != "1":
                q = results["precision"][size]
                lines.append(f"{'':6}dtypes: T3 decode {q['t3_decode']}, S3Gen flow {q['s3gen']}")
    lines.append(f"peak RSS {results['peak_rss_mb']:.0f} MiB (both paths, one process); "
                 f"whole command {results['wall_s']:.0f} s")
    lines += [f"note: {note}" for note in results["notes"]]
    for fallback in results["fallbacks"]:
        lines.append(f"fallback: {fallback['component']} {fallback['from']} -> {fallback['to']} ({fallback['reason']})")
    return "\n".join(lines)

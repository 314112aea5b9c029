"""``audiobook-tts bench``: stock Chatterbox against our engine, in one process.

Both paths use the same checkpoint (loaded twice, so the engine's dtype casts and
compilation never touch the stock copy), the same voice, text, sampling options and seeds,
and generate exactly ``tokens`` speech tokens: EOS is disabled for the run, so a trained
model costs what a random one does. Runs alternate stock/ours and medians are reported.

* stock: ``ChatterboxTTS.generate``'s body (``t3.inference`` with chatterbox's loop,
  ``s3gen.inference``, the Perth watermark), with ``max_new_tokens`` forced.
* ours: the stages of ``Engine.synthesize`` under the given settings (static-cache T3
  decode, the fast S3Gen path, compilation and dtypes as the profile says).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import io
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import soundfile
import torch
from chatterbox.models.s3tokenizer import drop_invalid_tokens
from chatterbox.tts import ChatterboxTTS, Conditionals, punc_norm

from .config import ModelOptions, Settings
from .constants import SAMPLE_RATE_HZ, SPEECH_VOCAB_SIZE
from .engine.chatterbox_engine import ChatterboxEngine
from .engine.checkpoint import load_models, resolve_checkpoint
from .engine.voice import Voice
# A "medium" chunk of prose; its length only sizes T3's prefill (the token count is forced).
BENCH_TEXT = (
    "The lamp on the harbour wall had burned every night for forty years, and on the night "
    "of the great storm it burned brighter than ever."
)
BENCH_BUCKET = "bench"
# Chatterbox conditions S3Gen on up to 10 s of the voice; the reference length sets most of
# S3Gen's cost (its frames are re-run at every flow step), so the bench uses the full 10 s.
VOICE_SECONDS = 10.0
VOICE_F0_HZ = 120.0
# No stop token can equal this id, so neither loop sees EOS.
NEVER_A_TOKEN = -1
RANDOM_SOURCES = ("tiny", "full")


@dataclasses.dataclass
class Run:
    """One synthesis, stage by stage (wall seconds)."""

    t3_s: float
    s3gen_s: float
    watermark_s: float
    n_generated: int  # tokens T3 sampled
    n_vocoded: int  # of those, real S3 tokens turned into audio
    audio_s: float

    @property
    def total_s(self) -> float:
        return self.t3_s + self.s3gen_s + self.watermark_s


def model_options(model: str) -> ModelOptions:
    """``tiny``/``full`` random weights, or a checkpoint directory."""
    if model in RANDOM_SOURCES:
        return ModelOptions(source=model)
    return ModelOptions(source="dir", dir=model)


def bench_settings(settings: Settings, model: str, device: str, tokens: int) -> Settings:
    """The profile's settings with the model, device and a token cap of exactly ``tokens``."""
    synthesis = dataclasses.replace(
        settings.synthesis,
        max_tokens=tokens,
        # token_cap = min(max_tokens, tokens_per_char * chars + 50): make max_tokens the minimum.
        tokens_per_char=tokens / len(BENCH_TEXT) + 1.0,
    )
    engine = dataclasses.replace(settings.engine, device=device)
    return dataclasses.replace(settings, model=model_options(model), engine=engine, synthesis=synthesis)


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


@contextlib.contextmanager
def eos_disabled(*t3s) -> Iterator[None]:
    """Make every loop run to its token cap (chatterbox's has no switch for it)."""
    saved = [t3.hp.stop_speech_token for t3 in t3s]
    for t3 in t3s:
        t3.hp.stop_speech_token = NEVER_A_TOKEN
    try:
        yield
    finally:
        for t3, stop in zip(t3s, saved):
            t3.hp.stop_speech_token = stop


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def stock_run(tts: ChatterboxTTS, settings: Settings, seed: int) -> Run:
    """``ChatterboxTTS.generate`` with ``max_new_tokens`` forced to ``max_tokens``."""
    options = settings.synthesis
    device = tts.device
    torch.manual_seed(seed)
    text_tokens = tts.tokenizer.text_to_tokens(punc_norm(BENCH_TEXT)).to(device)
    if options.cfg_weight > 0.0:
        text_tokens = torch.cat([text_tokens, text_tokens], dim=0)
    text_tokens = torch.nn.functional.pad(text_tokens, (1, 0), value=tts.t3.hp.start_text_token)
    text_tokens = torch.nn.functional.pad(text_tokens, (0, 1), value=tts.t3.hp.stop_text_token)
    with torch.inference_mode():
        start = time.perf_counter()
        # chatterbox's loop draws a tqdm bar per call; keep the bench output readable.
        with contextlib.redirect_stderr(io.StringIO()):
            speech_tokens = tts.t3.inference(
                t3_cond=tts.conds.t3,
                text_tokens=text_tokens,
                max_new_tokens=options.max_tokens,
                temperature=options.temperature,
                cfg_weight=options.cfg_weight,
                repetition_penalty=options.repetition_penalty,
                min_p=options.min_p,
                top_p=options.top_p,
            )[0]
        _sync(device)
        t3_done = time.perf_counter()
        n_generated = speech_tokens.numel()
        speech_tokens = drop_invalid_tokens(speech_tokens)
        speech_tokens = speech_tokens[speech_tokens < SPEECH_VOCAB_SIZE].to(device)
        wav, _ = tts.s3gen.inference(speech_tokens=speech_tokens, ref_dict=tts.conds.gen)
        wav = wav.squeeze(0).cpu().numpy()
        s3gen_done = time.perf_counter()
        tts.watermarker.apply_watermark(wav, sample_rate=tts.sr)
        end = time.perf_counter()
    return Run(
        t3_s=t3_done - start,
        s3gen_s=s3gen_done - t3_done,
        watermark_s=end - s3gen_done,
        n_generated=n_generated,
        n_vocoded=speech_tokens.numel(),
        audio_s=wav.shape[-1] / SAMPLE_RATE_HZ,
    )


def ours_run(engine: ChatterboxEngine, voice: Voice, seed: int) -> Run:
    """The stages of ``Engine.synthesize``, timed one by one."""
    start = time.perf_counter()
    decoded = engine.generate_tokens(BENCH_TEXT, BENCH_BUCKET, seed, voice)
    t3_done = time.perf_counter()
    wav = engine.vocode(decoded.tokens, seed, voice)
    s3gen_done = time.perf_counter()
    if engine.settings.synthesis.watermark:
        engine.watermark(wav)
    end = time.perf_counter()
    return Run(
        t3_s=t3_done - start,
        s3gen_s=s3gen_done - t3_done,
        watermark_s=end - s3gen_done,
        n_generated=decoded.n_generated,
        n_vocoded=decoded.tokens.numel(),
        audio_s=wav.shape[-1] / SAMPLE_RATE_HZ,
    )


def summarise(runs: list[Run], warmup_s: float) -> dict:
    """Medians over the runs; rates are computed per run, then the median taken."""
    def median(values) -> float:
        return float(statistics.median(values))

    return {
        "t3_tokens_per_s": median(r.n_generated / r.t3_s for r in runs),
        "s3gen_audio_s_per_s": median(r.audio_s / r.s3gen_s for r in runs),
        "rtf": median(r.total_s / r.audio_s for r in runs),
        "t3_s": median(r.t3_s for r in runs),
        "s3gen_s": median(r.s3gen_s for r in runs),
        "watermark_s": median(r.watermark_s for r in runs),
        "total_s": median(r.total_s for r in runs),
        "audio_s": median(r.audio_s for r in runs),
        "warmup_s": warmup_s,
        "tokens_generated": [r.n_generated for r in runs],
        "tokens_vocoded": [r.n_vocoded for r in runs],
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def peak_rss_mb() -> float:
    """The process's high-water resident memory (both paths: they share the process)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes vs KiB


def _build_stock(settings: Settings, cache_dir: Path, device: str, voice: Voice) -> ChatterboxTTS:
    """A second, untouched copy of the checkpoint, fp32, as ChatterboxTTS.from_local has it."""
    checkpoint = resolve_checkpoint(settings.model, cache_dir)
    models = load_models(checkpoint.directory, checkpoint.variant)
    for module in (models.ve, models.t3, models.s3gen):
        module.to(device)
    conds = Conditionals(
        voice.t3_cond(settings.synthesis.exaggeration, device, torch.float32), voice.s3gen_ref(device)
    )
    return ChatterboxTTS(models.t3, models.s3gen, models.ve, models.tokenizer, device, conds=conds)


def run_bench(
    model: str,
    device: str,
    tokens: int,
    repeats: int,
    settings: Settings,
    cache_dir: Path,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Benchmark both paths; see the module docstring. Returns a JSON-ready dict."""
    say = progress or (lambda _msg: None)
    settings = bench_settings(settings, model, device, tokens)
    say(f"loading the {model} model for our engine")
    engine = ChatterboxEngine(settings, cache_dir)
    engine.load()
    device = engine.device
    with tempfile.TemporaryDirectory() as tmp:
        voice = engine.prepare_voice(write_bench_voice(Path(tmp) / "bench-voice.wav"))
    say("loading a second copy for stock chatterbox")
    stock = _build_stock(settings, cache_dir, device, voice)
    on_cuda = device.startswith("cuda")

    with eos_disabled(stock.t3, engine.models.t3):
        say("warming up stock")
        start = time.perf_counter()
        stock_run(stock, settings, settings.synthesis.seed)
        stock_warmup = time.perf_counter() - start
        # Compiled paths need the profile's warm-up samples (each shape compiles once);
        # eager ones only the first-call allocations, like stock.
        samples = settings.engine.warmup_samples if settings.engine.compile else 1
        say(f"warming up ours ({samples} sample{'s' if samples != 1 else ''})")
        start = time.perf_counter()
        for i in range(samples):
            ours_run(engine, voice, settings.synthesis.seed + i)
        ours_warmup = time.perf_counter() - start

        runs: dict[str, list[Run]] = {"stock": [], "ours": []}
        peak_cuda: dict[str, float] = {"stock": 0.0, "ours": 0.0}
        for r in range(repeats):
            seed = settings.synthesis.seed + r
            # Alternate which path goes first, so drift in machine load hits both alike.
            order = ("stock", "ours") if r % 2 == 0 else ("ours", "stock")
            for name in order:
                if on_cuda:
                    torch.cuda.reset_peak_memory_stats()
                run = stock_run(stock, settings, seed) if name == "stock" else ours_run(engine, voice, seed)
                if on_cuda:
                    peak_cuda[name] = max(peak_cuda[name], torch.cuda.max_memory_allocated() / 2**20)
                runs[name].append(run)
                say(f"run {r + 1}/{repeats} {name}: T3 {run.t3_s:.1f} s, S3Gen {run.s3gen_s:.1f} s, "
                    f"{run.audio_s:.1f} s of audio")

    stock_sum = summarise(runs["stock"], stock_warmup)
    ours_sum = summarise(runs["ours"], ours_warmup)
    if on_cuda:
        stock_sum["peak_cuda_mb"] = peak_cuda["stock"]
        ours_sum["peak_cuda_mb"] = peak_cuda["ours"]
    engine_opts = settings.engine
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": device,
        "cpu": cpu_model(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "model": model,
        "model_id": engine.model_id,
        "profile": settings.profile,
        "tokens": tokens,
        "repeats": repeats,
        "voice_seconds": VOICE_SECONDS,
        "ours_settings": {
            "t3_dtype": engine_opts.t3_dtype,
            "s3gen_dtype": engine_opts.s3gen_dtype,
            "compile": engine_opts.compile,
            "compile_mode": engine_opts.compile_mode,
            "fast_decode": engine_opts.fast_decode,
            "cfm_steps": settings.synthesis.cfm_steps,
            "watermark": settings.synthesis.watermark,
        },
        "fallbacks": [f.to_dict() for f in engine.fallbacks],
        "peak_rss_mb": peak_rss_mb(),
        "stock": stock_sum,
        "ours": ours_sum,
        "speedup": {
            "t3_tokens_per_s": ours_sum["t3_tokens_per_s"] / stock_sum["t3_tokens_per_s"],
            "s3gen_audio_s_per_s": ours_sum["s3gen_audio_s_per_s"] / stock_sum["s3gen_audio_s_per_s"],
            "rtf": stock_sum["rtf"] / ours_sum["rtf"],
        },
    }


def format_results(results: dict) -> str:
    """A short plain-text table of the medians."""
    stock, ours, speedup = results["stock"], results["ours"], results["speedup"]
    rows = [
        ("T3 tokens/s", "t3_tokens_per_s", "{:.1f}"),
        ("S3Gen audio s per s", "s3gen_audio_s_per_s", "{:.3f}"),
        ("real-time factor", "rtf", "{:.2f}"),
    ]
    lines = [
        f"{results['model']} model on {results['device']} ({results['cpu']}, {results['torch_threads']} threads), "
        f"torch {results['torch']}, {results['tokens']} tokens x {results['repeats']} runs, "
        f"profile {results['profile']}",
        f"{'':22}{'stock':>10}{'ours':>10}{'speedup':>10}",
    ]
    for label, key, fmt in rows:
        lines.append(f"{label:22}{fmt.format(stock[key]):>10}{fmt.format(ours[key]):>10}{speedup[key]:>9.2f}x")
    lines.append(f"{'warm-up s':22}{stock['warmup_s']:>10.1f}{ours['warmup_s']:>10.1f}")
    lines.append(f"peak RSS {results['peak_rss_mb']:.0f} MiB (both paths, one process)")
    for fallback in results["fallbacks"]:
        lines.append(f"fallback: {fallback['component']} {fallback['from']} -> {fallback['to']} ({fallback['reason']})")
    return "\n".join(lines)

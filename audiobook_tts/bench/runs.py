"""One timed synthesis of each path, stage by stage: stock chatterbox and our engine.

Both generate exactly ``max_tokens`` speech tokens per chunk: the benchmark switches EOS
off (:func:`eos_disabled`), so a trained model costs what a random one does.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import time
from collections.abc import Callable, Iterator, Sequence

import torch
import torch.nn.functional as F
from chatterbox.models.s3tokenizer import drop_invalid_tokens

from ..config import Settings
from ..constants import SAMPLE_RATE_HZ, SPEECH_VOCAB_SIZE
from ..engine.chatterbox_engine import MEANFLOW_STEPS, S3GEN_SILENCE_TOKEN, ChatterboxEngine
from ..engine.t3_decode import text_to_tokens
from ..engine.variants import Variant
from ..engine.voice import Voice

# A "medium" chunk of prose; its length only sizes T3's prefill (the token count is forced).
BENCH_TEXT = (
    "The lamp on the harbour wall had burned every night for forty years, and on the night "
    "of the great storm it burned brighter than ever."
)
BENCH_BUCKET = "bench"
# No stop token can equal this id, so neither loop sees EOS.
NEVER_A_TOKEN = -1


@dataclasses.dataclass
class Run:
    """One synthesis of ``chunks`` chunks at once, stage by stage (wall seconds)."""

    chunks: int
    t3_s: float
    t3_prefill_s: float  # T3's first forward pass over the conditioning and text
    s3gen_s: float
    watermark_s: float
    n_generated: int  # tokens T3 sampled per chunk
    n_vocoded: int  # of those, real S3 tokens turned into audio, per chunk
    audio_s: float  # audio of all chunks

    @property
    def total_s(self) -> float:
        return self.t3_s + self.s3gen_s + self.watermark_s


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


def synced_clock(device: str) -> Callable[[], float]:
    """perf_counter after the device's queued work is done (a no-op wait on the CPU)."""

    def clock() -> float:
        if str(device).startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter()

    return clock


@contextlib.contextmanager
def first_call_seconds(module: torch.nn.Module, clock: Callable[[], float]) -> Iterator[list[float]]:
    """Yields a list that receives the wall time of ``module``'s first forward call."""
    times: list[float] = []
    started: list[float] = []

    def before(_module, _args):
        if not started:
            started.append(clock())

    def after(_module, _args, _out):
        if not times:
            times.append(clock() - started[0])

    handles = [module.register_forward_pre_hook(before), module.register_forward_hook(after)]
    try:
        yield times
    finally:
        for handle in handles:
            handle.remove()


def _stock_inference(tts, text_tokens: torch.Tensor, options) -> torch.Tensor:
    """``ChatterboxTTS``/``ChatterboxMultilingualTTS.generate``'s T3 call: the CFG pair, forced length."""
    if options.cfg_weight > 0.0:
        text_tokens = torch.cat([text_tokens, text_tokens], dim=0)
    return tts.t3.inference(
        t3_cond=tts.conds.t3,
        text_tokens=text_tokens,
        max_new_tokens=options.max_tokens,
        temperature=options.temperature,
        cfg_weight=options.cfg_weight,
        repetition_penalty=options.repetition_penalty,
        min_p=options.min_p,
        top_p=options.top_p,
    )[0]


def _stock_turbo(tts, text_tokens: torch.Tensor, options, top_k: int) -> torch.Tensor:
    """``ChatterboxTurboTTS.generate``'s T3 call: one token, then ``max_gen_len`` more."""
    return tts.t3.inference_turbo(
        tts.conds.t3, text_tokens, temperature=options.temperature, top_k=top_k, top_p=options.top_p,
        repetition_penalty=options.repetition_penalty, max_gen_len=options.max_tokens - 1,
    )[0]


def stock_run(tts, settings: Settings, seed: int, variant: Variant) -> Run:
    """The variant's ``generate`` (``ChatterboxTTS``, ``ChatterboxTurboTTS`` or
    ``ChatterboxMultilingualTTS``) with the token count forced to ``max_tokens``."""
    options = settings.synthesis
    clock = synced_clock(tts.device)
    torch.manual_seed(seed)
    # chatterbox's normalisation and tokenisation (text_to_tokens reproduces generate's).
    text_tokens = text_to_tokens(tts.tokenizer, BENCH_TEXT, tts.t3, variant).to(tts.device)
    with torch.inference_mode():
        start = clock()
        # chatterbox's loops draw a tqdm bar per call and meanflow prints a line; keep the
        # bench output readable.
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()), \
                first_call_seconds(tts.t3.tfmr, clock) as prefill:
            if variant.t3_loop.stock == "inference_turbo":
                speech_tokens = _stock_turbo(tts, text_tokens, options, variant.t3_loop.top_k)
            else:
                speech_tokens = _stock_inference(tts, text_tokens, options)
        t3_done = clock()
        n_generated = speech_tokens.numel()
        speech_tokens = drop_invalid_tokens(speech_tokens)
        speech_tokens = speech_tokens[speech_tokens < SPEECH_VOCAB_SIZE].to(tts.device)
        n_vocoded = speech_tokens.numel()
        speech_tokens = F.pad(speech_tokens, (0, variant.trailing_silence_tokens), value=S3GEN_SILENCE_TOKEN)
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            wav, _ = tts.s3gen.inference(speech_tokens=speech_tokens, ref_dict=tts.conds.gen,
                                         n_cfm_timesteps=MEANFLOW_STEPS if variant.meanflow else None)
        wav = wav.squeeze(0).cpu().numpy()
        s3gen_done = time.perf_counter()
        tts.watermarker.apply_watermark(wav, sample_rate=tts.sr)
        end = time.perf_counter()
    return Run(
        chunks=1, t3_s=t3_done - start, t3_prefill_s=prefill[0], s3gen_s=s3gen_done - t3_done,
        watermark_s=end - s3gen_done, n_generated=n_generated, n_vocoded=n_vocoded,
        audio_s=wav.shape[-1] / SAMPLE_RATE_HZ,
    )


def ours_run(engine: ChatterboxEngine, voice: Voice, seeds: Sequence[int]) -> Run:
    """The stages of ``Engine.synthesize_batch`` for one chunk per seed, timed one by one."""
    clock = synced_clock(engine.device)
    decoder = engine.t3_decoder  # None on chatterbox's own loop (fast_decode = false)
    if decoder is not None:
        decoder.clock = clock
    chunks = len(seeds)
    try:
        start = clock()
        decoded = engine.generate_tokens([BENCH_TEXT] * chunks, BENCH_BUCKET, list(seeds), voice)
        t3_done = clock()
        wavs = engine.vocode([d.tokens for d in decoded], list(seeds), voice)
        s3gen_done = clock()
        if engine.settings.synthesis.watermark:
            for wav in wavs:
                engine.watermark(wav)
        end = time.perf_counter()
    finally:
        if decoder is not None:
            decoder.clock = None
    return Run(
        chunks=chunks, t3_s=t3_done - start, t3_prefill_s=decoder.last_prefill_s if decoder else 0.0, s3gen_s=s3gen_done - t3_done,
        watermark_s=end - s3gen_done, n_generated=decoded[0].n_generated, n_vocoded=decoded[0].tokens.numel(),
        audio_s=sum(wav.shape[-1] for wav in wavs) / SAMPLE_RATE_HZ,
    )

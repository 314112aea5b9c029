"""The Chatterbox engine: load once, prepare a voice once, then text chunk -> 24 kHz audio."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from ..config import Settings
from ..constants import SAMPLE_RATE_HZ
from ..errors import ConfigError
from .api import Fallback, SynthesisRequest, SynthesisResult, WarmupSummary
from .checkpoint import Models, load_models, resolve_checkpoint
from .compile import Guarded, configure_compilation, is_device_failure, short_reason
from .s3gen_fast import cast_flow, compile_targets, tokens_to_wav
from .t3_decode import (
    Decoded,
    Sampling,
    T3Decoder,
    bucket_lengths,
    round_up,
    stock_generate,
    text_to_tokens,
    token_cap,
)
from .voice import Voice, prepare_voice

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
# S3Gen sees speech-token counts rounded up to this when compiled: few shapes, each
# compiled once (128 tokens = 5.1 s of audio).
S3GEN_PAD_MULTIPLE = 128
# Seeds of the warm-up samples (their audio is thrown away).
WARMUP_SEED = 1_000_003
# Warm-up text, cut to each bucket's size at a word boundary.
WARMUP_TEXT = (
    "The old house stood at the end of the lane, where the hedges grew tall and the road "
    "turned to grass. Nobody had lived there for years, yet every evening a light burned in "
    "the upper window, and the neighbours, who were sensible people, said it was the moon. "
    "Then one morning a cart came up the lane with a trunk, a birdcage and a lady in a green "
    "coat, who paid the driver in silver and went in without looking back."
)
COMPONENTS = ("voice_encoder", "t3", "s3gen", "watermark")


def pick_device(requested: str) -> str:
    available = {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available(), "cpu": True}
    if requested == "auto":
        return next(device for device, ok in available.items() if ok)
    if not available[requested]:
        raise ConfigError(f"engine.device is {requested!r} but PyTorch sees no such device here; use auto or cpu")
    return requested


def warmup_text(n_chars: int) -> str:
    text = WARMUP_TEXT
    while len(text) < n_chars:
        text = f"{text} {WARMUP_TEXT}"
    cut = text[:n_chars]
    return cut.rsplit(" ", 1)[0] if " " in cut and len(text) > n_chars else cut


class ChatterboxEngine:
    """Chatterbox on one device (per component), with compilation and fallbacks.

    Implements the :class:`~audiobook_tts.engine.api.Engine` protocol.
    """

    def __init__(self, settings: Settings, cache_dir: Path) -> None:
        self.settings = settings
        self.cache_dir = Path(cache_dir)
        self.log = logging.getLogger("audiobook_tts.engine")
        self.fallbacks: list[Fallback] = []
        self.model_id = ""
        self.device = ""
        self._models: Models | None = None
        self._devices: dict[str, str] = {}
        self._t3_decoder: T3Decoder | None = None
        self._s3gen_hot: dict[str, Callable] | None = None
        self._watermarker = None
        self._n_cond: dict[str, int] = {}
        self._bucket_chars = settings.chunking.bucket_limits()

    # ---- loading and placement -------------------------------------------------------

    def load(self) -> None:
        """Resolve the checkpoint, load the models and place them on the device."""
        self.device = pick_device(self.settings.engine.device)
        checkpoint = resolve_checkpoint(self.settings.model, self.cache_dir)
        self.model_id = checkpoint.model_id
        self._models = load_models(checkpoint.directory, checkpoint.variant)
        if self.settings.engine.compile:
            configure_compilation(self.cache_dir)
        for component in COMPONENTS:
            if component == "watermark" and not self.settings.synthesis.watermark:
                continue
            self._on_device((component,), lambda c=component: self._place(c, self.device))

    @property
    def models(self) -> Models:
        """The loaded chatterbox modules (after :meth:`load`)."""
        if self._models is None:
            raise RuntimeError("Engine.load() has not been called")
        return self._models

    @property
    def component_devices(self) -> dict[str, str]:
        return dict(self._devices)

    def _dtype(self, component: str) -> torch.dtype:
        opts = self.settings.engine
        names = {"t3": opts.t3_dtype, "s3gen": opts.s3gen_dtype}
        # Off the accelerator everything runs in float32: CPU half precision is slow or missing.
        if self._devices.get(component) == "cpu" and self.device != "cpu":
            return torch.float32
        return DTYPES[names.get(component, "float32")]

    def _wrap(self, name: str, fn: Callable) -> Callable:
        if not self.settings.engine.compile:
            return fn
        return Guarded(name, fn, self.settings.engine, self._record)

    def _place(self, component: str, device: str) -> None:
        """Move one component to ``device`` and rebuild what depends on where it is."""
        self._devices[component] = device
        models = self._models
        if component == "voice_encoder":
            models.ve.to(device)
        elif component == "t3":
            models.t3.to(device=device, dtype=self._dtype("t3"))
            self._t3_decoder = T3Decoder(models.t3, wrap=self._wrap)
        elif component == "s3gen":
            # Mel extraction, STFT and the speech tokenizer stay fp32; only the flow is cast.
            models.s3gen.to(device=device, dtype=torch.float32)
            cast_flow(models.s3gen, self._dtype("s3gen"))
            self._s3gen_hot = (
                {name: self._wrap(f"s3gen.{name}", fn) for name, fn in compile_targets(models.s3gen).items()}
                if self.settings.engine.compile
                else None
            )
        elif component == "watermark":
            import perth

            self._watermarker = perth.PerthImplicitWatermarker(device=device)

    def _record(self, fallback: Fallback) -> None:
        self.fallbacks.append(fallback)
        self.log.warning(
            "%s: falling back from %s to %s (%s)", fallback.component, fallback.from_, fallback.to, fallback.reason
        )

    def _on_device(self, components: tuple[str, ...], fn: Callable):
        """Run ``fn``; after a device failure move ``components`` to the CPU and run it again."""
        try:
            return fn()
        except Exception as exc:
            if not is_device_failure(exc):
                raise
            moved = [c for c in components if self._devices.get(c, self.device) != "cpu"]
            if not moved:
                raise
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            for component in moved:
                self._record(Fallback(component, self._devices.get(component, self.device), "cpu", short_reason(exc)))
                self._place(component, "cpu")
            return fn()

    # ---- voices ----------------------------------------------------------------------

    @contextlib.contextmanager
    def _conditioning_precision(self) -> Iterator[None]:
        """chatterbox's embed_ref casts its input to the flow's dtype; make that float32.

        The voice encoder always runs in float32: it runs once
        per voice, and chatterbox hands its output to numpy, which has no bfloat16.
        """
        s3gen = self._models.s3gen
        flow_dtype = next(s3gen.flow.parameters()).dtype
        cast_flow(s3gen, torch.float32)
        try:
            yield
        finally:
            cast_flow(s3gen, flow_dtype)

    def prepare_voice(self, path: Path | str) -> Voice:
        """The voice's conditioning tensors, from the on-disk cache when possible."""

        def run() -> Voice:
            with self._conditioning_precision():
                return prepare_voice(
                    self._models,
                    Path(path),
                    model_id=self.model_id,
                    cache_dir=self.cache_dir,
                    device=self._models.s3gen.device,
                )

        return self._on_device(("voice_encoder", "s3gen"), run)

    # ---- synthesis -------------------------------------------------------------------

    def warmup(
        self,
        voice: Voice,
        buckets: Mapping[str, int],
        on_sample: Callable[[str, int], None] | None = None,
    ) -> WarmupSummary:
        """Synthesise ``warmup_samples`` texts per bucket, so compilation happens here."""
        self._bucket_chars.update(buckets)
        n_samples = self.settings.engine.warmup_samples
        start = time.perf_counter()
        per_bucket: dict[str, list[float]] = {}
        for bucket, n_chars in buckets.items():
            per_bucket[bucket] = []
            for i in range(n_samples):
                # Growing texts up to the bucket's size: T3 sees the bucket's one shape, S3Gen
                # the token counts (rounded to S3GEN_PAD_MULTIPLE) its chunks will produce.
                text = warmup_text(n_chars * (i + 1) // n_samples)
                result = self.synthesize(text, bucket=bucket, seed=WARMUP_SEED + i, voice=voice)
                per_bucket[bucket].append(result.seconds)
                if on_sample is not None:
                    on_sample(bucket, i)
        return WarmupSummary(
            samples_per_bucket={b: len(s) for b, s in per_bucket.items()},
            seconds=time.perf_counter() - start,
            per_bucket_seconds=per_bucket,
            fallbacks=list(self.fallbacks),
        )

    def synthesize(self, text: str, *, bucket: str, seed: int, voice: Voice) -> SynthesisResult:
        """One chunk of text -> audio; the same seed gives the same audio on the same device."""
        start = time.perf_counter()
        decoded = self._on_device(("t3",), lambda: self.generate_tokens(text, bucket, seed, voice))
        if decoded.tokens.numel():
            wav = self._on_device(("s3gen",), lambda: self.vocode(decoded.tokens, seed, voice))
            if self.settings.synthesis.watermark:
                wav = self._on_device(("watermark",), lambda: self.watermark(wav))
        else:
            wav = np.zeros(0, dtype=np.float32)
        return SynthesisResult(
            wav=wav,
            sample_rate=SAMPLE_RATE_HZ,
            n_tokens=int(decoded.tokens.numel()),
            hit_cap=decoded.hit_cap,
            seconds=time.perf_counter() - start,
            seed=seed,
        )

    def synthesize_batch(self, requests: Sequence[SynthesisRequest], voice: Voice) -> list[SynthesisResult]:
        """One result per request, in order; the requests share one bucket."""
        return [self.synthesize(r.text, bucket=r.bucket, seed=r.seed, voice=voice) for r in requests]

    # The three stages of synthesize(), public so the benchmark can time them one by one.

    def generate_tokens(self, text: str, bucket: str, seed: int, voice: Voice) -> Decoded:
        """T3: text -> speech tokens, capped from the text's length."""
        models, options = self._models, self.settings.synthesis
        t3 = models.t3
        cond = voice.t3_cond(options.exaggeration, t3.device, self._dtype("t3"))
        tokens = text_to_tokens(models.tokenizer, text, t3)
        sampling = Sampling.from_options(options)
        cap = token_cap(len(text), options)
        if not self.settings.engine.fast_decode:
            return stock_generate(t3, cond, tokens, sampling, cap=cap, seed=seed)
        bucket_chars = self._bucket_chars.get(bucket, len(text))
        prefill_len, cache_len = bucket_lengths(
            self._cond_length(voice), bucket_chars, token_cap(bucket_chars, options)
        )
        return self._t3_decoder.generate(
            cond, tokens, sampling, cap=cap, seed=seed, prefill_len=prefill_len, cache_len=cache_len
        )

    def _cond_length(self, voice: Voice) -> int:
        """Positions T3's conditioning takes (speaker, perceiver queries, emotion)."""
        if voice.id not in self._n_cond:
            t3 = self._models.t3
            with torch.inference_mode():
                cond = voice.t3_cond(self.settings.synthesis.exaggeration, t3.device, self._dtype("t3"))
                self._n_cond[voice.id] = t3.prepare_conditioning(cond).shape[1]
        return self._n_cond[voice.id]

    def vocode(self, tokens: torch.Tensor, seed: int, voice: Voice) -> np.ndarray:
        """S3Gen: speech tokens -> (samples,) float32 waveform at 24 kHz."""
        s3gen = self._models.s3gen
        device = s3gen.device
        generator = torch.Generator(device=device).manual_seed(seed)
        pad_to = round_up(tokens.numel(), S3GEN_PAD_MULTIPLE) if self.settings.engine.compile else None
        wav = tokens_to_wav(
            s3gen,
            tokens.to(device),
            voice.s3gen_ref(device),
            n_cfm_timesteps=self.settings.synthesis.cfm_steps,
            pad_to=pad_to,
            generator=generator,
            hot=self._s3gen_hot,
        )
        return wav[0].cpu().numpy().astype(np.float32)

    def watermark(self, wav: np.ndarray) -> np.ndarray:
        """Chatterbox's imperceptible Perth watermark, as ChatterboxTTS.generate applies it."""
        with torch.inference_mode():
            return self._watermarker.apply_watermark(wav, sample_rate=SAMPLE_RATE_HZ).astype(np.float32)

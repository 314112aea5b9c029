"""The Chatterbox engine: load once, prepare a voice once, then text chunk -> 24 kHz audio."""

from __future__ import annotations

import contextlib
import copy
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..config import Settings
from ..constants import SAMPLE_RATE_HZ
from ..errors import ConfigError
from .api import Fallback, SynthesisRequest, SynthesisResult, WarmupSummary, warmup_batches
from .checkpoint import Models, load_models, resolve_checkpoint
from .compile import Guarded, configure_compilation, is_device_failure, is_out_of_memory, pick_device, short_reason
from .precision import Precision, calibrate_cpu, calibration_path, resolve
from .s3gen_fast import cast_flow, compile_targets, tokens_to_wavs
from .t3_decode import (
    Decoded,
    Sampling,
    T3Decoder,
    bucket_lengths,
    linear_layout,
    round_up,
    stock_generate,
    text_to_tokens,
    token_cap,
)
from .variants import VARIANTS, Variant
from .voice import Voice, prepare_voice

# S3Gen sees speech-token counts rounded up to this when compiled: few shapes, each
# compiled once (128 tokens = 5.1 s of audio).
S3GEN_PAD_MULTIPLE = 128
# On a CPU, S3Gen's matrices are already large for one chunk (2 x ~650 frames through the
# estimator): batching never measured clearly faster there (full model, 2 cores, 150 tokens; audio s
# per s at batch 1 / 8 / 16: AVX2 0.267 / 0.247 / 0.256, native bf16 0.453 / 0.450 / 0.393, and 0.462 at 4),
# so a CPU vocodes one chunk per pass and batches only T3. Accelerators take the whole batch.
S3GEN_CPU_BATCH = 1
COMPONENTS = ("voice_encoder", "t3", "s3gen", "watermark")
# chatterbox's silence token, appended where a variant's generate() appends it (Turbo: 3).
S3GEN_SILENCE_TOKEN = 4299  # chatterbox.models.s3gen.const.S3GEN_SIL
# Turbo's meanflow decoder was distilled for this many flow steps (S3Gen.flow_inference's default).
MEANFLOW_STEPS = 2


class _BatchTooLarge(Exception):
    """Out of memory at a batch of more than one chunk: halve the batch before anything else."""


class ChatterboxEngine:
    """Chatterbox on one device (per component), with batching, compilation and fallbacks.

    Implements the :class:`~audiobook_tts.engine.api.Engine` protocol.
    """

    def __init__(self, settings: Settings, cache_dir: Path) -> None:
        self.settings = settings
        self.cache_dir = Path(cache_dir)
        self.log = logging.getLogger("audiobook_tts.engine")
        self.fallbacks: list[Fallback] = []
        self.model_id = ""
        self.variant: Variant = VARIANTS["standard"]
        self.device = ""
        self.precision: Precision | None = None
        self._models: Models | None = None
        self._devices: dict[str, str] = {}
        self._t3_decoder: T3Decoder | None = None
        self._s3gen_hot: dict[str, Callable] | None = None
        self._watermarker = None
        self._n_cond: dict[str, int] = {}
        self._bucket_chars = settings.chunking.bucket_limits()
        # Chunks per forward pass; halved (and recorded) when the device runs out of memory.
        self.batch_limit = settings.engine.batch_size
        self._shapes: dict[tuple[str, int], dict] = {}

    # ---- loading and placement -------------------------------------------------------

    def load(self) -> None:
        """Resolve the checkpoint, load the models, choose dtypes and place the models."""
        self.device = pick_device(self.settings.engine.device)
        checkpoint = resolve_checkpoint(self.settings.model, self.cache_dir)
        self.model_id = checkpoint.model_id
        self.variant = checkpoint.variant
        self._models = load_models(checkpoint.directory, checkpoint.variant)
        if self.variant.meanflow and self.settings.synthesis.cfm_steps != MEANFLOW_STEPS:
            self.log.warning(
                "%s: its meanflow S3Gen was distilled for %d flow steps; the profile asks for %d",
                self.variant.name, MEANFLOW_STEPS, self.settings.synthesis.cfm_steps,
            )
        self.precision = resolve(
            self.settings.engine, self.device, self._calibrate,
            calibration_path(self.cache_dir, self.model_id, self.settings.engine.batch_size),
        )
        self.log.info("precision: %s", self.precision.to_dict())
        if self.settings.engine.compile:
            configure_compilation(self.cache_dir)
        for component in COMPONENTS:
            if component == "watermark" and not self.settings.synthesis.watermark:
                continue
            self._on_device((component,), lambda c=component: self._place(c, self.device))

    def _calibrate(self) -> dict:
        models = self._models
        tfmr = models.t3.tfmr
        first_layer = tfmr.layers[0] if hasattr(tfmr, "layers") else tfmr.h[0]  # Llama / GPT-2
        return calibrate_cpu(
            first_layer, models.t3.cfg.num_attention_heads,
            models.s3gen.flow.decoder.estimator.down_blocks[0][1][0], self.settings.engine.batch_size,
            cfg_rows=2 if self.variant.cfg else 1,
        )

    @property
    def models(self) -> Models:
        """The loaded chatterbox modules (after :meth:`load`)."""
        if self._models is None:
            raise RuntimeError("Engine.load() has not been called")
        return self._models

    @property
    def t3_decoder(self) -> T3Decoder:
        """The static-cache T3 decoder (after :meth:`load`)."""
        return self._t3_decoder

    @property
    def component_devices(self) -> dict[str, str]:
        return dict(self._devices)

    def describe(self) -> dict:
        """Where and how it runs, for the report: devices, dtypes per phase and why, batch."""
        return {
            "devices": self.component_devices,
            "precision": self.precision.to_dict() if self.precision else {},
            "batch_size": self.settings.engine.batch_size,
            "batch_limit": self.batch_limit,
            "variant": self.variant.name,
        }

    def _dtype(self, phase: str) -> torch.dtype:
        component = "s3gen" if phase == "s3gen" else "t3"
        # Off the accelerator everything runs in float32: CPU half precision is slow or missing.
        if self._devices.get(component) == "cpu" and self.device != "cpu":
            return torch.float32
        return self.precision.dtype(phase)

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
            prefill_dtype, decode_dtype = self._dtype("t3_prefill"), self._dtype("t3_decode")
            models.t3.to(device=device)
            # Two phases, two dtypes: the prefill gets its own copy, made before the cast.
            prefill = copy.deepcopy(models.t3).to(dtype=prefill_dtype) if prefill_dtype != decode_dtype else None
            models.t3.to(dtype=decode_dtype)
            # The stock loop (fast_decode = false, or a variant our decode does not cover) keeps
            # chatterbox's model untouched.
            self._t3_decoder = (
                T3Decoder(models.t3, wrap=self._wrap, sampler=self.settings.synthesis.sampler, prefill_t3=prefill)
                if self.settings.engine.fast_decode and self.variant.fast_t3
                else None
            )
            if self._t3_decoder is not None:
                for model in {id(m): m for m in (self._t3_decoder.t3, self._t3_decoder.prefill_t3)}.values():
                    if model.speech_head.weight.dtype != torch.float32:  # fp32 is faster as it is
                        linear_layout(model.tfmr)
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

    def _on_device(self, components: tuple[str, ...], fn: Callable, *, batch: int = 1):
        """Run ``fn``; after a device failure move ``components`` to the CPU and run it again.

        Out of memory with more than one chunk in the batch is the batch's fault, not the
        device's: it raises :class:`_BatchTooLarge` so the batch is halved first.
        """
        try:
            return fn()
        except Exception as exc:
            if not is_device_failure(exc):
                raise
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            if batch > 1 and is_out_of_memory(exc):
                raise _BatchTooLarge(short_reason(exc)) from exc
            moved = [c for c in components if self._devices.get(c, self.device) != "cpu"]
            if not moved:
                raise
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
                    variant=self.variant,
                )

        return self._on_device(("voice_encoder", "s3gen"), run)

    # ---- synthesis -------------------------------------------------------------------

    def _run_shape(self, n: int) -> int:
        """Rows a batch of ``n`` chunks runs as: compiled code sees one batch shape per bucket
        (short batches are filled up with copies, thrown away), eager code the real count."""
        return self.batch_limit if self.settings.engine.compile else n

    def warmup(
        self,
        voice: Voice,
        buckets: Mapping[str, int],
        on_sample: Callable[[str, int], None] | None = None,
    ) -> WarmupSummary:
        """Synthesise ``warmup_samples`` batches per bucket, so compilation happens here."""
        self._bucket_chars.update(buckets)
        start = time.perf_counter()
        per_bucket: dict[str, list[float]] = {bucket: [] for bucket in buckets}
        for bucket, i, requests in warmup_batches(buckets, self.settings.engine.warmup_samples, self._run_shape(1)):
            per_bucket[bucket].append(sum(r.seconds for r in self.synthesize_batch(requests, voice)))
            if on_sample is not None:
                on_sample(bucket, i)
        return WarmupSummary(
            samples_per_bucket={b: len(s) for b, s in per_bucket.items()},
            seconds=time.perf_counter() - start,
            per_bucket_seconds=per_bucket,
            fallbacks=list(self.fallbacks),
            shapes=[dict(shape) for shape in self._shapes.values()],
        )

    def synthesize(self, text: str, *, bucket: str, seed: int, voice: Voice) -> SynthesisResult:
        """One chunk of text -> audio; the same seed gives the same audio on the same device."""
        return self.synthesize_batch([SynthesisRequest(text, bucket, seed)], voice)[0]

    def _check_languages(self, requests: Sequence[SynthesisRequest]) -> None:
        """A multilingual model speaks its languages only; a single-language one reads none."""
        if not self.variant.multilingual:
            return
        for request in requests:
            if request.language not in self.variant.languages:
                raise ConfigError(
                    f"the {self.variant.name} model does not speak language {request.language!r} "
                    f"(it speaks {', '.join(self.variant.languages)})"
                )

    def synthesize_batch(self, requests: Sequence[SynthesisRequest], voice: Voice) -> list[SynthesisResult]:
        """One result per request, in order (the requests share one bucket); each chunk's audio
        is what it would be alone. Runs at most ``batch_limit`` chunks per forward pass."""
        self._check_languages(requests)
        results: list[SynthesisResult] = []
        done = 0
        while done < len(requests):
            part = requests[done : done + self.batch_limit]
            try:
                results += self._synthesize_part(part, voice)
            except _BatchTooLarge as exc:
                smaller = max(1, len(part) // 2)
                self._record(Fallback("batch", f"{self.batch_limit} chunks", f"{smaller} chunks", str(exc)))
                self.batch_limit = smaller
                continue
            done += len(part)
        return results

    def _synthesize_part(self, part: Sequence[SynthesisRequest], voice: Voice) -> list[SynthesisResult]:
        start = time.perf_counter()
        n = len(part)
        rows = list(part) + [part[-1]] * (self._run_shape(n) - n)
        texts, seeds, languages = [r.text for r in rows], [r.seed for r in rows], [r.language for r in rows]
        decoded = self._on_device(
            ("t3",), lambda: self.generate_tokens(texts, part[0].bucket, seeds, voice, languages), batch=n
        )[:n]
        spoken = [i for i, d in enumerate(decoded) if d.tokens.numel()]
        wavs = [np.zeros(0, dtype=np.float32)] * n
        if spoken:
            rows = spoken + [spoken[-1]] * (self._run_shape(len(spoken)) - len(spoken))
            tokens = [decoded[i].tokens for i in rows]
            if self.settings.engine.compile:
                longest = max(t.numel() for t in tokens) + self.variant.trailing_silence_tokens  # as vocode pads
                self._note_shape(part[0].bucket, len(rows), s3gen_tokens=round_up(longest, S3GEN_PAD_MULTIPLE))
            vocoded = self._on_device(
                ("s3gen",), lambda: self.vocode(tokens, [seeds[i] for i in rows], voice), batch=len(spoken)
            )
            for i, wav in zip(spoken, vocoded):
                if self.settings.synthesis.watermark:
                    wav = self._on_device(("watermark",), lambda w=wav: self.watermark(w))
                wavs[i] = wav
        seconds = (time.perf_counter() - start) / n  # each chunk's share of the batch
        return [
            SynthesisResult(
                wav=wav, sample_rate=SAMPLE_RATE_HZ, n_tokens=int(d.tokens.numel()), hit_cap=d.hit_cap,
                seconds=seconds, seed=r.seed,
            )
            for r, d, wav in zip(part, decoded, wavs)
        ]

    # The three stages of synthesize_batch(), public so the benchmark can time them one by one.

    def generate_tokens(
        self, texts: Sequence[str], bucket: str, seeds: Sequence[int], voice: Voice,
        languages: Sequence[str] | None = None,
    ) -> list[Decoded]:
        """T3: texts (in ``languages``, default English) -> speech tokens, each capped from its
        text's length and drawn from its seed."""
        models, options, variant = self._models, self.settings.synthesis, self.variant
        languages = list(languages) if languages is not None else ["en"] * len(texts)
        decoder = self._t3_decoder
        sampling = Sampling.from_options(options, variant.t3_loop)
        caps = [token_cap(len(text), options) for text in texts]
        if decoder is None:  # fast_decode = false: chatterbox's own loop, one chunk at a time
            cond = voice.t3_cond(options.exaggeration, models.t3.device, self._dtype("t3_decode"))
            return [
                stock_generate(models.t3, cond, text_to_tokens(models.tokenizer, text, models.t3, variant, language),
                               sampling, cap=cap, seed=seed)
                for text, cap, seed, language in zip(texts, caps, seeds, languages)
            ]
        t3 = decoder.prefill_t3
        cond = voice.t3_cond(options.exaggeration, t3.device, self._dtype("t3_prefill"))
        tokens = [text_to_tokens(models.tokenizer, text, t3, variant, language)
                  for text, language in zip(texts, languages)]
        bucket_chars = self._bucket_chars.get(bucket, max(len(text) for text in texts))
        prefill_len, cache_len = bucket_lengths(
            self.conditioning_length(voice), bucket_chars, token_cap(bucket_chars, options)
        )
        if self.settings.engine.compile:
            self._note_shape(bucket, len(texts), t3_prefill=prefill_len, t3_cache=cache_len)
        else:
            prefill_len = None  # eager code has no shapes to keep: prefill only the real positions
        return decoder.generate(
            cond, tokens, sampling, caps=caps, seeds=seeds, prefill_len=prefill_len, cache_len=cache_len,
            prefix_key=(voice.id, options.exaggeration),
        )

    def conditioning_length(self, voice: Voice) -> int:
        """Positions T3's conditioning takes (speaker, perceiver queries, emotion)."""
        if voice.id not in self._n_cond:
            t3 = self._models.t3
            with torch.inference_mode():
                cond = voice.t3_cond(self.settings.synthesis.exaggeration, t3.device, self._dtype("t3_decode"))
                self._n_cond[voice.id] = t3.prepare_conditioning(cond).shape[1]
        return self._n_cond[voice.id]

    def _note_shape(self, bucket: str, batch: int, **sizes: int) -> None:
        """Remember the shapes each (bucket, batch) ran at, for the warm-up report."""
        shape = self._shapes.setdefault((bucket, batch), {"bucket": bucket, "batch": batch})
        for name, size in sizes.items():
            seen = shape.setdefault(name, [])
            if size not in seen:
                seen.append(size)

    def vocode(self, tokens: Sequence[torch.Tensor], seeds: Sequence[int], voice: Voice) -> list[np.ndarray]:
        """S3Gen: B token sequences -> B (samples,) float32 waveforms at 24 kHz: one pass on an
        accelerator, passes of :data:`S3GEN_CPU_BATCH` on a CPU."""
        s3gen = self._models.s3gen
        device = s3gen.device
        step = S3GEN_CPU_BATCH if device.type == "cpu" else len(tokens)
        if len(tokens) > step:
            return [wav for i in range(0, len(tokens), step) for wav in self.vocode(tokens[i : i + step],
                                                                                   seeds[i : i + step], voice)]
        generators = [torch.Generator(device=device).manual_seed(seed) for seed in seeds]
        silence = self.variant.trailing_silence_tokens
        if silence:  # as the variant's generate(): a little silence after the last token
            tokens = [F.pad(t.view(-1), (0, silence), value=S3GEN_SILENCE_TOKEN) for t in tokens]
        longest = max(t.numel() for t in tokens)
        pad_to = round_up(longest, S3GEN_PAD_MULTIPLE) if self.settings.engine.compile else None
        wavs = tokens_to_wavs(
            s3gen,
            [t.to(device) for t in tokens],
            voice.s3gen_ref(device),
            n_cfm_timesteps=self.settings.synthesis.cfm_steps,
            pad_to=pad_to,
            generators=generators,
            hot=self._s3gen_hot,
        )
        return [wav[0].cpu().numpy().astype(np.float32) for wav in wavs]

    def watermark(self, wav: np.ndarray) -> np.ndarray:
        """Chatterbox's imperceptible Perth watermark, as ChatterboxTTS.generate applies it."""
        with torch.inference_mode():
            return self._watermarker.apply_watermark(wav, sample_rate=SAMPLE_RATE_HZ).astype(np.float32)

"""T3 text -> speech tokens with a static KV cache (after gpt-fast), and chatterbox's own loop.

The fast path runs HF's ``LlamaModel`` (sdpa attention; chatterbox's loop asks for
attention maps, which forces the slow eager kernels) over a preallocated
``StaticCache``. ``prefill`` and ``decode_one_token`` are small functions of tensors with
fixed shapes per bucket, so each compiles once per bucket. The prefill is right-padded:
causal attention keeps padding out of the real positions, and decoding overwrites the
padded cache slots one by one before any query can see them.

Sampling matches chatterbox's ``T3.inference`` step for step (CFG combine, HF's
repetition penalty, temperature, min-p, top-p, ``torch.multinomial``) but draws from an
explicit generator and never waits on the host except every :data:`EOS_CHECK_EVERY` steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from chatterbox.models.t3 import T3
from chatterbox.models.t3.modules.cond_enc import T3Cond
from chatterbox.tts import punc_norm
from transformers import StaticCache
from transformers.generation.logits_process import (
    MinPLogitsWarper,
    RepetitionPenaltyLogitsProcessor,
    TopPLogitsWarper,
)

from ..config import SynthesisOptions
from ..constants import SPEECH_VOCAB_SIZE

# Host reads the "EOS seen" state only this often: up to this many wasted steps per chunk,
# in exchange for no device->host sync on the other steps.
EOS_CHECK_EVERY = 16
# Prefill lengths and KV-cache lengths are rounded to these, so few shapes get compiled.
PREFILL_MULTIPLE = 64
CACHE_MULTIPLE = 128
# Beyond the text: [START]/[STOP] text ids, and chatterbox's two speech BOS embeddings.
EXTRA_PREFILL_POSITIONS = 4


@dataclass(frozen=True)
class Decoded:
    tokens: torch.Tensor  # (T,) long, CPU: valid S3 tokens only (EOS and special ids dropped)
    n_generated: int  # sampling steps before EOS (or the cap)
    hit_cap: bool  # no EOS within the cap


def round_up(n: int, multiple: int) -> int:
    return multiple * math.ceil(n / multiple)


def token_cap(n_chars: int, options: SynthesisOptions) -> int:
    """Most speech tokens for a text of ``n_chars`` (25 tokens = 1 s), never above max_tokens."""
    return min(options.max_tokens, int(options.tokens_per_char * n_chars) + 50)


def bucket_lengths(n_cond: int, bucket_chars: int, cap: int) -> tuple[int, int]:
    """(prefill length, KV-cache length) for a bucket: one text token per character at most."""
    prefill = round_up(n_cond + bucket_chars + EXTRA_PREFILL_POSITIONS, PREFILL_MULTIPLE)
    return prefill, round_up(prefill + cap, CACHE_MULTIPLE)


def text_to_tokens(tokenizer, text: str, t3: T3) -> torch.Tensor:
    """chatterbox's normalisation and tokenisation, framed by [START]/[STOP]: (1, N) long."""
    tokens = tokenizer.text_to_tokens(punc_norm(text)).long()
    tokens = F.pad(tokens, (1, 0), value=t3.hp.start_text_token)
    return F.pad(tokens, (0, 1), value=t3.hp.stop_text_token)


@dataclass(frozen=True)
class Sampling:
    temperature: float
    cfg_weight: float
    repetition_penalty: float
    min_p: float
    top_p: float

    @classmethod
    def from_options(cls, options: SynthesisOptions) -> Sampling:
        return cls(
            temperature=options.temperature,
            cfg_weight=options.cfg_weight,
            repetition_penalty=options.repetition_penalty,
            min_p=options.min_p,
            top_p=options.top_p,
        )


class Sampler:
    """Logits (B, V) of the last position -> next-token probabilities (1, V), as chatterbox."""

    def __init__(self, sampling: Sampling) -> None:
        self.cfg_weight = sampling.cfg_weight
        self.temperature = sampling.temperature
        self.repetition = RepetitionPenaltyLogitsProcessor(penalty=float(sampling.repetition_penalty))
        self.min_p = MinPLogitsWarper(min_p=sampling.min_p)
        # top_p = 1 removes nothing; skipping it saves a sort over the vocabulary per step.
        self.top_p = TopPLogitsWarper(top_p=sampling.top_p) if sampling.top_p < 1.0 else None

    def __call__(self, logits: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        # ids: (1, L) tokens so far, padded with BOS (already in the set, so padding is neutral).
        logits = logits.float()
        if logits.shape[0] == 2:
            cond, uncond = logits[0:1], logits[1:2]
            logits = cond + self.cfg_weight * (cond - uncond)
        logits = self.repetition(ids, logits)
        if self.temperature != 1.0:
            logits = logits / self.temperature
        logits = self.min_p(ids, logits)
        if self.top_p is not None:
            logits = self.top_p(ids, logits)
        return torch.softmax(logits, dim=-1)


def prefill(
    t3: T3, cache: StaticCache, embeds: torch.Tensor, last_index: torch.Tensor, ids: torch.Tensor, sampler: Sampler
) -> torch.Tensor:
    """embeds (B, P, D), right-padded; last_index (1,) = last real position -> probs (1, V)."""
    positions = torch.arange(embeds.shape[1], device=embeds.device)
    hidden = t3.tfmr(inputs_embeds=embeds, past_key_values=cache, cache_position=positions, use_cache=True)
    last = hidden.last_hidden_state.index_select(1, last_index)[:, 0]  # (B, D)
    return sampler(t3.speech_head(last), ids)


def decode_one_token(
    t3: T3,
    cache: StaticCache,
    token: torch.Tensor,
    cache_position: torch.Tensor,
    speech_position: torch.Tensor,
    ids: torch.Tensor,
    sampler: Sampler,
) -> torch.Tensor:
    """token (1, 1) at cache_position (1,) / speech_position (1,) -> probs (1, V)."""
    emb = t3.speech_emb(token) + t3.speech_pos_emb.emb(speech_position)[None]  # (1, 1, D)
    batch = cache.layers[0].keys.shape[0]
    emb = emb.expand(batch, -1, -1)
    hidden = t3.tfmr(inputs_embeds=emb, past_key_values=cache, cache_position=cache_position, use_cache=True)
    return sampler(t3.speech_head(hidden.last_hidden_state[:, -1]), ids)


def _finish(generated: torch.Tensor, eos: int) -> Decoded:
    """generated (N,) sampled ids -> tokens up to the first EOS, special ids dropped."""
    generated = generated.cpu()
    stops = (generated == eos).nonzero()
    hit_cap = stops.numel() == 0
    if not hit_cap:
        generated = generated[: int(stops[0, 0])]
    return Decoded(tokens=generated[generated < SPEECH_VOCAB_SIZE], n_generated=len(generated), hit_cap=hit_cap)


class T3Decoder:
    """Static-cache decoding for one T3 on one device; caches are kept per shape."""

    def __init__(self, t3: T3, wrap: Callable[[str, Callable], Callable] = lambda name, fn: fn) -> None:
        self.t3 = t3
        self.prefill = wrap("t3.prefill", prefill)
        self.decode_one_token = wrap("t3.decode_one_token", decode_one_token)
        self._caches: dict[tuple[int, int], StaticCache] = {}

    def _cache(self, batch: int, length: int) -> StaticCache:
        key = (batch, length)
        if key not in self._caches:
            cfg = self.t3.cfg
            cache = StaticCache(config=cfg, max_cache_len=length)
            head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
            cache.early_initialization(
                batch_size=batch,
                num_heads=cfg.num_key_value_heads,
                head_dim=head_dim,
                dtype=self.t3.speech_head.weight.dtype,
                device=self.t3.device,
            )
            self._caches[key] = cache
        return self._caches[key]

    @torch.inference_mode()
    def generate(
        self,
        cond: T3Cond,
        text_tokens: torch.Tensor,
        sampling: Sampling,
        *,
        cap: int,
        seed: int,
        prefill_len: int | None = None,
        cache_len: int | None = None,
    ) -> Decoded:
        """Up to ``cap`` tokens for text_tokens (1, N). Lengths default to the exact sizes."""
        t3, hp = self.t3, self.t3.hp
        device = t3.device
        batch = 2 if sampling.cfg_weight > 0 else 1  # CFG: row 1 sees no text
        text = text_tokens.to(device).expand(batch, -1)
        bos = torch.full((1, 1), hp.start_speech_token, dtype=torch.long, device=device)
        embeds, _ = t3.prepare_input_embeds(
            t3_cond=cond, text_tokens=text, speech_tokens=bos.expand(batch, 1), cfg_weight=sampling.cfg_weight
        )
        # chatterbox's loop feeds one more BOS (position 0) after prepare_input_embeds' own.
        bos_embed = t3.speech_emb(bos) + t3.speech_pos_emb.get_fixed_embedding(0)
        embeds = torch.cat([embeds, bos_embed.expand(batch, -1, -1)], dim=1)  # (B, n_real, D)
        n_real = embeds.shape[1]
        prefill_len = max(prefill_len or n_real, n_real)
        cache_len = max(cache_len or 0, prefill_len + cap)

        cache = self._cache(batch, cache_len)
        embeds = F.pad(embeds, (0, 0, 0, prefill_len - n_real))
        # Tokens so far for the repetition penalty, BOS first; unused slots hold BOS too.
        ids = torch.full((1, cache_len), hp.start_speech_token, dtype=torch.long, device=device)
        sampler = Sampler(sampling)
        generator = torch.Generator(device=device).manual_seed(seed)

        probs = self.prefill(t3, cache, embeds, torch.tensor([n_real - 1], device=device), ids, sampler)
        cache_position = torch.tensor([n_real], device=device)
        speech_position = torch.tensor([1], device=device)
        n = 0
        while True:
            token = torch.multinomial(probs, num_samples=1, generator=generator)  # (1, 1)
            n += 1
            ids[:, n : n + 1] = token
            if n == cap:
                break
            if n % EOS_CHECK_EVERY == 0 and bool((ids[0, 1 : n + 1] == hp.stop_speech_token).any()):
                break
            probs = self.decode_one_token(t3, cache, token, cache_position, speech_position, ids, sampler)
            cache_position += 1
            speech_position += 1
        return _finish(ids[0, 1 : n + 1], hp.stop_speech_token)


@torch.inference_mode()
def stock_generate(
    t3: T3, cond: T3Cond, text_tokens: torch.Tensor, sampling: Sampling, *, cap: int, seed: int
) -> Decoded:
    """chatterbox's own ``T3.inference`` loop (it samples from the global RNG, seeded here)."""
    torch.manual_seed(seed)
    text = text_tokens.to(t3.device).expand(2, -1)  # chatterbox's loop always runs the CFG pair
    out = t3.inference(
        t3_cond=cond,
        text_tokens=text,
        max_new_tokens=cap,
        temperature=sampling.temperature,
        cfg_weight=sampling.cfg_weight,
        repetition_penalty=sampling.repetition_penalty,
        min_p=sampling.min_p,
        top_p=sampling.top_p,
    )
    return _finish(out[0], t3.hp.stop_speech_token)

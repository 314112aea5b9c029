"""T3 text -> speech tokens: a static-KV-cache decode of many chunks at once (after gpt-fast),
and chatterbox's own loop for comparison.

B chunks of one voice decode together as R rows: with classifier-free guidance each chunk is
a pair, row 2i conditioned on its text and row 2i+1 not, exactly as chatterbox's
``T3.prepare_input_embeds(..., cfg_weight)`` builds it (R = 2B); without it R = B. The fast
path runs HF's ``LlamaModel`` (sdpa attention; chatterbox's loop asks for attention maps,
which forces the slow eager kernels) over a preallocated ``StaticCache``:

* Every row's real prefill (n_i positions) is LEFT-padded to the bucket's prefill length P,
  so all rows decode into the same cache slot P + t at step t. A (R, C) ``valid`` mask hides
  each row's pad slots for good; RoPE positions are per row (0..n_i - 1, then n_i + t), so
  a padded or batched row computes what an unpadded run of its chunk computes. A pad query
  attends only to itself, so no attention row is empty (some GPU kernels give NaN there).
* ``prefill``, ``decode_one_token`` and ``decode_and_sample`` are small functions of tensors
  with a fixed shape per (bucket, batch): each compiles once per shape.
* Each chunk has its own repetition-penalty history, cap and EOS; the batch ends when every
  chunk has stopped, and the host looks only every :data:`EOS_CHECK_EVERY` steps.
* Sampling never depends on the other chunks in the batch. ``multinomial``: one generator per
  chunk and ``torch.multinomial``, the draws chatterbox makes (same seed, same tokens as
  ``T3.inference``). ``gumbel``: argmax(log p + Gumbel noise) with noise a pure function of
  (chunk seed, step, token id), so the draw can live inside the compiled step.
* Prefill and decode may run in different dtypes (two copies of the weights): where bf16 is
  emulated, prefill is compute-bound and wants fp32 while decoding a few rows is
  memory-bound and wants bf16. The prefill's cache is then copied into the decode cache.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from chatterbox.models.t3 import T3
from chatterbox.models.t3.modules.cond_enc import T3Cond
from chatterbox.tts import punc_norm
from transformers import AttentionInterface, StaticCache
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.generation.logits_process import (
    MinPLogitsWarper,
    RepetitionPenaltyLogitsProcessor,
    TopPLogitsWarper,
)

from ..config import SynthesisOptions
from ..constants import SPEECH_VOCAB_SIZE

# Host reads the "every chunk stopped" state only this often: up to this many wasted steps
# per batch, in exchange for no device->host sync on the other steps.
EOS_CHECK_EVERY = 16
# Prefill lengths and KV-cache lengths are rounded to these, so few shapes get compiled.
PREFILL_MULTIPLE = 64
CACHE_MULTIPLE = 128
# Beyond the text: [START]/[STOP] text ids, and chatterbox's two speech BOS embeddings.
EXTRA_PREFILL_POSITIONS = 4
MASK32 = 0xFFFF_FFFF
# The attention implementation T3 runs under on the fast path (registered below with HF).
ATTENTION = "audiobook_tts"


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
    sampler: str = "multinomial"

    @classmethod
    def from_options(cls, options: SynthesisOptions) -> Sampling:
        return cls(
            temperature=options.temperature,
            cfg_weight=options.cfg_weight,
            repetition_penalty=options.repetition_penalty,
            min_p=options.min_p,
            top_p=options.top_p,
            sampler=options.sampler,
        )


class Sampler:
    """Logits (R, V) of the last position -> next-token probabilities (B, V), as chatterbox."""

    def __init__(self, sampling: Sampling) -> None:
        self.cfg = sampling.cfg_weight > 0
        self.cfg_weight = sampling.cfg_weight
        self.temperature = sampling.temperature
        self.repetition = RepetitionPenaltyLogitsProcessor(penalty=float(sampling.repetition_penalty))
        self.min_p = MinPLogitsWarper(min_p=sampling.min_p)
        # top_p = 1 removes nothing; skipping it saves a sort over the vocabulary per step.
        self.top_p = TopPLogitsWarper(top_p=sampling.top_p) if sampling.top_p < 1.0 else None

    def __call__(self, logits: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        # ids: (B, L) tokens so far per chunk, padded with BOS (already in the set: neutral).
        logits = logits.float()
        if self.cfg:
            pair = logits.view(-1, 2, logits.shape[-1])  # (B, [cond, uncond], V)
            cond, uncond = pair[:, 0], pair[:, 1]
            logits = cond + self.cfg_weight * (cond - uncond)
        logits = self.repetition(ids, logits)
        if self.temperature != 1.0:
            logits = logits / self.temperature
        logits = self.min_p(ids, logits)
        if self.top_p is not None:
            logits = self.top_p(ids, logits)
        return torch.softmax(logits, dim=-1)


# ---- counter-based Gumbel noise --------------------------------------------------------


def _mul32(x: torch.Tensor, c: int) -> torch.Tensor:
    """(x * c) mod 2^32 for int64 x in [0, 2^32): c split in 16-bit halves, so every
    product stays below 2^48 (no int64 overflow on any backend)."""
    lo, hi = c & 0xFFFF, c >> 16
    return (x * lo + (((x * hi) & 0xFFFF) << 16)) & MASK32


def lowbias32(x: torch.Tensor) -> torch.Tensor:
    """Chris Wellons' lowbias32 mixer: a bijection on 32-bit ints (held in int64 tensors)."""
    x = x ^ (x >> 16)
    x = _mul32(x, 0x7FEB352D)
    x = x ^ (x >> 15)
    x = _mul32(x, 0x846CA68B)
    return x ^ (x >> 16)


def seed_keys(seeds: Sequence[int], device: torch.device | str) -> torch.Tensor:
    """(B, 1) 32-bit keys from non-negative seeds (up to 63 bits)."""
    s = torch.tensor([int(v) & ((1 << 63) - 1) for v in seeds], dtype=torch.long, device=device)
    lo, hi = s & MASK32, (s >> 32) & MASK32
    return lowbias32(lo ^ lowbias32(hi ^ 0x9E3779B9))[:, None]


def vocab_keys(vocab: int, device: torch.device | str) -> torch.Tensor:
    """(V,) distinct 32-bit keys for the token ids (computed once per decoder)."""
    return lowbias32((torch.arange(vocab, device=device) + 0x85EBCA6B) & MASK32)


def uniform_noise(keys: torch.Tensor, step: torch.Tensor, vkeys: torch.Tensor) -> torch.Tensor:
    """(B, V) float32 in (0, 1), a pure function of (chunk key, step, token id).

    23 bits, u = (k + 0.5) / 2^23: exact in float32, so never 0 or 1 (with 24 bits the top
    value would round to 1.0 and its Gumbel noise to +inf).
    """
    base = lowbias32(keys ^ lowbias32(step.view(1, 1) & MASK32))  # (B, 1)
    h = lowbias32(base ^ vkeys)  # (B, V)
    return ((h >> 9).float() + 0.5) * 2.0**-23


def gumbel_sample(probs: torch.Tensor, keys: torch.Tensor, step: torch.Tensor, vkeys: torch.Tensor) -> torch.Tensor:
    """probs (B, V) -> tokens (B, 1): argmax(log p + Gumbel), one draw from each row's p."""
    gumbel = -torch.log(-torch.log(uniform_noise(keys, step, vkeys)))
    return (torch.log(probs) + gumbel).argmax(dim=-1, keepdim=True)  # log 0 = -inf never wins


def multinomial_sample(probs: torch.Tensor, generators: Sequence[torch.Generator]) -> torch.Tensor:
    """probs (B, V) -> tokens (B, 1), row i drawn with its chunk's own generator."""
    return torch.cat([torch.multinomial(probs[i : i + 1], 1, generator=g) for i, g in enumerate(generators)])


# ---- the compilable steps ------------------------------------------------------------------


def attention(
    module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
    attention_mask: torch.Tensor | None, dropout: float = 0.0, scaling: float | None = None, **kwargs,
) -> tuple[torch.Tensor, None]:
    """HF attention: a bf16 decode step on a CPU as two matmuls and a float32 softmax, else SDPA.

    query (R, H, 1, Dh), key/value (R, H, C, Dh), attention_mask (R, 1, 1, C) bool or None
    -> (R, 1, H, Dh). SDPA's CPU flash kernel does not vectorise bf16: with 32 rows it was
    most of a decode step (490 ms against 217 ms with the matmuls, full T3 on 2 AVX-512
    cores); in fp32 the two are level, and SDPA stays.
    """
    if (query.shape[2] != 1 or query.device.type != "cpu" or query.dtype == torch.float32
            or key.shape[1] != query.shape[1]):
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
    scores = torch.matmul(query, key.transpose(2, 3)) * scaling  # (R, H, 1, C)
    if attention_mask is not None:
        scores = scores.masked_fill(~attention_mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1, dtype=torch.float32).to(value.dtype)
    return torch.matmul(weights, value).transpose(1, 2).contiguous(), None


AttentionInterface.register(ATTENTION, attention)


def attention_mask(valid: torch.Tensor, cache_position: torch.Tensor) -> torch.Tensor:
    """valid (R, C), cache_position (L,) -> (R, 1, L, C) bool: causal, real keys, or itself."""
    kv = torch.arange(valid.shape[1], device=valid.device)[None, None, None, :]
    q = cache_position.view(1, 1, -1, 1)
    return (kv <= q) & (valid[:, None, None, :] | (kv == q))


def prefill(
    t3: T3, cache: StaticCache, embeds: torch.Tensor, valid: torch.Tensor, position_ids: torch.Tensor,
    ids: torch.Tensor, sampler: Sampler,
) -> torch.Tensor:
    """embeds (R, P, D) left-padded, valid (R, cache length), position_ids (R, P) -> probs (B, V)."""
    cache_position = torch.arange(embeds.shape[1], device=embeds.device)
    hidden = t3.tfmr(
        inputs_embeds=embeds, attention_mask=attention_mask(valid, cache_position), position_ids=position_ids,
        past_key_values=cache, cache_position=cache_position, use_cache=True,
    )
    return sampler(t3.speech_head(hidden.last_hidden_state[:, -1]), ids)  # left-padded: P - 1 is real


def decode_one_token(
    t3: T3, cache: StaticCache, token: torch.Tensor, cache_position: torch.Tensor, speech_position: torch.Tensor,
    position_ids: torch.Tensor, valid: torch.Tensor, ids: torch.Tensor, sampler: Sampler,
) -> torch.Tensor:
    """token (B, 1) at cache_position (1,), speech_position (1,), position_ids (R, 1) -> probs (B, V)."""
    emb = t3.speech_emb(token) + t3.speech_pos_emb.emb(speech_position)[None]  # (B, 1, D)
    emb = emb.repeat_interleave(valid.shape[0] // token.shape[0], dim=0)  # (R, 1, D): a CFG pair shares it
    hidden = t3.tfmr(
        inputs_embeds=emb, attention_mask=attention_mask(valid, cache_position), position_ids=position_ids,
        past_key_values=cache, cache_position=cache_position, use_cache=True,
    )
    return sampler(t3.speech_head(hidden.last_hidden_state[:, -1]), ids)


def decode_and_sample(
    t3: T3, cache: StaticCache, token: torch.Tensor, cache_position: torch.Tensor, speech_position: torch.Tensor,
    position_ids: torch.Tensor, valid: torch.Tensor, ids: torch.Tensor, sampler: Sampler,
    keys: torch.Tensor, step: torch.Tensor, vkeys: torch.Tensor,
) -> torch.Tensor:
    """decode_one_token and its Gumbel draw in one graph: -> next tokens (B, 1)."""
    probs = decode_one_token(t3, cache, token, cache_position, speech_position, position_ids, valid, ids, sampler)
    return gumbel_sample(probs, keys, step, vkeys)


def _finish(generated: torch.Tensor, eos: int) -> Decoded:
    """generated (N,) sampled ids -> tokens up to the first EOS, special ids dropped."""
    generated = generated.cpu()
    stops = (generated == eos).nonzero()
    hit_cap = stops.numel() == 0
    if not hit_cap:
        generated = generated[: int(stops[0, 0])]
    return Decoded(tokens=generated[generated < SPEECH_VOCAB_SIZE], n_generated=len(generated), hit_cap=hit_cap)


class T3Decoder:
    """Static-cache decoding of one or more chunks of one voice; caches are kept per shape.

    ``t3`` decodes; ``prefill_t3`` (the same weights in another dtype, or ``t3`` itself)
    runs the prefill.
    """

    def __init__(
        self, t3: T3, wrap: Callable[[str, Callable], Callable] = lambda name, fn: fn, *,
        sampler: str = "multinomial", prefill_t3: T3 | None = None,
    ) -> None:
        self.t3 = t3
        self.prefill_t3 = prefill_t3 if prefill_t3 is not None else t3
        self.prefill = wrap("t3.prefill", prefill)
        # Only the step the sampler uses is wrapped (and compiled).
        if sampler == "gumbel":
            self.decode_and_sample = wrap("t3.decode_and_sample", decode_and_sample)
        else:
            self.decode_one_token = wrap("t3.decode_one_token", decode_one_token)
        self._caches: dict[tuple[int, int, torch.dtype], StaticCache] = {}
        self._vkeys: torch.Tensor | None = None
        # The benchmark sets a (synchronising) clock to learn how long each prefill took.
        self.clock: Callable[[], float] | None = None
        self.last_prefill_s = 0.0

    def _cache(self, model: T3, rows: int, length: int) -> StaticCache:
        dtype = model.speech_head.weight.dtype
        key = (rows, length, dtype)
        if key not in self._caches:
            cfg = model.cfg
            cache = StaticCache(config=cfg, max_cache_len=length)
            head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
            cache.early_initialization(
                batch_size=rows, num_heads=cfg.num_key_value_heads, head_dim=head_dim, dtype=dtype, device=model.device
            )
            self._caches[key] = cache
        return self._caches[key]

    def _embed(self, cond: T3Cond, text_tokens: torch.Tensor, cfg_weight: float) -> torch.Tensor:
        """One chunk's real prefill embeddings (rows per chunk, n, D) in the prefill model."""
        t3, hp = self.prefill_t3, self.prefill_t3.hp
        rows = 2 if cfg_weight > 0 else 1
        text = text_tokens.to(t3.device).expand(rows, -1)
        bos = torch.full((1, 1), hp.start_speech_token, dtype=torch.long, device=t3.device)
        embeds, _ = t3.prepare_input_embeds(
            t3_cond=cond, text_tokens=text, speech_tokens=bos.expand(rows, 1), cfg_weight=cfg_weight
        )
        # chatterbox's loop feeds one more BOS (position 0) after prepare_input_embeds' own.
        bos_embed = t3.speech_emb(bos) + t3.speech_pos_emb.get_fixed_embedding(0)
        return torch.cat([embeds, bos_embed.expand(rows, -1, -1)], dim=1)

    @contextlib.contextmanager
    def _our_attention(self) -> Iterator[None]:
        """Decode under :func:`attention`; the model's own setting is back afterwards (chatterbox's
        loop may run the same model)."""
        config = self.t3.tfmr.config
        before, config._attn_implementation = config._attn_implementation, ATTENTION
        try:
            yield
        finally:
            config._attn_implementation = before

    @torch.inference_mode()
    def generate(
        self,
        cond: T3Cond,
        texts: Sequence[torch.Tensor],
        sampling: Sampling,
        *,
        caps: Sequence[int],
        seeds: Sequence[int],
        prefill_len: int | None = None,
        cache_len: int | None = None,
    ) -> list[Decoded]:
        """texts: B token tensors (1, N_i) -> B results, chunk i capped at caps[i] tokens and
        drawn from seeds[i]. Lengths default to the exact sizes. ``cond`` is in the prefill
        model's dtype and device."""
        with self._our_attention():
            return self._generate(cond, texts, sampling, caps, seeds, prefill_len, cache_len)

    def _generate(self, cond, texts, sampling, caps, seeds, prefill_len, cache_len) -> list[Decoded]:
        t3, hp = self.t3, self.t3.hp
        device = t3.device
        started = self.clock() if self.clock else 0.0
        n_chunks = len(texts)
        chunk_embeds = [self._embed(cond, text, sampling.cfg_weight) for text in texts]
        per_chunk = chunk_embeds[0].shape[0]
        n_real = torch.tensor([e.shape[1] for e in chunk_embeds for _ in range(per_chunk)], device=device)  # (R,)
        max_cap = max(caps)
        P = max(prefill_len or 0, max(e.shape[1] for e in chunk_embeds))
        C = max(cache_len or 0, P + max_cap)
        rows = n_chunks * per_chunk

        embeds = torch.cat([F.pad(e, (0, 0, P - e.shape[1], 0)) for e in chunk_embeds])  # (R, P, D)
        start = (P - n_real)[:, None]  # (R, 1): each row's first real slot
        valid = torch.arange(C, device=device)[None] >= start  # (R, C)
        prefill_positions = (torch.arange(P, device=device)[None] - start).clamp(min=0)  # (R, P)
        position_ids = n_real[:, None].clone()  # (R, 1): RoPE position of the first decode step
        # Tokens so far for the repetition penalty, BOS first; unused slots hold BOS too.
        ids = torch.full((n_chunks, C), hp.start_speech_token, dtype=torch.long, device=device)
        sampler = Sampler(sampling)
        cache = self._cache(t3, rows, C)
        if self.prefill_t3 is t3:
            probs = self.prefill(t3, cache, embeds, valid, prefill_positions, ids, sampler)
        else:
            first = self._cache(self.prefill_t3, rows, P)
            probs = self.prefill(self.prefill_t3, first, embeds, valid[:, :P], prefill_positions, ids, sampler)
            for src, dst in zip(first.layers, cache.layers):
                dst.keys[:, :, :P].copy_(src.keys)
                dst.values[:, :, :P].copy_(src.values)
        if self.clock:
            self.last_prefill_s = self.clock() - started

        gumbel = sampling.sampler == "gumbel"
        if gumbel:
            keys = seed_keys(seeds, device)
            if self._vkeys is None or self._vkeys.shape[0] != probs.shape[-1]:
                self._vkeys = vocab_keys(probs.shape[-1], device)
            step = torch.zeros(1, dtype=torch.long, device=device)
            token = gumbel_sample(probs, keys, step, self._vkeys)
        else:
            generators = [torch.Generator(device=device).manual_seed(int(s)) for s in seeds]
            token = multinomial_sample(probs, generators)
        caps_t = torch.tensor(list(caps), device=device)
        cache_position = torch.tensor([P], device=device)
        speech_position = torch.tensor([1], device=device)
        n = 0
        while True:
            n += 1
            ids[:, n : n + 1] = token
            if n == max_cap:
                break
            if n % EOS_CHECK_EVERY == 0:
                stopped = (ids[:, 1 : n + 1] == hp.stop_speech_token).any(dim=1) | (caps_t <= n)
                if bool(stopped.all()):  # the only host sync of the loop
                    break
            args = (t3, cache, token, cache_position, speech_position, position_ids, valid, ids, sampler)
            if gumbel:
                step += 1
                token = self.decode_and_sample(*args, keys, step, self._vkeys)
            else:
                token = multinomial_sample(self.decode_one_token(*args), generators)
            cache_position += 1
            speech_position += 1
            position_ids += 1
        return [_finish(ids[i, 1 : min(n, caps[i]) + 1], hp.stop_speech_token) for i in range(n_chunks)]


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

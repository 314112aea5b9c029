"""T3 text -> speech tokens: a static-KV-cache decode of many chunks at once (after gpt-fast),
and chatterbox's own loop for comparison.

B chunks of one voice decode together as R rows: with classifier-free guidance each chunk is
a pair, row 2i conditioned on its text and row 2i+1 not, exactly as chatterbox's
``T3.prepare_input_embeds(..., cfg_weight)`` builds it (R = 2B); without it (Turbo) R = B. The
fast path runs the HF backbone, ``LlamaModel`` or Turbo's ``GPT2Model`` (both take a
``StaticCache``, ``cache_position``, per-row ``position_ids`` and a 4D mask in transformers
5.2; sdpa attention, where chatterbox's Llama loop asks for attention maps, which forces the
slow eager kernels), over a preallocated ``StaticCache``. What differs between the variants'
own loops (a second speech BOS, learned speech positions, the logit processors and their
order) is data, ``Variant.t3_loop``; the shapes and the cache are the same:

* A row's prefill is the voice's conditioning (K positions: speaker, perceiver, emotion; the
  same for every chunk and both CFG rows), then its text and the speech BOS. The conditioning's
  keys and values are computed once per voice and copied into slots 0..K-1 of every row; the
  text is padded on its left up to the bucket's prefill length P, so all rows decode into
  the same cache slot P + t at step t. A (R, C) ``valid`` mask hides each row's pad slots for
  good; RoPE positions are per row (0..n_i - 1, then n_i + t), so a padded or batched row
  computes what an unpadded run of its chunk computes. A pad query attends only to itself, so
  no attention row is empty (some GPU kernels give NaN there).
* ``prefill``, ``decode_one_token`` and ``decode_and_sample`` are small functions of tensors
  with a fixed shape per (bucket, batch): each compiles once per shape.
* Each chunk has its own repetition-penalty history, cap and EOS; the batch ends when every
  chunk has stopped, and the host looks only every :data:`EOS_CHECK_EVERY` steps.
* Sampling (:mod:`.t3_sampling`) never depends on the other chunks in the batch.
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
from transformers import AttentionInterface, StaticCache
from transformers.integrations.sdpa_attention import sdpa_attention_forward

from ..config import SynthesisOptions
from ..constants import SPEECH_VOCAB_SIZE
from . import tokenize
from .t3_sampling import Sampler, Sampling, gumbel_sample, min_speech_tokens, multinomial_sample, seed_keys, vocab_keys
from .variants import VARIANTS, Variant

# Host reads the "every chunk stopped" state only this often: up to this many wasted steps
# per batch, in exchange for no device->host sync on the other steps.
EOS_CHECK_EVERY = 16
# Prefill lengths and KV-cache lengths are rounded to these, so few shapes get compiled.
PREFILL_MULTIPLE = 64
CACHE_MULTIPLE = 128
# Beyond the text: [START]/[STOP] text ids, and chatterbox's two speech BOS embeddings.
EXTRA_PREFILL_POSITIONS = 4
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


def text_to_tokens(
    tokenizer, text: str, t3: T3, variant: Variant = VARIANTS["standard"], language: str = "en"
) -> torch.Tensor:
    """chatterbox's normalisation and tokenisation for the variant (standard: framed by
    [START]/[STOP]): (1, N) long."""
    return tokenize.text_to_tokens(tokenizer, text, t3, variant, language)


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
    scaling = query.shape[-1] ** -0.5 if scaling is None else scaling  # GPT-2 passes none: SDPA's default
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
    t3: T3, cache: StaticCache, embeds: torch.Tensor, cache_position: torch.Tensor, valid: torch.Tensor,
    position_ids: torch.Tensor, ids: torch.Tensor, sampler: Sampler,
) -> torch.Tensor:
    """embeds (R, L, D) padded on the left, written at cache_position (L,); valid (R, cache length),
    position_ids (R, L) -> probs (B, V) of the first speech token."""
    hidden = t3.tfmr(
        inputs_embeds=embeds, attention_mask=attention_mask(valid, cache_position), position_ids=position_ids,
        past_key_values=cache, cache_position=cache_position, use_cache=True,
    )
    return sampler(t3.speech_head(hidden.last_hidden_state[:, -1]), ids)  # padded on the left: the last is real


def speech_embedding(t3: T3, token: torch.Tensor, speech_position: torch.Tensor) -> torch.Tensor:
    """token (B, 1), speech_position (1,) -> (B, 1, D); learned speech positions where T3 has them
    (Turbo's GPT-2 adds its own absolute positions inside the backbone)."""
    emb = t3.speech_emb(token)
    if t3.speech_pos_emb is not None:
        emb = emb + t3.speech_pos_emb.emb(speech_position)[None]
    return emb


def decode_one_token(
    t3: T3, cache: StaticCache, token: torch.Tensor, cache_position: torch.Tensor, speech_position: torch.Tensor,
    position_ids: torch.Tensor, valid: torch.Tensor, ids: torch.Tensor, sampler: Sampler,
) -> torch.Tensor:
    """token (B, 1) at cache_position (1,), speech_position (1,) (= tokens so far), position_ids
    (R, 1) -> probs (B, V)."""
    emb = speech_embedding(t3, token, speech_position)  # (B, 1, D)
    emb = emb.repeat_interleave(valid.shape[0] // token.shape[0], dim=0)  # (R, 1, D): a CFG pair shares it
    hidden = t3.tfmr(
        inputs_embeds=emb, attention_mask=attention_mask(valid, cache_position), position_ids=position_ids,
        past_key_values=cache, cache_position=cache_position, use_cache=True,
    )
    return sampler(t3.speech_head(hidden.last_hidden_state[:, -1]), ids, speech_position)


def decode_and_sample(
    t3: T3, cache: StaticCache, token: torch.Tensor, cache_position: torch.Tensor, speech_position: torch.Tensor,
    position_ids: torch.Tensor, valid: torch.Tensor, ids: torch.Tensor, sampler: Sampler,
    keys: torch.Tensor, step: torch.Tensor, vkeys: torch.Tensor,
) -> torch.Tensor:
    """decode_one_token and its Gumbel draw in one graph: -> next tokens (B, 1)."""
    probs = decode_one_token(t3, cache, token, cache_position, speech_position, position_ids, valid, ids, sampler)
    return gumbel_sample(probs, keys, step, vkeys)


def linear_layout(module: torch.nn.Module) -> None:
    """GPT-2's ``Conv1D`` layers (x @ W, W stored (in, out)) become ``nn.Linear`` (x @ W^T, W
    stored (out, in)): the same product, but oneDNN's bf16 kernels run the (out, in) layout
    faster on a CPU (GPT-2 medium's 24 MLP up-projections for one row: 14.3 ms as Conv1D,
    10.6 ms as Linear; fp32 the other way round, 17.6 vs 21.9 ms: AVX-512 BF16, 2 threads).
    Llama layers are Linear already; nothing else changes."""
    from transformers.pytorch_utils import Conv1D

    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, Conv1D):
                weight = child.weight
                linear = torch.nn.Linear(child.nx, child.nf, device=weight.device, dtype=weight.dtype)
                with torch.no_grad():
                    linear.weight.copy_(weight.t())
                    linear.bias.copy_(child.bias)
                setattr(parent, name, linear)


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
        self._prefixes: dict[object, list[tuple[torch.Tensor, torch.Tensor]]] = {}
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
            heads = getattr(cfg, "num_key_value_heads", None) or cfg.num_attention_heads  # GPT-2: no GQA
            cache.early_initialization(
                batch_size=rows, num_heads=heads, head_dim=head_dim, dtype=dtype, device=model.device
            )
            self._caches[key] = cache
        return self._caches[key]

    def _embed(self, cond: T3Cond, text_tokens: torch.Tensor, sampling: Sampling) -> tuple[torch.Tensor, int]:
        """One chunk's real prefill embeddings (rows per chunk, n, D) in the prefill model, and
        how many of the n lead positions are the voice's conditioning."""
        t3, hp = self.prefill_t3, self.prefill_t3.hp
        rows = 2 if sampling.cfg_weight > 0 else 1
        text = text_tokens.to(t3.device).expand(rows, -1)
        bos = torch.full((1, 1), hp.start_speech_token, dtype=torch.long, device=t3.device)
        embeds, n_cond = t3.prepare_input_embeds(
            t3_cond=cond, text_tokens=text, speech_tokens=bos.expand(rows, 1), cfg_weight=sampling.cfg_weight
        )
        if not sampling.loop.second_bos:
            return embeds, n_cond
        # chatterbox's Llama loop feeds one more BOS (position 0) after prepare_input_embeds' own.
        bos_embed = t3.speech_emb(bos) + t3.speech_pos_emb.get_fixed_embedding(0)
        return torch.cat([embeds, bos_embed.expand(rows, -1, -1)], dim=1), n_cond

    def _prefix(self, embeds: torch.Tensor, key: object) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Keys and values (1, heads, K, head dim) per layer of the conditioning embeds (1, K, D),
        by the prefill model; kept per ``key`` (voice and exaggeration), None: not kept."""
        model = self.prefill_t3
        if key is not None and key in self._prefixes:
            return self._prefixes[key]
        n = embeds.shape[1]
        cache = StaticCache(config=model.cfg, max_cache_len=n)
        positions = torch.arange(n, device=embeds.device)
        valid = torch.ones(1, n, dtype=torch.bool, device=embeds.device)
        model.tfmr(
            inputs_embeds=embeds, attention_mask=attention_mask(valid, positions), position_ids=positions[None],
            past_key_values=cache, cache_position=positions, use_cache=True,
        )
        prefix = [(layer.keys.clone(), layer.values.clone()) for layer in cache.layers]
        if key is not None:
            self._prefixes[key] = prefix
        return prefix

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
        prefix_key: object = None,
    ) -> list[Decoded]:
        """texts: B token tensors (1, N_i) -> B results, chunk i capped at caps[i] tokens and
        drawn from seeds[i]. Lengths default to the exact sizes. ``cond`` is in the prefill
        model's dtype and device; ``prefix_key`` names it (voice, exaggeration), so that its
        keys and values are computed once."""
        with self._our_attention():
            return self._generate(cond, texts, sampling, caps, seeds, prefill_len, cache_len, prefix_key)

    def _generate(self, cond, texts, sampling, caps, seeds, prefill_len, cache_len, prefix_key) -> list[Decoded]:
        t3, hp = self.t3, self.t3.hp
        device = t3.device
        started = self.clock() if self.clock else 0.0
        n_chunks = len(texts)
        embedded = [self._embed(cond, text, sampling) for text in texts]
        K = embedded[0][1]  # the conditioning's positions, the same for every chunk of the voice
        texts_embeds = [e[:, K:] for e, _ in embedded]  # (rows per chunk, m_i, D): text and BOS
        per_chunk = texts_embeds[0].shape[0]
        n_real = torch.tensor([K + e.shape[1] for e in texts_embeds for _ in range(per_chunk)], device=device)  # (R,)
        max_cap = max(caps)
        P = max(prefill_len or 0, K + max(e.shape[1] for e in texts_embeds))
        C = max(cache_len or 0, P + max_cap)
        rows = n_chunks * per_chunk

        embeds = torch.cat([F.pad(e, (0, 0, P - K - e.shape[1], 0)) for e in texts_embeds])  # (R, P - K, D)
        pad = (P - n_real)[:, None]  # (R, 1): slots between the conditioning and each row's text
        slots = torch.arange(C, device=device)[None]
        valid = (slots < K) | (slots >= K + pad)  # (R, C)
        text_positions = K + (torch.arange(P - K, device=device)[None] - pad).clamp(min=0)  # (R, P - K)
        position_ids = n_real[:, None].clone()  # (R, 1): RoPE position of the first decode step
        prefill_slots = torch.arange(K, P, device=device)
        # Tokens so far for the repetition penalty, BOS first; unused slots hold BOS too.
        ids = torch.full((n_chunks, C), hp.start_speech_token, dtype=torch.long, device=device)
        min_tokens = torch.tensor([min_speech_tokens(text.shape[1]) for text in texts], device=device)  # (B,)
        sampler = Sampler(sampling, eos=hp.stop_speech_token, min_tokens=min_tokens)
        cache = self._cache(t3, rows, C)
        # Prefill into the decode cache, or into a cache of the prefill model's dtype and copy.
        first, first_len = (cache, C) if self.prefill_t3 is t3 else (self._cache(self.prefill_t3, rows, P), P)
        for (k, v), layer in zip(self._prefix(embedded[0][0][:1, :K], prefix_key), first.layers):
            layer.keys[:, :, :K] = k
            layer.values[:, :, :K] = v
        probs = self.prefill(
            self.prefill_t3, first, embeds, prefill_slots, valid[:, :first_len], text_positions, ids, sampler
        )
        if first is not cache:
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
        if not sampling.loop.repetition_sees_bos:
            ids[:, 1:] = token  # the first token fills the unused slots: the set without BOS
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
    """chatterbox's own loop for the variant (``sampling.loop.stock``), from the global RNG seeded here."""
    torch.manual_seed(seed)
    return STOCK_LOOPS[sampling.loop.stock](t3, cond, text_tokens, sampling, cap)


def _stock_inference(t3: T3, cond: T3Cond, text_tokens: torch.Tensor, sampling: Sampling, cap: int) -> Decoded:
    """``T3.inference`` (standard, multilingual: with its alignment analyzer)."""
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


def _stock_turbo(t3: T3, cond: T3Cond, text_tokens: torch.Tensor, sampling: Sampling, cap: int) -> Decoded:
    """``T3.inference_turbo``: it draws one token, then up to ``max_gen_len`` more, and drops
    a final EOS itself."""
    out = t3.inference_turbo(
        cond, text_tokens.to(t3.device), temperature=sampling.temperature, top_k=sampling.loop.top_k,
        top_p=sampling.top_p, repetition_penalty=sampling.repetition_penalty, max_gen_len=cap - 1,
    )[0].cpu()
    return Decoded(tokens=out[out < SPEECH_VOCAB_SIZE], n_generated=out.numel(), hit_cap=out.numel() >= cap)


# T3Loop.stock -> chatterbox's loop, run as its generate() runs it.
STOCK_LOOPS = {"inference": _stock_inference, "inference_turbo": _stock_turbo}

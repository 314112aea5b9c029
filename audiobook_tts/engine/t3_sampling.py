"""T3's sampling: logits -> probabilities exactly as chatterbox computes them, and two ways to
draw from them, neither of which depends on the other chunks in a batch.

The logit processors run in the order of the variant's own loop (``Variant.t3_loop.logits``):
``T3.inference`` applies CFG, repetition penalty, temperature, min_p, top_p;
``T3.inference_turbo`` temperature, top_k, top_p, repetition penalty. The multilingual loop's
alignment analyzer is replaced by ``guard`` (see :meth:`Sampler.guard`).

* ``multinomial``: one generator per chunk and ``torch.multinomial``, the draws chatterbox makes
  (same seed, same tokens as ``T3.inference``).
* ``gumbel``: argmax(log p + Gumbel noise) with the noise a pure function of (chunk seed, step,
  token id), computed with integer ops on the device, so the draw compiles into the decode step
  and needs no generator state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers.generation.logits_process import (
    MinPLogitsWarper,
    RepetitionPenaltyLogitsProcessor,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from ..config import SynthesisOptions
from .variants import LLAMA_LOOP, T3Loop

MASK32 = 0xFFFF_FFFF
# The alignment analyzer's logit for a forbidden / forced token (safe in every >= 16-bit dtype).
FORCE_LOGIT = 2.0**15
# The multilingual guard: EOS is masked until a chunk has this many speech tokens per text
# token (S = its text tokens with [START], language and [STOP]). A fast reader says ~20
# characters/s, 1.25 tokens (25 per s) per character; 0.8 is well below any real pace, so a
# stop before it is a skipped text, the failure the analyzer's EOS suppression prevents.
MIN_SPEECH_TOKENS_PER_TEXT_TOKEN = 0.8
# ... and, like the analyzer, only for texts of more than this many text tokens.
GUARD_MIN_TEXT_TOKENS = 5


@dataclass(frozen=True)
class Sampling:
    temperature: float
    cfg_weight: float
    repetition_penalty: float
    min_p: float
    top_p: float
    sampler: str = "multinomial"
    loop: T3Loop = LLAMA_LOOP  # the variant's own loop: processors, their order, top_k

    @classmethod
    def from_options(cls, options: SynthesisOptions, loop: T3Loop = LLAMA_LOOP) -> Sampling:
        """The profile's options as ``loop`` reads them (a loop without CFG has weight 0)."""
        return cls(
            temperature=options.temperature,
            cfg_weight=options.cfg_weight if "cfg" in loop.logits else 0.0,
            repetition_penalty=options.repetition_penalty,
            min_p=options.min_p,
            top_p=options.top_p,
            sampler=options.sampler,
            loop=loop,
        )


class Sampler:
    """Logits (R, V) of the last position -> next-token probabilities (B, V), as chatterbox.

    ``eos`` and ``min_tokens`` (B,) serve the multilingual guard; ``n`` (1,) is the number of
    tokens generated so far.
    """

    def __init__(self, sampling: Sampling, eos: int = -1, min_tokens: torch.Tensor | None = None) -> None:
        loop = sampling.loop
        self.cfg = sampling.cfg_weight > 0
        self.cfg_weight = sampling.cfg_weight
        self.temperature = sampling.temperature
        self.repetition = RepetitionPenaltyLogitsProcessor(penalty=float(sampling.repetition_penalty))
        self.min_p = MinPLogitsWarper(min_p=sampling.min_p)
        self.top_k = TopKLogitsWarper(top_k=loop.top_k) if loop.top_k > 0 else None
        # top_p = 1 removes nothing; skipping it saves a sort over the vocabulary per step.
        self.top_p = TopPLogitsWarper(top_p=sampling.top_p) if sampling.top_p < 1.0 else None
        self.sees_bos = loop.repetition_sees_bos
        self.eos = eos
        self.min_tokens = min_tokens
        steps = {
            "cfg": self._cfg, "guard": self.guard, "repetition": self._repetition,
            "temperature": self._temperature, "min_p": self._min_p, "top_k": self._top_k, "top_p": self._top_p,
        }
        self.steps = [steps[name] for name in loop.logits]

    def __call__(self, logits: torch.Tensor, ids: torch.Tensor, n: torch.Tensor | None = None) -> torch.Tensor:
        # ids: (B, L) tokens so far per chunk, BOS in slot 0, unused slots filled with a token
        # already in the set (neutral for the repetition penalty).
        logits = logits.float()
        for step in self.steps:
            logits = step(logits, ids, n)
        return torch.softmax(logits, dim=-1)

    def _cfg(self, logits, ids, n):
        if not self.cfg:
            return logits
        pair = logits.view(-1, 2, logits.shape[-1])  # (B, [cond, uncond], V)
        cond, uncond = pair[:, 0], pair[:, 1]
        return cond + self.cfg_weight * (cond - uncond)

    def _repetition(self, logits, ids, n):
        return self.repetition(ids if self.sees_bos else ids[:, 1:], logits)

    def _temperature(self, logits, ids, n):
        return logits / self.temperature if self.temperature != 1.0 else logits

    def _min_p(self, logits, ids, n):
        return self.min_p(ids, logits)

    def _top_k(self, logits, ids, n):
        return self.top_k(ids, logits) if self.top_k is not None else logits

    def _top_p(self, logits, ids, n):
        return self.top_p(ids, logits) if self.top_p is not None else logits

    def guard(self, logits: torch.Tensor, ids: torch.Tensor, n: torch.Tensor | None) -> torch.Tensor:
        """The multilingual alignment analyzer's rules that need no attention map, on the device.

        * EOS is suppressed while a chunk has fewer than ``min_tokens`` tokens (the analyzer
          suppresses it until its attention reaches the last text tokens);
        * when the last two tokens are the same, EOS is forced (the analyzer's
          ``token_repetition``, exactly).

        logits (B, V), ids (B, L), n (1,) tokens so far -> logits (B, V). No host sync: the
        decode loop sees the forced EOS at its next EOS check.
        """
        if n is None:  # the prefill: nothing generated yet
            n = torch.zeros(1, dtype=torch.long, device=logits.device)
        eos = torch.arange(logits.shape[-1], device=logits.device) == (self.eos % logits.shape[-1])  # (V,)
        early = (n < self.min_tokens)[:, None]  # (B, 1)
        logits = torch.where(early & eos, -FORCE_LOGIT, logits)
        where = n.view(1, 1).expand(ids.shape[0], 1)
        repeated = (ids.gather(1, where) == ids.gather(1, (where - 1).clamp(min=0))) & (where >= 2)  # (B, 1)
        forced = torch.where(eos, FORCE_LOGIT, -FORCE_LOGIT).to(logits.dtype)  # (V,)
        return torch.where(repeated, forced, logits)


def min_speech_tokens(n_text_tokens: int) -> int:
    """Speech tokens before the multilingual guard lets a chunk stop (see :data:`MIN_SPEECH_TOKENS_PER_TEXT_TOKEN`)."""
    if n_text_tokens <= GUARD_MIN_TEXT_TOKENS:
        return 0
    return int(MIN_SPEECH_TOKENS_PER_TEXT_TOKEN * n_text_tokens)


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

"""T3's sampling: logits -> probabilities exactly as chatterbox computes them, and two ways to
draw from them, neither of which depends on the other chunks in a batch.

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
    TopPLogitsWarper,
)

from ..config import SynthesisOptions

MASK32 = 0xFFFF_FFFF


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

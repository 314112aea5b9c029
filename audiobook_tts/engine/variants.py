"""The Chatterbox models we run, as data: one row per variant, no branches elsewhere.

Torch-free, so a checkpoint directory can be checked and a variant named before any model
library loads. Adding a model is adding a row (and the builders its row names).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError


@dataclass(frozen=True)
class CheckpointFiles:
    """File names in a checkpoint directory (as the hub repository and ``from_local`` have them)."""

    ve: str
    t3: str
    s3gen: str
    tokenizer: str

    def all(self) -> tuple[str, ...]:
        return (self.ve, self.t3, self.s3gen, self.tokenizer)


@dataclass(frozen=True)
class Variant:
    name: str
    repo_id: str  # Hugging Face hub repository of the released weights
    files: CheckpointFiles
    tokenizer: str  # text tokenizer class, by name in checkpoint.TOKENIZERS
    t3_config: str  # T3Config constructor (classmethod name) for the backbone
    cfg: bool  # T3 decodes a classifier-free-guidance pair of rows per chunk
    meanflow: bool  # S3Gen's decoder is the meanflow (few-step) one
    fast_t3: bool  # our static-cache T3 decode supports it
    fast_s3gen: bool  # our sync-free S3Gen path supports it


VARIANTS: dict[str, Variant] = {
    "standard": Variant(
        name="standard",
        repo_id="ResembleAI/chatterbox",
        files=CheckpointFiles(
            ve="ve.safetensors", t3="t3_cfg.safetensors", s3gen="s3gen.safetensors", tokenizer="tokenizer.json"
        ),
        tokenizer="en",
        t3_config="english_only",
        cfg=True,
        meanflow=False,
        fast_t3=True,
        fast_s3gen=True,
    ),
}


def get_variant(name: str) -> Variant:
    if name not in VARIANTS:
        raise ConfigError(f"model.variant must be one of {', '.join(VARIANTS)}, not {name!r}")
    return VARIANTS[name]

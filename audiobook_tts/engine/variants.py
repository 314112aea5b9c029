"""The Chatterbox models we run, as data: one row per variant, no branches elsewhere.

Torch-free, so a checkpoint directory can be checked and a variant named before any model
library loads. Adding a model is adding a row (and the builders its row names).

| variant | T3 backbone | CFG | S3Gen decoder | text | languages |
|---|---|---|---|---|---|
| standard | Llama 520M | yes | CFM, 10 steps | character BPE | en |
| turbo | GPT-2 medium (350M) | no | meanflow, 2 steps | GPT-2 BPE, paralinguistic tags | en |
| multilingual | Llama 520M | yes | CFM, 10 steps | graphemes + a language token | 23 |
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError


@dataclass(frozen=True)
class CheckpointFiles:
    """File names in a checkpoint directory (as the hub repository and ``from_local`` have them).

    ``ve``/``t3``/``s3gen`` are safetensors, or ``.pt`` state dicts read with
    ``torch.load(weights_only=True)``; ``tokenizer`` is the file its loader is given (or, for
    a tokenizer read from the whole directory, its vocabulary), ``extra`` what else it
    needs, ``optional`` files used when present.
    """

    ve: str
    t3: str
    s3gen: str
    tokenizer: str
    extra: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    def all(self) -> tuple[str, ...]:
        """The required files, in the order they are hashed into the model identity."""
        return (self.ve, self.t3, self.s3gen, self.tokenizer, *self.extra)


@dataclass(frozen=True)
class T3Loop:
    """chatterbox's own decoding loop for this T3, which our static-cache decode reproduces
    token for token (same embeddings fed, same logit processors in the same order)."""

    stock: str  # the T3 method chatterbox's generate() calls: "inference" or "inference_turbo"
    # T3.inference feeds the speech BOS (position 0) once more after the prompt's own BOS.
    second_bos: bool
    # Logit processors in chatterbox's order; names in t3_sampling.Sampler.
    logits: tuple[str, ...]
    # The repetition penalty counts the speech BOS among the tokens so far.
    repetition_sees_bos: bool = True
    top_k: int = 0  # chatterbox's top_k for this model (0: none)


# T3.inference: CFG pair, then repetition penalty, temperature, min_p, top_p.
LLAMA_LOOP = T3Loop(
    stock="inference", second_bos=True, logits=("cfg", "repetition", "temperature", "min_p", "top_p")
)

# ChatterboxMultilingualTTS.SUPPORTED_LANGUAGES (mtl_tts.py), written out here so that a
# language can be checked without loading chatterbox.
MULTILINGUAL_LANGUAGES = (
    "ar", "da", "de", "el", "en", "es", "fi", "fr", "he", "hi", "it", "ja", "ko", "ms", "nl", "no",
    "pl", "pt", "ru", "sv", "sw", "tr", "zh",
)


@dataclass(frozen=True)
class Variant:
    name: str
    repo_id: str  # Hugging Face hub repository of the released weights
    files: CheckpointFiles
    tokenizer: str  # text tokenizer, by name in engine/tokenize.py's TOKENIZERS
    t3_config: str  # T3Config builder, by name in arch.T3_CONFIGS
    cfg: bool  # T3 decodes a classifier-free-guidance pair of rows per chunk
    meanflow: bool  # S3Gen's decoder is the meanflow (few-step) one
    fast_t3: bool  # our static-cache T3 decode supports it
    fast_s3gen: bool  # our sync-free S3Gen path supports it
    # ISO 639-1 codes the model speaks; more than one: every chunk is synthesised with its
    # language (and the language is part of the chunk's identity).
    languages: tuple[str, ...] = ("en",)
    t3_loop: T3Loop = LLAMA_LOOP
    # Text normalisation before tokenising: the punc_norm of this chatterbox module.
    punc_norm: str = "chatterbox.tts"
    # T3's text is framed by [START]/[STOP] text ids (the GPT-2 tokenizer's text is not).
    frame_text: bool = True
    # Seconds of the voice sample T3's speech prompt is cut from (ENC_COND_LEN).
    t3_prompt_seconds: float = 6.0
    # The voice sample is loudness-normalised to this (LUFS) before conditioning; None: not.
    voice_lufs: float | None = None
    # S3GEN_SIL tokens appended to the speech tokens before S3Gen (Turbo's generate does).
    trailing_silence_tokens: int = 0
    # T3 layers and heads chatterbox's own loop needs: the multilingual alignment analyzer
    # reads heads 15, 11 and 2 of layers 12, 13 and 9, so a tiny random model keeps 14 x 16.
    t3_min_layers: int = 0
    t3_min_heads: int = 0
    # Submodules from_local deletes after loading (T3 is fed embeddings, never token ids).
    t3_unused: tuple[str, ...] = ()
    # The profile tuned for this variant on a CPU (the bench's default).
    cpu_profile: str = "cpu"

    @property
    def multilingual(self) -> bool:
        return len(self.languages) > 1


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
    "turbo": Variant(
        name="turbo",
        repo_id="ResembleAI/chatterbox-turbo",
        files=CheckpointFiles(
            ve="ve.safetensors", t3="t3_turbo_v1.safetensors", s3gen="s3gen_meanflow.safetensors",
            tokenizer="vocab.json", extra=("merges.txt", "tokenizer_config.json"),
            optional=("added_tokens.json", "special_tokens_map.json"),
        ),
        tokenizer="gpt2",
        t3_config="turbo",
        cfg=False,
        meanflow=True,
        fast_t3=True,
        fast_s3gen=True,
        # T3.inference_turbo: temperature, top_k, top_p, then the repetition penalty over the
        # generated tokens only.
        t3_loop=T3Loop(
            stock="inference_turbo", second_bos=False, logits=("temperature", "top_k", "top_p", "repetition"),
            repetition_sees_bos=False, top_k=1000,
        ),
        punc_norm="chatterbox.tts_turbo",
        frame_text=False,
        t3_prompt_seconds=15.0,
        voice_lufs=-27.0,
        trailing_silence_tokens=3,
        t3_unused=("tfmr.wte",),
        cpu_profile="turbo-cpu",
    ),
    "multilingual": Variant(
        name="multilingual",
        repo_id="ResembleAI/chatterbox",
        files=CheckpointFiles(
            ve="ve.pt", t3="t3_mtl23ls_v2.safetensors", s3gen="s3gen.pt",
            tokenizer="grapheme_mtl_merged_expanded_v1.json", optional=("Cangjie5_TC.json",),
        ),
        tokenizer="mtl",
        t3_config="multilingual",
        cfg=True,
        meanflow=False,
        fast_t3=True,
        fast_s3gen=True,
        languages=MULTILINGUAL_LANGUAGES,
        # T3.inference with its alignment analyzer: our "guard" keeps the analyzer's
        # attention-free rules on the device (t3_sampling.Sampler).
        t3_loop=T3Loop(
            stock="inference", second_bos=True,
            logits=("cfg", "guard", "repetition", "temperature", "min_p", "top_p"),
        ),
        punc_norm="chatterbox.mtl_tts",
        t3_min_layers=14,
        t3_min_heads=16,
        cpu_profile="multilingual-cpu",
    ),
}


def get_variant(name: str) -> Variant:
    if name not in VARIANTS:
        raise ConfigError(f"model.variant must be one of {', '.join(VARIANTS)}, not {name!r}")
    return VARIANTS[name]

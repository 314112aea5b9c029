"""Chatterbox's three networks at stock size, or smaller instances of the same classes.

A checkpoint we write records its :class:`Arch` in the safetensors metadata; a checkpoint
without one (the Hugging Face weights) is the stock architecture. The tiny architecture
exists so that tests and benchmarks of the plumbing run in seconds on a CPU.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import torch
from chatterbox.models.s3gen import S3Gen
from chatterbox.models.s3gen.configs import CFM_PARAMS
from chatterbox.models.s3gen.decoder import ConditionalDecoder
from chatterbox.models.s3gen.f0_predictor import ConvRNNF0Predictor
from chatterbox.models.s3gen.flow import CausalMaskedDiffWithXvec
from chatterbox.models.s3gen.flow_matching import CausalConditionalCFM
from chatterbox.models.s3gen.hifigan import HiFTGenerator
from chatterbox.models.s3gen.transformer.upsample_encoder import (
    PreLookaheadLayer,
    Upsample1D,
    UpsampleConformerEncoder,
)
from chatterbox.models.s3gen.xvector import CAMPPlus
from chatterbox.models.t3 import T3
from chatterbox.models.t3.llama_configs import LLAMA_CONFIGS
from chatterbox.models.t3.modules.perceiver import Perceiver
from chatterbox.models.t3.modules.t3_config import T3Config
from chatterbox.models.voice_encoder import VoiceEncConfig, VoiceEncoder
from s3tokenizer.model_v2 import AudioEncoderV2, FSQVectorQuantization

from ..constants import SAMPLE_RATE_HZ, SPEECH_VOCAB_SIZE

# safetensors metadata key holding ``Arch.to_json()`` in every checkpoint file we write.
ARCH_METADATA_KEY = "audiobook_tts.arch"


@dataclass(frozen=True)
class Arch:
    """Sizes of a reduced Chatterbox; every field keeps chatterbox's class and wiring."""

    name: str
    # T3 (Llama backbone + conditioning encoder)
    t3_hidden: int
    t3_layers: int
    t3_heads: int
    t3_intermediate: int
    t3_cond_prompt_len: int
    perceiver_heads: int
    # voice encoder (3-layer LSTM)
    ve_hidden: int
    # S3Gen: speech tokenizer, speaker encoder (CAMPPlus), flow encoder/estimator, HiFT
    tokenizer_state: int
    tokenizer_heads: int
    tokenizer_layers: int
    campplus_growth: int
    campplus_init_channels: int
    flow_dim: int
    flow_heads: int
    flow_linear_units: int
    flow_blocks: int
    estimator_channels: int
    estimator_head_dim: int
    estimator_heads: int
    estimator_blocks: int
    estimator_mid_blocks: int
    hift_channels: int

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Arch:
        return cls(**json.loads(text))


TINY = Arch(
    name="tiny",
    t3_hidden=64,
    t3_layers=2,
    t3_heads=4,
    t3_intermediate=128,
    t3_cond_prompt_len=50,
    perceiver_heads=4,
    ve_hidden=32,
    tokenizer_state=64,
    tokenizer_heads=1,  # AudioEncoderV2 hard-codes 64-dim rotary heads
    tokenizer_layers=1,
    campplus_growth=8,
    campplus_init_channels=16,
    flow_dim=64,
    flow_heads=2,
    flow_linear_units=128,
    flow_blocks=1,
    estimator_channels=64,
    estimator_head_dim=16,
    estimator_heads=2,
    estimator_blocks=1,
    estimator_mid_blocks=1,
    hift_channels=32,
)


def build_voice_encoder(arch: Arch | None) -> VoiceEncoder:
    hp = VoiceEncConfig()
    if arch is not None:
        hp.ve_hidden_size = arch.ve_hidden
    return VoiceEncoder(hp)


def turbo_config() -> T3Config:
    """Turbo's T3 hyper-parameters, as ``ChatterboxTurboTTS.from_local`` sets them."""
    hp = T3Config(text_tokens_dict_size=50276)
    hp.llama_config_name = "GPT2_medium"
    hp.speech_tokens_dict_size = 6563
    hp.input_pos_emb = None
    hp.speech_cond_prompt_len = 375
    hp.use_perceiver_resampler = False
    hp.emotion_adv = False
    return hp


# Variant.t3_config -> the T3Config its checkpoints were trained with.
T3_CONFIGS = {
    "english_only": T3Config.english_only,
    "multilingual": T3Config.multilingual,
    "turbo": turbo_config,
}


def _backbone_config_name(arch: Arch, stock_name: str) -> str:
    """Register the reduced backbone (Llama or GPT-2) in chatterbox's table, where T3 looks it up."""
    stock = LLAMA_CONFIGS[stock_name]
    name = f"audiobook_tts_{arch.name}_{stock_name}_{arch.t3_hidden}x{arch.t3_layers}x{arch.t3_heads}"
    if stock.get("model_type") == "gpt2":
        sizes = {
            "n_embd": arch.t3_hidden, "hidden_size": arch.t3_hidden, "n_layer": arch.t3_layers,
            "n_head": arch.t3_heads, "n_inner": arch.t3_intermediate,
        }
    else:
        sizes = {
            "hidden_size": arch.t3_hidden,
            "intermediate_size": arch.t3_intermediate,
            "num_hidden_layers": arch.t3_layers,
            "num_attention_heads": arch.t3_heads,
            "num_key_value_heads": arch.t3_heads,
            "head_dim": arch.t3_hidden // arch.t3_heads,
        }
    LLAMA_CONFIGS.setdefault(name, {**stock, **sizes})
    return name


def build_t3(arch: Arch | None, config: str = "english_only") -> T3:
    """T3 with the backbone ``T3_CONFIGS[config]`` describes, at stock size or ``arch``'s."""
    hp = T3_CONFIGS[config]()
    if arch is None:
        return T3(hp)
    hp.llama_config_name = _backbone_config_name(arch, hp.llama_config_name)
    hp.speech_cond_prompt_len = arch.t3_cond_prompt_len
    t3 = T3(hp)
    if t3.cond_enc.perceiver is not None:
        # T3CondEnc always builds a 1024-wide Perceiver; give it the backbone's width.
        t3.cond_enc.perceiver = Perceiver(
            pre_attention_query_size=arch.t3_hidden,
            embedding_dim=arch.t3_hidden,
            num_attn_heads=arch.perceiver_heads,
        )
    return t3


def build_s3gen(arch: Arch | None, meanflow: bool = False) -> S3Gen:
    """S3Gen (with Turbo's meanflow estimator if ``meanflow``) at stock size or ``arch``'s."""
    if arch is None:
        return S3Gen(meanflow=meanflow)
    # S3Gen hard-codes its submodules' sizes: build the skeleton without memory, then put
    # smaller instances of the same classes in every child.
    with torch.device("meta"):
        s3gen = S3Gen(meanflow=meanflow)
    tokenizer = s3gen.tokenizer
    tokenizer.encoder = AudioEncoderV2(
        tokenizer.config.n_mels, arch.tokenizer_state, arch.tokenizer_heads, arch.tokenizer_layers, 2, False
    )
    tokenizer.quantizer = FSQVectorQuantization(arch.tokenizer_state, SPEECH_VOCAB_SIZE)
    tokenizer.window = torch.hann_window(tokenizer.n_fft)
    s3gen.speaker_encoder = CAMPPlus(
        growth_rate=arch.campplus_growth, init_channels=arch.campplus_init_channels, memory_efficient=False
    )
    encoder = UpsampleConformerEncoder(
        input_size=arch.flow_dim,
        output_size=arch.flow_dim,
        attention_heads=arch.flow_heads,
        linear_units=arch.flow_linear_units,
        num_blocks=arch.flow_blocks,
        input_layer="linear",
        pos_enc_layer_type="rel_pos_espnet",
        selfattention_layer_type="rel_selfattn",
        use_cnn_module=False,
        macaron_style=False,
    )
    # Both are built 512 wide whatever output_size says.
    encoder.pre_lookahead_layer = PreLookaheadLayer(channels=arch.flow_dim, pre_lookahead_len=3)
    encoder.up_layer = Upsample1D(channels=arch.flow_dim, out_channels=arch.flow_dim, stride=2)
    estimator = ConditionalDecoder(
        in_channels=320,
        out_channels=80,
        causal=True,
        channels=[arch.estimator_channels],
        attention_head_dim=arch.estimator_head_dim,
        n_blocks=arch.estimator_blocks,
        num_mid_blocks=arch.estimator_mid_blocks,
        num_heads=arch.estimator_heads,
        act_fn="gelu",
        meanflow=meanflow,
    )
    s3gen.flow = CausalMaskedDiffWithXvec(
        input_size=arch.flow_dim,
        encoder=encoder,
        decoder=CausalConditionalCFM(spk_emb_dim=80, cfm_params=CFM_PARAMS, estimator=estimator),
    )
    s3gen.mel2wav = HiFTGenerator(
        sampling_rate=SAMPLE_RATE_HZ,
        base_channels=arch.hift_channels,
        upsample_rates=[8, 5, 3],
        upsample_kernel_sizes=[16, 11, 7],
        source_resblock_kernel_sizes=[7, 7, 11],
        source_resblock_dilation_sizes=[[1, 3, 5], [1, 3, 5], [1, 3, 5]],
        f0_predictor=ConvRNNF0Predictor(cond_channels=arch.hift_channels),
    )
    # The one buffer S3Token2Wav.__init__ computes (not saved in checkpoints): silence the
    # first 20 ms, then fade in over 20 ms.
    n_trim = SAMPLE_RATE_HZ // 50  # 20 ms
    trim_fade = torch.zeros(2 * n_trim)
    trim_fade[n_trim:] = (torch.cos(torch.linspace(torch.pi, 0, n_trim)) + 1) / 2
    s3gen.trim_fade = trim_fade
    leftover = [name for name, t in [*s3gen.named_parameters(), *s3gen.named_buffers()] if t.is_meta]
    if leftover:
        raise RuntimeError(f"tiny S3Gen still has unbuilt tensors: {', '.join(leftover[:5])}")
    return s3gen

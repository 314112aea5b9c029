"""``verify.model = "tiny-random"``: a random-weight Whisper written by us, in CTranslate2 format.

No Whisper weights can be downloaded in tests, so, as the engine does for Chatterbox, we
write a model of the real architecture with random weights: a tiny transformers
``WhisperForConditionalGeneration`` (2+2 layers, width 64) with a byte-level tokenizer (the
256 bytes and Whisper's special tokens), converted by CTranslate2's own converter and loaded
by faster-whisper's real loader. Everything runs as with a real model: batched decoding,
word timestamps, scoring, retakes; only what it hears is nonsense (a few lower-case letters:
every other token's embedding is zero, so greedy decoding never picks one), so every take
fails, and it never says the end token, so each take costs the decoding cap.
``small-random`` has the layout and size of Whisper "small" (a 51 865-token vocabulary, so
faster-whisper takes its multilingual path): for measuring what listening costs where no
weights can be downloaded (an upper bound: a real model stops at the end of the words).

torch and transformers are imported here only, when the model is first written (a few
seconds, once per cache directory).
"""

from __future__ import annotations

import json
import logging
import shutil
import string
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

TINY_RANDOM = "tiny-random"
# Bump when the weights, tokenizer or layout change, so an old cached model is not reused.
RANDOM_VERSION = "v1"
RANDOM_SEED = 1234
# Whisper's special tokens, in its own order after the text tokens (English-only layout).
SPECIAL_TOKENS = (
    "<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|translate|>", "<|transcribe|>",
    "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>",
)
# Whisper's timestamp tokens <|0.00|> ... <|30.00|>, after the special ones.
TIMESTAMP_TOKENS = 1501
# The only tokens the random model can say: lower-case letters and the space.
SPOKEN = string.ascii_lowercase
# Whisper's fixed sizes: 80 mel bins, 1500 encoder positions (30 s), 448 decoder positions.
N_MELS = 80
ENCODER_POSITIONS = 1500
DECODER_POSITIONS = 448
# The files faster-whisper loads from a model directory.
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")


@dataclass(frozen=True)
class RandomWhisper:
    width: int
    layers: int  # encoder and decoder each
    heads: int
    ffn: int
    vocab: int | None  # None: just the tokenizer's tokens and the timestamps
    quantization: str | None  # how CTranslate2 stores the weights (None: as they are, fp32)


RANDOM_WHISPERS = {
    TINY_RANDOM: RandomWhisper(width=64, layers=2, heads=2, ffn=128, vocab=None, quantization=None),
    "small-random": RandomWhisper(width=768, layers=12, heads=12, ffn=3072, vocab=51_865, quantization="float16"),
}


def random_directory(name: str, cache_dir: Path) -> Path:
    """The directory of the random model ``name`` under the cache, written on first use."""
    directory = Path(cache_dir) / "models" / f"whisper-{name}-{RANDOM_VERSION}"
    if not all((directory / file).is_file() for file in MODEL_FILES):
        write_random_whisper(directory, RANDOM_WHISPERS[name])
    return directory


def write_random_whisper(directory: Path, size: RandomWhisper = RANDOM_WHISPERS[TINY_RANDOM]) -> Path:
    """Write the model to ``directory`` (through a temporary sibling, renamed when complete)."""
    import ctranslate2
    import torch
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    directory = Path(directory)
    work = directory.with_name(f".{directory.name}.partial")
    shutil.rmtree(work, ignore_errors=True)
    hf = work / "transformers"
    hf.mkdir(parents=True)

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {ch: i for i, ch in enumerate(alphabet)}
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens(list(SPECIAL_TOKENS))
    tokenizer.save(str(hf / "tokenizer.json"))
    (hf / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "WhisperTokenizer", "model_max_length": DECODER_POSITIONS,
        "bos_token": SPECIAL_TOKENS[0], "eos_token": SPECIAL_TOKENS[0], "unk_token": SPECIAL_TOKENS[0],
    }))

    end_of_text = len(alphabet)  # the first special token, right after the text tokens
    config = transformers.WhisperConfig(
        # A larger vocabulary is padded by the converter with more timestamp-like tokens.
        vocab_size=size.vocab or tokenizer.get_vocab_size() + TIMESTAMP_TOKENS, num_mel_bins=N_MELS,
        d_model=size.width, encoder_layers=size.layers, decoder_layers=size.layers,
        encoder_attention_heads=size.heads, decoder_attention_heads=size.heads,
        encoder_ffn_dim=size.ffn, decoder_ffn_dim=size.ffn,
        max_source_positions=ENCODER_POSITIONS, max_target_positions=DECODER_POSITIONS,
        pad_token_id=end_of_text, bos_token_id=end_of_text, eos_token_id=end_of_text,
        decoder_start_token_id=end_of_text + 1, suppress_tokens=[], begin_suppress_tokens=[end_of_text],
    )
    torch.manual_seed(RANDOM_SEED)
    transformers.utils.logging.disable_progress_bar()
    model = transformers.WhisperForConditionalGeneration(config)
    spoken = [vocab[ch] for ch in SPOKEN] + [vocab["Ġ"]]  # "Ġ" is the byte-level space
    silent = torch.ones(config.vocab_size, dtype=torch.bool)
    silent[spoken] = False
    with torch.no_grad():
        # The output projection shares these weights: a zero row is a zero logit, below the
        # best of the random ones, so only the spoken tokens are ever chosen.
        model.model.decoder.embed_tokens.weight[silent] = 0.0
    model.save_pretrained(hf)

    converter = ctranslate2.converters.TransformersConverter(str(hf), copy_files=["tokenizer.json"])
    converter.convert(str(work / "ct2"), quantization=size.quantization, force=True)
    shutil.rmtree(directory, ignore_errors=True)
    directory.parent.mkdir(parents=True, exist_ok=True)
    (work / "ct2").rename(directory)
    shutil.rmtree(work, ignore_errors=True)
    logger.info("wrote a random Whisper (%s) to %s", size, directory)
    return directory

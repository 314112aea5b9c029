"""Text -> T3 text tokens for each variant, and the tokenizer files of a random checkpoint.

One row per tokenizer (``Variant.tokenizer``): how it is read from a checkpoint directory, how
it encodes a normalised text in a language, and how a small stand-in in the same file layout
is written for random-weight checkpoints. The normalisation is chatterbox's own ``punc_norm``
of the variant's module, so a text tokenises exactly as the stock ``generate`` does.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from chatterbox.models.tokenizers import EnTokenizer, MTLTokenizer
from chatterbox.models.tokenizers.tokenizer import EOT, SOT, SPECIAL_TOKENS, UNK, ChineseCangjieConverter

from ..errors import ModelError
from .variants import MULTILINGUAL_LANGUAGES, Variant

# T3's text ids for start/stop (T3Config.start_text_token / stop_text_token).
START_TEXT_ID = 255
# The characters of the random English tokenizer (its bytes are part of the standard tiny
# model's identity: do not change them).
EN_CHARS = tuple(chr(c) for c in range(33, 127)) + tuple(
    chr(c) for c in range(0xC0, 0x180) if c not in (0xD7, 0xF7)
)
# The random multilingual tokenizer: lower case, NFKD-decomposed letters of the 23 scripts
# (combining marks apart), Hangul jamo (chatterbox decomposes syllables), kana, Cangjie
# codes; ~1700 symbols, below T3Config.multilingual()'s 2454 text ids.
MTL_RANGES = (
    (0x21, 0x7F), (0xA1, 0x180), (0x300, 0x370), (0x370, 0x400), (0x400, 0x530), (0x590, 0x600),
    (0x600, 0x700), (0x900, 0x980), (0x1100, 0x1200), (0x3040, 0x3100), (0x3001, 0x3003), (0xFF01, 0xFF20),
)
CANGJIE_TOKENS = tuple(f"[cj_{c}]" for c in "abcdefghijklmnopqrstuvwxyz.")
CANGJIE_FILE = "Cangjie5_TC.json"
# The random GPT-2 tokenizer: byte-level BPE with a few merges, plus Turbo's paralinguistic
# tags as added tokens (the released tokenizer has 50276 entries; the tiny one ~270).
GPT2_END = "<|endoftext|>"
GPT2_MERGES = (("h", "e"), ("Ġ", "t"), ("Ġt", "he"), ("i", "n"), ("Ġ", "a"), ("e", "r"), ("o", "n"))
PARALINGUISTIC_TAGS = (
    "[clear throat]", "[sigh]", "[shush]", "[cough]", "[groan]", "[sniff]", "[gasp]", "[chuckle]", "[laugh]",
)


@dataclass(frozen=True)
class TextTokenizer:
    load: Callable[[Path, Variant], Any]  # checkpoint directory -> tokenizer
    encode: Callable[[Any, str, str], torch.Tensor]  # (tokenizer, normalised text, language) -> (1, N)
    write: Callable[[Path, Variant], None]  # a small tokenizer in the same layout, into a directory


# ---- English (standard): chatterbox's character BPE -------------------------------------


def _en_json(chars: tuple[str, ...] = EN_CHARS, added: tuple[str, ...] = ()) -> str:
    """A character-level tokenizer in the layout EnTokenizer/MTLTokenizer read."""
    from tokenizers import Tokenizer
    from tokenizers.models import BPE

    specials = [EOT, UNK] + [t for t in SPECIAL_TOKENS if t not in (SOT, EOT, UNK)]
    tokens = specials + list(added) + list(chars)
    ids = [i for i in range(len(tokens) + 1) if i != START_TEXT_ID]
    vocab = dict(zip(tokens, ids, strict=False))  # [STOP] -> 0, as T3Config.stop_text_token expects
    vocab[SOT] = START_TEXT_ID
    tokenizer = Tokenizer(BPE(vocab=vocab, merges=[], unk_token=UNK))
    tokenizer.add_special_tokens(list(SPECIAL_TOKENS) + list(added))
    return tokenizer.to_str(pretty=True)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _write_en(directory: Path, variant: Variant) -> None:
    _write_text(directory / variant.files.tokenizer, _en_json())


# ---- Multilingual: graphemes with a language token ------------------------------------------


class _LocalCangjie(ChineseCangjieConverter):
    """chatterbox's Cangjie converter, reading Cangjie5_TC.json from the checkpoint directory
    (chatterbox downloads it from the hub at every tokenizer construction)."""

    def _load_cangjie_mapping(self, model_dir=None):
        path = Path(model_dir) / CANGJIE_FILE
        if not path.is_file():
            return  # Chinese characters then reach the tokenizer unconverted
        for entry in json.loads(path.read_text(encoding="utf-8")):
            word, code = entry.split("\t")[:2]
            self.word2cj[word] = code
            self.cj2word.setdefault(code, []).append(word)


class _LocalMTLTokenizer(MTLTokenizer):
    def __init__(self, vocab_file_path: str) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(vocab_file_path)
        self.cangjie_converter = _LocalCangjie(Path(vocab_file_path).parent)
        self.check_vocabset_sot_eot()


def _write_mtl(directory: Path, variant: Variant) -> None:
    chars = tuple(chr(c) for lo, hi in MTL_RANGES for c in range(lo, hi) if not chr(c).isupper())
    languages = tuple(f"[{code}]" for code in MULTILINGUAL_LANGUAGES)
    _write_text(directory / variant.files.tokenizer, _en_json(chars, languages + CANGJIE_TOKENS))


# ---- Turbo: GPT-2 byte-level BPE, read with AutoTokenizer -------------------------------------


def _load_gpt2(directory: Path, variant: Variant):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(directory))
    if tokenizer.pad_token is None:  # as ChatterboxTurboTTS.from_local
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _encode_gpt2(tokenizer, text: str, language: str) -> torch.Tensor:
    return tokenizer(text, return_tensors="pt", padding=True, truncation=True).input_ids


def _write_gpt2(directory: Path, variant: Variant) -> None:
    from tokenizers import pre_tokenizers

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {token: i for i, token in enumerate([*alphabet, *(a + b for a, b in GPT2_MERGES), GPT2_END])}
    added = {tag: len(vocab) + i for i, tag in enumerate(PARALINGUISTIC_TAGS)}
    config = {
        "tokenizer_class": "GPT2Tokenizer", "model_max_length": 8196, "add_prefix_space": False,
        "bos_token": GPT2_END, "eos_token": GPT2_END, "unk_token": GPT2_END,
    }
    files = {
        "vocab.json": json.dumps(vocab, ensure_ascii=False, indent=1),
        "merges.txt": "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in GPT2_MERGES),
        "tokenizer_config.json": json.dumps(config, indent=1),
        "added_tokens.json": json.dumps(added, indent=1),
        "special_tokens_map.json": json.dumps({k: GPT2_END for k in ("bos_token", "eos_token", "unk_token")}),
    }
    for name, text in files.items():
        _write_text(directory / name, text)


TOKENIZERS = {
    "en": TextTokenizer(
        load=lambda d, v: EnTokenizer(str(d / v.files.tokenizer)),
        encode=lambda tok, text, language: tok.text_to_tokens(text),
        write=_write_en,
    ),
    "mtl": TextTokenizer(
        load=lambda d, v: _LocalMTLTokenizer(str(d / v.files.tokenizer)),
        encode=lambda tok, text, language: tok.text_to_tokens(text, language_id=language.lower()),
        write=_write_mtl,
    ),
    "gpt2": TextTokenizer(load=_load_gpt2, encode=_encode_gpt2, write=_write_gpt2),
}


def load_tokenizer(directory: Path, variant: Variant):
    try:
        return TOKENIZERS[variant.tokenizer].load(directory, variant)
    except Exception as exc:  # tokenizers/transformers raise bare Exception subclasses on bad files
        raise ModelError(f"cannot read the tokenizer in {directory} ({variant.files.tokenizer}): {exc}") from None


def punc_norm(variant: Variant) -> Callable[[str], str]:
    """chatterbox's text clean-up for the variant (each model module has its own)."""
    return importlib.import_module(variant.punc_norm).punc_norm


def text_to_tokens(tokenizer, text: str, t3, variant: Variant, language: str = "en") -> torch.Tensor:
    """chatterbox's normalisation and tokenisation for ``variant`` -> (1, N) long; framed by
    [START]/[STOP] where its generate() frames them."""
    tokens = TOKENIZERS[variant.tokenizer].encode(tokenizer, punc_norm(variant)(text), language).long()
    if variant.frame_text:
        tokens = F.pad(tokens, (1, 0), value=t3.hp.start_text_token)
        tokens = F.pad(tokens, (0, 1), value=t3.hp.stop_text_token)
    return tokens

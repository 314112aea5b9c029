"""Where the weights come from, what they are called, and how they become modules.

Every source ends as a directory in the variant's layout (``Variant.files``) that
:func:`load_models` reads: ``hub`` (the Hugging Face cache), ``dir`` (the user's),
``tiny``/``full`` (random weights we write once under ``<cache>/models/``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from chatterbox.models.s3gen import S3Gen
from chatterbox.models.t3 import T3
from chatterbox.models.tokenizers import EnTokenizer
from chatterbox.models.tokenizers.tokenizer import EOT, SOT, SPECIAL_TOKENS, UNK
from chatterbox.models.voice_encoder import VoiceEncoder
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from ..config import ModelOptions
from ..constants import SPEECH_VOCAB_SIZE
from ..errors import ModelError
from .arch import ARCH_METADATA_KEY, TINY, Arch, build_s3gen, build_t3, build_voice_encoder
from .variants import VARIANTS, Variant, get_variant

logger = logging.getLogger(__name__)

# Variant.tokenizer -> the chatterbox class that reads its tokenizer file.
TOKENIZERS = {"en": EnTokenizer}
STANDARD = VARIANTS["standard"]
CHECKPOINT_FILES = STANDARD.files.all()
RANDOM_SIZES = {"tiny": TINY, "full": None}
# Bump when the random weights or their layout change, so old cache directories are ignored.
RANDOM_CHECKPOINT_VERSION = "v1"
RANDOM_SEED = 1234
# Marks a stock-size random checkpoint (a reduced one records its Arch instead).
VARIANT_METADATA_KEY = "audiobook_tts.variant"
# A random model's speech logits get this standard deviation (in nats) so that min_p
# filtering removes the zeroed special-token rows (EOS included): it never stops early.
RANDOM_SPEECH_LOGIT_STD = 2.0
# Bytes hashed from each end of every file for the model identity: enough to tell two
# trainings apart without reading gigabytes at every start.
IDENTITY_SAMPLE_BYTES = 1 << 20
# T3's text ids for start/stop (T3Config.start_text_token / stop_text_token).
START_TEXT_ID = 255
# Buffers chatterbox's S3Gen checkpoints leave out: they are computed in __init__.
S3GEN_UNSAVED = ("tokenizer._mel_filters", "tokenizer.window")


@dataclass(frozen=True)
class Checkpoint:
    directory: Path
    source: str
    model_id: str
    variant: Variant


@dataclass
class Models:
    """The four parts of Chatterbox, on CPU in float32 until the engine places them."""

    ve: VoiceEncoder
    t3: T3
    s3gen: S3Gen
    tokenizer: EnTokenizer


def resolve_checkpoint(options: ModelOptions, cache_dir: Path) -> Checkpoint:
    """Turn the model options into a complete checkpoint directory (writing it if random)."""
    variant = get_variant(options.variant)
    files = variant.files.all()
    if options.source == "hub":
        directory = _hub_directory(options.repo_id or variant.repo_id, files)
    elif options.source == "dir":
        directory = Path(options.dir).expanduser()
        check_directory(directory, files)
    else:
        directory = cache_dir / "models" / f"random-{options.source}-{RANDOM_CHECKPOINT_VERSION}"
        if not all((directory / name).is_file() for name in files):
            write_random_checkpoint(directory, options.source, variant)
    return Checkpoint(
        directory=directory, source=options.source, model_id=model_identity(directory, files), variant=variant
    )


def check_directory(directory: Path, files: tuple[str, ...] = CHECKPOINT_FILES) -> None:
    if not directory.is_dir():
        raise ModelError(f"model directory not found: {directory}")
    missing = [name for name in files if not (directory / name).is_file()]
    if missing:
        raise ModelError(f"model directory {directory} lacks {', '.join(missing)}")


def _hub_resolvable() -> bool:
    """Can the hub's host name be resolved at all? A machine without network says no at once."""
    import socket
    from urllib.parse import urlparse

    from huggingface_hub import constants

    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        socket.getaddrinfo(host, 443)
    except OSError:
        return False
    return True


def _hub_directory(repo_id: str, files: tuple[str, ...]) -> Path:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    offline = ModelError(
        f"Chatterbox weights ({repo_id}) are not in the Hugging Face cache and cannot be "
        "downloaded offline: run once with network access, or pass --model-dir DIR "
        f"holding {', '.join(files)}"
    )
    paths = []
    for name in files:
        try:
            # The cache first: a cached model must not wait on network retries.
            path = hf_hub_download(repo_id=repo_id, filename=name, local_files_only=True)
        except LocalEntryNotFoundError:
            if not _hub_resolvable():
                raise offline from None  # not half a minute of huggingface_hub's retries first
            try:
                path = hf_hub_download(repo_id=repo_id, filename=name)
            except LocalEntryNotFoundError:
                raise offline from None
            except (HfHubHTTPError, OSError) as exc:
                first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ModelError(f"cannot download {name} from {repo_id}: {first_line}") from None
        paths.append(Path(path))
    # hf_hub_download puts every file of one revision in the same snapshot directory.
    return paths[0].parent


def model_identity(directory: Path, files: tuple[str, ...] = CHECKPOINT_FILES) -> str:
    """A short hash of the files' names, sizes, safetensors headers and both ends."""
    digest = hashlib.sha256()
    for name in files:
        path = directory / name
        size = path.stat().st_size
        digest.update(f"{name}\0{size}\0".encode())
        with path.open("rb") as fh:
            digest.update(fh.read(IDENTITY_SAMPLE_BYTES))
            if size > 2 * IDENTITY_SAMPLE_BYTES:
                fh.seek(size - IDENTITY_SAMPLE_BYTES)
                digest.update(fh.read())
    return f"chatterbox-{digest.hexdigest()[:16]}"


def _file_arch(path: Path) -> Arch | None:
    with safe_open(str(path), framework="pt") as fh:
        text = (fh.metadata() or {}).get(ARCH_METADATA_KEY)
    return Arch.from_json(text) if text else None


def _load_state(
    module: torch.nn.Module, path: Path, allowed_missing: tuple[str, ...] = (), allow_unexpected: bool = False
) -> None:
    try:
        state = load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise ModelError(f"cannot read {path}: {exc}") from None
    try:
        missing, unexpected = module.load_state_dict(state, strict=False)
    except RuntimeError as exc:
        detail = str(exc).strip().splitlines()
        raise ModelError(f"{path} does not fit the Chatterbox architecture: {detail[-1].strip()}") from None
    missing = [key for key in missing if key not in allowed_missing]
    if allow_unexpected and unexpected:
        logger.info("%s: ignoring %d weights the model does not use (e.g. %s)", path, len(unexpected), unexpected[0])
        unexpected = []
    if missing or unexpected:
        keys = ", ".join((missing or unexpected)[:3])
        kind = "lacks" if missing else "has unknown"
        raise ModelError(f"{path} does not fit the Chatterbox architecture: it {kind} {keys}")


def load_models(directory: Path, variant: Variant = STANDARD) -> Models:
    """Build each network at the size its file records and load its weights (CPU, fp32)."""
    files = variant.files
    ve = build_voice_encoder(_file_arch(directory / files.ve))
    _load_state(ve, directory / files.ve)
    t3 = build_t3(_file_arch(directory / files.t3), variant.t3_config)
    _load_state(t3, directory / files.t3)
    s3gen = build_s3gen(_file_arch(directory / files.s3gen))
    # chatterbox itself loads S3Gen with strict=False: released checkpoints may carry weights
    # of parts this class does not build. Missing weights are still an error.
    _load_state(s3gen, directory / files.s3gen, allowed_missing=S3GEN_UNSAVED, allow_unexpected=True)
    try:
        tokenizer = TOKENIZERS[variant.tokenizer](str(directory / files.tokenizer))
    except Exception as exc:  # tokenizers raises bare Exception subclasses on bad JSON
        raise ModelError(f"cannot read {directory / files.tokenizer}: {exc}") from None
    for module in (ve, t3, s3gen):
        module.eval()
    return Models(ve=ve, t3=t3, s3gen=s3gen, tokenizer=tokenizer)


def _tokenizer_json() -> str:
    """A character-level tokenizer in the layout EnTokenizer reads (vocabulary < 704)."""
    from tokenizers import Tokenizer
    from tokenizers.models import BPE

    chars = [chr(c) for c in range(33, 127)] + [chr(c) for c in range(0xC0, 0x180) if c not in (0xD7, 0xF7)]
    tokens = [EOT, UNK] + [t for t in SPECIAL_TOKENS if t not in (SOT, EOT, UNK)] + chars
    ids = [i for i in range(len(tokens) + 1) if i != START_TEXT_ID]
    vocab = dict(zip(tokens, ids, strict=False))  # [STOP] -> 0, as T3Config.stop_text_token expects
    vocab[SOT] = START_TEXT_ID
    tokenizer = Tokenizer(BPE(vocab=vocab, merges=[], unk_token=UNK))
    tokenizer.add_special_tokens(list(SPECIAL_TOKENS))
    return tokenizer.to_str(pretty=True)


def _never_stopping_head(t3: T3, generator: torch.Generator) -> None:
    """Random speech logits for real S3 tokens, zero for T3's special ids (EOS included)."""
    weight = t3.speech_head.weight  # (8194, hidden)
    std = RANDOM_SPEECH_LOGIT_STD / weight.shape[1] ** 0.5
    with torch.no_grad():
        weight.zero_()
        weight[:SPEECH_VOCAB_SIZE] = torch.randn(SPEECH_VOCAB_SIZE, weight.shape[1], generator=generator) * std


def write_random_checkpoint(directory: Path, size: str, variant: Variant = STANDARD) -> Path:
    """Write deterministic random weights of ``size`` ("tiny" or "full") into ``directory``.

    The model runs every chunk to its token cap, the worst case for speed.
    """
    if size not in RANDOM_SIZES:
        raise ModelError(f"unknown random model size {size!r} (known: {', '.join(RANDOM_SIZES)})")
    arch = RANDOM_SIZES[size]
    directory.mkdir(parents=True, exist_ok=True)
    # One key only: safetensors writes several in hash order, which would change the bytes.
    if arch is None:
        metadata = {VARIANT_METADATA_KEY: f"{size}-{RANDOM_CHECKPOINT_VERSION}"}
    else:
        metadata = {ARCH_METADATA_KEY: arch.to_json()}
    torch.manual_seed(RANDOM_SEED)
    generator = torch.Generator().manual_seed(RANDOM_SEED)
    files = variant.files
    modules = {
        files.ve: build_voice_encoder(arch),
        files.t3: build_t3(arch, variant.t3_config),
        files.s3gen: build_s3gen(arch),
    }
    _never_stopping_head(modules[files.t3], generator)
    # Write to temporary names and rename, so an interrupted run never leaves a file that
    # looks complete.
    for name, module in modules.items():
        state = {k: v.contiguous() for k, v in module.state_dict().items()}
        tmp = directory / f".{name}.partial"
        save_file(state, str(tmp), metadata=metadata)
        tmp.replace(directory / name)
    tmp = directory / f".{files.tokenizer}.partial"
    tmp.write_text(_tokenizer_json(), encoding="utf-8")
    tmp.replace(directory / files.tokenizer)
    return directory

"""Where the weights come from, what they are called, and how they become modules.

Every source ends as a directory in the variant's layout (``Variant.files``) that
:func:`load_models` reads: ``hub`` (the Hugging Face cache), ``dir`` (the user's),
``tiny``/``full`` (random weights we write once under ``<cache>/models/``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from chatterbox.models.s3gen import S3Gen
from chatterbox.models.t3 import T3
from chatterbox.models.voice_encoder import VoiceEncoder
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from ..config import ModelOptions
from ..constants import SPEECH_VOCAB_SIZE
from ..errors import ModelError
from .arch import ARCH_METADATA_KEY, TINY, Arch, build_s3gen, build_t3, build_voice_encoder
from .tokenize import TOKENIZERS, load_tokenizer
from .variants import VARIANTS, Variant, get_variant

logger = logging.getLogger(__name__)

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
# A speech head with a bias (Turbo's) gets this bias on the special ids: they are never drawn,
# whatever the sampler keeps (Turbo has no min_p).
RANDOM_SPECIAL_BIAS = -30.0
# Bytes hashed from each end of every file for the model identity: enough to tell two
# trainings apart without reading gigabytes at every start.
IDENTITY_SAMPLE_BYTES = 1 << 20
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
    tokenizer: Any  # the variant's chatterbox (or, for Turbo, transformers) tokenizer
    variant: Variant = STANDARD


def resolve_checkpoint(options: ModelOptions, cache_dir: Path) -> Checkpoint:
    """Turn the model options into a complete checkpoint directory (writing it if random)."""
    variant = get_variant(options.variant)
    files = variant.files.all()
    if options.source == "hub":
        directory = _hub_directory(options.repo_id or variant.repo_id, files, variant.files.optional)
    elif options.source == "dir":
        directory = Path(options.dir).expanduser()
        check_directory(directory, files)
    else:
        directory = cache_dir / "models" / random_directory_name(options.source, variant)
        if not all((directory / name).is_file() for name in files):
            write_random_checkpoint(directory, options.source, variant)
    present = files + tuple(name for name in variant.files.optional if (directory / name).is_file())
    return Checkpoint(
        directory=directory, source=options.source, model_id=model_identity(directory, present), variant=variant
    )


def random_directory_name(size: str, variant: Variant) -> str:
    """``random-[variant-]size-version``; the standard model keeps the name it had before
    there were variants (so its cached checkpoint is reused)."""
    parts = ["random", *([variant.name] if variant.name != "standard" else []), size, RANDOM_CHECKPOINT_VERSION]
    return "-".join(parts)


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


def _hub_directory(repo_id: str, files: tuple[str, ...], optional: tuple[str, ...] = ()) -> Path:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, LocalEntryNotFoundError

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
    online: bool | None = None
    for name in optional:  # used when the repository has them (same snapshot directory)
        try:
            hf_hub_download(repo_id=repo_id, filename=name, local_files_only=True)
        except LocalEntryNotFoundError:  # (a subclass of EntryNotFoundError: first)
            online = _hub_resolvable() if online is None else online
            if not online:
                continue  # without network an optional file is simply absent
            try:
                hf_hub_download(repo_id=repo_id, filename=name)
            except (EntryNotFoundError, HfHubHTTPError, OSError):  # not in this repository, or no network
                pass
        except EntryNotFoundError:
            continue
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


def _file_arch(path: Path, default: Arch | None = None) -> Arch | None:
    """The Arch a safetensors file records; a ``.pt`` state dict has no metadata and is taken
    to be ``default`` (the T3 file's, which is always safetensors)."""
    if path.suffix != ".safetensors":
        return default
    try:
        with safe_open(str(path), framework="pt") as fh:
            text = (fh.metadata() or {}).get(ARCH_METADATA_KEY)
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise ModelError(f"cannot read {path}: {exc}") from None
    return Arch.from_json(text) if text else None


def _read_state(path: Path) -> dict[str, torch.Tensor]:
    """safetensors, or a ``.pt`` state dict read as chatterbox does (weights only)."""
    if path.suffix == ".safetensors":
        return load_file(str(path))
    return torch.load(path, map_location="cpu", weights_only=True)


def _load_state(
    module: torch.nn.Module, path: Path, allowed_missing: tuple[str, ...] = (), allow_unexpected: bool = False
) -> None:
    try:
        state = _read_state(path)
    except Exception as exc:  # safetensors/torch raise their own error types for damaged files
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
    t3_arch = _file_arch(directory / files.t3)
    ve = build_voice_encoder(_file_arch(directory / files.ve, t3_arch))
    _load_state(ve, directory / files.ve)
    t3 = build_t3(t3_arch, variant.t3_config)
    _load_state(t3, directory / files.t3)
    for name in variant.t3_unused:  # as from_local: T3 is fed embeddings, never token ids
        parent, _, child = name.rpartition(".")
        delattr(t3.get_submodule(parent), child)
    s3gen = build_s3gen(_file_arch(directory / files.s3gen, t3_arch), meanflow=variant.meanflow)
    # chatterbox itself loads S3Gen with strict=False: released checkpoints may carry weights
    # of parts this class does not build. Missing weights are still an error.
    _load_state(s3gen, directory / files.s3gen, allowed_missing=S3GEN_UNSAVED, allow_unexpected=True)
    tokenizer = load_tokenizer(directory, variant)
    for module in (ve, t3, s3gen):
        module.eval()
    return Models(ve=ve, t3=t3, s3gen=s3gen, tokenizer=tokenizer, variant=variant)


def _never_stopping_head(t3: T3, generator: torch.Generator) -> None:
    """Random speech logits for real S3 tokens, zero for T3's special ids (EOS included); a
    head with a bias also pushes the special ids far down (:data:`RANDOM_SPECIAL_BIAS`)."""
    weight, bias = t3.speech_head.weight, t3.speech_head.bias  # (8194 or 6563, hidden), (same,) or None
    std = RANDOM_SPEECH_LOGIT_STD / weight.shape[1] ** 0.5
    with torch.no_grad():
        weight.zero_()
        weight[:SPEECH_VOCAB_SIZE] = torch.randn(SPEECH_VOCAB_SIZE, weight.shape[1], generator=generator) * std
        if bias is not None:
            bias.zero_()
            bias[SPEECH_VOCAB_SIZE:] = RANDOM_SPECIAL_BIAS


def random_arch(size: str, variant: Variant = STANDARD) -> Arch | None:
    """The Arch of a random checkpoint (None: stock size); deep enough for chatterbox's loop."""
    if size not in RANDOM_SIZES:
        raise ModelError(f"unknown random model size {size!r} (known: {', '.join(RANDOM_SIZES)})")
    arch = RANDOM_SIZES[size]
    if arch is not None:
        arch = dataclasses.replace(
            arch,
            t3_layers=max(arch.t3_layers, variant.t3_min_layers),
            t3_heads=max(arch.t3_heads, variant.t3_min_heads),
        )
    return arch


def _save_state(state: dict[str, torch.Tensor], path: Path, metadata: dict[str, str]) -> None:
    """safetensors with our metadata, or a plain ``.pt`` state dict (what from_local reads)."""
    if path.name.endswith(".safetensors.partial"):
        save_file(state, str(path), metadata=metadata)
    else:
        torch.save(state, path)


def write_random_checkpoint(directory: Path, size: str, variant: Variant = STANDARD) -> Path:
    """Write deterministic random weights of ``size`` ("tiny" or "full") into ``directory``.

    The model runs every chunk to its token cap, the worst case for speed.
    """
    arch = random_arch(size, variant)
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
        files.s3gen: build_s3gen(arch, meanflow=variant.meanflow),
    }
    _never_stopping_head(modules[files.t3], generator)
    # Write to temporary names and rename, so an interrupted run never leaves a file that
    # looks complete.
    for name, module in modules.items():
        state = {k: v.contiguous() for k, v in module.state_dict().items()}
        tmp = directory / f".{name}.partial"
        _save_state(state, tmp, metadata)
        tmp.replace(directory / name)
    TOKENIZERS[variant.tokenizer].write(directory, variant)
    return directory

"""Settings: built once from defaults <- profile (TOML) <- CLI flags, then frozen and passed down.

A profile is a TOML file whose tables mirror the dataclasses below::

    extends = "default"          # optional: another profile by name or path

    [chunking]
    long_max_chars = 300

Unknown tables or keys and out-of-range values are :class:`ConfigError` naming the key and
the file. Lookup of a profile name: an existing path, then ``configs/NAME.toml`` shipped with
the project, then ``$XDG_CONFIG_HOME/audiobook-tts/NAME.toml``.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10 only
    import tomli as tomllib

from .errors import ConfigError
from .languages import parse_language

PROFILE_SUFFIX = ".toml"

# Compile buckets, smallest first; each has a ``<name>_max_chars`` limit in [chunking].
BUCKETS = ("short", "medium", "long")
OUTPUT_FORMATS = ("m4b", "mp3", "both")
DEVICES = ("auto", "cuda", "cpu", "mps")
# "auto": chosen per phase for the machine (engine/precision.py).
DTYPES = ("auto", "float32", "bfloat16", "float16")
SAMPLERS = ("multinomial", "gumbel")
SUBTITLE_FORMATS = ("none", "srt", "vtt")


def _choice(*allowed: str) -> dict[str, Any]:
    return {"choices": allowed}


def _range(lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    return {"range": (lo, hi)}


def _parsed(parse: Any) -> dict[str, Any]:
    """``parse(value)`` returns the stored form or raises ValueError with the message to show."""
    return {"parse": parse}


@dataclass(frozen=True)
class ModelOptions:
    # Which Chatterbox model; each variant's files, tokenizer and fast paths are one row of
    # the table in engine/variants.py (checked when the engine loads).
    variant: str = "standard"
    # "hub" (the variant's repository via the HF cache), "tiny"/"full" (random weights
    # written by us), or "dir" (a local checkpoint directory given by `dir`).
    source: str = field(default="hub", metadata=_choice("hub", "dir", "tiny", "full"))
    dir: str = ""
    # Another hub repository with the same layout; empty means the variant's own.
    repo_id: str = ""


@dataclass(frozen=True)
class EngineOptions:
    device: str = field(default="auto", metadata=_choice(*DEVICES))
    # dtype per component; STFT/iSTFT, mel extraction, the tokenizer and the voice encoder
    # (run once per voice, its output goes through numpy) always stay fp32. "auto" picks per
    # phase (T3 prefill, T3 decode, S3Gen flow) what this machine runs fastest.
    t3_dtype: str = field(default="auto", metadata=_choice(*DTYPES))
    s3gen_dtype: str = field(default="auto", metadata=_choice(*DTYPES))
    compile: bool = False
    compile_mode: str = field(
        default="default",
        metadata=_choice("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"),
    )
    # torch.compile backend: "inductor" for speed, "aot_eager"/"eager" to test the plumbing.
    compile_backend: str = "inductor"
    warmup_samples: int = field(default=3, metadata=_range(0, 20))
    # Chunks of one bucket synthesised together in one forward pass (1: one at a time).
    batch_size: int = field(default=1, metadata=_range(1, 256))
    # Static KV-cache decode path (ours) vs chatterbox's own loop (stock).
    fast_decode: bool = True
    # Which engine implementation synthesises, by its registered name (engine/__init__.py);
    # tests register a fake one through the same door.
    backend: str = "chatterbox"


@dataclass(frozen=True)
class SynthesisOptions:
    exaggeration: float = field(default=0.5, metadata=_range(0.0, 2.0))
    # How T3 draws each token from its probabilities. "multinomial": torch.multinomial with a
    # generator per chunk, chatterbox's own draws. "gumbel": argmax(log p + noise) with noise
    # a pure function of (seed, step, token), so the draw compiles into the decode step.
    sampler: str = field(default="multinomial", metadata=_choice(*SAMPLERS))
    cfg_weight: float = field(default=0.5, metadata=_range(0.0, 3.0))
    temperature: float = field(default=0.8, metadata=_range(0.05, 5.0))
    repetition_penalty: float = field(default=1.2, metadata=_range(1.0, 5.0))
    min_p: float = field(default=0.05, metadata=_range(0.0, 1.0))
    top_p: float = field(default=1.0, metadata=_range(0.0, 1.0))
    seed: int = field(default=0, metadata=_range(0, 2**31 - 1))
    watermark: bool = True
    # Flow-matching (CFM) solver steps in S3Gen; chatterbox uses 10.
    cfm_steps: int = field(default=10, metadata=_range(1, 50))
    # Cap on generated speech tokens (25 tokens = 1 s of audio): tokens_per_char * chars + 50,
    # never more than max_tokens (chatterbox's own limit is 1000). Narration runs at ~15
    # characters per second, ~1.7 tokens per character; 2.5 leaves room for slow, expressive
    # readers while stopping a runaway generation (random weights never stop at all).
    tokens_per_char: float = field(default=2.5, metadata=_range(0.1, 20.0))
    max_tokens: int = field(default=1000, metadata=_range(10, 4096))
    # Re-synthesise a suspect chunk (silent, clipped, far too long/short) with another seed.
    max_retries: int = field(default=2, metadata=_range(0, 10))


@dataclass(frozen=True)
class ChunkingOptions:
    # Chatterbox was trained on utterances of a few seconds; past ~300-400 characters it
    # starts to skip or slur words, so "long" stops at 300 characters (~20 s of speech).
    short_max_chars: int = field(default=80, metadata=_range(10, 2000))
    medium_max_chars: int = field(default=180, metadata=_range(10, 2000))
    long_max_chars: int = field(default=300, metadata=_range(10, 2000))
    # Sentences shorter than this are merged with a neighbour in the same paragraph.
    min_chars: int = field(default=20, metadata=_range(0, 500))
    include_front_matter: bool = False

    def bucket_limits(self) -> dict[str, int]:
        """Bucket name -> max characters, smallest bucket first."""
        return {name: getattr(self, f"{name}_max_chars") for name in BUCKETS}


@dataclass(frozen=True)
class TextOptions:
    # The book's language as an ISO 639-1 code ("fr"; "fr-FR", "fre" and "French" are
    # accepted and stored as "fr"). Empty: the book's own metadata, else English.
    language: str = field(default="", metadata=_parsed(parse_language))


@dataclass(frozen=True)
class PauseOptions:
    sentence_ms: int = field(default=350, metadata=_range(0, 10_000))
    paragraph_ms: int = field(default=800, metadata=_range(0, 10_000))
    title_ms: int = field(default=1200, metadata=_range(0, 10_000))
    chapter_ms: int = field(default=2000, metadata=_range(0, 20_000))
    fade_ms: int = field(default=10, metadata=_range(0, 500))


@dataclass(frozen=True)
class OutputOptions:
    format: str = field(default="m4b", metadata=_choice(*OUTPUT_FORMATS))
    # Integrated loudness target, EBU R128 (LUFS). -18 suits speech on headphones/phones.
    loudness_lufs: float = field(default=-18.0, metadata=_range(-40.0, -5.0))
    true_peak_db: float = field(default=-1.5, metadata=_range(-9.0, 0.0))
    aac_bitrate: str = "64k"
    mp3_bitrate: str = "96k"
    read_titles: bool = True
    # One subtitle file per chapter (and one for the M4B), a cue per sentence.
    subtitles: str = field(default="none", metadata=_choice(*SUBTITLE_FORMATS))


@dataclass(frozen=True)
class VerifyOptions:
    # Listen to every take with speech recognition: a take whose words differ from its text
    # by more than max_error_rate is retaken with another seed (synthesis.max_retries times)
    # and the best take kept; passing takes lose what follows their last word.
    enabled: bool = False
    # Which recogniser, by its registered name (verify/__init__.py); tests register a fake one.
    engine: str = "faster-whisper"
    # A faster-whisper model: a size ("small", "base.en", "large-v3-turbo") or a hub repository
    # of a CTranslate2 conversion, from the Hugging Face cache; "tiny-random" is random
    # weights written by us (offline tests and smoke runs: it hears nothing right).
    model: str = "small"
    # A local CTranslate2 Whisper directory (model.bin, config.json, tokenizer.json); when
    # set it replaces `model` (offline use, --asr-model-dir).
    model_dir: str = ""
    # Word error rate: wrong, missing and extra words per word of the text, both sides
    # normalised alike (case, punctuation, numbers).
    max_error_rate: float = field(default=0.2, metadata=_range(0.0, 1.0))
    device: str = field(default="auto", metadata=_choice("auto", "cpu", "cuda"))
    # CTranslate2 compute type; "auto" is the fastest the device has (int8 on most CPUs).
    compute_type: str = "auto"
    # Takes transcribed per recogniser pass.
    batch_size: int = field(default=8, metadata=_range(1, 256))
    # Cut a passing take's audio before its first and after its last recognised word,
    # keeping this much around them (a short fade at each cut).
    trim: bool = True
    lead_keep_ms: int = field(default=120, metadata=_range(0, 5_000))
    tail_keep_ms: int = field(default=250, metadata=_range(0, 5_000))


@dataclass(frozen=True)
class Settings:
    model: ModelOptions = ModelOptions()
    engine: EngineOptions = EngineOptions()
    synthesis: SynthesisOptions = SynthesisOptions()
    chunking: ChunkingOptions = ChunkingOptions()
    text: TextOptions = TextOptions()
    pauses: PauseOptions = PauseOptions()
    output: OutputOptions = OutputOptions()
    verify: VerifyOptions = VerifyOptions()
    profile: str = "default"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


SECTIONS = {
    "model": ModelOptions,
    "engine": EngineOptions,
    "synthesis": SynthesisOptions,
    "chunking": ChunkingOptions,
    "text": TextOptions,
    "pauses": PauseOptions,
    "output": OutputOptions,
    "verify": VerifyOptions,
}


def project_configs_dir() -> Path:
    """configs/ beside the package (source checkout) or bundled inside it (wheel)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "configs", here / "_configs"):
        if candidate.is_dir():
            return candidate
    return here.parent / "configs"


def user_configs_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "audiobook-tts"


def available_profiles() -> list[str]:
    names: set[str] = set()
    for d in (project_configs_dir(), user_configs_dir()):
        if d.is_dir():
            names.update(p.stem for p in d.glob(f"*{PROFILE_SUFFIX}"))
    return sorted(names)


def find_profile(name_or_path: str, relative_to: Path | None = None) -> Path:
    candidates = []
    p = Path(name_or_path).expanduser()
    if relative_to is not None and not p.is_absolute():
        candidates.append(relative_to / p)
        candidates.append(relative_to / f"{name_or_path}{PROFILE_SUFFIX}")
    candidates.append(p)
    if p.suffix != PROFILE_SUFFIX and "/" not in name_or_path:
        candidates.append(project_configs_dir() / f"{name_or_path}{PROFILE_SUFFIX}")
        candidates.append(user_configs_dir() / f"{name_or_path}{PROFILE_SUFFIX}")
    for c in candidates:
        if c.is_file():
            return c
    known = ", ".join(available_profiles()) or "none"
    raise ConfigError(f"unknown profile {name_or_path!r} (available: {known})")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read profile: {exc.strerror}") from None


def _merge(base: dict[str, dict[str, Any]], top: Mapping[str, Mapping[str, Any]]) -> None:
    for section, values in top.items():
        base.setdefault(section, {}).update(values)


def _load_profile_layers(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict, dict]:
    """Return (merged sections, key -> file it came from) following ``extends``."""
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(str(s) for s in (*seen, path))
        raise ConfigError(f"{path}: profile extends itself ({chain})")
    data = _read_toml(path)
    merged: dict[str, dict[str, Any]] = {}
    origin: dict[str, Path] = {}
    parent = data.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str):
            raise ConfigError(f"{path}: 'extends' must be a profile name or path")
        parent_path = find_profile(parent, relative_to=path.parent)
        merged, origin = _load_profile_layers(parent_path, (*seen, path))
    for section, values in data.items():
        if section not in SECTIONS:
            known = ", ".join(SECTIONS)
            raise ConfigError(f"{path}: unknown section [{section}] (known: {known})")
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: '{section}' must be a table ([{section}])")
        for key in values:
            origin[f"{section}.{key}"] = path
        _merge(merged, {section: values})
    return merged, origin


def _coerce(section: str, key: str, value: Any, fld: dataclasses.Field, where: str) -> Any:
    name = f"{section}.{key}"
    default = fld.default
    expected = type(default)
    if expected is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {name} must be true or false, not {value!r}")
    elif expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: {name} must be an integer, not {value!r}")
    elif expected is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: {name} must be a number, not {value!r}")
        value = float(value)
    elif expected is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {name} must be a string, not {value!r}")
    parse = fld.metadata.get("parse")
    if parse is not None:
        try:
            value = parse(value)
        except ValueError as exc:
            raise ConfigError(f"{where}: {name}: {exc}") from None
    choices = fld.metadata.get("choices")
    if choices and value not in choices:
        raise ConfigError(f"{where}: {name} must be one of {', '.join(choices)}, not {value!r}")
    bounds = fld.metadata.get("range")
    if bounds:
        lo, hi = bounds
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ConfigError(f"{where}: {name} must be between {lo} and {hi}, not {value!r}")
    return value


def build_settings(
    profile: str | Path | None = "default",
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    book_file: tuple[Path, Mapping[str, Mapping[str, Any]]] | None = None,
) -> Settings:
    """defaults <- profile (with its ``extends`` chain) <- book file tables <- overrides (CLI
    flags). ``book_file`` is (its path, its profile tables)."""
    merged: dict[str, dict[str, Any]] = {}
    origin: dict[str, Any] = {}
    name = "defaults"
    if profile is not None:
        path = find_profile(str(profile))
        merged, origin = _load_profile_layers(path)
        name = path.stem
    if book_file is not None:
        file, sections = book_file
        for section, values in sections.items():
            for key in values:
                origin[f"{section}.{key}"] = file
            _merge(merged, {section: values})
    for section, values in (overrides or {}).items():
        for key, value in values.items():
            if value is None:
                continue
            merged.setdefault(section, {})[key] = value
            origin[f"{section}.{key}"] = "command line"

    parts: dict[str, Any] = {}
    for section, cls in SECTIONS.items():
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values = {}
        for key, value in merged.get(section, {}).items():
            where = str(origin.get(f"{section}.{key}", "profile"))
            if key not in fields:
                raise ConfigError(
                    f"{where}: unknown key '{key}' in [{section}] (known: {', '.join(fields)})"
                )
            values[key] = _coerce(section, key, value, fields[key], where)
        parts[section] = cls(**values)

    settings = Settings(**parts, profile=name)
    _check_consistency(settings, origin)
    return settings


def _check_consistency(s: Settings, origin: Mapping[str, Any]) -> None:
    c = s.chunking
    if not (c.short_max_chars < c.medium_max_chars < c.long_max_chars):
        where = origin.get("chunking.long_max_chars") or origin.get("chunking.short_max_chars") or "profile"
        raise ConfigError(
            f"{where}: chunking limits must grow: short_max_chars ({c.short_max_chars}) < "
            f"medium_max_chars ({c.medium_max_chars}) < long_max_chars ({c.long_max_chars})"
        )
    if s.model.source == "dir" and not s.model.dir:
        where = origin.get("model.source", "profile")
        raise ConfigError(f"{where}: model.source = 'dir' needs model.dir (or --model-dir)")

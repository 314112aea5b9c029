"""Voice conditioning: a sample file -> the tensors T3 and S3Gen condition on, cached on disk.

Computed as the variant's ``prepare_conditionals`` does (same trims: 10 s for S3Gen's
reference, 6 s (Turbo: 15 s) for T3's speech prompt; Turbo first normalises the sample's
loudness), once per (audio content, model).
Exaggeration is not part of the cache: it only scales a constant applied at synthesis.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import librosa
import numpy as np
import torch
from chatterbox.models.s3tokenizer import S3_SR
from chatterbox.models.t3.modules.cond_enc import T3Cond

from ..constants import SAMPLE_RATE_HZ
from ..errors import VoiceError
from .checkpoint import Models
from .variants import VARIANTS, Variant

# ChatterboxTTS.DEC_COND_LEN / ENC_COND_LEN, in seconds (Variant.t3_prompt_seconds per variant).
S3GEN_REF_SECONDS = 10.0
T3_PROMPT_SECONDS = VARIANTS["standard"].t3_prompt_seconds
MIN_VOICE_SECONDS = 3.0
# Below -60 dBFS RMS a sample is silence (or a muted recording) for our purposes.
SILENT_RMS = 1e-3
# Bump when the cached tensors' meaning changes.
VOICE_CACHE_VERSION = "v1"
READABLE_FORMATS = "WAV, FLAC, MP3, OGG or M4A"


@dataclass
class Voice:
    """A prepared voice: ``id`` is the sample's content hash; tensors live on the CPU."""

    id: str
    path: Path
    seconds: float
    # T3: (1, 256) speaker embedding, (1, P) S3 prompt tokens.
    speaker_emb: torch.Tensor
    prompt_tokens: torch.Tensor
    # S3Gen reference: prompt_token (1, Tp), prompt_token_len (1,), prompt_feat (1, 2Tp, 80),
    # embedding (1, 192); chatterbox's ``embed_ref`` output.
    ref_dict: dict
    notes: list[str] = field(default_factory=list)

    def t3_cond(self, exaggeration: float, device: torch.device | str, dtype: torch.dtype) -> T3Cond:
        """A fresh T3Cond (T3 writes embeddings into it) on ``device``/``dtype``."""
        return T3Cond(
            speaker_emb=self.speaker_emb.clone(),
            cond_prompt_speech_tokens=self.prompt_tokens.clone(),
            emotion_adv=exaggeration * torch.ones(1, 1, 1),
        ).to(device=device, dtype=dtype)

    def s3gen_ref(self, device: torch.device | str) -> dict:
        return {k: v.to(device) if torch.is_tensor(v) else v for k, v in self.ref_dict.items()}


def read_voice_audio(path: Path) -> tuple[bytes, np.ndarray]:
    """(file bytes, mono float32 samples at 24 kHz); VoiceError for anything unusable."""
    if not path.exists():
        raise VoiceError(f"voice sample not found: {path}")
    if not path.is_file():
        raise VoiceError(f"voice sample is not a file: {path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VoiceError(f"cannot read voice sample {path}: {exc.strerror}") from None
    try:
        with warnings.catch_warnings():
            # librosa warns before each fallback decoder; the outcome is reported below.
            warnings.simplefilter("ignore")
            wav, _ = librosa.load(path, sr=SAMPLE_RATE_HZ, mono=True)
    except Exception:  # soundfile/audioread raise many unrelated types for bad input
        # libsndfile reads WAV/FLAC/OGG/MP3; phones record M4A/AAC, which ffmpeg decodes.
        wav = _decode_with_ffmpeg(path)
        if wav is None:
            raise VoiceError(
                f"cannot read voice sample {path}: it is not an audio file that can be decoded; "
                f"use a {READABLE_FORMATS} file"
            ) from None
    seconds = len(wav) / SAMPLE_RATE_HZ
    if seconds < MIN_VOICE_SECONDS:
        raise VoiceError(
            f"voice sample {path} is {seconds:.1f} s long; it needs at least {MIN_VOICE_SECONDS:.0f} s of speech"
        )
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64))))
    if rms < SILENT_RMS:
        raise VoiceError(f"voice sample {path} is silent (RMS level below {20 * np.log10(SILENT_RMS):.0f} dBFS)")
    return data, wav.astype(np.float32)


def _decode_with_ffmpeg(path: Path) -> np.ndarray | None:
    """Mono float32 at 24 kHz via ffmpeg, or None when ffmpeg cannot decode it either."""
    from ..errors import FfmpegError
    from ..proc import run_ffmpeg

    try:
        out = run_ffmpeg(
            ["-i", str(path), "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE_HZ), "-f", "f32le", "-"],
            step=f"decoding voice sample {path.name}",
        ).stdout
    except FfmpegError:
        return None
    return np.frombuffer(out, dtype="<f4").copy() if out else None


def normalise_loudness(wav: np.ndarray, lufs: float) -> np.ndarray:
    """ChatterboxTurboTTS.norm_loudness: the whole sample to ``lufs`` integrated loudness."""
    from chatterbox.tts_turbo import ChatterboxTurboTTS

    return ChatterboxTurboTTS.norm_loudness(None, wav, SAMPLE_RATE_HZ, target_lufs=lufs).astype(np.float32)


@torch.inference_mode()
def compute_conditionals(
    models: Models, wav_24k: np.ndarray, device: torch.device | str, variant: Variant | None = None
) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """The variant's prepare_conditionals without the exaggeration: (speaker_emb, prompt_tokens, ref_dict)."""
    variant = variant or models.variant
    if variant.voice_lufs is not None:
        wav_24k = normalise_loudness(wav_24k, variant.voice_lufs)
    ref_16k = librosa.resample(wav_24k, orig_sr=SAMPLE_RATE_HZ, target_sr=S3_SR)
    ref_dict = models.s3gen.embed_ref(wav_24k[: int(S3GEN_REF_SECONDS * SAMPLE_RATE_HZ)], SAMPLE_RATE_HZ, device=device)
    prompt_tokens, _ = models.s3gen.tokenizer.forward(
        [ref_16k[: int(variant.t3_prompt_seconds * S3_SR)]], max_len=models.t3.hp.speech_cond_prompt_len
    )
    speaker_emb = torch.from_numpy(models.ve.embeds_from_wavs([ref_16k], sample_rate=S3_SR)).mean(0, keepdim=True)
    ref_dict = {k: v.cpu() if torch.is_tensor(v) else v for k, v in ref_dict.items()}
    return speaker_emb.float().cpu(), torch.atleast_2d(prompt_tokens).cpu(), ref_dict


def voice_cache_path(cache_dir: Path, audio_sha256: str, model_id: str) -> Path:
    return cache_dir / "voices" / f"{audio_sha256[:32]}-{model_id}-{VOICE_CACHE_VERSION}.pt"


def prepare_voice(
    models: Models, path: Path, *, model_id: str, cache_dir: Path, device: torch.device | str,
    variant: Variant | None = None,
) -> Voice:
    """Load from the voice cache, or compute and cache; warns when the sample gets trimmed."""
    variant = variant or models.variant
    path = Path(path)
    data, wav = read_voice_audio(path)
    digest = hashlib.sha256(data).hexdigest()
    seconds = len(wav) / SAMPLE_RATE_HZ
    notes = []
    if seconds > max(S3GEN_REF_SECONDS, variant.t3_prompt_seconds):
        notes.append(
            f"voice sample {path.name} is {seconds:.1f} s long; Chatterbox uses its first "
            f"{S3GEN_REF_SECONDS:.0f} s for timbre and {variant.t3_prompt_seconds:.0f} s for the speech prompt"
        )
        warnings.warn(notes[-1], stacklevel=2)
    cache_path = voice_cache_path(cache_dir, digest, model_id)
    if cache_path.is_file():
        try:
            saved = torch.load(cache_path, map_location="cpu", weights_only=True)
            return Voice(id=digest[:16], path=path, seconds=seconds, notes=notes, **saved)
        except Exception:  # a damaged cache entry is recomputed, never fatal
            cache_path.unlink(missing_ok=True)
    speaker_emb, prompt_tokens, ref_dict = compute_conditionals(models, wav, device, variant)
    saved = {"speaker_emb": speaker_emb, "prompt_tokens": prompt_tokens, "ref_dict": ref_dict}
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_path.with_suffix(".partial")
    torch.save(saved, tmp)
    tmp.replace(cache_path)
    return Voice(id=digest[:16], path=path, seconds=seconds, notes=notes, **saved)

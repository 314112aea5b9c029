"""S3Gen speech tokens -> 24 kHz waveform, without host syncs and with bucketed lengths.

Same maths as chatterbox's ``S3Gen.inference(speech_tokens=..., ref_dict=...)`` (conformer
encoder -> 10 Euler steps of the CFG flow-matching estimator -> HiFT vocoder; Turbo's
meanflow S3Gen: 2 plain Euler steps on a linear time grid, no CFG, the estimator told both
ends of each step), but the orchestration is rewritten as small functions over chatterbox's
own submodules:

* no ``.item()`` / ``bool(tensor)`` on the way: chatterbox's ``make_pad_mask`` (``lengths.max()``),
  ``add_optional_chunk_mask`` (one ``.item()`` per transformer stack: 14 per estimator
  call, 140 per utterance) and the ``(token >= vocab).any()`` check sync 147 times per
  utterance on the full model; here every mask is built once from Python ints.
* ``pad_to`` right-pads the tokens to a bucket length so the encoder and estimator see a
  few fixed shapes. This is exact: the estimator's convolutions are causal, attention
  masks padded keys, and the one look-ahead convolution (``PreLookaheadLayer``, 3 tokens)
  reads zeros exactly as it does at the end of an unpadded sequence because padded
  frames are zeroed first. HiFT is *not* causal (centred convolutions, iSTFT), so it runs
  on the real-length mel; padding its input changes the last ~0.2 s of audio.
* noise: with ``generator`` every random draw (CFM start noise, HiFT sine phases and
  noise; for meanflow first the speech frames' noise, then the whole utterance's, of which
  the prompt's frames are kept, as ``S3Gen.flow_inference`` draws them) comes from it, in
  chatterbox's order, so ``torch.manual_seed(s)`` + stock and
  ``torch.Generator().manual_seed(s)`` + this module give the same waveform. Without a
  generator the global RNG is used, like chatterbox. (chatterbox also draws one unused
  noise tensor in ``SourceModuleHnNSF``; it is skipped, which only changes the global RNG
  state left behind.)
* dtype: the Euler state ``x`` stays fp32; the estimator runs in its own parameter dtype
  (bf16 after :func:`cast_flow`), the encoder in its own. HiFT, STFT/iSTFT and the mel
  extractor stay fp32.

Compilation: :func:`compile_targets` returns the hot callables as modules
(``"flow_encoder"``, ``"cfm_estimator"``, ``"hift_decode"``); the engine may wrap any of
them (``torch.compile`` with a fallback) and pass the dict back as ``hot=`` to
:func:`tokens_to_wav`. Missing keys use the eager modules.
"""

from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from ..constants import SAMPLE_RATE_HZ, SPEECH_TOKENS_PER_S

# chatterbox's S3Gen: 25 speech tokens/s -> 50 mel frames/s -> 24 kHz.
MEL_FRAMES_PER_S = 50
MEL_FRAMES_PER_TOKEN = MEL_FRAMES_PER_S // SPEECH_TOKENS_PER_S
SAMPLES_PER_MEL_FRAME = SAMPLE_RATE_HZ // MEL_FRAMES_PER_S
MEL_CHANNELS = 80
# Bias for masked attention keys; chatterbox's ``mask_to_bias`` uses the same constant.
MASKED_ATTENTION_BIAS = -1.0e10


def cast_flow(s3gen: nn.Module, dtype: torch.dtype) -> None:
    """Run the token->mel flow (encoder + estimator) in ``dtype``; HiFT and the
    tokenizer/speaker encoder used by ``embed_ref`` stay fp32."""
    s3gen.flow.to(dtype)


def _dtype_of(module: nn.Module) -> torch.dtype:
    return next(module.parameters()).dtype


def length_mask(n_real: Sequence[int], n_total: int, device: torch.device) -> torch.Tensor:
    """(B, 1, n_total) bool, row i True on its first ``n_real[i]`` frames. Compared with Python
    ints, so no lengths tensor is copied to the device (a copy from host memory syncs)."""
    frames = torch.arange(n_total, device=device)
    return torch.stack([frames < n for n in n_real]).view(-1, 1, n_total)


def encode(encoder: nn.Module, xs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """chatterbox's ``UpsampleConformerEncoder.forward`` for full-context decoding.

    xs: (1, T, 512) token embeddings, mask: (1, 1, T) bool -> (1, 2T, 512).
    """
    xs, pos_emb, _ = encoder.embed(xs, mask)
    # Padded frames hold LayerNorm(bias) after ``embed``; the look-ahead conv reads 3 frames
    # ahead, and an unpadded sequence shows it zeros there.
    xs = xs * mask.transpose(1, 2).to(xs.dtype)
    xs = encoder.pre_lookahead_layer(xs)
    for layer in encoder.encoders:
        xs = layer(xs, mask, pos_emb, mask)[0]

    # Upsample1D also scales a length tensor; the mask is upsampled below instead.
    xs, _ = encoder.up_layer(xs.transpose(1, 2).contiguous(), 0)
    xs = xs.transpose(1, 2).contiguous()
    up_mask = mask.repeat_interleave(encoder.up_layer.stride, dim=2)
    xs, pos_emb, _ = encoder.up_embed(xs, up_mask)
    for layer in encoder.up_encoders:
        xs = layer(xs, up_mask, pos_emb, up_mask)[0]
    if encoder.normalize_before:
        xs = encoder.after_norm(xs)
    return xs


def _attention_bias(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(B, 1, T) bool -> (B, 1, T) additive key bias."""
    return (1.0 - mask.to(dtype)) * MASKED_ATTENTION_BIAS


def _transformer_stack(blocks: nn.ModuleList, x: torch.Tensor, bias: torch.Tensor, t_emb: torch.Tensor) -> torch.Tensor:
    x = x.transpose(1, 2).contiguous()  # (B, C, T) -> (B, T, C)
    for block in blocks:
        x = block(hidden_states=x, attention_mask=bias, timestep=t_emb)
    return x.transpose(1, 2).contiguous()


def estimator_forward(
    est: nn.Module,
    x: torch.Tensor,
    mask: torch.Tensor,
    mu: torch.Tensor,
    t: torch.Tensor,
    spks: torch.Tensor,
    cond: torch.Tensor,
    r: torch.Tensor | None = None,
) -> torch.Tensor:
    """chatterbox's ``ConditionalDecoder.forward`` without its per-level sync.

    x, mu, cond: (B, 80, T); mask: (B, 1, T) in the estimator dtype; spks: (B, 80);
    t: (B,) fp32 even for a bf16 estimator (the sinusoid multiplies t by 1000, and bf16's
    8-bit mantissa would shift the phase by radians); r: (B,) the step's end time, for a
    meanflow estimator only. Returns dx/dt: (B, 80, T).
    """
    t_emb = est.time_mlp(est.time_embeddings(t).to(x.dtype))
    if r is not None:  # meanflow: both times embedded, then mixed
        r_emb = est.time_mlp(est.time_embeddings(r).to(x.dtype))
        t_emb = est.time_embed_mixer(torch.cat([t_emb, r_emb], dim=1))
    h = torch.cat([x, mu, spks.unsqueeze(-1).expand(-1, -1, x.shape[-1]), cond], dim=1)

    masks = [mask]
    hiddens = []
    for resnet, blocks, downsample in est.down_blocks:
        mask_down = masks[-1]
        h = resnet(h, mask_down, t_emb)
        h = _transformer_stack(blocks, h, _attention_bias(mask_down.bool(), h.dtype), t_emb)
        hiddens.append(h)
        h = downsample(h * mask_down)
        masks.append(mask_down[:, :, ::2])
    masks = masks[:-1]
    mask_mid = masks[-1]
    bias_mid = _attention_bias(mask_mid.bool(), h.dtype)
    for resnet, blocks in est.mid_blocks:
        h = resnet(h, mask_mid, t_emb)
        h = _transformer_stack(blocks, h, bias_mid, t_emb)

    for resnet, blocks, upsample in est.up_blocks:
        mask_up = masks.pop()
        skip = hiddens.pop()
        h = torch.cat([h[:, :, : skip.shape[-1]], skip], dim=1)
        h = resnet(h, mask_up, t_emb)
        h = _transformer_stack(blocks, h, _attention_bias(mask_up.bool(), h.dtype), t_emb)
        h = upsample(h * mask_up)
    h = est.final_block(h, mask_up)
    return est.final_proj(h * mask_up) * mask


class FlowEncoder(nn.Module):
    """Compile target: token embeddings + mask -> encoder output (1, 2T, 512)."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, xs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return encode(self.encoder, xs, mask)


class CfmEstimator(nn.Module):
    """Compile target: one estimator call (a CFG pair of rows per utterance; meanflow: one row and ``r``)."""

    def __init__(self, estimator: nn.Module) -> None:
        super().__init__()
        self.estimator = estimator

    def forward(self, x, mask, mu, t, spks, cond, r=None) -> torch.Tensor:
        return estimator_forward(self.estimator, x, mask, mu, t, spks, cond, r)


class HiftDecode(nn.Module):
    """Compile target: mel (1, 80, F) + excitation source (1, 1, F*480) -> wav (1, F*480)."""

    def __init__(self, mel2wav: nn.Module) -> None:
        super().__init__()
        self.mel2wav = mel2wav

    def forward(self, mel: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        return self.mel2wav.decode(x=mel, s=source)


def compile_targets(s3gen: nn.Module) -> dict[str, nn.Module]:
    """The hot callables, eager; wrap them and pass the dict to ``tokens_to_wav(hot=...)``."""
    return {
        "flow_encoder": FlowEncoder(s3gen.flow.encoder),
        "cfm_estimator": CfmEstimator(s3gen.flow.decoder.estimator),
        "hift_decode": HiftDecode(s3gen.mel2wav),
    }


def cosine_t_span(n_steps: int, device: torch.device) -> torch.Tensor:
    """(n_steps + 1,) fp32 ODE times from 0 to 1, denser near 0 (chatterbox's 'cosine')."""
    t = torch.linspace(0, 1, n_steps + 1, device=device, dtype=torch.float32)
    return 1 - torch.cos(t * 0.5 * torch.pi)


def linear_t_span(n_steps: int, device: torch.device) -> torch.Tensor:
    """(n_steps + 1,) fp32 ODE times evenly from 0 to 1 (the meanflow schedule)."""
    return torch.linspace(0, 1, n_steps + 1, device=device, dtype=torch.float32)


def solve_meanflow(
    estimator: Callable[..., torch.Tensor],
    z: torch.Tensor,
    mask: torch.Tensor,
    mu: torch.Tensor,
    spks: torch.Tensor,
    cond: torch.Tensor,
    t_span: torch.Tensor,
    est_dtype: torch.dtype,
) -> torch.Tensor:
    """chatterbox's ``basic_euler`` for the distilled meanflow estimator: no CFG (it was
    distilled with it), each step told its start t and end r. Shapes as :func:`solve_euler`;
    x stays fp32 (chatterbox casts it to the estimator's dtype)."""
    mask_in, mu_in, spks_in, cond_in = (v.to(est_dtype) for v in (mask, mu, spks, cond))
    x = z
    rows = z.shape[0]
    for i in range(t_span.shape[0] - 1):
        t, r = t_span[i : i + 1], t_span[i + 1 : i + 2]
        dxdt = estimator(x.to(est_dtype), mask_in, mu_in, t.expand(rows), spks_in, cond_in, r.expand(rows)).float()
        x = x + (r - t) * dxdt
    return x


def start_noise(
    n_total: int, n_speech: int, generator: torch.Generator | None, device: torch.device, meanflow: bool
) -> torch.Tensor:
    """(1, 80, n_total) fp32 start of the ODE for one utterance of n_total mel frames, the last
    n_speech of them its speech; drawn as chatterbox draws it (see the module docstring)."""
    if not meanflow:
        return torch.randn((1, MEL_CHANNELS, n_total), generator=generator, device=device, dtype=torch.float32)
    speech = torch.randn((1, MEL_CHANNELS, n_speech), generator=generator, device=device, dtype=torch.float32)
    whole = torch.randn((1, MEL_CHANNELS, n_total), generator=generator, device=device, dtype=torch.float32)
    return torch.cat([whole[:, :, : n_total - n_speech], speech], dim=2)


def solve_euler(
    estimator: Callable[..., torch.Tensor],
    z: torch.Tensor,
    mask: torch.Tensor,
    mu: torch.Tensor,
    spks: torch.Tensor,
    cond: torch.Tensor,
    t_span: torch.Tensor,
    cfg_rate: float,
    est_dtype: torch.dtype,
) -> torch.Tensor:
    """Classifier-free-guided Euler integration; x stays fp32, the estimator sees ``est_dtype``.

    z: (B, 80, T) fp32 noise; mask (B, 1, T); mu, cond (B, 80, T); spks (B, 80). The
    estimator runs once per step on 2B rows: the B conditional ones, then the B unconditional.
    """
    # The unconditional half gets zeros for mu, speaker and prompt (chatterbox's CFG layout).
    mask_in = torch.cat([mask, mask]).to(est_dtype)
    mu_in = torch.cat([mu, torch.zeros_like(mu)]).to(est_dtype)
    spks_in = torch.cat([spks, torch.zeros_like(spks)]).to(est_dtype)
    cond_in = torch.cat([cond, torch.zeros_like(cond)]).to(est_dtype)
    x = z
    rows = z.shape[0]
    for i in range(t_span.shape[0] - 1):
        t, r = t_span[i : i + 1], t_span[i + 1 : i + 2]
        x_in = torch.cat([x, x]).to(est_dtype)
        dxdt = estimator(x_in, mask_in, mu_in, t.expand(2 * rows), spks_in, cond_in).float()
        dxdt, cfg_dxdt = dxdt[:rows], dxdt[rows:]
        dxdt = (1.0 + cfg_rate) * dxdt - cfg_rate * cfg_dxdt
        x = x + (r - t) * dxdt
    return x


def hift_source(mel2wav: nn.Module, mel: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """chatterbox's mel -> F0 -> harmonic-plus-noise excitation. mel (1, 80, F) -> (1, 1, F*480)."""
    f0 = mel2wav.f0_predictor(mel)  # (1, F) Hz
    f0 = mel2wav.f0_upsamp(f0[:, None])  # (1, 1, L) samples
    sine_gen = mel2wav.m_source.l_sin_gen
    n_harm = sine_gen.harmonic_num + 1
    harmonics = torch.arange(1, n_harm + 1, device=f0.device, dtype=f0.dtype).view(1, n_harm, 1)
    f_mat = f0 * harmonics / sine_gen.sampling_rate  # (1, H, L) cycles per sample
    theta = 2 * math.pi * (torch.cumsum(f_mat, dim=-1) % 1)
    # Random initial phase per overtone (the fundamental starts at 0), then additive noise.
    low = torch.tensor(-math.pi, device=f0.device)
    high = torch.tensor(math.pi, device=f0.device)
    phase = low + torch.rand((1, n_harm, 1), generator=generator, device=f0.device) * (high - low)
    phase[:, 0, :] = 0
    sine = sine_gen.sine_amp * torch.sin(theta + phase)
    uv = (f0 > sine_gen.voiced_threshold).float()
    noise_amp = uv * sine_gen.noise_std + (1 - uv) * sine_gen.sine_amp / 3
    noise = noise_amp * torch.randn(sine.shape, generator=generator, device=f0.device, dtype=sine.dtype)
    sine = sine * uv + noise
    m_source = mel2wav.m_source
    merged = m_source.l_tanh(m_source.l_linear(sine.transpose(1, 2)))  # (1, L, 1)
    return merged.transpose(1, 2)


@torch.inference_mode()
def tokens_to_wav(
    s3gen: nn.Module,
    speech_tokens: torch.Tensor,
    ref_dict: dict,
    *,
    n_cfm_timesteps: int = 10,
    pad_to: int | None = None,
    generator: torch.Generator | None = None,
    hot: Mapping[str, Callable[..., torch.Tensor]] | None = None,
) -> torch.Tensor:
    """One utterance: speech tokens (T,) or (1, T) -> waveform (1, T * 960); see :func:`tokens_to_wavs`."""
    [wav] = tokens_to_wavs(
        s3gen, [torch.atleast_2d(speech_tokens)[0]], ref_dict, n_cfm_timesteps=n_cfm_timesteps, pad_to=pad_to,
        generators=None if generator is None else [generator], hot=hot,
    )
    return wav


@torch.inference_mode()
def tokens_to_wavs(
    s3gen: nn.Module,
    speech_tokens: Sequence[torch.Tensor],
    ref_dict: dict,
    *,
    n_cfm_timesteps: int = 10,
    pad_to: int | None = None,
    generators: Sequence[torch.Generator] | None = None,
    hot: Mapping[str, Callable[..., torch.Tensor]] | None = None,
) -> list[torch.Tensor]:
    """B utterances of one voice: speech tokens (T_i,), all < 6561, -> B waveforms (1, T_i * 960)
    fp32 at 24 kHz (one frame less when the reference mel has an odd length, as in chatterbox).

    The encoder and the flow run on all B together, each row right-padded to ``pad_to`` (at
    least the longest T_i; a bucketed shape) under its own exact length mask; HiFT, which is
    not causal, runs per row on its real length. Row i draws all its noise from
    ``generators[i]`` (the global RNG without generators, like chatterbox), so its waveform
    does not depend on the other rows. ``ref_dict`` is ``s3gen.embed_ref(...)``'s output.
    """
    fns = {**compile_targets(s3gen), **(hot or {})}
    flow = s3gen.flow
    device = flow.encoder_proj.weight.device
    flow_dtype = _dtype_of(flow.encoder)
    est_dtype = _dtype_of(flow.decoder.estimator)
    rows = len(speech_tokens)
    gens: list[torch.Generator | None] = list(generators) if generators is not None else [None] * rows

    lengths = [int(t.numel()) for t in speech_tokens]
    n_padded = max(lengths) if pad_to is None else pad_to
    if n_padded < max(lengths):
        raise ValueError(f"pad_to={pad_to} is shorter than the {max(lengths)} speech tokens")
    tokens = torch.stack([F.pad(t.view(-1).to(device=device, dtype=torch.long), (0, n_padded - n)) for t, n in
                          zip(speech_tokens, lengths)])  # (B, T_pad)
    prompt_tokens = torch.atleast_2d(ref_dict["prompt_token"]).to(device=device, dtype=torch.long)
    prompt_feat = torch.atleast_3d(ref_dict["prompt_feat"]).to(device=device, dtype=flow_dtype)  # (1, Fp, 80)
    n_prompt = prompt_tokens.shape[1]

    # Token embeddings, padded frames zeroed. (B, Tp + T_pad, 512)
    all_tokens = torch.cat([prompt_tokens.expand(rows, -1), tokens], dim=1)
    tok_mask = length_mask([n_prompt + n for n in lengths], n_prompt + n_padded, device)
    xs = flow.input_embedding(all_tokens) * tok_mask.transpose(1, 2).to(flow_dtype)
    h = flow.encoder_proj(fns["flow_encoder"](xs, tok_mask))  # (B, M_pad, 80)

    n_mel_total = h.shape[1]
    n_mel_real = [MEL_FRAMES_PER_TOKEN * (n_prompt + n) for n in lengths]
    n_mel_prompt = prompt_feat.shape[1]
    mel_mask = length_mask(n_mel_real, n_mel_total, device)

    embedding = torch.atleast_2d(ref_dict["embedding"]).to(device, flow_dtype)
    spks = flow.spk_embed_affine_layer(F.normalize(embedding, dim=1)).expand(rows, -1)  # (B, 80)
    cond = torch.zeros_like(h)
    cond[:, :n_mel_prompt] = prompt_feat

    # Noise for each row's real frames only, so padding does not shift its random stream.
    z = torch.cat([
        F.pad(start_noise(n, MEL_FRAMES_PER_TOKEN * t, g, device, s3gen.meanflow), (0, n_mel_total - n))
        for n, t, g in zip(n_mel_real, lengths, gens)
    ])  # (B, 80, M_pad)
    mu, cond = h.transpose(1, 2), cond.transpose(1, 2)
    if s3gen.meanflow:
        x = solve_meanflow(fns["cfm_estimator"], z, mel_mask, mu, spks, cond,
                           linear_t_span(n_cfm_timesteps, device), est_dtype)
    else:
        x = solve_euler(fns["cfm_estimator"], z, mel_mask, mu, spks, cond, cosine_t_span(n_cfm_timesteps, device),
                        flow.decoder.inference_cfg_rate, est_dtype)

    wavs = []
    # Weight-norm parametrisations recompute every weight per call; once per batch is enough.
    with parametrize.cached():
        for i, (n, g) in enumerate(zip(n_mel_real, gens)):
            mel = x[i : i + 1, :, n_mel_prompt:n].to(_dtype_of(s3gen.mel2wav))  # (1, 80, F)
            wav = fns["hift_decode"](mel, hift_source(s3gen.mel2wav, mel, g))
            # chatterbox silences the first 20 ms and fades in over the next 20 ms (reference spill-over).
            n_fade = min(s3gen.trim_fade.shape[0], wav.shape[1])
            wav[:, :n_fade] *= s3gen.trim_fade[:n_fade]
            wavs.append(wav.float())
    return wavs

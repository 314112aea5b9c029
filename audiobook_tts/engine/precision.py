"""Which dtype each phase runs in: as the profile says, or ``"auto"``, decided per machine.

Phases: T3's prefill (compute-bound: hundreds of positions at once), T3's decode step at the
batch size the engine runs (memory-bound for a few rows, compute-bound for many), and the
S3Gen flow (encoder + CFM estimator, compute-bound). ``auto`` means:

* CUDA: bf16 where the GPU supports it (fp32 otherwise); MPS: fp32.
* A CPU with native bf16 (AVX-512 BF16 or AMX, as oneDNN reports it): bf16 everywhere.
* Any other CPU: a micro-calibration times each phase's work in fp32 and bf16 on copies of
  the model's own layers at the engine's shapes, once per machine (the result is cached
  with the compiled kernels), and picks bf16 only where it is clearly faster.

The choice and its reason per phase go to the report and the bench JSON. A chunk's cache
key holds the profile's setting (``auto``), not the choice, so a resumed render never
re-synthesises because a calibration came out differently.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import platform
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from ..config import EngineOptions
from .t3_decode import attention

log = logging.getLogger(__name__)

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
PHASES = ("t3_prefill", "t3_decode", "s3gen")
# bf16 is chosen only when calibration finds it this much faster: fp32 is chatterbox's own
# precision, so a tie goes to it.
BF16_MARGIN = 1.15
# Calibration shapes: a medium chunk's prefill (positions per row) and the cache it decodes
# against, and the flow's frames (10 s of reference + 6 s of speech at 50 frames/s).
CALIBRATION_PREFILL = 256
CALIBRATION_CACHE = 768
CALIBRATION_FRAMES = 800
CALIBRATION_REPEATS = 3
# Bump when what is timed changes, so old cached calibrations are not reused.
CALIBRATION_VERSION = "v2"


@dataclass(frozen=True)
class Precision:
    """The dtype name of each phase, and why."""

    t3_prefill: str
    t3_decode: str
    s3gen: str
    reasons: dict[str, str] = field(default_factory=dict)
    cpu_capability: str = ""
    bf16_native: bool = False
    timings: dict[str, dict[str, float]] = field(default_factory=dict)  # calibration seconds

    def dtype(self, phase: str) -> torch.dtype:
        return DTYPES[getattr(self, phase)]

    def to_dict(self) -> dict:
        return asdict(self)


def cpu_capability() -> str:
    """torch's CPU kernel level: "AVX512", "AVX2", "DEFAULT"... (honours ATEN_CPU_CAPABILITY)."""
    return torch.backends.cpu.get_cpu_capability()


def bf16_native() -> bool:
    """Does oneDNN run bf16 matrix work in hardware (AVX-512 BF16, AMX) on this CPU?

    Honours ONEDNN_MAX_CPU_ISA, so an AVX2 machine can be emulated on a newer one.
    """
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def choose(timings: Mapping[str, Mapping[str, float]], margin: float = BF16_MARGIN) -> dict[str, tuple[str, str]]:
    """Per phase: (dtype, reason) from calibration seconds {"float32": s, "bfloat16": s}."""
    chosen = {}
    for phase, t in timings.items():
        fp32, bf16 = t["float32"], t["bfloat16"]
        if bf16 * margin < fp32:
            chosen[phase] = ("bfloat16", f"calibrated: bf16 {fp32 / bf16:.2f}x faster than fp32")
        else:
            chosen[phase] = ("float32", f"calibrated: bf16 {fp32 / bf16:.2f}x of fp32, not worth it")
    return chosen


Calibrate = Callable[[], dict[str, dict[str, float]]]


def resolve(
    options: EngineOptions, device: str, calibrate: Calibrate, cache_path: Path | None = None
) -> Precision:
    """The dtype of every phase for ``options`` on ``device``; ``calibrate`` runs only if needed."""
    asked = {"t3_prefill": options.t3_dtype, "t3_decode": options.t3_dtype, "s3gen": options.s3gen_dtype}
    chosen: dict[str, tuple[str, str]] = {
        phase: (name, "set in the profile") for phase, name in asked.items() if name != "auto"
    }
    capability = cpu_capability() if device == "cpu" else ""
    native = bf16_native() if device == "cpu" else False
    timings: dict[str, dict[str, float]] = {}
    auto = [phase for phase in PHASES if phase not in chosen]
    if auto:
        if device.startswith("cuda"):
            ok = torch.cuda.is_bf16_supported()
            pick = ("bfloat16", "CUDA: native bf16") if ok else ("float32", "CUDA without bf16 support")
            chosen.update({phase: pick for phase in auto})
        elif device != "cpu":
            chosen.update({phase: ("float32", f"{device}: fp32") for phase in auto})
        elif native:
            chosen.update({phase: ("bfloat16", f"CPU with native bf16 ({capability})") for phase in auto})
        else:
            timings = _cached(cache_path, calibrate)
            calibrated = choose(timings)
            chosen.update({phase: calibrated[phase] for phase in auto})
    return Precision(
        **{phase: chosen[phase][0] for phase in PHASES},
        reasons={phase: chosen[phase][1] for phase in PHASES},
        cpu_capability=capability,
        bf16_native=native,
        timings=timings,
    )


def calibration_path(cache_dir: Path, model_id: str, batch_size: int) -> Path:
    """One file per machine, torch build, thread count, model and batch size."""
    key = json.dumps([
        CALIBRATION_VERSION, platform.machine(), platform.processor(), cpu_model(), cpu_capability(),
        bf16_native(), torch.__version__, torch.get_num_threads(), model_id, batch_size,
    ])
    return cache_dir / "calibration" / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"


def cpu_model() -> str:
    """The CPU's model name as /proc/cpuinfo gives it (elsewhere, what platform knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cached(path: Path | None, calibrate: Calibrate) -> dict[str, dict[str, float]]:
    if path is not None and path.is_file():
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            pass  # a damaged cache entry is measured again
    start = time.perf_counter()
    timings = calibrate()
    log.info("precision calibration took %.1f s: %s", time.perf_counter() - start, timings)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".partial")
        tmp.write_text(json.dumps(timings))
        tmp.replace(path)
    return timings


# ---- calibration on the model's own layers -----------------------------------------------


def _best_of(fn: Callable[[], object], repeats: int = CALIBRATION_REPEATS) -> float:
    fn()  # first call: allocations and kernel selection
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _in_both(module: torch.nn.Module, run: Callable[[torch.nn.Module, torch.dtype], object]) -> dict[str, float]:
    """Seconds of ``run(copy of module, dtype)`` in fp32 and bf16."""
    out = {}
    for name in ("float32", "bfloat16"):
        dtype = DTYPES[name]
        part = copy.deepcopy(module).to(dtype=dtype)
        with torch.inference_mode():
            out[name] = _best_of(lambda: run(part, dtype))
    return out


def calibrate_cpu(
    t3_layer: torch.nn.Module, heads: int, estimator_block: torch.nn.Module, batch_size: int, cfg_rows: int = 2
) -> dict:
    """Time one T3 transformer layer's MLP and attention (Llama or GPT-2) at the prefill and
    decode shapes, and one CFM estimator transformer block at the flow's shape, in fp32 and in
    bf16 (CPU). ``cfg_rows``: decode rows per chunk (2 with classifier-free guidance)."""
    norm = t3_layer.input_layernorm if hasattr(t3_layer, "input_layernorm") else t3_layer.ln_1  # Llama / GPT-2
    hidden = norm.weight.shape[0]
    head_dim = hidden // heads
    rows = cfg_rows * batch_size

    def t3_work(length: int, context: int, n_rows: int) -> Callable[[torch.nn.Module, torch.dtype], object]:
        def run(layer: torch.nn.Module, dtype: torch.dtype) -> object:
            x = torch.zeros(n_rows, length, hidden, dtype=dtype)
            q = torch.zeros(n_rows, heads, length, head_dim, dtype=dtype)
            kv = torch.zeros(n_rows, heads, context, head_dim, dtype=dtype)
            layer.mlp(x)
            if length == 1:  # a decode step: the attention the decoder runs
                module = layer.self_attn if hasattr(layer, "self_attn") else layer.attn
                return attention(module, q, kv, kv, None, scaling=head_dim**-0.5)
            return F.scaled_dot_product_attention(q, kv, kv, is_causal=True)

        return run

    channels = estimator_block.norm1.normalized_shape[0]

    def flow_work(block: torch.nn.Module, dtype: torch.dtype) -> object:
        x = torch.zeros(2 * batch_size, CALIBRATION_FRAMES, channels, dtype=dtype)
        bias = torch.zeros(2 * batch_size, 1, CALIBRATION_FRAMES, dtype=dtype)
        return block(hidden_states=x, attention_mask=bias, timestep=torch.zeros(2 * batch_size, channels, dtype=dtype))

    return {
        "t3_prefill": _in_both(t3_layer, t3_work(CALIBRATION_PREFILL, CALIBRATION_PREFILL, cfg_rows)),
        "t3_decode": _in_both(t3_layer, t3_work(1, CALIBRATION_CACHE, rows)),
        "s3gen": _in_both(estimator_block, flow_work),
    }

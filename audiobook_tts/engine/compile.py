"""Devices and torch.compile with a way back: compiled -> eager on the same device, device -> CPU.

Every step down is a :class:`Fallback`, logged once and reported; the work that failed is
redone on the next rung, so a fallback never loses a chunk.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ..config import EngineOptions
from ..errors import ConfigError
from .api import Fallback

# One compiled graph per bucket shape and per hot function: a handful of buckets and S3Gen
# lengths, with room to spare before dynamo gives up and runs eagerly.
RECOMPILE_LIMIT = 64
# Messages of device (not code) failures: allocation, driver, kernel launch.
_DEVICE_FAILURE_MARKERS = ("CUDA", "cuDNN", "CUBLAS", "cublas", "out of memory", "MPS", "device-side assert", "HIP")
_REASON_CHARS = 200


def pick_device(requested: str) -> str:
    available = {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available(), "cpu": True}
    if requested == "auto":
        return next(device for device, ok in available.items() if ok)
    if not available[requested]:
        raise ConfigError(f"engine.device is {requested!r} but PyTorch sees no such device here; use auto or cpu")
    return requested


def short_reason(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text[:_REASON_CHARS]


def is_device_failure(exc: BaseException) -> bool:
    """Out of memory or an accelerator error: worth retrying on the CPU."""
    if isinstance(exc, (torch.OutOfMemoryError, torch.AcceleratorError)):
        return True
    return isinstance(exc, RuntimeError) and any(m in str(exc) for m in _DEVICE_FAILURE_MARKERS)


def is_out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc)


def configure_compilation(cache_dir: Path) -> None:
    """Inductor's on-disk cache under ours (a second run skips most compile time)."""
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(cache_dir / "inductor"))
    torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, RECOMPILE_LIMIT)
    # Graph-break and recompile notices are for developers (TORCH_LOGS brings them back);
    # what users need, a component falling back, is recorded as a Fallback.
    if not os.environ.get("TORCH_LOGS"):
        torch._logging.set_logs(dynamo=logging.ERROR, inductor=logging.ERROR)


class Guarded:
    """``fn`` compiled; on a compile or run failure that is not the device's, ``fn`` itself.

    Device failures propagate: the engine moves the whole component to the CPU.
    """

    def __init__(self, component: str, fn: Callable, options: EngineOptions, on_fallback: Callable[[Fallback], None]):
        self.component = component
        self.fn = fn
        self._on_fallback = on_fallback
        # ``mode`` only means something to inductor; other backends reject it.
        mode = options.compile_mode if options.compile_backend == "inductor" else None
        try:
            self._compiled: Callable | None = torch.compile(
                fn, backend=options.compile_backend, mode=mode, dynamic=False
            )
        except Exception as exc:  # an unknown backend fails here, a broken one at first call
            self._give_up(exc)

    def _give_up(self, exc: BaseException) -> None:
        self._compiled = None
        self._on_fallback(Fallback(self.component, "compiled", "eager", short_reason(exc)))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._compiled is not None:
            try:
                return self._compiled(*args, **kwargs)
            except Exception as exc:
                if is_device_failure(exc):
                    raise
                self._give_up(exc)
        return self.fn(*args, **kwargs)

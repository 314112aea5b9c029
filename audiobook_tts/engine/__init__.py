"""Engines: the torch-free Protocol and types (:mod:`.api`) and the one door engines come through.

Importing this package loads no model library; :func:`create_engine` imports the chosen
implementation (torch and chatterbox for the real one) only when it is called. Tests and,
later, other backends enter through :func:`register_engine`, so they run the real pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..config import Settings
from ..errors import ConfigError
from .api import Engine, Fallback, SynthesisRequest, SynthesisResult, Voice, WarmupSummary

EngineFactory = Callable[[Settings, Path], Engine]


def _chatterbox(settings: Settings, cache_dir: Path) -> Engine:
    from .chatterbox_engine import ChatterboxEngine

    return ChatterboxEngine(settings, cache_dir)


# engine.backend -> factory. The pipeline never names an implementation itself.
ENGINES: dict[str, EngineFactory] = {"chatterbox": _chatterbox}


def register_engine(name: str, factory: EngineFactory) -> None:
    """Make ``engine.backend = name`` build engines with ``factory(settings, cache_dir)``."""
    ENGINES[name] = factory


def create_engine(settings: Settings, cache_dir: Path) -> Engine:
    name = settings.engine.backend
    if name not in ENGINES:
        raise ConfigError(f"engine.backend must be one of {', '.join(ENGINES)}, not {name!r}")
    return ENGINES[name](settings, Path(cache_dir))


__all__ = [
    "ENGINES",
    "Engine",
    "EngineFactory",
    "Fallback",
    "SynthesisRequest",
    "SynthesisResult",
    "Voice",
    "WarmupSummary",
    "create_engine",
    "register_engine",
]

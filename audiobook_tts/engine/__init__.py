"""Chatterbox TTS engine: checkpoints, voice conditioning, fast T3 decoding, compilation.

Importing this package imports torch and chatterbox (seconds); callers that must start
instantly (``--help``, ``plan``) import it lazily, inside the function that needs it.
"""

from .checkpoint import write_random_checkpoint
from .compile import Fallback
from .engine import Engine, SynthesisResult, WarmupSummary
from .voice import Voice

__all__ = ["Engine", "Fallback", "SynthesisResult", "Voice", "WarmupSummary", "write_random_checkpoint"]

"""A fake recogniser: the real Recognizer protocol, chosen transcripts and word times, no model.

It enters through the same door as faster-whisper (``verify.engine = "fake"`` after
:func:`audiobook_tts.verify.register_recognizer`), so the take loop, the report, ``check``,
tails and subtitles run their real code. By default it hears every take say exactly its
text, the words spread evenly over the take; a script says otherwise per text, one entry
per time that text is heard (the last one repeats): a string (heard, spread evenly) or a
list of (word, start, end) with chosen times.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from audiobook_tts.errors import ModelError
from audiobook_tts.verify import Transcript, Word

FAKE_ASR = "fake"

Heard = str | list[tuple[str, float, float]]


def spread(text: str, seconds: float) -> Transcript:
    """``text`` heard with its words spread evenly over ``seconds``."""
    words = text.split()
    step = seconds / max(len(words), 1)
    return Transcript(text, tuple(Word(w, i * step, (i + 1) * step) for i, w in enumerate(words)))


class FakeRecognizer:
    name = "fake-asr"
    device = "cpu"

    def __init__(self, options, cache_dir: Path, language: str, *, script: Mapping[str, Sequence[Heard]] | None = None,
                 missing: bool = False, heard: Counter | None = None) -> None:
        self.options = options
        self.language = language
        self.script = dict(script or {})
        self.missing = missing
        self.heard = heard if heard is not None else Counter()  # times each text was heard
        self.batches: list[int] = []
        self.loaded = False

    def load(self) -> None:
        if self.missing:
            raise ModelError(f"the ASR model {self.options.model!r} is not in the Hugging Face cache and "
                             "cannot be downloaded offline")
        self.loaded = True

    def describe(self) -> dict:
        return {"engine": "fake", "model": self.options.model, "device": self.device, "compute_type": "none",
                "language": self.language}

    def transcribe_batch(self, wavs: Sequence[np.ndarray], sample_rate: int, texts: Sequence[str]) -> list[Transcript]:
        assert self.loaded
        self.batches.append(len(wavs))
        out = []
        for wav, text in zip(wavs, texts, strict=True):
            plan = self.script.get(text)
            n = self.heard[text]
            self.heard[text] += 1
            heard: Heard = text if not plan else plan[min(n, len(plan) - 1)]
            if isinstance(heard, str):
                out.append(spread(heard, len(wav) / sample_rate))
            else:
                out.append(Transcript(" ".join(w for w, _, _ in heard), tuple(Word(*w) for w in heard)))
        return out


class FakeRecognizers:
    """A factory for ``register_recognizer`` that remembers what it built; its recognisers
    share one count of hearings, so a script runs on across a check and its redo."""

    def __init__(self, **kw):
        self.kw = kw
        self.built: list[FakeRecognizer] = []
        self.heard = Counter()

    def __call__(self, options, cache_dir, language):
        r = FakeRecognizer(options, cache_dir, language, heard=self.heard, **self.kw)
        self.built.append(r)
        return r

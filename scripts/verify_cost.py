"""What listening costs: faster-whisper hearing batches of takes, against synthesis time.

    uv run --frozen python scripts/verify_cost.py [--model small-random] [--takes 16]
        [--seconds 10] [--chars 150] [--batch 8] [--device auto] [--json FILE]

No Whisper weights can be downloaded here, so the default model is ``small-random``: Whisper
"small"'s layout and size with random weights (audiobook_tts/verify/random_whisper.py). A
random model never says its end token, so every take is decoded to the verifier's cap; the
cap is set from ``--chars`` as a real Whisper tokenizer would count them (about 4 characters
a token), so the figure is an upper bound on a real "small". With real weights in the cache,
pass ``--model small`` (or another size) instead.

It prints seconds in the recogniser per second of audio heard (``rtf``) and, given the
synthesis real-time factor measured on the same machine (``--synthesis-rtf``, from
``audiobook-tts bench``), the share of synthesis time listening adds.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from audiobook_tts.config import VerifyOptions
from audiobook_tts.constants import SAMPLE_RATE_HZ
from audiobook_tts.verify import create_recognizer

CHARS_PER_WHISPER_TOKEN = 4  # English text in Whisper's BPE, roughly


def speech_like(seconds: float, seed: int) -> np.ndarray:
    """A voiced-sounding signal (wandering pitch, harmonics, syllable rhythm, breath)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    phase = 2 * np.pi * np.cumsum(170 + 50 * np.sin(2 * np.pi * 0.7 * t)) / SAMPLE_RATE_HZ
    voiced = sum(np.sin(k * phase) / k for k in range(1, 6))
    return (0.1 * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2) * voiced
            + 0.005 * rng.standard_normal(t.size)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="small-random")
    parser.add_argument("--takes", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each take")
    parser.add_argument("--chars", type=int, default=150, help="characters of each take's text")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--synthesis-rtf", type=float, default=None,
                        help="synthesis seconds per audio second on this machine (audiobook-tts bench)")
    parser.add_argument("--cache-dir", type=Path, default=Path(os.environ.get("AUDIOBOOK_TTS_CACHE", "/tmp/abtts-cache")))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    options = VerifyOptions(enabled=True, model=args.model, device=args.device, batch_size=args.batch)
    started = time.perf_counter()
    recognizer = create_recognizer(options, args.cache_dir, "en")
    recognizer.load()
    load_s = time.perf_counter() - started
    random_model = args.model.endswith("-random")
    # A random model's tokenizer has one token per byte: give it a text whose length in its
    # tokens is what a real tokenizer makes of --chars characters.
    text_chars = args.chars // CHARS_PER_WHISPER_TOKEN if random_model else args.chars
    texts = ["x" * text_chars] * args.takes
    wavs = [speech_like(args.seconds, seed) for seed in range(args.takes)]
    runs = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        for at in range(0, args.takes, args.batch):
            recognizer.transcribe_batch(wavs[at:at + args.batch], SAMPLE_RATE_HZ, texts[at:at + args.batch])
        runs.append(time.perf_counter() - t0)
    best = min(runs)
    audio = args.takes * args.seconds
    result = {
        "recognizer": recognizer.name, "load_seconds": round(load_s, 2), "takes": args.takes,
        "take_seconds": args.seconds, "batch": args.batch, "text_chars": args.chars,
        "seconds": [round(r, 2) for r in runs], "rtf": round(best / audio, 4),
        "cpu_threads": os.cpu_count(),
    }
    if args.synthesis_rtf:
        result["synthesis_rtf"] = args.synthesis_rtf
        result["share_of_synthesis"] = round(result["rtf"] / args.synthesis_rtf, 4)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""Numbers of the Chatterbox model family that more than one stage needs, with their units.

Settings a user may change live in :mod:`config`; these are facts of the model, defined once.
"""

from __future__ import annotations

# S3Gen's output: mono audio at 24 kHz; chunks, chapters and outputs all keep this rate.
SAMPLE_RATE_HZ = 24_000
# S3 speech tokens: 25 per second of audio, 3**8 of them (ids 0..6560; T3's ids above are
# start/stop/unused, never audio).
SPEECH_TOKENS_PER_S = 25
SPEECH_VOCAB_SIZE = 3**8
SAMPLES_PER_TOKEN = SAMPLE_RATE_HZ // SPEECH_TOKENS_PER_S  # 960 samples = 40 ms

"""A real render process for the fault-injection tests: the real pipeline with the fake engine.

Prints one line per event (``phase NAME`` / ``chunk``) and flushes, so the parent can kill it
with SIGKILL at a chosen point without sleeping.
Usage: python render_worker.py BOOK VOICE OUT_DIR [BATCH_SIZE]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from audiobook_tts.config import build_settings  # noqa: E402
from audiobook_tts.engine import register_engine  # noqa: E402
from audiobook_tts.pipeline import RenderRequest, render  # noqa: E402
from fakes import FAKE_BACKEND, FakeEngine  # noqa: E402


class LineEvents:
    def phase(self, name, total=None):
        print(f"phase {name}", flush=True)

    def advance(self, *, chars=0, audio_s=0.0, reused=False):
        if not reused and chars:
            print("chunk", flush=True)

    def chapter(self, index, title, chunks):
        print(f"chapter {index}", flush=True)

    def note(self, message):
        pass


def main() -> None:
    book, voice, out = map(Path, sys.argv[1:4])
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    register_engine(FAKE_BACKEND, FakeEngine)
    settings = build_settings(
        "smoke", {"output": {"format": "both"}, "engine": {"backend": FAKE_BACKEND, "batch_size": batch}}
    )
    req = RenderRequest(book=book, voice=voice, out_dir=out, settings=settings, cache_dir=out.parent / "cache")
    report = render(req, LineEvents())
    print(f"done {report.chunks['synthesized']} {report.chunks['reused']}", flush=True)


if __name__ == "__main__":
    main()

"""``check OUT --html FILE``: one self-contained page for a person to listen to what was flagged.

Every flagged chunk (it failed the word check, or another check found it suspect) gets a
player with its take (FLAC inside the page as a data URI: the page works offline, copied
anywhere), the text it should say, what was heard, the error rate and where it sits in its
chapter. A few lines of script mark each player when its audio has loaded (``data-state``
"playable" or "error") and count them at the top, so a broken page is visible at a glance.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import soundfile

from ..files import atomic_write_text
from .check import CheckResult, ChunkCheck
from .timeline import clock

AUDIO_MIME = "audio/flac"

_STYLE = """
body { font: 16px/1.45 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.4rem; } .summary { color: #555; }
article { border-top: 1px solid #ddd; padding: 0.8rem 0; }
h2 { font-size: 1rem; margin: 0 0 0.4rem; } audio { width: 100%; }
.rate { font-weight: bold; } .rate.fail { color: #a40000; } .rate.pass { color: #2a6a00; }
dl { display: grid; grid-template-columns: 7rem 1fr; gap: 0.2rem 0.8rem; margin: 0.5rem 0 0; }
dt { color: #666; } dd { margin: 0; overflow-wrap: anywhere; } .words { font-family: ui-monospace, monospace; font-size: 0.9rem; }
"""

# Marks each player once its source has loaded (or failed), and counts the playable ones.
_SCRIPT = """
(function () {
  var players = document.querySelectorAll("audio");
  var status = document.getElementById("players");
  function update() {
    var ok = document.querySelectorAll('audio[data-state="playable"]').length;
    var bad = document.querySelectorAll('audio[data-state="error"]').length;
    status.textContent = ok + " of " + players.length + " players ready" + (bad ? ", " + bad + " failed" : "");
    status.setAttribute("data-ready", ok);
    status.setAttribute("data-failed", bad);
  }
  players.forEach(function (a) {
    a.addEventListener("loadedmetadata", function () {
      a.setAttribute("data-state", isFinite(a.duration) && a.duration > 0 ? "playable" : "error");
      a.setAttribute("data-duration", a.duration.toFixed(2));
      update();
    });
    a.addEventListener("error", function () { a.setAttribute("data-state", "error"); update(); });
    a.load();
  });
  update();
})();
"""


def audio_data_uri(wav: np.ndarray, sample_rate: int) -> str:
    """``wav`` (samples,) as a FLAC data URI (16-bit: a page to listen to, not an archive)."""
    buffer = io.BytesIO()
    peak = float(np.max(np.abs(wav))) if wav.size else 0.0
    soundfile.write(buffer, wav / peak if peak > 1.0 else wav, sample_rate, format="FLAC", subtype="PCM_16")
    return f"data:{AUDIO_MIME};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def _article(check: ChunkCheck, audio: tuple[np.ndarray, int] | None) -> str:
    e, h = check.entry, check.hearing
    verdict = "pass" if check.passed else "fail"
    where = html.escape(check.chapter_title) if check.chapter_title else f"Chapter {e['chapter']}"
    player = (f'<audio controls preload="auto" data-key="{e["key"]}" src="{audio_data_uri(*audio)}"></audio>'
              if audio is not None else "<p>(audio missing from the work directory)</p>")
    rows = [
        ("Text", html.escape(e["text"])),
        ("Heard", html.escape(h.heard) or "<em>nothing</em>"),
        ("Error rate", f'<span class="rate {verdict}">{h.error_rate:.0%}</span> (limit {h.limit:.0%})'),
    ]
    if h.score.missing:
        rows.append(("Not heard", f'<span class="words">{html.escape(" ".join(h.score.missing))}</span>'))
    if h.score.extra:
        rows.append(("Extra", f'<span class="words">{html.escape(" ".join(h.score.extra))}</span>'))
    if check.reasons:
        rows.append(("Why flagged", html.escape("; ".join(check.reasons))))
    rows.append(("Takes", str(e.get("takes", 1))))
    details = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return (f'<article class="{verdict}" id="c{e["chapter"]}-{e["index"]}">'
            f'<h2>{where} — at {clock(e["start_s"]) if e.get("start_s") is not None else "?"} (chunk {e["index"]})</h2>'
            f"{player}<dl>{details}</dl></article>")


def render_page(result: CheckResult, audio: Mapping[str, tuple[np.ndarray, int]], title: str) -> str:
    flagged = result.flagged
    failed = len(result.failed)
    summary = (f"{len(result.chunks)} chunks heard by {html.escape(str(result.engine.get('model', '')))}: "
               f"{len(result.chunks) - failed} passed, {failed} failed; {len(flagged)} flagged below.")
    articles = "\n".join(_article(c, audio.get(c.entry["key"])) for c in flagged) or "<p>Nothing was flagged.</p>"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)} — check</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)} — chunks to listen to</h1>"
        f'<p class="summary">{summary} <span id="players"></span></p>\n{articles}\n'
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


def write_page(path: Path, result: CheckResult, audio: Mapping[str, tuple[np.ndarray, int]], title: str) -> None:
    atomic_write_text(Path(path), render_page(result, audio, title))

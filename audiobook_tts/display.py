"""How the CLI looks: Rich progress bars for render events, and the tables it prints."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from .config import BUCKETS
from .verify.timeline import clock


def chapters_table(data: dict[str, Any]) -> Table:
    """``chapters``: the book's chapters with their word counts (from ``chapters --json``'s data)."""
    book = data["book"]
    table = Table(title=f"{book['title']} — {', '.join(book['authors']) or 'unknown author'}")
    table.add_column("#", justify="right")
    table.add_column("Title")
    table.add_column("Words", justify="right")
    for c in data["chapters"]:
        title = escape(c["title"] if c["kind"] == "body" else f"{c['title']} [{c['kind']}]")
        table.add_row(str(c["index"]), title, str(c["words"]))
    return table


def plan_table(data: dict[str, Any]) -> Table:
    """``plan``: chunks per bucket and characters per chapter (from ``plan --json``'s data)."""
    table = Table(title=f"{data['book']['title']} — profile {data['profile']}")
    table.add_column("#", justify="right")
    table.add_column("Title")
    for b in BUCKETS:
        table.add_column(f"{b} ≤{data['buckets'][b]['max_chars']}", justify="right")
    table.add_column("Chars", justify="right")
    for ch in data["chapters"]:
        counts = {b: 0 for b in BUCKETS}
        for c in ch["chunks"]:
            counts[c["bucket"]] += 1
        chars = sum(len(c["text"]) for c in ch["chunks"])
        table.add_row(str(ch["index"]), escape(ch["title"]), *(str(counts[b]) for b in BUCKETS), str(chars))
    return table


class RichEvents:
    """Pipeline events -> Rich progress bars (terminal) or a few plain lines (not a terminal)."""

    PHASES = {
        "load": "Loading model and voice",
        "warmup": "Warming up",
        "synthesis": "Synthesising",
        "assembly": "Assembling chapters",
        "encode": "Encoding",
        "verify": "Listening",
    }

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            disable=not self.live,
        )
        self.overall: TaskID | None = None
        self.current: TaskID | None = None
        self.chapter_task: TaskID | None = None
        self.phase_started = time.perf_counter()
        self.chars = 0
        self.audio_s = 0.0
        self.synth_started: float | None = None
        self.phase_name = ""
        self.totals: dict[TaskID, int | None] = {}

    def __enter__(self) -> "RichEvents":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _stats(self) -> str:
        if self.synth_started is None or self.chars == 0:
            return ""
        wall = time.perf_counter() - self.synth_started
        rtf = f"RTF {wall / self.audio_s:.2f}" if self.audio_s > 0 else "RTF -"
        return f"{self.chars / max(wall, 1e-9):.0f} chars/s {rtf}"

    def phase(self, name: str, total: int | None = None) -> None:
        label = self.PHASES.get(name, name)
        self.phase_name = name
        if self.current is not None and self.current != self.overall:
            self.progress.update(self.current, completed=self.totals.get(self.current) or 0)
        if not self.live:
            self.console.print(f"{label}...")
        if name == "synthesis":
            self.synth_started = time.perf_counter()
            self.overall = self.progress.add_task(label, total=total, stats="")
            self.current = self.overall
        else:
            self.current = self.progress.add_task(label, total=total, stats="")
        self.totals[self.current] = total

    def chapter(self, index: int, title: str, chunks: int) -> None:
        if self.chapter_task is not None:
            self.progress.remove_task(self.chapter_task)
        short = title if len(title) <= 40 else title[:39] + "…"
        self.chapter_task = self.progress.add_task(f"  {index}. {short}", total=chunks, stats="")
        if not self.live:
            self.console.print(f"  chapter {index}: {title}")

    def advance(self, *, chars: int = 0, audio_s: float = 0.0, reused: bool = False) -> None:
        if self.phase_name == "synthesis" and not reused:
            self.chars += chars
            self.audio_s += audio_s
        if self.current is not None:
            stats = self._stats() if self.phase_name == "synthesis" else ""
            self.progress.update(self.current, advance=1, stats=stats)
        if self.chapter_task is not None and self.phase_name == "synthesis":
            self.progress.update(self.chapter_task, advance=1)

    def note(self, message: str) -> None:
        self.console.print(message)


def summary_table(report) -> Table:
    t = Table(title="Render summary", show_header=False)
    t.add_column("what", style="bold")
    t.add_column("value")
    t.add_row("Audio length", hms(report.audio_seconds))
    t.add_row("Wall time", hms(report.wall_seconds))
    rtf = report.rtf
    t.add_row("Real-time factor", f"{rtf:.2f} (synthesis time / audio)" if rtf is not None else "- (nothing synthesised)")
    cps = report.chars_per_s
    if cps is not None:
        t.add_row("Throughput", f"{cps:.0f} chars/s")
    c = report.chunks
    t.add_row("Chunks", f"{c['total']} total: {c['synthesized']} synthesised, {c['reused']} reused")
    if c.get("suspect"):
        t.add_row("Suspect chunks", f"{c['suspect']} (listed in the report)")
    if report.verify:
        _verify_rows(t, report.verify, Path(report.work_dir).parent)
    warm = report.warmup or {}
    if warm.get("samples_per_bucket"):
        per = ", ".join(f"{b} {n}" for b, n in warm["samples_per_bucket"].items())
        t.add_row("Warm-up", f"{warm.get('seconds', 0):.1f} s ({per} samples)")
    t.add_row("Device", report.device or "-")
    if report.fallbacks:
        t.add_row(
            "Fallbacks",
            "; ".join(f"{f['component']}: {f['from']} -> {f['to']} ({f['reason']})" for f in report.fallbacks),
        )
    for i, o in enumerate(report.outputs):
        t.add_row("Output" if i == 0 else "", o)
    t.add_row("Report", str(Path(report.work_dir) / "report.json"))
    return t


# Chunks that never passed listed in a summary; the rest are in the report.
FAILURES_SHOWN = 20
HEARD_SHOWN = 80  # characters of what was heard


def _verify_rows(t: Table, v: dict[str, Any], out_dir: Path) -> None:
    """``render``'s summary of [verify]: how many passed, needed retakes, never passed (listed)."""
    t.add_row("Verified", f"{v['passed']} of {v['checked']} chunks passed ({escape(str(v.get('model', '')))}, "
                          f"at most {v['max_error_rate']:.0%} of words wrong)")
    t.add_row("Retakes", f"{v['retaken']} chunks needed more than one take")
    if v.get("unchecked"):
        t.add_row("Not verified", f"{v['unchecked']} reused chunks were rendered without [verify]: "
                                  f"audiobook-tts check {escape(str(out_dir))}")
    if v.get("share_of_synthesis") is not None:
        t.add_row("Listening cost", f"{v['seconds']:.1f} s in the recogniser, "
                                    f"{v['share_of_synthesis']:.0%} of synthesis time")
    failure_rows(t, v["failed"])


def failure_rows(t: Table, failed: list[dict[str, Any]]) -> None:
    """One row per chunk that never passed: chapter, time in the chapter, text, what was heard."""
    if not failed:
        return
    t.add_row("Never passed", f"{len(failed)} chunks; listen to them at these times:")
    for f in failed[:FAILURES_SHOWN]:
        start = f.get("start_s")
        where = f"chapter {f['chapter']} at {clock(start) if start is not None else '?'}"
        heard = f.get("heard", "")
        heard = heard if len(heard) <= HEARD_SHOWN else heard[: HEARD_SHOWN - 1] + "\u2026"
        takes = f"{f['takes']} take" + ("s" if f["takes"] != 1 else "")
        t.add_row("", escape(f"{where}: \u201c{f['text']}\u201d (heard \u201c{heard}\u201d, "
                             f"{f['error_rate']:.0%} wrong, {takes})"))
    if len(failed) > FAILURES_SHOWN:
        t.add_row("", f"... and {len(failed) - FAILURES_SHOWN} more in the report")


def check_table(result: dict[str, Any], html_path: Path | None = None) -> Table:
    """``check``'s summary, from ``CheckResult.to_dict()``."""
    t = Table(title="Check summary", show_header=False)
    t.add_column("what", style="bold")
    t.add_column("value", overflow="fold")
    t.add_row("Listened with", escape(f"{result.get('engine', '')} {result.get('model', '')} "
                                      f"({result.get('device', '')}, {result.get('compute_type', '')})"))
    t.add_row("Chunks", f"{result['checked']} heard: {result['passed']} passed, "
                        f"{result['checked'] - result['passed']} failed "
                        f"(at most {result['max_error_rate']:.0%} of words wrong)")
    if result.get("redone"):
        t.add_row("Redone", f"{result['redone']} chunks synthesised again")
    t.add_row("Time", f"{result['seconds']:.1f} s for {hms(result['audio_seconds'])} of audio")
    failure_rows(t, result["failed"])
    if html_path is not None:
        t.add_row("Page", escape(str(html_path)))
    return t


def hms(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"

"""The work directory beside the outputs: ``OUT/.audiobook-tts/`` with chunks, log and report."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError
from .files import atomic_write_text
from .report import RenderReport

WORK_DIR_NAME = ".audiobook-tts"
REPORT_NAME = "report.json"
LOG_NAME = "render.log"
CHUNKS_DIR = "chunks"
CHAPTERS_DIR = "chapters"

log = logging.getLogger("audiobook_tts")


def work_dir_for(out_dir: Path) -> Path:
    return out_dir / WORK_DIR_NAME


def prepare_out_dir(out_dir: Path) -> Path:
    """Create ``OUT/.audiobook-tts/chunks`` and prove it is writable; returns the work dir."""
    work = work_dir_for(out_dir)
    try:
        (work / CHUNKS_DIR).mkdir(parents=True, exist_ok=True)
        probe = work / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(
            f"cannot write to output directory {out_dir}: {exc.strerror or exc}"
        ) from None
    return work


@contextlib.contextmanager
def render_log(work: Path) -> Iterator[Path]:
    """Everything logged meanwhile goes to ``render.log``: ours at DEBUG, and the libraries'
    warnings (chatterbox, torch, transformers) too, so the log holds what the terminal leaves out."""
    path = work / LOG_NAME
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def write_report(report: RenderReport, work: Path, also: Path | None = None) -> None:
    """The report as JSON in the work directory, and at ``also`` (``--report``) if given."""
    text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
    atomic_write_text(work / REPORT_NAME, text)
    if also is not None:
        try:
            atomic_write_text(also, text)
        except OSError as exc:
            raise OutputError(f"cannot write report {also}: {exc.strerror}") from None

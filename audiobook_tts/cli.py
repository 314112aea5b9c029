"""The ``audiobook-tts`` command line. The only module that prints, uses Rich and sets exit codes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer
from typer.exceptions import TyperException
from rich.console import Console

from . import __version__
from .config import DEVICES, OUTPUT_FORMATS, SUBTITLE_FORMATS, Settings, build_settings
from .engine.variants import VARIANTS
from .errors import EXIT_FAILURE, EXIT_INTERNAL, EXIT_INTERRUPTED, AudiobookError, Interrupted, UsageError

app = typer.Typer(
    name="audiobook-tts",
    help="Turn a book and a ten-second voice sample into a chaptered audiobook (Chatterbox TTS).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

out = Console()
err = Console(stderr=True)

# Typer validates choices on the parameter; the values are config's, defined once there.
Format = Enum("Format", {name: name for name in OUTPUT_FORMATS}, type=str)
Device = Enum("Device", {name: name for name in DEVICES}, type=str)
Subtitles = Enum("Subtitles", {name: name for name in SUBTITLE_FORMATS}, type=str)
VariantName = Enum("VariantName", {name: name for name in VARIANTS}, type=str)


def _cache_dir(value: Optional[Path]) -> Path:
    if value is not None:
        return value
    env = os.environ.get("AUDIOBOOK_TTS_CACHE")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("audiobook-tts"))


def _settings(profile: Optional[str], book_file: Any = None, **overrides: dict[str, Any]) -> Settings:
    """defaults <- profile (--profile, else the book file's) <- the book file's tables <- flags."""
    if book_file is None:
        return build_settings(profile, overrides)
    return build_settings(profile or book_file.profile or "default", overrides, (book_file.path, book_file.settings))


def _open_book(book: Path) -> tuple[Path, Any]:
    """BOOK argument -> (the book's path, its BookFile or None when given the book itself)."""
    from .bookfile import is_book_file, load_book_file

    if is_book_file(book):
        book_file = load_book_file(book)
        return book_file.book, book_file
    return book, None


def _version_callback(value: bool) -> None:
    if value:
        out.print(f"audiobook-tts {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Turn a book and a ten-second voice sample into a chaptered audiobook (Chatterbox TTS)."""


# --------------------------------------------------------------------------- chapters / plan

BookArg = typer.Argument(..., help="The book: .epub, .pdf, .txt or .md, or its book file (BOOK.audiobook.toml, see init).", show_default=False)
ProfileOpt = typer.Option(None, "--profile", "-p", help="Profile name (configs/NAME.toml) or path to a TOML file (default: the book file's, else default).", show_default=False)
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table.")


def _language_option(value: Optional[str]) -> Optional[str]:
    """``--language fr-FR`` -> "fr", checked on the parameter."""
    if value is None:
        return None
    from .languages import parse_language

    try:
        return parse_language(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


LanguageOpt = typer.Option(
    None, "--language", callback=_language_option, show_default=False,
    help="The book's language (ISO 639-1, e.g. fr); default: the book's metadata, else English.",
)


@app.command()
def chapters(
    book: Path = BookArg,
    json_out: bool = JsonOpt,
    include_front_matter: bool = typer.Option(
        False, "--all", help="Also list front/back matter (title page, colophon, ...) normally left out."
    ),
    language: Optional[str] = LanguageOpt,
) -> None:
    """List the chapters that would be narrated, with their titles and word counts."""
    from .book_language import resolve_language
    from .display import chapters_table
    from .ingest import load_book
    from .plan import book_summary

    book, book_file = _open_book(book)
    b = load_book(book, include_front_matter=include_front_matter)
    if book_file is not None:
        b = book_file.apply(b)
    settings = _settings(None, book_file, text={"language": language})
    data = {
        "book": book_summary(b, resolve_language(settings, b).code),
        "chapters": [
            {
                "index": c.index,
                "title": c.title,
                "kind": c.kind,
                "paragraphs": len(c.paragraphs),
                "words": sum(len(p.split()) for p in c.paragraphs),
            }
            for c in b.chapters
        ],
        "skipped": list(b.skipped),
    }
    if json_out:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    out.print(chapters_table(data))
    if b.skipped:
        out.print(f"Left out as front/back matter: {', '.join(b.skipped)} (use --all to keep)")


@app.command()
def init(
    book: Path = typer.Argument(..., help="The book: .epub, .pdf, .txt or .md.", show_default=False),
    voice: Optional[Path] = typer.Option(None, "--voice", "-v", help="Voice sample to name as the narrator.", show_default=False),
    out_file: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to write the book file (default: BOOK.audiobook.toml beside the book).", show_default=False),
) -> None:
    """Write a book file (metadata, chapters, lexicon) to edit and then render in place of the book."""
    from .bookfile import default_path, init_text
    from .errors import OutputError
    from .ingest import load_book

    target = out_file or default_path(book)
    if target.exists():
        raise OutputError(f"{target} already exists; edit it, or remove it to start again")
    text = init_text(load_book(book), book, target, voice)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror}") from None
    out.print(f"Wrote {target}", markup=False, highlight=False)


@app.command()
def plan(
    book: Path = BookArg,
    profile: Optional[str] = ProfileOpt,
    chapters_spec: Optional[str] = typer.Option(
        None, "--chapters", "-c", help="Chapters to include: 3, 2-5 or 1,4,7-9 (default: all)."
    ),
    json_out: bool = JsonOpt,
    language: Optional[str] = LanguageOpt,
) -> None:
    """Show how the book is chunked and bucketed for synthesis, without synthesising."""
    from .book_language import unspeakable_reason
    from .display import plan_table
    from .plan import load_book, plan_book

    book, book_file = _open_book(book)
    settings = _settings(profile or ("default" if book_file is None else None), book_file, text={"language": language})
    b = load_book(book, settings)
    if book_file is not None:
        b = book_file.apply(b)
    planned = plan_book(b, settings, chapters_spec, book_file.lexicon if book_file else None)
    # A plan is for inspecting the text, so a language the model cannot speak only warns here;
    # render stops on it.
    reason = unspeakable_reason(planned.language, settings.model.variant)
    if reason is not None:
        err.print(f"Warning: {reason}", markup=False, highlight=False, soft_wrap=True)
    data = planned.to_dict()
    never = [name for name, n in planned.lexicon_hits().items() if n == 0]
    if never:
        err.print(f"Warning: lexicon entries that never fired (typos?): {', '.join(never)}",
                  markup=False, highlight=False, soft_wrap=True)
    if json_out:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    out.print(plan_table(data))
    t = data["totals"]
    out.print(f"{t['chapters']} chapters, {t['chunks']} chunks, {t['chars']} characters")
    for name, n in planned.lexicon_hits().items():
        out.print(f"Lexicon {name!r}: {n} time{'' if n == 1 else 's'}", markup=False, highlight=False)
    out.print(f"Read in {planned.language.describe()}", markup=False, highlight=False)


AsrModelDirOpt = typer.Option(None, "--asr-model-dir", help="Local CTranslate2 Whisper directory (model.bin, config.json, tokenizer.json) for listening offline.")


# --------------------------------------------------------------------------- render


@app.command()
def render(
    book: Path = BookArg,
    voice: Optional[Path] = typer.Option(None, "--voice", "-v", help="Voice sample to clone (wav/flac/mp3/ogg, ~10 s of clean speech); default: the book file's narrator.", show_default=False),
    profile: Optional[str] = ProfileOpt,
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", help="Output directory (default: ./<book name>-audiobook)."),
    chapters_spec: Optional[str] = typer.Option(None, "--chapters", "-c", help="Chapters to render: 3, 2-5 or 1,4,7-9 (default: all)."),
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", help="Output format (default from the profile)."),
    model_dir: Optional[Path] = typer.Option(None, "--model-dir", help="Local Chatterbox checkpoint directory (offline use)."),
    variant: Optional[VariantName] = typer.Option(None, "--variant", help="Chatterbox model: standard, turbo or multilingual (default from the profile)."),
    device: Optional[Device] = typer.Option(None, "--device", help="Device to run on (default from the profile)."),
    seed: Optional[int] = typer.Option(None, "--seed", min=0, max=2**31 - 1, help="Base random seed; each chunk's seed derives from it."),
    compile_: Optional[bool] = typer.Option(None, "--compile/--no-compile", help="torch.compile the hot paths (default from the profile)."),
    report_path: Optional[Path] = typer.Option(None, "--report", help="Also write the JSON run report here."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Cache for models, voices and compiled kernels (default: the user cache dir)."),
    language: Optional[str] = LanguageOpt,
    verify: Optional[bool] = typer.Option(None, "--verify/--no-verify", help="Listen to every take with speech recognition, retake misread ones (default from the profile)."),
    asr_model_dir: Optional[Path] = AsrModelDirOpt,
    subtitles: Optional[Subtitles] = typer.Option(None, "--subtitles", help="Also write subtitles, a cue per sentence: one file per chapter and one for the M4B."),
) -> None:
    """Render a book as an audiobook in the given voice. Re-run the same command to resume."""
    from .display import RichEvents, summary_table
    from .pipeline import RenderRequest, render as run_render

    book, book_file = _open_book(book)
    voice = voice or (book_file.narrator if book_file else None)
    if voice is None:
        raise UsageError("Missing option '--voice' / '-v'.")
    model: dict[str, Any] = {"variant": variant.value if variant else None}
    if model_dir is not None:
        model.update(source="dir", dir=str(model_dir))
    settings = _settings(
        profile or ("default" if book_file is None else None),
        book_file,
        model=model,
        engine={"device": device.value if device else None, "compile": compile_},
        synthesis={"seed": seed},
        output={"format": fmt.value if fmt else None, "subtitles": subtitles.value if subtitles else None},
        text={"language": language},
        verify={"enabled": verify, "model_dir": str(asr_model_dir) if asr_model_dir else None},
    )
    if out_dir is None:
        out_dir = Path(f"{book.stem}-audiobook")
    request = RenderRequest(
        book=book,
        voice=voice,
        out_dir=out_dir,
        settings=settings,
        cache_dir=_cache_dir(cache_dir),
        chapters=chapters_spec,
        report_path=report_path,
        book_file=book_file,
    )
    stop = threading.Event()

    def on_sigint(signum, frame):  # first Ctrl-C: finish the current chunk; second: now
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        err.print("Stopping after the current chunk (press Ctrl-C again to stop at once)...")

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        with RichEvents(err) as events:
            report = run_render(request, events, stop=stop)
    except KeyboardInterrupt:
        raise Interrupted() from None
    finally:
        signal.signal(signal.SIGINT, previous)
    out.print(summary_table(report))


# --------------------------------------------------------------------------- check


@contextlib.contextmanager
def _ctrl_c_stops(message: str):
    """First Ctrl-C sets the yielded event (the work stops at its next safe point); second: now."""
    stop = threading.Event()

    def on_sigint(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        err.print(message)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield stop
    except KeyboardInterrupt:
        raise Interrupted() from None
    finally:
        signal.signal(signal.SIGINT, previous)


@app.command()
def check(
    out_dir: Path = typer.Argument(..., help="Output directory of a finished render.", show_default=False),
    html: Optional[Path] = typer.Option(None, "--html", help="Write one self-contained page with a player for every flagged chunk."),
    redo: bool = typer.Option(False, "--redo", help="Synthesise the failing chunks again in place and re-assemble the book."),
    profile: Optional[str] = typer.Option(None, "--profile", "-p", help="Take [verify] from this profile (default: the render's own)."),
    asr_model: Optional[str] = typer.Option(None, "--asr-model", help="faster-whisper model to listen with: small, base.en, large-v3-turbo, a hub repository or tiny-random."),
    asr_model_dir: Optional[Path] = AsrModelDirOpt,
    max_error_rate: Optional[float] = typer.Option(None, "--max-error-rate", min=0.0, max=1.0, help="Most words wrong per word of text for a chunk to pass (default from [verify])."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Cache for models (default: the user cache dir)."),
) -> None:
    """Listen to every chunk of a finished render again; exit 1 when any fails."""
    from .display import RichEvents, check_table
    from .verify.check import chunk_audio, check_render, read_render, redo_failures, settings_for_check

    report = read_render(out_dir)
    overrides: dict[str, Any] = {"max_error_rate": max_error_rate}
    if asr_model is not None:
        overrides.update(model=asr_model, model_dir="")
    if asr_model_dir is not None:
        overrides["model_dir"] = str(asr_model_dir)
    settings = settings_for_check(report, profile, overrides)
    cache = _cache_dir(cache_dir)
    with _ctrl_c_stops("Stopping after the current chunk (press Ctrl-C again to stop at once)...") as stop:
        with RichEvents(err) as events:
            result = check_render(out_dir, settings, cache, report, events)
            if redo and result.failed:
                result = redo_failures(result, report, settings, cache, events, stop)
    if html is not None:
        from .verify.html import write_page

        audio = chunk_audio(out_dir, [c.entry["key"] for c in result.flagged])
        write_page(html, result, audio, title=report.get("book", {}).get("title") or out_dir.name)
    out.print(check_table(result.to_dict(), html))
    if result.failed:
        raise typer.Exit(code=EXIT_FAILURE)


# --------------------------------------------------------------------------- bench


def _batch_sizes(value: Optional[str]) -> tuple[int, ...]:
    """``--batch 1,4,8,16`` -> (1, 4, 8, 16), checked on the parameter."""
    if value is None:
        return ()
    try:
        sizes = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a comma-separated list of batch sizes like 1,4,8") from None
    if not sizes or any(not 1 <= size <= 256 for size in sizes):
        raise typer.BadParameter(f"batch sizes must be between 1 and 256, not {value!r}")
    return sizes


@app.command()
def bench(
    model: str = typer.Option("full", "--model", help="Checkpoint: tiny, full (random weights) or a directory."),
    variant: VariantName = typer.Option("standard", "--variant", help="Chatterbox model: standard, turbo or multilingual."),
    device: Device = typer.Option(Device.cpu, "--device", help="Device to benchmark on."),
    tokens: int = typer.Option(25, "--tokens", min=4, max=2000, help="Speech tokens generated per chunk and run (forced; EOS ignored)."),
    repeats: Optional[int] = typer.Option(None, "--repeats", min=1, max=50, help="Runs of each path, alternating; medians are reported (default 2, fewer on a slow machine, said in the output)."),
    batches: Optional[str] = typer.Option(None, "--batch", help="Also measure ours at these batch sizes (chunks per forward pass), e.g. 1,4,8,16."),
    profile: Optional[str] = typer.Option(None, "--profile", "-p", help="Profile for our engine (default: the variant's CPU profile, cpu, turbo-cpu or multilingual-cpu; try 'fast' on a GPU); stock always runs chatterbox as shipped."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write the results as JSON here."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Cache for models and compiled kernels."),
) -> None:
    """Benchmark stock Chatterbox against our engine on the same checkpoint, voice and tokens."""
    sizes = _batch_sizes(batches)
    from .bench import format_results, run_bench

    chosen = VARIANTS[variant.value]
    settings = _settings(profile or chosen.cpu_profile, model={"variant": chosen.name}, engine={"device": device.value})
    results = run_bench(
        model=model,
        device=device.value,
        tokens=tokens,
        repeats=repeats,
        settings=settings,
        cache_dir=_cache_dir(cache_dir),
        progress=lambda msg: err.print(msg),
        batches=sizes,
    )
    if json_path is not None:
        json_path.write_text(json.dumps(results, indent=2))
    typer.echo(format_results(results))


# --------------------------------------------------------------------------- entry point


def _log_hint(exc: BaseException) -> str:
    """Where the full log of an internal error went (the render log, else a temp file)."""
    import tempfile
    import traceback

    known = getattr(exc, "log_path", None)
    if known:
        return str(known)
    path = Path(tempfile.gettempdir()) / f"audiobook-tts-error-{os.getpid()}.log"
    try:
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    except OSError:
        return "(the log could not be written)"
    return str(path)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Our warnings (quality or speed dropped) as one ``Warning:`` line; libraries' deprecation
    chatter goes to the render log only."""
    import logging

    if f"{os.sep}audiobook_tts{os.sep}" in str(filename):
        err.print(f"Warning: {message}", markup=False, highlight=False, soft_wrap=True)
    else:
        logging.getLogger("audiobook_tts.libraries").debug("%s:%s: %s: %s", filename, lineno, category.__name__, message)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: one ``Error: ...`` line and an exit code for every failure."""
    import logging
    import warnings

    warnings.showwarning = _show_warning
    # A handler on the root logger makes libraries' logging.basicConfig() calls no-ops, so
    # their log lines reach the render log (pipeline) instead of the terminal.
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())
    if argv is None:
        argv = sys.argv[1:]
    if not argv:
        argv = ["--help"]
    try:
        result = app(args=argv, standalone_mode=False, prog_name="audiobook-tts")
        return result if isinstance(result, int) else 0
    except AudiobookError as exc:
        err.print(f"Error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err.print("Error: aborted", markup=False, highlight=False)
        return EXIT_INTERRUPTED
    except TyperException as exc:
        # Usage errors declared on the parameters (missing option, out-of-range value...).
        err.print(f"Error: {exc.format_message()}", markup=False, highlight=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("Error: interrupted", markup=False, highlight=False)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        log_path = _log_hint(exc)
        err.print(
            f"Error: internal error ({type(exc).__name__}: {exc}); full log: {log_path}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return EXIT_INTERNAL


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()

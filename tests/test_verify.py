"""Listening to takes with a fake recogniser: scoring, retakes, tails, the report, subtitles.

The fake hears chosen transcripts with chosen word times (tests/fake_asr.py) and enters
through the same door as faster-whisper, so everything but the model runs for real.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from audiobook_tts.config import PauseOptions, VerifyOptions, build_settings
from audiobook_tts.constants import SAMPLE_RATE_HZ
from audiobook_tts.engine import SynthesisResult, register_engine
from audiobook_tts.errors import ModelError
from audiobook_tts.pipeline import RenderRequest, render as run_render
from audiobook_tts.plan import Job, PlannedChapter, load_book, plan_book
from audiobook_tts.takes import TakeQueue, take_jobs
from audiobook_tts.text import Chunk
from audiobook_tts.verify import Word, register_recognizer
from audiobook_tts.verify.score import score, words
from audiobook_tts.verify.subtitles import Cue, chunk_cues, format_cues, tidy
from audiobook_tts.verify.tails import apply_cut, find_cut
from audiobook_tts.verify.timeline import place_chunks
from audiobook_tts.verify.verifier import Verifier
from fake_asr import FAKE_ASR, FakeRecognizer, FakeRecognizers
from fakes import FAKE_BACKEND, FakeEngine, FakeEngines, FakeVoice

SR = SAMPLE_RATE_HZ
TEXT = "Doctor Watson arrived at noon with three letters, and nobody had expected him."


# --------------------------------------------------------------------------- scoring


@pytest.mark.parametrize("heard", [
    "Dr. Watson arrived at noon with 3 letters, and nobody had expected him.",  # digits, abbreviation
    "doctor watson arrived at noon with three letters and nobody had expected him",  # case, punctuation
    "Doctor Watson arrived at noon, with three letters; and nobody had expected him!",
])
def test_a_correct_take_passes_after_the_same_normalisation(heard):
    assert score(TEXT, heard).error_rate == 0.0


def test_british_and_american_spellings_are_the_same_words():
    assert score("The colour of the centre, realised in grey.", "The color of the center realized in gray.").errors == 0


@pytest.mark.parametrize("heard, missing, extra", [
    # a skipped clause
    ("Dr. Watson arrived at noon with 3 letters.", ("and", "nobody", "had", "expected", "him"), ()),
    # extra words after the text (babble)
    ("Dr. Watson arrived at noon with 3 letters, and nobody had expected him. Oh, oh, uh.", (), ("oh", "oh", "uh")),
])
def test_skipped_and_extra_words_are_counted(heard, missing, extra):
    s = score(TEXT, heard)
    assert (s.missing, s.extra) == (missing, extra)
    assert s.error_rate == pytest.approx(len(missing + extra) / len(words(TEXT)))
    assert s.error_rate > VerifyOptions().max_error_rate


def test_a_sentence_read_twice_fails():
    text = "The lamp was lit. Everyone slept."
    s = score(text, "The lamp was lit. The lamp was lit. Everyone slept.")
    assert s.extra == ("the", "lamp", "was", "lit") and s.error_rate == pytest.approx(4 / 6)


def test_nothing_heard_is_every_word_wrong():
    assert score(TEXT, "").error_rate == 1.0
    assert score("", "").error_rate == 0.0


# --------------------------------------------------------------------------- tails


def test_the_tail_is_cut_at_the_right_sample_with_a_fade():
    wav = np.full(3 * SR, 0.5, dtype=np.float32)  # 3 s of audio, words between 0.5 s and 1.0 s
    words_ = [Word("hello", 0.5, 0.7), Word("there", 0.75, 1.0)]
    cut = find_cut(wav.size, SR, words_, lead_keep_ms=120, tail_keep_ms=250)
    assert (cut.start, cut.end) == (round(0.38 * SR), round(1.25 * SR))
    out = apply_cut(wav, cut, SR)
    assert out.size == cut.end - cut.start
    assert out[0] == 0.0 and out[-1] == 0.0  # faded at both cuts
    assert out[out.size // 2] == 0.5
    assert cut.to_dict(SR) == {"lead_s": 0.38, "tail_s": 1.75}


def test_no_words_or_words_to_the_end_cut_nothing():
    wav = np.ones(SR, dtype=np.float32)
    assert find_cut(wav.size, SR, [], lead_keep_ms=120, tail_keep_ms=250).is_noop
    whole = find_cut(wav.size, SR, [Word("a", 0.0, 0.95)], lead_keep_ms=120, tail_keep_ms=250)
    assert whole.is_noop and apply_cut(wav, whole, SR) is wav


# --------------------------------------------------------------------------- takes


def _jobs(texts):
    chunks = tuple(Chunk(1, i, t, "medium", "text", "sentence", 0) for i, t in enumerate(texts))
    chapter = PlannedChapter(1, "One", chunks)
    return [Job(chapter, c, key=f"{i:064x}", seed=100 + i) for i, c in enumerate(chunks)]


def _verifier(script=None, *, overlap=False, **options):
    opts = VerifyOptions(enabled=True, engine=FAKE_ASR, **options)
    recognizer = FakeRecognizer(opts, None, "en", script=script)
    recognizer.load()
    return Verifier(recognizer, opts, "en", overlap=overlap), recognizer


def _engine():
    engine = FakeEngine(build_settings("smoke"), None)
    engine.load()
    return engine


def test_a_misheard_take_is_retaken_until_it_passes():
    texts = ["The lamp was lit at dusk.", "Everyone slept until the morning came."]
    verifier, recognizer = _verifier({texts[1]: ["Everyone slept.", "Everyone slept until.", texts[1]]})
    engine = _engine()
    takes = take_jobs(engine, FakeVoice("v"), _jobs(texts), max_retries=3, verifier=verifier)
    assert engine.batches == [2, 1, 1]
    assert recognizer.batches == [2, 1, 1]
    assert [t.attempts for t in takes] == [1, 3]
    assert [t.kept for t in takes] == [1, 3]
    assert [t.reasons for t in takes] == [[], []]
    assert takes[1].hearing.error_rate == 0.0
    assert verifier.takes == 4


def test_a_take_that_never_passes_keeps_the_best_and_says_why():
    text = "The lamp was lit at dusk by the keeper."
    heard = ["The lamp.", "The lamp was lit at dusk.", "Lamp."]  # second is best: 3 of 9 words missing
    verifier, _ = _verifier({text: heard})
    takes = take_jobs(_engine(), FakeVoice("v"), _jobs([text]), max_retries=2, verifier=verifier)
    [take] = takes
    assert (take.attempts, take.kept) == (3, 2)
    assert take.result.seed == 100 + 7919  # the second attempt's seed
    assert take.hearing.heard == "The lamp was lit at dusk."
    assert take.reasons == ["misheard (33% of words wrong, limit 20%)"]
    assert take.store_meta()["verify"]["passed"] is False


def test_a_passing_take_loses_its_tail_and_the_cap_no_longer_counts():
    text = "The lamp was lit."  # the fake engine speaks it for 1.13 s
    times = [("The", 0.1, 0.2), ("lamp", 0.25, 0.4), ("was", 0.45, 0.55), ("lit.", 0.6, 0.7)]
    verifier, _ = _verifier({text: [times]}, lead_keep_ms=50, tail_keep_ms=100)

    class CappedEngine(FakeEngine):
        def synthesize(self, text, **kw):
            result = super().synthesize(text, **kw)
            result.hit_cap = True
            return result

    engine = CappedEngine(build_settings("smoke"), None)
    engine.load()
    [take] = take_jobs(engine, FakeVoice("v"), _jobs([text]), max_retries=2, verifier=verifier)
    assert take.reasons == [] and take.attempts == 1  # heard in full: the cap cut nothing off
    assert take.result.wav.size == round(0.8 * SR) - round(0.05 * SR)
    meta = take.store_meta()
    assert meta["verify"]["cut"] == {"lead_s": 0.05, "tail_s": round(len(text) / 15 - 0.8, 3)}
    assert meta["verify"]["words"][0] == ["The", 0.05, 0.15]  # times in the take as kept
    assert meta["span"][1] <= take.result.wav.size


def test_a_failed_take_is_never_cut():
    text = "The lamp was lit."
    verifier, _ = _verifier({text: [[("lamp", 0.1, 0.2)]]})
    [take] = take_jobs(_engine(), FakeVoice("v"), _jobs([text]), max_retries=0, verifier=verifier)
    assert take.reasons and take.result.wav.size == int(len(text) / 15 * SR)


def test_overlapped_listening_gives_the_takes_of_listening_in_turn():
    texts = [f"Sentence number {n} is read aloud here." for n in range(7)]
    script = {texts[2]: ["Sentence number.", texts[2]], texts[5]: ["nothing at all"]}
    results = {}
    for overlap in (False, True):
        verifier, recognizer = _verifier(script, overlap=overlap, batch_size=2)
        queue = TakeQueue(_engine(), FakeVoice("v"), 2, verifier)
        jobs = _jobs(texts)
        got = []
        for start in range(0, len(jobs), 3):
            got += queue.submit(jobs[start:start + 3])
        got += queue.drain()
        verifier.close()
        results[overlap] = sorted((t.job.chunk.index, t.attempts, t.kept, t.result.seed, t.reasons) for t in got)
        assert max(recognizer.batches) <= 2
    assert results[True] == results[False]
    assert [r[1] for r in results[True]] == [1, 1, 2, 1, 1, 3, 1]


# --------------------------------------------------------------------------- the render


def _request(book, voice, tmp_path, verify=True, **sections) -> RenderRequest:
    overrides = {"engine": {"backend": FAKE_BACKEND}, "synthesis": {"max_retries": 2},
                 "verify": {"enabled": verify, "engine": FAKE_ASR}}
    for name, values in sections.items():
        overrides.setdefault(name, {}).update(values)
    return RenderRequest(book=book, voice=voice, out_dir=tmp_path / "out",
                         settings=build_settings("smoke", overrides), cache_dir=tmp_path / "cache")


def _render(request, engines=None, recognizers=None, **kw):
    register_engine(FAKE_BACKEND, engines or FakeEngines())
    register_recognizer(FAKE_ASR, recognizers or FakeRecognizers())
    return run_render(request, **kw)


def _texts(book, settings):
    return [c.text for ch in plan_book(load_book(book, settings), settings).chapters for c in ch.chunks]


def test_render_with_verify_reports_checked_retaken_and_failed(book, voice, tmp_path):
    request = _request(book, voice, tmp_path)
    texts = _texts(book, request.settings)
    retaken, never = texts[2], texts[4]  # "It was a fine day for it." / chapter 2's second chunk
    recognizers = FakeRecognizers(script={retaken: ["It was.", retaken], never: ["nothing like it"]})
    report = _render(request, recognizers=recognizers)
    v = report.verify
    assert (v["engine"], v["model"], v["checked"], v["passed"], v["retaken"], v["unchecked"]) == \
        ("fake", "tiny-random", len(texts), len(texts) - 1, 2, 0)
    [failed] = v["failed"]
    chunk = next(e for e in report.chunk_takes if e["text"] == never)
    assert failed == {"chapter": 2, "chapter_title": "Chapter 2. Noon", "index": chunk["index"], "text": never,
                      "heard": "nothing like it", "error_rate": 1.0, "takes": 3, "start_s": chunk["start_s"]}
    assert chunk["start_s"] > 0  # after the chapter's title and first sentence
    assert v["takes_heard"] == len(texts) + 1 + 2
    # Both on the CPU: each batch is heard as soon as it is made, so synthesis waits for all of it.
    assert v["overlap"] is False and v["blocked_seconds"] == pytest.approx(v["seconds"], abs=0.05)
    assert v["share_of_synthesis"] > 0
    assert [(e["takes"], e["kept"]) for e in report.chunk_takes if e["text"] == retaken] == [(2, 2)]
    saved = json.loads((Path(report.work_dir) / "report.json").read_text())
    assert saved["verify"] == v and len(saved["chunk_takes"]) == len(texts)


def test_chunk_times_in_the_report_are_the_chapter_files(book, voice, tmp_path):
    import soundfile

    report = _render(_request(book, voice, tmp_path))
    pauses = PauseOptions()
    chapter_1 = [e for e in report.chunk_takes if e["chapter"] == 1]
    last = chapter_1[-1]
    wav = sorted((Path(report.work_dir) / "chapters").glob("0001-*.wav"))[0]
    seconds = soundfile.info(str(wav)).duration
    assert last["end_s"] + pauses.chapter_ms / 1000 == pytest.approx(seconds, abs=0.01)


def test_verify_keeps_the_chunk_keys(book, voice, tmp_path):
    plain = _render(_request(book, voice, tmp_path / "plain", verify=False))
    heard = _render(_request(book, voice, tmp_path / "heard"))
    assert [e["key"] for e in plain.chunk_takes] == [e["key"] for e in heard.chunk_takes]
    assert plain.verify == {} and all(e["error_rate"] is None for e in plain.chunk_takes)
    # A render with [verify] reuses the chunks of one without, and says they are unchecked.
    again = _render(_request(book, voice, tmp_path / "plain"))
    assert again.chunks["reused"] == again.chunks["total"]
    assert again.verify["unchecked"] == again.chunks["total"] and again.verify["checked"] == 0


def test_a_missing_asr_model_stops_the_render_before_any_synthesis(book, voice, tmp_path):
    engines = FakeEngines()
    with pytest.raises(ModelError, match="not in the Hugging Face cache"):
        _render(_request(book, voice, tmp_path), engines=engines, recognizers=FakeRecognizers(missing=True))
    assert engines.engines == []  # the TTS model was never even built
    saved = json.loads((tmp_path / "out" / ".audiobook-tts" / "report.json").read_text())
    assert saved["status"] == "failed"


def test_faster_whisper_offline_without_the_model_is_one_line(tmp_path):
    from audiobook_tts.verify.verifier import load_recognizer

    with pytest.raises(ModelError) as e:
        load_recognizer(VerifyOptions(enabled=True, model="small"), tmp_path, "en")
    assert str(e.value) == (
        "the ASR model 'small' (Systran/faster-whisper-small) is not in the Hugging Face cache and cannot "
        "be downloaded offline: run once with network access, or pass --asr-model-dir DIR holding "
        "model.bin, config.json, tokenizer.json")
    with pytest.raises(ModelError, match="ASR model directory not found"):
        load_recognizer(VerifyOptions(enabled=True, model_dir=str(tmp_path / "nope")), tmp_path, "en")


def test_summary_lists_chunks_that_never_passed(book, voice, tmp_path):
    from rich.console import Console

    from audiobook_tts.display import summary_table

    request = _request(book, voice, tmp_path)
    never = _texts(book, request.settings)[4]
    report = _render(request, recognizers=FakeRecognizers(script={never: ["nothing like it"]}))
    console = Console(file=io.StringIO(), width=200)
    console.print(summary_table(report))
    text = console.file.getvalue()
    start = report.verify["failed"][0]["start_s"]
    assert f"{len(report.chunk_takes) - 1} of {len(report.chunk_takes)} chunks passed" in text
    assert "1 chunks needed more than one take" in text
    assert f"chapter 2 at 0:{int(start):02d}: \u201c{never}\u201d (heard \u201cnothing like it\u201d, 100% wrong, 3 takes)" in text


# --------------------------------------------------------------------------- subtitles


def test_sentence_cues_come_from_the_word_times():
    entry = {"text": "The lamp was lit. Everyone slept.", "start_s": 10.0, "end_s": 12.5, "span": [2400, 62400]}
    words_ = [["The", 0.2, 0.3], ["lamp", 0.35, 0.5], ["was", 0.55, 0.7], ["lit.", 0.75, 1.0],
              ["Everyone", 1.6, 2.0], ["slept.", 2.05, 2.5]]
    meta = {"verify": {"passed": True, "words": words_}}
    cues = chunk_cues(entry, meta, "en")
    # take time -> chapter time: the chunk starts at 10.0 s with its span's start (0.1 s) cut
    assert cues == [Cue(pytest.approx(10.1), pytest.approx(10.9), "The lamp was lit."),
                    Cue(pytest.approx(11.5), pytest.approx(12.4), "Everyone slept.")]
    # without word times the span is shared by length
    plain = chunk_cues(entry, None, "en")
    assert [c.text for c in plain] == ["The lamp was lit.", "Everyone slept."]
    assert plain[0].start == 10.0 and plain[1].end == 12.5 and plain[0].end == pytest.approx(10.0 + 2.5 * 17 / 32)


def test_cues_are_tidied_and_formatted():
    cues = tidy([Cue(1.0, 2.0, "One."), Cue(2.2, 2.25, "Two."), Cue(5.0, 6.0, "Three.")])
    assert cues == [Cue(1.0, 2.2, "One."), Cue(2.2, 2.75, "Two."), Cue(5.0, 6.5, "Three.")]
    assert format_cues(cues[:2], "srt") == "1\n00:00:01,000 --> 00:00:02,200\nOne.\n\n2\n00:00:02,200 --> 00:00:02,750\nTwo.\n"
    assert format_cues(cues[:1], "vtt") == "WEBVTT\n\n00:00:01.000 --> 00:00:02.200\nOne.\n"


def test_place_chunks_adds_pauses_per_chapter():
    entries = [{"chapter": 1, "key": "a", "pause_after": "title", "span": [0, SR]},
               {"chapter": 1, "key": "b", "pause_after": "chapter", "span": [100, 100 + SR // 2]},
               {"chapter": 2, "key": "c", "pause_after": "chapter", "span": None}]
    place_chunks(entries, PauseOptions(), span_of=lambda key: (0, 2 * SR))
    assert [(e["start_s"], e["end_s"]) for e in entries] == [(0.0, 1.0), (2.2, 2.7), (0.0, 2.0)]


def test_render_writes_subtitles_per_chapter_and_for_the_m4b(book, voice, tmp_path):
    report = _render(_request(book, voice, tmp_path, output={"subtitles": "srt", "format": "both"}))
    subs = [Path(o) for o in report.outputs if o.endswith(".srt")]
    assert [p.name for p in subs] == ["01 - Chapter 1. Morning.srt", "02 - Chapter 2. Noon.srt",
                                      "03 - Chapter 3. Night.srt", "three-small-chapters.srt"]
    assert subs[0].parent == tmp_path / "out" / "mp3"
    book_cues = subs[-1].read_text().strip().split("\n\n")
    assert [c.splitlines()[2] for c in book_cues[:3]] == ["Chapter one.", "Morning.", "Mister Jones opened the door."]
    assert len(book_cues) == sum(len(p.read_text().strip().split("\n\n")) for p in subs[:-1])
    chapter_2 = report.chapters[1]["start_s"]
    first_of_2 = subs[1].read_text().split("\n")[1].split(" --> ")[0]
    h, m, s = first_of_2.replace(",", ".").split(":")
    book_line = next(c for c in book_cues if "Chapter two." in c).splitlines()[1].split(" --> ")[0]
    bh, bm, bs = book_line.replace(",", ".").split(":")
    assert float(bs) + 60 * int(bm) == pytest.approx(float(s) + 60 * int(m) + chapter_2, abs=0.002)

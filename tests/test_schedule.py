"""Batch scheduling: every job once, batches of one bucket, book order as far as batching allows."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiobook_tts.plan import Job, PlannedChapter
from audiobook_tts.schedule import schedule
from audiobook_tts.text import Chunk

BUCKET_NAMES = ("short", "medium", "long")


def make_jobs(buckets: list[str]) -> list[Job]:
    chunks = tuple(Chunk(1, i, f"text {i}", b, "text", "sentence", 0) for i, b in enumerate(buckets))
    chapter = PlannedChapter(1, "One", chunks)
    return [Job(chapter, c, key=f"{c.index:064x}", seed=c.index) for c in chunks]


def test_batch_of_one_is_book_order():
    jobs = make_jobs(["short", "long", "short", "medium"])
    steps = list(schedule(jobs, finished=set(), batch_size=1))
    assert [s.jobs for s in steps] == [(j,) for j in jobs]
    assert not any(s.reused for s in steps)


def test_batches_share_a_bucket_and_reused_jobs_pass_at_once():
    jobs = make_jobs(["short", "short", "long", "short", "short", "long"])
    steps = list(schedule(jobs, finished={jobs[2].key}, batch_size=2))
    assert [([j.chunk.index for j in s.jobs], s.reused) for s in steps] == [
        ([0, 1], False), ([2], True), ([3, 4], False), ([5], False),
    ]


def test_a_part_full_batch_is_sent_when_it_falls_a_window_behind():
    jobs = make_jobs(["long"] + ["short"] * 8)
    steps = list(schedule(jobs, finished=set(), batch_size=4, window=5))
    assert [[j.chunk.index for j in s.jobs] for s in steps] == [[1, 2, 3, 4], [0], [5, 6, 7, 8]]


def test_batch_size_below_one_is_refused():
    with pytest.raises(ValueError):
        list(schedule(make_jobs(["short"]), set(), 0))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(BUCKET_NAMES), min_size=0, max_size=40),
    st.integers(1, 8),
    st.sets(st.integers(0, 39)),
)
def test_every_job_exactly_once_in_full_or_lagging_batches(buckets, batch_size, done):
    jobs = make_jobs(buckets)
    finished = {jobs[i].key for i in done if i < len(jobs)}
    steps = list(schedule(jobs, finished, batch_size))
    seen = [j.chunk.index for s in steps for j in s.jobs]
    assert sorted(seen) == list(range(len(jobs)))
    for step in steps:
        assert len({j.chunk.bucket for j in step.jobs}) == 1
        assert len(step.jobs) <= (1 if step.reused else batch_size)
        assert step.reused == all(j.key in finished for j in step.jobs)
        positions = [j.chunk.index for j in step.jobs]
        assert positions == sorted(positions)  # within a batch, book order

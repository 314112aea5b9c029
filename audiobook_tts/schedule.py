"""Batch scheduling: the jobs of a plan -> steps for the engine, in book order as far as
batching allows. No torch.

A step is either chunks already in the store (reused as they come) or a batch of up to
``batch_size`` pending chunks of one bucket. Pending chunks wait in their bucket's queue
until it is full; a queue whose oldest chunk has fallen ``window`` jobs behind is sent
part-full, so a rare bucket does not hold its chapter back to the end of the book.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass

from .plan import Job

# How far (in jobs) a part-full batch may lag the book position, per batch slot.
WINDOW_PER_SLOT = 8


@dataclass(frozen=True)
class Step:
    jobs: tuple[Job, ...]
    reused: bool  # True: every job is already in the store


def schedule(
    jobs: Sequence[Job], finished: Container[str], batch_size: int, window: int | None = None
) -> Iterator[Step]:
    """Steps covering every job exactly once; ``finished`` holds the keys already stored."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    window = window if window is not None else WINDOW_PER_SLOT * batch_size
    queues: dict[str, list[tuple[int, Job]]] = {}
    for position, job in enumerate(jobs):
        if job.key in finished:
            yield Step((job,), reused=True)
            continue
        queue = queues.setdefault(job.chunk.bucket, [])
        queue.append((position, job))
        if len(queue) == batch_size:
            yield _batch(queues.pop(job.chunk.bucket))
        for bucket in [b for b, q in queues.items() if position - q[0][0] >= window]:
            yield _batch(queues.pop(bucket))
    for queue in sorted(queues.values(), key=lambda q: q[0][0]):
        yield _batch(queue)


def _batch(queue: list[tuple[int, Job]]) -> Step:
    return Step(tuple(job for _, job in queue), reused=False)

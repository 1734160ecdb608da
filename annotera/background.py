"""Long background work with a row of its own (machine-pass jobs, dataset snapshots): the one
progress writer and the one reaper loop both use.

The writer updates only the rows of ``rows`` (the caller filters by its lease: a job's lease
token, a snapshot's attempt number), so a worker that lost its lease writes nothing; each write
also refreshes the heartbeat that the reapers look at.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

ProgressFn = Callable[[float, str], None]


def progress_writer(rows: QuerySet, *, min_interval: float = 0.0) -> ProgressFn:
    """A ``progress(percent, message)`` that writes at most every ``min_interval`` seconds
    (100% always), percent clamped to 0..100 and rounded to 0.1."""
    last = [float("-inf")]

    def progress(percent: float, message: str = "") -> None:
        now = time.monotonic()
        if now - last[0] < min_interval and percent < 100:
            return
        last[0] = now
        rows.update(
            progress=round(max(0.0, min(100.0, float(percent))), 1),
            message=message[:255],
            heartbeat_at=timezone.now(),
        )

    return progress


def reap_stale(
    candidates: QuerySet, *, still_stale: Callable[[Model], bool], act: Callable[[Model], None]
) -> list[int]:
    """For each candidate row, in its own transaction: lock it, check again that it is stale (its
    worker or another reaper may have moved it on since the candidates were read), then ``act``
    on it (re-queue it or give up). Returns the ids acted on."""
    acted: list[int] = []
    for pk in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            row = candidates.model.objects.select_for_update().get(pk=pk)
            if not still_stale(row):
                continue
            acted.append(pk)
            act(row)
    return acted

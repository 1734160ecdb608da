"""Speech coverage: the share of the speech that voice activity detection found which lies inside
a turn. The machine pass computes it when it builds the turns; every accepted correction or undo
computes it again, so the call page never shows 100% after a boundary move left words outside."""

from __future__ import annotations

from collections.abc import Iterable

from .models import Call, ProcessingJob
from .pipeline import speech as speech_mod


def channel_of(speaker: str) -> int:
    """The channel of a dual-channel call's speaker label ("CH1" -> 1; anything else 0)."""
    return int(speaker[2:]) if speaker.startswith("CH") and speaker[2:].isdigit() else 0


def speech_coverage(speech: list[list[list[float]]], turns: Iterable[tuple[float, float, str]], channels: int) -> float:
    """Speech seconds inside turns / speech seconds, each channel against its own turns.
    ``speech``: per channel, [start, end] stretches; ``turns``: (start, end, speaker label)."""
    turns = list(turns)
    spoken = inside = 0.0
    for channel, stretches in enumerate(speech):
        intervals = [(float(s), float(e)) for s, e in stretches]
        spans = [(a, b) for a, b, speaker in turns if channels == 1 or channel_of(speaker) == channel]
        spoken += speech_mod.total(intervals)
        inside += speech_mod.total(speech_mod.intersect(intervals, spans))
    return 1.0 if spoken <= 0 else round(min(1.0, inside / spoken), 4)


def call_coverage_refresh(call: Call) -> float | None:
    """Recompute and store the call's coverage from its turns as they are now (None, and nothing
    stored, when the call has no machine pass's speech to measure against, e.g. imported turns)."""
    # Only the speech stretches, read in the database: the transcribe result also holds every word
    # of the call (megabytes on a long call), and this runs on every correction.
    stretches = (
        ProcessingJob.objects.filter(call=call, stage="transcribe", status=ProcessingJob.Status.SUCCEEDED)
        .values_list("result__speech", flat=True)
        .first()
    )
    if not stretches:
        return None
    duration = call.duration or float("inf")
    speech = [speech_mod.stretches_within([(float(s), float(e)) for s, e in c], duration) for c in stretches]
    turns = call.turns.values_list("start", "end", "speaker__label")
    coverage = speech_coverage(speech, turns, call.channels or 1)
    Call.objects.filter(pk=call.pk).update(coverage=coverage)
    return coverage

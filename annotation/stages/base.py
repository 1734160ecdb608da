"""What every stage shares: its signature types, the input error, and where a call's derived
files live. Stages compute with ``annotation.pipeline`` (no ORM there) and return a commit
function that replaces the stage's own output in one transaction, so a re-run never duplicates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings

from ..models import Call, ProcessingJob
from ..pipeline import audio as audio_mod

ProgressFn = Callable[[float, str], None]
CommitFn = Callable[[], dict]


class BadInput(Exception):
    """Input a person must fix (not audio, too long, silent...). Never retried."""


@dataclass(frozen=True)
class StageSpec:
    name: str
    title: str
    # Runs outside any transaction (slow work) and returns a function that writes the output;
    # the runner calls that inside the transaction that also marks the job done.
    compute: Callable[[ProcessingJob, ProgressFn], CommitFn]


def derived_dir(call: Call) -> Path:
    return Path(settings.MEDIA_ROOT) / "derived" / str(call.pk)


def pcm_path(call: Call) -> Path:
    return derived_dir(call) / "pcm16k.f32"


def peaks_path(call: Call) -> Path:
    return derived_dir(call) / "peaks.npz"


def segmentation_path(call: Call, channel: int) -> Path:
    return derived_dir(call) / f"segmentation-ch{channel}.npz"


def call_samples(call: Call) -> np.ndarray:
    """(channels, frames) float32, memory-mapped from the decode stage's output."""
    return audio_mod.load_pcm(pcm_path(call), call.channels or 1)


def audio_limits() -> audio_mod.AudioLimits:
    return audio_mod.AudioLimits(
        max_bytes=settings.AUDIO_MAX_BYTES,
        max_seconds=settings.AUDIO_MAX_SECONDS,
        max_channels=settings.AUDIO_MAX_CHANNELS,
    )


def previous_result(call: Call, stage: str) -> dict:
    job = ProcessingJob.objects.filter(call=call, stage=stage, status=ProcessingJob.Status.SUCCEEDED).first()
    if job is None:
        raise RuntimeError(f"stage '{stage}' has not completed for call {call.pk}")
    return job.result


def channel_of(speaker: str) -> int:
    return int(speaker[2:]) if speaker.startswith("CH") and speaker[2:].isdigit() else 0

"""What every stage shares: its signature types, the input error, and where a call's derived
files live. Stages compute with ``annotation.pipeline`` (no ORM there) and return a commit
function that replaces the stage's own output in one transaction, so a re-run never duplicates."""

from __future__ import annotations

from ..models import Call, ProcessingJob
from ..stage_registry import BadInput, CommitFn, ProgressFn, StageSpec
from ..storage import audio_limits, call_samples, derived_dir, pcm_path, peaks_path, segmentation_path

__all__ = [
    "BadInput",
    "CommitFn",
    "ProgressFn",
    "StageSpec",
    "audio_limits",
    "call_samples",
    "derived_dir",
    "pcm_path",
    "peaks_path",
    "segmentation_path",
]


def previous_result(call: Call, stage: str) -> dict:
    job = ProcessingJob.objects.filter(call=call, stage=stage, status=ProcessingJob.Status.SUCCEEDED).first()
    if job is None:
        raise RuntimeError(f"stage '{stage}' has not completed for call {call.pk}")
    return job.result

"""The machine pass, as one explicit ordered list of stages (``STAGES``), read by ``jobs``.

Each stage module computes with ``annotation.pipeline`` (plain Python, no ORM) and returns a
commit function that replaces the stage's own output in one transaction (see ``base``).
"""

from __future__ import annotations

from ..stage_registry import register_stages, stage_names, stage_spec
from .audio import stage_decode, stage_peaks
from .base import (
    BadInput,
    CommitFn,
    ProgressFn,
    StageSpec,
    call_samples,
    derived_dir,
    pcm_path,
    peaks_path,
    segmentation_path,
)
from .prosody import stage_prosody
from .speech import stage_diarize, stage_transcribe
from .suggest import stage_suggest
from .turns import stage_turns

STAGES: tuple[StageSpec, ...] = (
    StageSpec("decode", "Decoding and checking the audio", stage_decode),
    StageSpec("peaks", "Drawing the waveform", stage_peaks),
    StageSpec("transcribe", "Identifying languages and transcribing (WhisperX)", stage_transcribe),
    StageSpec("diarize", "Finding the speakers", stage_diarize),
    StageSpec("turns", "Building turns", stage_turns),
    StageSpec("prosody", "Measuring prosody", stage_prosody),
    StageSpec("suggest", "Suggesting emotions", stage_suggest),
)
register_stages(STAGES)  # the one registry jobs and selectors read (``annotation.stage_registry``)


__all__ = [
    "STAGES",
    "BadInput",
    "CommitFn",
    "ProgressFn",
    "StageSpec",
    "call_samples",
    "derived_dir",
    "pcm_path",
    "peaks_path",
    "segmentation_path",
    "stage_names",
    "stage_spec",
]

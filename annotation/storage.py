"""Where a call's files live besides its upload (``Call.audio``): the files the machine pass
derives from it (16 kHz float PCM, waveform peaks, speaker-activity frames), and the limits an
uploaded file must meet. Stages, views, exports and deletion all find them here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from django.conf import settings

from .models import Call
from .pipeline import audio as audio_mod


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
    """The size, length and channel limits from settings: one builder for the upload check and
    the decode stage."""
    return audio_mod.AudioLimits(
        max_bytes=settings.AUDIO_MAX_BYTES,
        max_seconds=settings.AUDIO_MAX_SECONDS,
        max_channels=settings.AUDIO_MAX_CHANNELS,
    )

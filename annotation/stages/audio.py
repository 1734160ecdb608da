"""Decode and check the upload; draw the waveform's peaks."""

from __future__ import annotations

from ..models import Call, ProcessingJob
from ..pipeline import audio as audio_mod
from ..pipeline.channels import one_mix
from ..pipeline.peaks import LEVELS, compute_peaks, save_peaks
from .base import BadInput, CommitFn, ProgressFn, audio_limits, call_samples, pcm_path, peaks_path

ONE_MIX_NOTE = (
    "The file has two channels carrying the same mix (not one party per channel), so it was "
    "processed as a mono call and its speakers were found by diarization."
)


def stage_decode(job: ProcessingJob, progress: ProgressFn) -> CommitFn:
    call = job.call
    progress(5, "decoding")
    try:
        decoded = audio_mod.decode(call.audio.path, pcm_path(call), audio_limits())
    except audio_mod.AudioRejected as exc:
        raise BadInput(str(exc)) from exc
    except FileNotFoundError as exc:
        raise BadInput("The uploaded file is missing from storage; upload it again.") from exc
    if decoded.channels == 2 and one_mix(decoded.load()):
        # Both channels carry the same mix: as two parties, every word would be written twice.
        progress(50, "stereo file with one mix on both channels: treated as mono")
        decoded = audio_mod.keep_one_channel(decoded)

    def commit() -> dict:
        channel_roles = call.channel_roles
        if decoded.channels == 2 and not channel_roles:
            channel_roles = ["agent", "customer"]
        Call.objects.filter(pk=call.pk).update(
            duration=decoded.duration,
            sample_rate=decoded.source_sample_rate,
            channels=decoded.channels,
            channel_roles=channel_roles,
        )
        return {
            "channels": decoded.channels,
            "frames": decoded.frames,
            "duration": round(decoded.duration, 3),
            "format": decoded.source_format,
            "codec": decoded.source_codec,
            "source_sample_rate": decoded.source_sample_rate,
            "peak_dbfs": decoded.peak_dbfs,
            **({"source_channels": decoded.source_channels, "note": ONE_MIX_NOTE} if decoded.source_channels else {}),
            "model_version": "ffmpeg",
        }

    return commit


def stage_peaks(job: ProcessingJob, progress: ProgressFn) -> CommitFn:
    call = job.call
    peaks = compute_peaks(call_samples(call), audio_mod.SAMPLE_RATE)
    save_peaks(peaks, peaks_path(call))
    return lambda: {"levels": list(LEVELS), "buckets": {str(k): int(v.shape[1]) for k, v in peaks.items()}}

"""Decode and check the upload; draw the waveform's peaks."""

from __future__ import annotations

from ..models import Call, ProcessingJob
from ..pipeline import audio as audio_mod
from ..pipeline.channels import mono_source
from ..pipeline.peaks import LEVELS, compute_peaks, save_peaks
from .base import BadInput, CommitFn, ProgressFn, audio_limits, call_samples, pcm_path, peaks_path

ONE_MIX_NOTE = (
    "The file has two channels carrying the same mix (not one party per channel), so it was "
    "processed as a mono call and its speakers were found by diarization."
)
MIX_AND_LEG_NOTE = (
    "One of the file's two channels carries the whole call and the other only one party's voice, "
    "so the whole call was processed as a mono call and its speakers were found by diarization."
)
SILENT_CHANNEL_NOTE = (
    "One of the file's two channels has no speech, so the other was processed as a mono call and its "
    "speakers were found by diarization (check the speakers' roles)."
)
CLIPPED_NOTE = (
    "{share:.1f}% of the recording is clipped (the signal hits full scale): its loudness and voice "
    "quality figures, and the suggestions that rest on them, are less reliable for this call."
)
NOTES = {"one mix": ONE_MIX_NOTE, "mix and leg": MIX_AND_LEG_NOTE, "one side silent": SILENT_CHANNEL_NOTE}


def stage_decode(job: ProcessingJob, progress: ProgressFn) -> CommitFn:
    call = job.call
    progress(5, "decoding")
    try:
        decoded = audio_mod.decode(call.audio.path, pcm_path(call), audio_limits())
    except audio_mod.AudioRejected as exc:
        raise BadInput(str(exc), failure=Call.Failure.BAD_AUDIO) from exc
    except FileNotFoundError as exc:
        raise BadInput(
            "The uploaded file is missing from storage; upload it again.", failure=Call.Failure.BAD_AUDIO
        ) from exc
    note = ""
    if decoded.channels == 2:
        # One party per channel is what the dual-channel path assumes. A channel without speech
        # (a mono call recorded into one side) would put both voices on one party; one mix on
        # both channels, or the mix beside one party's leg, would write words twice. All three
        # are the mono calls they are (``channels.mono_source``).
        source = mono_source(decoded.load())
        if source is not None:
            note = NOTES[source.kind]
            progress(50, "stereo file that is a mono call: one channel kept")
            decoded = audio_mod.keep_one_channel(decoded, source.channel)

    clipped = max(decoded.clipped_share, default=0.0)
    if clipped >= audio_mod.CLIPPED_NOTE_SHARE:
        note = " ".join(filter(None, [note, CLIPPED_NOTE.format(share=100 * clipped)]))

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
            "clipped_share": decoded.clipped_share,
            **({"source_channels": decoded.source_channels} if decoded.source_channels else {}),
            **({"note": note} if note else {}),
            "model_version": "ffmpeg",
        }

    return commit


def stage_peaks(job: ProcessingJob, progress: ProgressFn) -> CommitFn:
    call = job.call
    peaks = compute_peaks(call_samples(call), audio_mod.SAMPLE_RATE)
    save_peaks(peaks, peaks_path(call))
    return lambda: {"levels": list(LEVELS), "buckets": {str(k): int(v.shape[1]) for k, v in peaks.items()}}

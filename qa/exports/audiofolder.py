"""Hugging Face audiofolder: one 16-bit WAV clip per turn plus metadata.jsonl per split folder.

Loads with ``datasets.load_dataset("audiofolder", data_dir=...)``. Every metadata row has the
same shape (labels are lists of {label, intensity}, never dicts keyed by label), so the column
types are the same in every row and every split. Shifts are written as JSON text: ``datasets``
types each split's metadata from its first rows and refuses splits whose types differ, and an
empty list (a split where nobody marked a shift) has no element type to agree with. Clips are
cut from the call's decoded PCM through a memory map: only the turn's samples are read.

Not in these rows (their shape varies from turn to turn, which that typing cannot take): words,
prosody and the suggestions beyond the newest one's model version. They are in the JSONL format,
keyed by the same call and turn.
"""

from __future__ import annotations

import json
import struct

import numpy as np

from annotation.pipeline.audio import load_pcm

from .base import FormatWriter, call_stem
from .records import CallInfo, ExportError


def wav_header(frames: int, sample_rate: int, channels: int = 1) -> bytes:
    data_bytes = frames * channels * 2
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        1,  # PCM
        channels,
        sample_rate,
        sample_rate * channels * 2,
        channels * 2,
        16,
        b"data",
        data_bytes,
    )


def to_pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def shifts_text(shifts: list[dict]) -> str:
    """Shifts ``[{at, from, to}]`` as compact JSON text (``json.loads`` gives the JSONL value)."""
    return json.dumps(shifts or [], ensure_ascii=False, separators=(",", ":"))


class AudioFolderWriter(FormatWriter):
    name = "audiofolder"
    title = "Hugging Face audiofolder (WAV clips + metadata.jsonl)"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.metadata: dict[str, object] = {}
        self._pcm_call: int | None = None
        self._pcm = None
        self.clips = 0
        self.seconds = 0.0

    def _samples(self, call: CallInfo) -> np.ndarray:
        if self._pcm_call != call.id:
            if not call.pcm.exists():
                raise ExportError(f"call {call.id} ({call.name}) has no decoded audio; re-run its decode stage.")
            self._pcm, self._pcm_call = load_pcm(call.pcm, call.channels), call.id
        return self._pcm

    def _stream(self, split: str):
        folder = f"{self.name}/{split}" if split else self.name
        if folder not in self.metadata:
            self.metadata[folder] = self.ctx.open_stream(f"{folder}/metadata.jsonl")
        return folder, self.metadata[folder]

    def write(self, record: dict) -> None:
        call = self.ctx.calls[record["call"]]
        pcm = self._samples(call)  # (channels, frames), memory-mapped
        rate = call.sample_rate
        first = max(0, int(round(record["start"] * rate)))
        last = min(pcm.shape[1], int(round(record["end"] * rate)))
        channel = call.speaker_channels.get(record["speaker"])
        if pcm.shape[0] > 1 and channel is not None and channel < pcm.shape[0]:
            clip = np.asarray(pcm[channel, first:last])
        else:
            clip = np.asarray(pcm[:, first:last]).mean(axis=0) if pcm.shape[0] > 1 else np.asarray(pcm[0, first:last])
        folder, meta = self._stream(record["split"])
        file_name = f"{call_stem(call.id)}_turn{record['turn']:05d}.wav"
        frames = max(0, last - first)
        self.ctx.write_bytes(f"{folder}/{file_name}", wav_header(frames, rate), to_pcm16(clip))
        self.clips += 1
        self.seconds += frames / rate
        row = {
            "file_name": file_name,
            "split": record["split"],
            "call": record["call"],
            "call_name": record["call_name"],
            "turn": record["turn"],
            "start": float(record["start"]),
            "end": float(record["end"]),
            "speaker": record["speaker"],
            "speaker_role": record["speaker_role"],
            "language": record["language"],
            "code_switch": bool(record["code_switch"]),
            "locale": record["locale"],
            "text": record["text"],
            "consensus_source": record["consensus_source"],
            "labels": record["consensus"],
            "soft_labels": record["soft_labels"],
            "annotations": [
                {
                    "annotator": a["annotator"],
                    "labels": a["labels"],
                    "no_emotion": a["no_emotion"],
                    "valence": a["valence"],
                    "arousal": a["arousal"],
                    "shifts": shifts_text(a["shifts"]),
                }
                for a in record["annotations"]
            ],
            # How many judgements are none in this taxonomy version (listed in the JSONL record).
            "annotations_left_out": len(record["annotations_left_out"]),
            "valence_mean": record["valence_mean"],
            "valence_sd": record["valence_sd"],
            "arousal_mean": record["arousal_mean"],
            "arousal_sd": record["arousal_sd"],
            "shifts": shifts_text(record["shifts"]),
            "disagreement": record["disagreement"],
            "model_version": record["suggestions"][0]["model_version"] if record["suggestions"] else "",
        }
        meta.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")

    def close(self) -> None:
        for stream in self.metadata.values():
            stream.close()
        self._pcm = None

"""The calls' audio, one 16-bit WAV per call under ``audio/``: what EAF, EmotionML and Label
Studio point at (``../audio/callNNNNNN.wav`` from their own folders). Without this option the
dataset holds no audio and the data card says where to get it.

The WAV is made from the call's decoded PCM (the sample rate and channels the machine pass
used), streamed in blocks, so a two-hour call never sits in memory.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from annotation.pipeline.audio import load_pcm

from .audiofolder import to_pcm16, wav_header
from .base import AUDIO_DIR, PerCallWriter, call_stem
from .records import CallInfo, ExportError

BLOCK_FRAMES = 1 << 18


class CallAudioWriter(PerCallWriter):
    name = "audio"
    title = "Call audio (one WAV per call, for the formats that reference it)"

    def write_call(self, call: CallInfo, records: list[dict]) -> None:
        if not call.pcm.exists():
            raise ExportError(f"call {call.id} ({call.name}) has no decoded audio; re-run its decode stage.")
        pcm = load_pcm(call.pcm, call.channels)  # (channels, frames), memory-mapped

        def chunks() -> Iterator[bytes]:
            yield wav_header(pcm.shape[1], call.sample_rate, pcm.shape[0])
            for first in range(0, pcm.shape[1], BLOCK_FRAMES):
                block = np.asarray(pcm[:, first : first + BLOCK_FRAMES])
                yield to_pcm16(block.T.reshape(-1))  # interleaved frames

        self.ctx.write_chunks(f"{AUDIO_DIR}/{call_stem(call.id)}.wav", chunks())

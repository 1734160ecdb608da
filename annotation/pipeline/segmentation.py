"""Local speaker segmentation with WhisperX's bundled pyannote model, computed once per channel.

The same output serves two stages: voice activity (the max over local speakers, aggregated over
overlapping windows) for WhisperX's batched transcription, and speaker tracklets for mono
diarization. Running the model once instead of twice saves about a quarter of a call's
machine-pass time on two CPU cores.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .audio import SAMPLE_RATE

CHUNK_SECONDS = 5.0  # the model's window
_MODEL = None
_LOCK = threading.Lock()


def segmentation_model():
    global _MODEL
    with _LOCK:
        if _MODEL is None:
            import whisperx  # lazy: whisperx loads torch (kept out of the web tier)
            from pyannote.audio import Model  # lazy: pyannote loads torch

            _MODEL = Model.from_pretrained(str(Path(whisperx.__file__).parent / "assets" / "pytorch_model.bin"))
        return _MODEL


@dataclass
class LocalSegmentation:
    scores: np.ndarray  # (windows, frames, local speakers) activation in [0, 1]
    window_step: float
    frame_step: float
    frame_duration: float

    @property
    def frame_offset(self) -> float:
        """Centre of frame 0 relative to its window's start."""
        return self.frame_duration / 2

    @property
    def shift(self) -> int:
        """Frames between the starts of two consecutive windows."""
        return int(round(self.window_step / self.frame_step))

    def frame_time(self, global_frame):
        return global_frame * self.frame_step + self.frame_offset

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".partial.npz")
        np.savez_compressed(
            tmp,
            scores=self.scores.astype(np.float16),
            meta=np.array([self.window_step, self.frame_step, self.frame_duration]),
        )
        tmp.replace(path)

    @property
    def on_frame_grid(self) -> bool:
        """Whether window starts fall on model frames (files saved before that fix do not)."""
        return abs(self.shift * self.frame_step - self.window_step) < 1e-6

    @classmethod
    def reusable(cls, path: Path) -> LocalSegmentation | None:
        """A saved pass, unless there is none or it predates windows on the frame grid."""
        if not path.exists():
            return None
        seg = cls.load(path)
        return seg if seg.on_frame_grid else None

    @classmethod
    def load(cls, path: Path) -> LocalSegmentation:
        with np.load(path) as data:
            window_step, frame_step, frame_duration = (float(x) for x in data["meta"])
            return cls(data["scores"].astype(np.float32), window_step, frame_step, frame_duration)


def snap_to_frames(window_step: float, frame_step: float) -> float:
    """The window step nearest ``window_step`` that is a whole number of model frames.

    Tracklets, cannot-links and word attribution place window ``w``'s frames at global frame
    ``w * shift``. With 1 s windows and the model's 16.875 ms frames (59.26 per second) that clock
    ran 0.44% slow: 2.6 s behind the audio by minute 10, so on an ordinary call every speaker
    change after the first few minutes landed on the wrong words.
    """
    return max(1, round(window_step / frame_step)) * frame_step


def local_segmentation(audio: np.ndarray, window_step: float = 1.0) -> LocalSegmentation:
    import torch  # lazy: torch (kept out of the web tier)
    from pyannote.audio import Inference  # lazy: pyannote loads torch

    model = segmentation_model()
    field = model.receptive_field
    window_step = snap_to_frames(window_step, float(field.step))
    inference = Inference(model, step=window_step, skip_aggregation=True, batch_size=32)
    waveform = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))[None]
    with torch.inference_mode():
        output = inference({"waveform": waveform, "sample_rate": SAMPLE_RATE})
    return LocalSegmentation(
        scores=np.asarray(output.data, dtype=np.float32),
        window_step=window_step,
        frame_step=float(field.step),
        frame_duration=float(field.duration),
    )


def speech_regions(
    seg: LocalSegmentation, *, chunk_size: float = 30.0, onset: float = 0.5, offset: float = 0.363
) -> list[tuple[float, float]]:
    """Speech chunks of at most ``chunk_size`` seconds, as WhisperX's VAD makes them."""
    from pyannote.audio import Inference  # lazy: pyannote loads torch (kept out of the web tier)
    from pyannote.core import SlidingWindow, SlidingWindowFeature  # lazy: pyannote, as above
    from whisperx.vads import Pyannote  # lazy: whisperx loads torch

    if seg.scores.shape[0] == 0:
        return []
    chunks = SlidingWindow(start=0.0, duration=CHUNK_SECONDS, step=seg.window_step)
    frames = SlidingWindow(start=0.0, duration=seg.frame_duration, step=seg.frame_step)
    speech = SlidingWindowFeature(seg.scores.max(axis=2, keepdims=True), chunks)
    aggregated = Inference.aggregate(speech, frames)
    merged = Pyannote.merge_chunks(aggregated, chunk_size, onset=onset, offset=offset)
    return from_recording_start([(float(c["start"]), float(c["end"])) for c in merged], seg)


def from_recording_start(stretches: list[tuple[float, float]], seg: LocalSegmentation) -> list[tuple[float, float]]:
    """Speech under way as the recording starts begins at 0. Binarising puts an onset at a
    frame's centre and frame 0 is centred half a frame in (31 ms), so such speech began 31 ms
    late: the cut took the first word's onset and recognition dropped the word ("Hello, thank
    you…" from sample 0 came out "Thank you…"). Anywhere else the model's frames start early
    enough."""
    if stretches and stretches[0][0] <= seg.frame_offset + 1e-6:
        stretches = [(0.0, stretches[0][1]), *stretches[1:]]
    return stretches

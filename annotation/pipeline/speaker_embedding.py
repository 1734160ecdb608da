"""Speaker embeddings (resemblyzer's GE2E d-vector encoder, which ships in its pip package).

Diarization embeds many short windows of one call, so instead of ``embed_utterance`` (one mel
spectrogram and one LSTM pass per call of it) the whole channel's mel spectrogram is computed
once and the chosen 1.6 s windows go through the LSTM in batches. (Dynamic int8 quantisation of
the LSTM was tried: its embeddings had cosine ~0.4 to float32's, useless.)
"""

from __future__ import annotations

import threading

import numpy as np

from .audio import SAMPLE_RATE

MEL_STEP = 0.01  # seconds per mel frame (resemblyzer's hparams)
WINDOW_FRAMES = 160  # 1.6 s: the partial utterance the encoder was trained on
WINDOW_SECONDS = WINDOW_FRAMES * MEL_STEP

_ENCODER = None
_LOCK = threading.Lock()


def encoder():
    global _ENCODER
    with _LOCK:
        if _ENCODER is None:
            from resemblyzer import VoiceEncoder  # lazy: torch, librosa (kept out of the web tier)

            _ENCODER = VoiceEncoder(device="cpu", verbose=False).eval()
        return _ENCODER


def mel_frames(audio: np.ndarray) -> np.ndarray:
    """(frames, 40) mel spectrogram at 10 ms steps, level-normalised as resemblyzer expects."""
    from resemblyzer.audio import wav_to_mel_spectrogram  # lazy: loads librosa (kept out of the web tier)

    audio = np.asarray(audio, dtype=np.float32)
    return wav_to_mel_spectrogram(_normalise_level(audio)).astype(np.float32)


def _normalise_level(audio: np.ndarray, target_dbfs: float = -30.0) -> np.ndarray:
    """resemblyzer's volume normalisation, on the loud half of the signal (speech, not silence)."""
    if audio.size == 0:
        return audio
    frame = SAMPLE_RATE // 100
    usable = audio[: audio.size // frame * frame].reshape(-1, frame) if audio.size >= frame else audio[None]
    energy = np.mean(usable**2, axis=1)
    loud = energy[energy >= np.median(energy)]
    rms = float(np.sqrt(np.mean(loud))) if loud.size else 0.0
    if rms <= 1e-6:
        return audio
    return audio * (10 ** (target_dbfs / 20) / rms)


def embed_windows(mel: np.ndarray, starts: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """L2-normalised d-vectors of the 1.6 s windows starting at mel frames ``starts``."""
    import torch  # lazy: torch (kept out of the web tier)

    if len(starts) == 0:
        return np.zeros((0, 256), dtype=np.float32)
    padded = mel
    need = int(np.max(starts)) + WINDOW_FRAMES
    if need > mel.shape[0]:
        padded = np.concatenate([mel, np.zeros((need - mel.shape[0], mel.shape[1]), dtype=mel.dtype)])
    index = np.asarray(starts, dtype=np.int64)[:, None] + np.arange(WINDOW_FRAMES)[None, :]
    model = encoder()
    out = []
    with torch.inference_mode():
        for first in range(0, index.shape[0], batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(padded[index[first : first + batch_size]]))
            out.append(model(batch).numpy())
    vectors = np.concatenate(out).astype(np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)

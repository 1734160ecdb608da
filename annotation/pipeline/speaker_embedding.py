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


MEL_FFT = 400  # resemblyzer's 25 ms window at 16 kHz...
MEL_HOP = 160  # ...and 10 ms hop (its hparams)
MEL_BANDS = 40
MEL_CHUNK_FRAMES = 6000  # one minute per STFT: memory stays flat on hours-long calls


def mel_frames(audio: np.ndarray, chunk_frames: int = MEL_CHUNK_FRAMES) -> np.ndarray:
    """(frames, 40) mel power spectrogram at 10 ms steps, level-normalised as resemblyzer expects.

    The same frames as resemblyzer's ``wav_to_mel_spectrogram`` (librosa, centred frames, zero
    padding at the ends), computed a minute at a time: the whole call's STFT at once took 1.2 GB
    on a 60-minute call, the peak of the machine pass."""
    import librosa  # lazy: librosa loads numba (kept out of the web tier)

    audio = np.asarray(audio, dtype=np.float32)
    gain = _level_gain(audio)
    total = 1 + audio.size // MEL_HOP
    half = MEL_FFT // 2
    out = np.empty((total, MEL_BANDS), dtype=np.float32)
    for first in range(0, total, chunk_frames):
        last = min(total, first + chunk_frames)  # frames [first, last)
        begin, end = first * MEL_HOP - half, (last - 1) * MEL_HOP + half
        piece = audio[max(0, begin) : min(audio.size, end)]
        piece = np.pad(piece, (max(0, -begin), max(0, end - audio.size))) * gain
        mel = librosa.feature.melspectrogram(
            y=piece, sr=SAMPLE_RATE, n_fft=MEL_FFT, hop_length=MEL_HOP, n_mels=MEL_BANDS, center=False
        )
        out[first:last] = mel.T[: last - first]
    return out


def _level_gain(audio: np.ndarray, target_dbfs: float = -30.0) -> float:
    """resemblyzer's volume normalisation as a gain, measured on the loud half of the signal
    (speech, not silence), 10 ms frames read a minute at a time (no copy of the call)."""
    frame = SAMPLE_RATE // 100
    usable = audio.size // frame * frame
    if usable == 0:
        return 1.0
    step = frame * 6000
    energy = np.concatenate(
        [np.mean(audio[i : min(usable, i + step)].reshape(-1, frame) ** 2, axis=1) for i in range(0, usable, step)]
    )
    loud = energy[energy >= np.median(energy)]
    rms = float(np.sqrt(np.mean(loud))) if loud.size else 0.0
    return 1.0 if rms <= 1e-6 else 10 ** (target_dbfs / 20) / rms


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

"""Who spoke when.

- Dual-channel calls: each channel is one party, so the channel *is* the speaker.
- Mono calls, offline default: words are grouped into short speaker-homogeneous units (split at
  sentence ends and pauses), each unit gets a d-vector from resemblyzer's bundled encoder, the
  units are clustered (spectral clustering; the speaker count comes from the eigengap of the
  affinity matrix), and a last pass re-labels short units by their neighbours.
- Installs with pyannote weights (``DIARIZATION_MODEL`` + token) use WhisperX's
  ``DiarizationPipeline`` instead.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

from .audio import SAMPLE_RATE
from .types import SpeakerSpan, Word

logger = logging.getLogger(__name__)

_SENTENCE_END = (".", "?", "!", "。", "？", "！")


@dataclass(frozen=True)
class DiarizationConfig:
    max_speakers: int = 6
    min_speakers: int = 1
    unit_pause: float = 0.35  # a pause this long starts a new unit
    unit_max_seconds: float = 3.0
    min_embed_seconds: float = 1.0  # shorter units borrow context up to this length
    same_speaker_similarity: float = 0.82  # above this everywhere, the call has one speaker


def channel_speaker(channel: int) -> str:
    return f"CH{channel}"


@dataclass
class _Unit:
    words: list[Word]

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end


def split_units(words: list[Word], config: DiarizationConfig) -> list[_Unit]:
    units: list[_Unit] = []
    current: list[Word] = []
    for word in words:
        if current and (
            word.start - current[-1].end >= config.unit_pause
            or current[-1].text.endswith(_SENTENCE_END)
            or word.end - current[0].start > config.unit_max_seconds
        ):
            units.append(_Unit(current))
            current = []
        current.append(word)
    if current:
        units.append(_Unit(current))
    return units


_ENCODER = None
_ENCODER_LOCK = threading.Lock()


def _encoder():
    global _ENCODER
    with _ENCODER_LOCK:
        if _ENCODER is None:
            from resemblyzer import VoiceEncoder

            _ENCODER = VoiceEncoder(device="cpu", verbose=False)
        return _ENCODER


def embed_spans(audio: np.ndarray, spans: list[tuple[float, float]], min_seconds: float) -> np.ndarray:
    """One L2-normalised d-vector per (start, end) span; short spans are widened symmetrically."""
    encoder = _encoder()
    total = audio.shape[0] / SAMPLE_RATE
    vectors = []
    for start, end in spans:
        if end - start < min_seconds:
            pad = (min_seconds - (end - start)) / 2
            start, end = max(0.0, start - pad), min(total, end + pad)
        clip = np.asarray(audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)], dtype=np.float32)
        peak = np.abs(clip).max() if clip.size else 0.0
        if peak > 0:
            clip = clip / peak * 0.5
        vectors.append(encoder.embed_utterance(clip))
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-9)


def estimate_clusters(similarity: np.ndarray, config: DiarizationConfig) -> tuple[int, np.ndarray]:
    """Speaker count by the eigengap of the normalised affinity Laplacian; returns (k, labels)."""
    from scipy.linalg import eigh
    from sklearn.cluster import KMeans

    n = similarity.shape[0]
    if n == 1:
        return 1, np.zeros(1, dtype=int)
    off_diagonal = similarity[~np.eye(n, dtype=bool)]
    if off_diagonal.min() >= config.same_speaker_similarity:
        return 1, np.zeros(n, dtype=int)
    # Affinity: cosine similarity, sharpened and pruned to each row's nearest neighbours.
    affinity = np.clip(similarity, 0, 1) ** 2
    keep = max(2, min(n - 1, int(round(0.3 * n))))
    pruned = np.zeros_like(affinity)
    order = np.argsort(-affinity, axis=1)[:, :keep]
    rows = np.repeat(np.arange(n), keep)
    pruned[rows, order.ravel()] = affinity[rows, order.ravel()]
    affinity = np.maximum(pruned, pruned.T)
    degree = affinity.sum(axis=1)
    inv_sqrt = 1.0 / np.sqrt(np.maximum(degree, 1e-9))
    laplacian = np.eye(n) - inv_sqrt[:, None] * affinity * inv_sqrt[None, :]
    values, vectors = eigh(laplacian)
    upper = max(config.min_speakers, min(config.max_speakers, n - 1))
    gaps = np.diff(values[: upper + 1])
    k = int(np.argmax(gaps[max(0, config.min_speakers - 1) :]) + max(1, config.min_speakers))
    k = max(config.min_speakers, min(k, upper))
    if k == 1:
        return 1, np.zeros(n, dtype=int)
    embedding = vectors[:, :k]
    embedding = embedding / np.maximum(np.linalg.norm(embedding, axis=1, keepdims=True), 1e-9)
    labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(embedding)
    return k, labels


def diarize_mono(audio: np.ndarray, words: list[Word], config: DiarizationConfig = DiarizationConfig()) -> list[Word]:
    """Label every word of a mono call with a speaker (``SPEAKER_00``...)."""
    if not words:
        return []
    units = split_units(words, config)
    vectors = embed_spans(audio, [(u.start, u.end) for u in units], config.min_embed_seconds)
    similarity = vectors @ vectors.T
    _, labels = estimate_clusters(similarity, config)
    labels = _smooth(units, labels, vectors)
    # Name speakers by order of first appearance, so SPEAKER_00 speaks first.
    names: dict[int, str] = {}
    for label in labels:
        names.setdefault(int(label), f"SPEAKER_{len(names):02d}")
    out: list[Word] = []
    for unit, label in zip(units, labels, strict=True):
        for word in unit.words:
            out.append(Word(word.text, word.start, word.end, word.probability, names[int(label)]))
    return out


def _smooth(units: list[_Unit], labels: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Re-label a very short unit sandwiched between two units of one other speaker when its
    own d-vector is closer to that speaker's centroid (short units give noisy d-vectors)."""
    labels = labels.copy()
    centroids = {int(k): vectors[labels == k].mean(axis=0) for k in np.unique(labels)}
    for i in range(1, len(units) - 1):
        before, after = labels[i - 1], labels[i + 1]
        if before == after != labels[i] and units[i].end - units[i].start < 0.6:
            own, neighbour = centroids[int(labels[i])], centroids[int(before)]
            if vectors[i] @ neighbour > vectors[i] @ own:
                labels[i] = before
    return labels


def diarize_with_pyannote(audio: np.ndarray, words: list[Word], model: str, token: str, device: str) -> list[Word]:
    """WhisperX's DiarizationPipeline (needs pyannote weights available locally or a hub token)."""
    from whisperx.diarize import DiarizationPipeline

    pipeline = DiarizationPipeline(model_name=model, use_auth_token=token or None, device=device)
    frame = pipeline(np.asarray(audio, dtype=np.float32))
    spans = [SpeakerSpan(float(r.start), float(r.end), str(r.speaker)) for r in frame.itertuples()]
    return assign_words(words, spans)


def assign_words(words: list[Word], spans: list[SpeakerSpan]) -> list[Word]:
    """Give each word the speaker whose spans overlap it most (nearest span when none does)."""
    out = []
    for word in words:
        best, best_overlap, best_distance = "", 0.0, float("inf")
        for span in spans:
            overlap = min(word.end, span.end) - max(word.start, span.start)
            distance = max(span.start - word.end, word.start - span.end, 0.0)
            if overlap > best_overlap or (best_overlap == 0 and distance < best_distance):
                best, best_overlap, best_distance = span.speaker, max(overlap, 0.0), distance
        out.append(Word(word.text, word.start, word.end, word.probability, best or "SPEAKER_00"))
    return out


def words_to_spans(words: list[Word], merge_gap: float = 0.5) -> list[SpeakerSpan]:
    """Contiguous speaker spans from speaker-labelled words (for RTTM and DER)."""
    spans: list[SpeakerSpan] = []
    for word in words:
        if spans and spans[-1].speaker == word.speaker and word.start - spans[-1].end <= merge_gap:
            spans[-1].end = max(spans[-1].end, word.end)
        else:
            spans.append(SpeakerSpan(word.start, word.end, word.speaker))
    return spans

"""Who spoke when.

- Dual-channel calls: each channel is one party, so the channel *is* the speaker.
- Mono calls, offline default (``diarize_mono``), in the manner of pyannote 2.x, built from the
  models that ship in pip packages:
  1. WhisperX's bundled pyannote *segmentation* model (the one its VAD uses) runs on 5 s
     windows every second; it gives up to three local speaker activities per window.
  2. Local speakers of consecutive windows that are active on the same frames of the overlap
     are linked into *tracklets* (speaker-homogeneous stretches; the model finds the changes).
  3. Each tracklet gets a resemblyzer d-vector from the audio where it alone speaks.
  4. Tracklets are clustered (spectral clustering, speaker count from the eigengap), with a
     cannot-link between tracklets active in the same window as different local speakers.
  5. Each word goes to the speaker most active over its span.
- Installs with pyannote weights (``DIARIZATION_MODEL`` + token) use WhisperX's
  ``DiarizationPipeline`` instead.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

from .audio import SAMPLE_RATE
from .segmentation import LocalSegmentation, local_segmentation
from .types import SpeakerSpan, Word

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DiarizationConfig:
    max_speakers: int = 6
    min_speakers: int = 1
    window_step: float = 1.0  # seconds between 5 s segmentation windows
    active: float = 0.5  # local speaker activation threshold
    link_jaccard: float = 0.5  # soft Jaccard of overlap activity that links local speakers
    min_local_seconds: float = 0.2  # local speakers with less activity in a window are noise
    min_embed_seconds: float = 0.8  # tracklets with less solo speech borrow their neighbours' audio
    same_speaker_similarity: float = 0.80  # above this between all tracklets: one speaker


def channel_speaker(channel: int) -> str:
    return f"CH{channel}"


_ENCODER = None
_ENCODER_LOCK = threading.Lock()


def _encoder():
    global _ENCODER
    with _ENCODER_LOCK:
        if _ENCODER is None:
            from resemblyzer import VoiceEncoder

            _ENCODER = VoiceEncoder(device="cpu", verbose=False)
        return _ENCODER


# --- 2. tracklets ---------------------------------------------------------------------------
class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[tuple[int, int], tuple[int, int]] = {}

    def find(self, node: tuple[int, int]) -> tuple[int, int]:
        self.parent.setdefault(node, node)
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def union(self, a: tuple[int, int], b: tuple[int, int]) -> None:
        self.parent[self.find(a)] = self.find(b)


@dataclass
class Tracklet:
    members: list[tuple[int, int]]  # (window, local speaker)
    offset: int  # global frame of values[0]
    values: np.ndarray  # mean activation over the windows covering each frame of its span
    first: int  # first global frame with activity above the threshold
    last: int

    def span(self) -> slice:
        return slice(self.offset, self.offset + self.values.size)


def build_tracklets(seg: LocalSegmentation, config: DiarizationConfig) -> list[Tracklet]:
    from scipy.optimize import linear_sum_assignment

    scores = seg.scores
    n_windows, n_frames, n_local = scores.shape
    shift = seg.shift
    min_frames = config.min_local_seconds / seg.frame_step
    alive = (scores > config.active).sum(axis=1) >= min_frames  # (windows, local)
    links = _UnionFind()
    for w in range(n_windows):
        for k in np.flatnonzero(alive[w]):
            links.find((w, int(k)))
    for w in range(n_windows - 1):
        left = scores[w, shift:, :]
        right = scores[w + 1, : n_frames - shift, :]
        overlap = min(left.shape[0], right.shape[0])
        left, right = left[:overlap], right[:overlap]
        jaccard = np.zeros((n_local, n_local))
        for a in np.flatnonzero(alive[w]):
            for b in np.flatnonzero(alive[w + 1]):
                union = np.maximum(left[:, a], right[:, b]).sum()
                if union > 0:
                    jaccard[a, b] = np.minimum(left[:, a], right[:, b]).sum() / union
        rows, cols = linear_sum_assignment(-jaccard)
        for a, b in zip(rows, cols, strict=True):
            if jaccard[a, b] >= config.link_jaccard:
                links.union((w, int(a)), (w + 1, int(b)))
    groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for node in links.parent:
        groups.setdefault(links.find(node), []).append(node)
    tracklets = []
    for members in groups.values():
        windows = [w for w, _ in members]
        offset = min(windows) * shift
        length = (max(windows) - min(windows)) * shift + n_frames
        summed = np.zeros(length, dtype=np.float32)
        count = np.zeros(length, dtype=np.float32)
        for w, k in members:
            start = w * shift - offset
            summed[start : start + n_frames] += scores[w, :, k]
            count[start : start + n_frames] += 1
        values = np.divide(summed, count, out=np.zeros_like(summed), where=count > 0)
        active = np.flatnonzero(values > config.active)
        if active.size:
            tracklets.append(
                Tracklet(sorted(members), offset, values, offset + int(active[0]), offset + int(active[-1]))
            )
    tracklets.sort(key=lambda t: t.first)
    return tracklets


def _top_two(tracklets: list[Tracklet], total: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per global frame: the highest activation, which tracklet has it, and the runner-up."""
    best = np.zeros(total, dtype=np.float32)
    second = np.zeros(total, dtype=np.float32)
    owner = np.full(total, -1, dtype=np.int32)
    for index, tracklet in enumerate(tracklets):
        span = tracklet.span()
        values = tracklet.values
        higher = values > best[span]
        second[span] = np.where(higher, best[span], np.maximum(second[span], values))
        owner[span] = np.where(higher, index, owner[span])
        best[span] = np.where(higher, values, best[span])
    return best, owner, second


def _total_frames(tracklets: list[Tracklet]) -> int:
    return max(t.offset + t.values.size for t in tracklets)


# --- 3. embeddings --------------------------------------------------------------------------
def _frames_to_samples(mask: np.ndarray, seg: LocalSegmentation, n_samples: int) -> np.ndarray:
    """Sample indices covered by the frames set in ``mask`` (global frame grid)."""
    times = seg.frame_time(np.arange(mask.size))
    starts = ((times - seg.frame_step / 2) * SAMPLE_RATE).astype(np.int64)
    keep = np.flatnonzero(mask)
    if keep.size == 0:
        return np.zeros(0, dtype=np.int64)
    width = int(round(seg.frame_step * SAMPLE_RATE))
    index = (starts[keep][:, None] + np.arange(width)[None, :]).ravel()
    return index[(index >= 0) & (index < n_samples)]


def tracklet_embeddings(
    audio: np.ndarray, seg: LocalSegmentation, tracklets: list[Tracklet], config: DiarizationConfig
) -> np.ndarray:
    encoder = _encoder()
    total = _total_frames(tracklets)
    best, owner, second = _top_two(tracklets, total)
    vectors = []
    for index, tracklet in enumerate(tracklets):
        span = tracklet.span()
        others = np.where(owner[span] == index, second[span], best[span])
        mask = np.zeros(total, dtype=bool)
        mask[span] = (tracklet.values > config.active) & (others < config.active)
        if mask.sum() * seg.frame_step < config.min_embed_seconds:
            mask[span] = tracklet.values > config.active
        clip = np.asarray(audio[_frames_to_samples(mask, seg, audio.shape[0])], dtype=np.float32)
        if clip.shape[0] < config.min_embed_seconds * SAMPLE_RATE:
            # Too little speech: widen to the tracklet's whole span (may include a neighbour).
            first = max(0, int(seg.frame_time(tracklet.first) * SAMPLE_RATE))
            last = int(seg.frame_time(tracklet.last) * SAMPLE_RATE)
            pad = max(0, int(config.min_embed_seconds * SAMPLE_RATE) - (last - first)) // 2
            clip = np.asarray(audio[max(0, first - pad) : last + pad], dtype=np.float32)
        peak = float(np.abs(clip).max()) if clip.size else 0.0
        vectors.append(encoder.embed_utterance(clip / peak * 0.5 if peak > 0 else clip))
    matrix = np.asarray(vectors, dtype=np.float32)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)


def cannot_link(tracklets: list[Tracklet]) -> np.ndarray:
    """True where two tracklets are different local speakers of one window."""
    n = len(tracklets)
    window_sets = [{w for w, _ in t.members} for t in tracklets]
    matrix = np.zeros((n, n), dtype=bool)
    for i in range(n):
        for j in range(i + 1, n):
            if window_sets[i] & window_sets[j]:
                matrix[i, j] = matrix[j, i] = True
    return matrix


# --- 4. clustering --------------------------------------------------------------------------
def estimate_clusters(
    similarity: np.ndarray, config: DiarizationConfig, forbidden: np.ndarray | None = None
) -> tuple[int, np.ndarray]:
    """Speaker count by the eigengap of the normalised affinity Laplacian; returns (k, labels)."""
    from scipy.linalg import eigh
    from sklearn.cluster import KMeans

    n = similarity.shape[0]
    if n == 1:
        return 1, np.zeros(1, dtype=int)
    forbidden = np.zeros_like(similarity, dtype=bool) if forbidden is None else forbidden
    # The segmentation model sometimes splits one voice into two local speakers; a cannot-link
    # between two very similar tracklets is not believed.
    forbidden = forbidden & (similarity < config.same_speaker_similarity)
    off_diagonal = similarity[~np.eye(n, dtype=bool)]
    if not forbidden.any() and off_diagonal.min() >= config.same_speaker_similarity:
        return 1, np.zeros(n, dtype=int)
    if n == 2:
        return 2, np.array([0, 1])
    affinity = np.clip(similarity, 0, 1) ** 2
    affinity[forbidden] = 0.0
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
    lowest = max(1, config.min_speakers)
    if forbidden.any():
        lowest = max(lowest, 2)  # two tracklets heard at once: at least two speakers
    upper = max(lowest, min(config.max_speakers, n - 1))
    gaps = np.diff(values[: upper + 1])
    k = int(np.argmax(gaps[lowest - 1 :]) + lowest)
    k = max(lowest, min(k, upper))
    if k == 1:
        return 1, np.zeros(n, dtype=int)
    embedding = vectors[:, :k]
    embedding = embedding / np.maximum(np.linalg.norm(embedding, axis=1, keepdims=True), 1e-9)
    labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(embedding)
    return k, labels


# --- 5. words -------------------------------------------------------------------------------
def diarize_mono(
    audio: np.ndarray,
    words: list[Word],
    config: DiarizationConfig = DiarizationConfig(),
    segmentation: LocalSegmentation | None = None,
) -> list[Word]:
    """Label every word of a mono call with a speaker (``SPEAKER_00`` speaks first).

    ``segmentation`` is the transcription stage's output when it is at hand (it is the same
    model on the same audio); otherwise it is computed here.
    """
    if not words:
        return []
    seg = segmentation or local_segmentation(audio, config.window_step)
    tracklets = build_tracklets(seg, config)
    if not tracklets:
        return [Word(w.text, w.start, w.end, w.probability, "SPEAKER_00") for w in words]
    vectors = tracklet_embeddings(audio, seg, tracklets, config)
    _, labels = estimate_clusters(vectors @ vectors.T, config, cannot_link(tracklets))
    speakers = sorted({int(x) for x in labels})
    activity = np.zeros((len(speakers), _total_frames(tracklets)), dtype=np.float32)
    for tracklet, label in zip(tracklets, labels, strict=True):
        row, span = speakers.index(int(label)), tracklet.span()
        np.maximum(activity[row, span], tracklet.values, out=activity[row, span])
    return _words_by_activity(words, activity, seg)


def _words_by_activity(words: list[Word], activity: np.ndarray, seg: LocalSegmentation) -> list[Word]:
    n_frames = activity.shape[1]
    raw: list[int] = []
    for word in words:
        first = max(0, int((word.start - seg.frame_offset) / seg.frame_step))
        last = min(n_frames, int(np.ceil((word.end - seg.frame_offset) / seg.frame_step)) + 1)
        if first < last and activity[:, first:last].max() > 0:
            raw.append(int(activity[:, first:last].sum(axis=1).argmax()))
        else:
            raw.append(raw[-1] if raw else -1)
    fallback = next((r for r in raw if r >= 0), 0)
    raw = [r if r >= 0 else fallback for r in raw]
    names: dict[int, str] = {}
    for r in raw:
        names.setdefault(r, f"SPEAKER_{len(names):02d}")
    return [Word(w.text, w.start, w.end, w.probability, names[r]) for w, r in zip(words, raw, strict=True)]


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

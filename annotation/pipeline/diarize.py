"""Who spoke when.

- Dual-channel calls: each channel is one party, so the channel *is* the speaker; cross-talk
  leaked from the other channel is not (``channels.py``).
- Mono calls, offline default (``diarize_spans`` / ``diarize_mono``), from models that ship in
  pip packages, in the manner of pyannote's segmentation + embedding + clustering recipe:
  1. WhisperX's bundled pyannote *segmentation* model (the one its VAD uses; the transcription
     stage's pass is reused) gives up to three local speaker activities per 5 s window, every 59 model frames (0.996 s).
  2. Local speakers of consecutive windows active on the same frames are linked into
     *tracklets* (stretches the model believes are one voice).
  3. 1.6 s windows on a fixed grid where one tracklet speaks alone get resemblyzer d-vectors
     (one mel spectrogram per call, batched LSTM).
  4. A tracklet is cut where it pauses (>= 0.5 s: the model often carries one local speaker
     across a turn change), and split where its windows change voice (recursive best binary
     split while the two sides' mean embeddings differ); each piece is one mean embedding.
  5. Pieces are clustered agglomeratively (average linkage, cosine distance threshold): the
     speaker count is estimated, never assumed; clusters with under ``min_speaker_seconds`` of
     speech join their nearest large cluster; a few k-means style passes settle the pieces.
     Two pieces the segmentation model heard taking turns inside one 5 s window are never
     merged, and a smaller cluster it heard taking turns with every large one is a speaker too
     (``cannot_link.py``), as is one that sounds unlike every large one (``clusters_unlike_all``).
  6. Every tracklet frame takes its nearest window's speaker; activity is binarised into spans,
     and each word goes to the speaker most active over it.
  Parameters were chosen on the tune half of ``benchmarks/diarization_suite.py`` (mean DER);
  ``benchmarks/diarization.py`` reports the held-out half.
- Installs with pyannote weights (``DIARIZATION_MODEL`` + token) use WhisperX's
  ``DiarizationPipeline`` instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .cannot_link import clusters_apart_from_all, constrained_average_linkage, piece_cannot_links
from .channels import channel_words
from .diarization_config import DiarizationConfig
from .runs import true_runs
from .segmentation import LocalSegmentation, local_segmentation
from .speaker_embedding import MEL_STEP, WINDOW_SECONDS, embed_windows, mel_frames
from .tracklets import Tracklet, build_tracklets, solo_owner, total_frames
from .types import Segment, SpeakerSpan, Word

logger = logging.getLogger(__name__)


def channel_speaker(channel: int) -> str:
    return f"CH{channel}"


def diarize_channels(samples: np.ndarray, segments: list[Segment]) -> list[Word]:
    """Dual-channel calls: each channel's words are its speaker's, except cross-talk leaked from
    the other channel; word boundaries are pulled in to the channel's own speech."""
    by_channel: list[list[Word]] = [[] for _ in range(samples.shape[0])]
    for segment in segments:
        by_channel[segment.channel or 0].extend(segment.words)
    return channel_words(samples, by_channel, [channel_speaker(c) for c in range(samples.shape[0])])


# --- 3. embeddings of 1.6 s windows ---------------------------------------------------------
@dataclass
class Windows:
    """Embedded 1.6 s windows, each owned by the one tracklet that speaks alone in it."""

    centres: np.ndarray  # seconds
    owners: np.ndarray  # tracklet index
    vectors: np.ndarray  # (n, dimensions), L2-normalised


def window_starts(solo: np.ndarray, seg: LocalSegmentation, config: DiarizationConfig) -> tuple[np.ndarray, np.ndarray]:
    """Windows on a fixed grid whose speech is mostly one tracklet's: (start seconds, owner)."""
    total_seconds = float(seg.frame_time(solo.size))
    grid = np.arange(0.0, max(total_seconds - WINDOW_SECONDS, 0.0) + 1e-6, config.window_hop)
    starts, owners = [], []
    for start in grid:
        first = max(0, int((start - seg.frame_offset) / seg.frame_step))
        last = min(solo.size, int((start + WINDOW_SECONDS - seg.frame_offset) / seg.frame_step))
        frames = solo[first:last]
        if frames.size == 0:
            continue
        voiced = frames[frames >= 0]
        if voiced.size < config.window_min_solo * frames.size:
            continue
        counts = np.bincount(voiced)
        top = int(counts.argmax())
        if counts[top] >= config.window_purity * voiced.size:
            starts.append(start)
            owners.append(top)
    return np.asarray(starts), np.asarray(owners, dtype=np.int64)


def resemblyzer_windows(audio: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The diarizer's speaker embeddings of the 1.6 s windows starting at 10 ms frames ``starts``."""
    return embed_windows(mel_frames(audio), starts)


def embed_tracklets(
    audio: np.ndarray,
    seg: LocalSegmentation,
    tracklets: list[Tracklet],
    config: DiarizationConfig,
    embed: Callable[[np.ndarray, np.ndarray], np.ndarray] = resemblyzer_windows,
) -> tuple[Windows, dict[int, np.ndarray]]:
    """Window embeddings, plus one embedding for each tracklet too short to own a window.
    ``embed(audio, starts)``: L2-normalised vectors of the windows at those 10 ms frames."""
    total = total_frames(tracklets)
    solo = solo_owner(tracklets, total, config.active)
    starts, owners = window_starts(solo, seg, config)
    short = sorted(set(range(len(tracklets))) - set(owners.tolist()))
    # A short tracklet (a back-channel, a fragment) is heard in a window centred on its speech.
    short_starts = []
    for index in short:
        t = tracklets[index]
        centre = (seg.frame_time(t.first) + seg.frame_time(t.last)) / 2
        short_starts.append(max(0.0, centre - WINDOW_SECONDS / 2))
    all_starts = np.concatenate([starts, np.asarray(short_starts)]) if short_starts else starts
    vectors = embed(audio, np.round(all_starts / MEL_STEP).astype(np.int64))
    windows = Windows(starts + WINDOW_SECONDS / 2, owners, vectors[: len(starts)])
    extra = {index: vectors[len(starts) + i] for i, index in enumerate(short)}
    return windows, extra


# --- 4. clustering --------------------------------------------------------------------------
def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-9)


def _split_points(vectors: np.ndarray, config: DiarizationConfig) -> list[int]:
    """Where one tracklet's windows (in time order) change voice: recursive best binary split,
    kept while the two sides' mean embeddings are less similar than ``split_similarity``."""
    n, least = vectors.shape[0], config.min_piece_windows
    if n < 2 * least:
        return []
    cumulative = np.cumsum(vectors, axis=0)
    best, best_at = 1.0, -1
    for cut in range(least, n - least + 1):
        left = cumulative[cut - 1]
        right = cumulative[-1] - left
        similarity = float(_unit(left) @ _unit(right))
        if similarity < best:
            best, best_at = similarity, cut
    if best >= config.split_similarity:
        return []
    inner_left = _split_points(vectors[:best_at], config)
    inner_right = [best_at + c for c in _split_points(vectors[best_at:], config)]
    return [*inner_left, best_at, *inner_right]


def _longest_run(flags: np.ndarray) -> int:
    """Length of the longest run of True in ``flags``."""
    starts, ends = true_runs(flags)
    return int((ends - starts).max()) if starts.size else 0


def pause_cuts(centres: np.ndarray, tracklet: Tracklet, seg: LocalSegmentation, config: DiarizationConfig) -> list[int]:
    """Positions between a tracklet's windows (centres in time order) where it falls silent for
    ``pause_split_seconds`` or more: who speaks next is a new question there.

    The segmentation model often carries one local speaker across a turn change (the customer
    stops, the agent answers 0.6 s later, one tracklet); a short turn then has too few windows of
    its own for the voice-change split, and took the other speaker's label."""
    silent = tracklet.values <= config.active
    frames = np.round((centres - seg.frame_offset) / seg.frame_step).astype(np.int64) - tracklet.offset
    frames = np.clip(frames, 0, silent.size)
    need = config.pause_split_seconds / seg.frame_step
    return [i for i in range(1, frames.size) if _longest_run(silent[frames[i - 1] : frames[i]]) >= need]


def window_pieces(
    windows: Windows, config: DiarizationConfig, tracklets: list[Tracklet], seg: LocalSegmentation
) -> np.ndarray:
    """Piece id per window: a tracklet's windows, cut where it pauses and split where the voice
    changes inside a stretch without a pause."""
    pieces = np.zeros(windows.owners.size, dtype=np.int64)
    next_id = 0
    for owner in np.unique(windows.owners):
        index = np.flatnonzero(windows.owners == owner)
        index = index[np.argsort(windows.centres[index])]
        stretches = [0, *pause_cuts(windows.centres[index], tracklets[owner], seg, config), index.size]
        for first, last in zip(stretches, stretches[1:], strict=False):
            stretch = index[first:last]
            cuts = [0, *_split_points(windows.vectors[stretch], config), stretch.size]
            for a, b in zip(cuts, cuts[1:], strict=False):
                pieces[stretch[a:b]] = next_id
                next_id += 1
    return pieces


def cluster_windows(
    windows: Windows,
    config: DiarizationConfig,
    pieces: np.ndarray,
    cannot: set[tuple[int, int]] = frozenset(),
) -> np.ndarray:
    """Speaker label (0..k-1) per window.

    Pieces (speaker-homogeneous runs of windows) are represented by their mean embedding, which
    is far less noisy than one 1.6 s window; they are clustered agglomeratively (average linkage,
    cosine distance, cut at ``cluster_threshold``), so the speaker count comes from the data;
    two pieces in ``cannot`` (heard taking turns by the segmentation model) are never merged.
    Pieces too short to found a cluster then join the nearest one and count towards its speech.
    Clusters with less than ``min_speaker_seconds`` of windows are not speakers, unless they were
    kept apart from every larger one or sound unlike every one of them (then down to
    ``linked_speaker_seconds``): their pieces join the nearest large cluster. A few k-means style
    passes then settle each piece.
    """
    from scipy.spatial.distance import pdist, squareform  # lazy: +40 MB, 0.3 s in every web process

    n = windows.vectors.shape[0]
    if n < 2:
        return np.zeros(n, dtype=int)
    n_pieces = int(pieces.max()) + 1
    sums = np.zeros((n_pieces, windows.vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, pieces, windows.vectors)
    sizes = np.bincount(pieces, minlength=n_pieces)
    means = _unit(sums)
    if n_pieces == 1:
        return np.zeros(n, dtype=int)
    # Only pieces long enough for a steady embedding decide the clusters; the rest join later.
    steady = np.flatnonzero(sizes >= config.min_cluster_piece_windows)
    if steady.size < 2:
        steady = np.arange(n_pieces)
    forbidden = np.zeros((n_pieces, n_pieces), dtype=bool)
    for p, q in cannot:
        forbidden[p, q] = forbidden[q, p] = True
    labels = np.full(n_pieces, -1)
    labels[steady] = constrained_average_linkage(
        squareform(pdist(means[steady], metric="cosine")), forbidden[np.ix_(steady, steady)], config.cluster_threshold
    )
    labels = _join_nearest(labels, sums, forbidden, config.cluster_threshold)
    seconds = np.bincount(labels, weights=sizes * config.window_hop)
    large = np.flatnonzero(seconds >= config.min_speaker_seconds)
    small = np.union1d(
        clusters_apart_from_all(labels, seconds, large, cannot, config.linked_speaker_seconds),
        clusters_unlike_all(labels, sums, seconds, large, config),
    ).astype(large.dtype)
    large = np.concatenate([large, small])
    if large.size == 0:
        return np.zeros(n, dtype=int)
    large = large[np.argsort(-seconds[large])][: config.max_speakers]
    centroids = _unit(np.stack([sums[labels == c].sum(axis=0) for c in large]))
    for _ in range(3):
        piece_labels = (means @ centroids.T).argmax(axis=1)
        present = np.unique(piece_labels)
        centroids = _unit(np.stack([sums[piece_labels == c].sum(axis=0) for c in present]))
    piece_labels = (means @ centroids.T).argmax(axis=1)
    return piece_labels[pieces]


def clusters_unlike_all(
    labels: np.ndarray, sums: np.ndarray, seconds: np.ndarray, large: np.ndarray, config: DiarizationConfig
) -> np.ndarray:
    """Clusters too small to be speakers by size alone that hold at least ``linked_speaker_seconds``
    and whose voice (mean embedding) is at least ``distinct_speaker_distance`` (cosine) from every
    large cluster's and from every small one kept before it (largest first): a third party who
    says two short things (a supervisor, a transfer) is nobody else, so they are a speaker, once.
    The clustering's own cut (``cluster_threshold``, average linkage) lies below that distance.
    ``labels``: cluster per piece; ``sums``: summed embeddings per piece."""
    n = int(labels.max()) + 1
    if large.size == 0 or n <= large.size:
        return np.zeros(0, dtype=np.int64)
    centroids = _unit(np.stack([sums[labels == c].sum(axis=0) for c in range(n)]))
    kept = list(large)
    small = []
    for c in sorted(np.setdiff1d(np.arange(n), large), key=lambda c: -seconds[c]):
        if seconds[c] < config.linked_speaker_seconds:
            continue
        if (1.0 - centroids[kept] @ centroids[c]).min() >= config.distinct_speaker_distance:
            kept.append(c)
            small.append(c)
    return np.asarray(small, dtype=np.int64)


def _join_nearest(labels: np.ndarray, sums: np.ndarray, forbidden: np.ndarray, threshold: float) -> np.ndarray:
    """Pieces left out of the clustering (too short for a steady embedding; label -1) join the
    cluster that sounds most like them, never one holding a piece they took turns with (pieces
    joined before them included), so they count towards its speech. Short pieces that took turns
    with every cluster are clustered among themselves instead: a speaker whose turns are all
    short is still a cluster, and ``min_speaker_seconds`` judges it. (Making a short piece that
    is merely unlike every cluster an orphan too was tried: held-out count 83% -> 73%.)"""
    from scipy.spatial.distance import pdist, squareform  # lazy: +40 MB, 0.3 s in every web process

    labels = labels.copy()
    n_clusters = int(labels.max()) + 1
    centroids = _unit(np.stack([sums[labels == c].sum(axis=0) for c in range(n_clusters)]))
    orphans = []
    for piece in np.flatnonzero(labels < 0):
        similarity = centroids @ _unit(sums[piece])
        barred = np.unique(labels[forbidden[piece] & (labels >= 0)])  # includes pieces joined so far
        similarity[barred] = -np.inf
        best = int(similarity.argmax())
        if not np.isfinite(similarity[best]):
            orphans.append(piece)
        else:
            labels[piece] = best
    if orphans:
        orphans = np.asarray(orphans)
        distances = squareform(pdist(_unit(sums[orphans]), metric="cosine"))  # (1, 1) zeros for one
        own = constrained_average_linkage(distances, forbidden[np.ix_(orphans, orphans)], threshold)
        labels[orphans] = n_clusters + own
    return labels


def frame_speakers(
    tracklets: list[Tracklet],
    windows: Windows,
    labels: np.ndarray,
    extra: dict[int, np.ndarray],
    seg: LocalSegmentation,
    config: DiarizationConfig,
) -> np.ndarray:
    """(speakers, frames) activity: each tracklet frame goes to the speaker of the nearest of
    its own windows (so a tracklet the segmentation model stretched over two voices is split)."""
    n_speakers = int(labels.max()) + 1 if labels.size else 1
    centroids = (
        np.stack(
            [
                windows.vectors[labels == c].mean(axis=0) if np.any(labels == c) else np.zeros(windows.vectors.shape[1])
                for c in range(n_speakers)
            ]
        )
        if labels.size
        else np.zeros((1, windows.vectors.shape[1]), dtype=np.float32)
    )
    total = total_frames(tracklets)
    activity = np.zeros((n_speakers, total), dtype=np.float32)
    for index, tracklet in enumerate(tracklets):
        span = tracklet.span()
        mine = np.flatnonzero(windows.owners == index)
        if mine.size:
            times = seg.frame_time(np.arange(span.start, span.stop))
            nearest = np.abs(times[:, None] - windows.centres[mine][None, :]).argmin(axis=1)
            frame_labels = labels[mine][nearest]
        else:
            vector = extra.get(index)
            label = int((centroids @ vector).argmax()) if vector is not None else 0
            frame_labels = np.full(span.stop - span.start, label)
        for label in np.unique(frame_labels):
            rows = frame_labels == label
            target = activity[label, span]
            target[rows] = np.maximum(target[rows], tracklet.values[rows])
            activity[label, span] = target
    return activity


# --- 5. spans and words ---------------------------------------------------------------------
def activity_spans(activity: np.ndarray, seg: LocalSegmentation, config: DiarizationConfig) -> list[SpeakerSpan]:
    """Binarised speaker activity as spans; short gaps of one speaker are bridged."""
    spans: list[SpeakerSpan] = []
    half = seg.frame_step / 2
    if activity.shape[0] > 1:
        # A second voice at the same moment needs stronger evidence than a first one: the
        # segmentation model often gives one voice two local speakers for a moment.
        top = activity.argmax(axis=0)
        rows = np.arange(activity.shape[0])[:, None]
        activity = np.where((rows == top[None, :]) | (activity > config.overlap_active), activity, 0.0)
    for row in range(activity.shape[0]):
        runs = []
        for first, last in zip(*true_runs(activity[row] > config.active), strict=True):
            start, end = float(seg.frame_time(first)) - half, float(seg.frame_time(last - 1)) + half
            if runs and start - runs[-1][1] <= config.min_gap_seconds:
                runs[-1][1] = end
            else:
                runs.append([start, end])
        spans.extend(SpeakerSpan(max(0.0, a), b, str(row)) for a, b in runs if b - a >= config.min_span_seconds)
    spans.sort(key=lambda s: s.start)
    names: dict[str, str] = {}
    for span in spans:
        span.speaker = names.setdefault(span.speaker, f"SPEAKER_{len(names):02d}")
    return spans


@dataclass
class MonoDiarization:
    activity: np.ndarray  # (speakers, global frames)
    segmentation: LocalSegmentation
    config: DiarizationConfig

    def spans(self) -> list[SpeakerSpan]:
        return activity_spans(self.activity, self.segmentation, self.config)


def diarize_activity(
    audio: np.ndarray, config: DiarizationConfig = DiarizationConfig(), segmentation: LocalSegmentation | None = None
) -> MonoDiarization:
    seg = segmentation or local_segmentation(audio, config.window_step)
    tracklets = build_tracklets(seg, config)
    if not tracklets:
        return MonoDiarization(np.zeros((0, 0), dtype=np.float32), seg, config)
    windows, extra = embed_tracklets(audio, seg, tracklets, config)
    return diarize_windows(seg, tracklets, windows, extra, config)


def diarize_windows(
    seg: LocalSegmentation,
    tracklets: list[Tracklet],
    windows: Windows,
    extra: dict[int, np.ndarray],
    config: DiarizationConfig,
) -> MonoDiarization:
    """Steps 4-6 from embedded windows (``benchmarks/speaker_embeddings.py`` feeds it other
    speaker embeddings of the same windows)."""
    pieces = window_pieces(windows, config, tracklets, seg)
    cannot = piece_cannot_links(seg, tracklets, windows.centres, windows.owners, pieces, config)
    labels = cluster_windows(windows, config, pieces, cannot)
    activity = frame_speakers(tracklets, windows, labels, extra, seg, config)
    activity = activity[activity.max(axis=1) > config.active] if activity.size else activity
    return MonoDiarization(activity, seg, config)


def diarize_spans(
    audio: np.ndarray, config: DiarizationConfig = DiarizationConfig(), segmentation: LocalSegmentation | None = None
) -> list[SpeakerSpan]:
    """Who spoke when on a mono channel, whether or not any words were recognised there."""
    return diarize_activity(audio, config, segmentation).spans()


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
    result = diarize_activity(audio, config, segmentation)
    if result.activity.size == 0:
        return [Word(w.text, w.start, w.end, w.probability, "SPEAKER_00") for w in words]
    return _words_by_activity(words, result.activity, result.segmentation)


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
    from whisperx.diarize import DiarizationPipeline  # lazy: torch, pyannote (kept out of the web tier)

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

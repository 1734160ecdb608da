"""Cannot-link evidence and clustering that respects it.

The segmentation model is trained to tell the voices *within* one 5 s window apart. When it
gives two local speakers of one window their own, mostly separate stretches of speech (a turn
change), the two tracklets they belong to are, in the model's judgement, different people. The
speaker encoder alone often cannot tell two similar voices apart (their mean embeddings are as
close as one voice's pieces are to each other), and clustering then merges them: the speaker
count comes out too low. pyannote's own recipe keeps local speakers of one chunk apart in the
same way (a constrained assignment); here the constraint enters the agglomerative clustering,
which may not merge two clusters that hold a cannot-linked pair of pieces.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .diarization_config import DiarizationConfig
    from .segmentation import LocalSegmentation
    from .tracklets import Tracklet


def piece_cannot_links(
    seg: LocalSegmentation,
    tracklets: list[Tracklet],
    centres: np.ndarray,
    owners: np.ndarray,
    pieces: np.ndarray,
    config: DiarizationConfig,
) -> set[tuple[int, int]]:
    """Pairs of pieces (low id first) the segmentation model heard as two voices taking turns.

    A pair of local speakers of one segmentation window counts when each speaks on its own for at
    least ``link_min_seconds`` there and they share few active frames (a turn change, not one
    voice the model split in two for a moment). It links the pieces of the two tracklets whose
    embedding windows lie inside that segmentation window; ``link_min_windows`` segmentation
    windows must agree (a real turn change is seen by several overlapping windows)."""
    scores = seg.scores
    n_windows, n_frames, n_local = scores.shape
    tracklet_of = {node: index for index, t in enumerate(tracklets) for node in t.members}
    need = config.link_min_seconds / seg.frame_step
    support: Counter[tuple[int, int]] = Counter()
    for w in range(n_windows):
        active = scores[w] > config.active  # (frames, local)
        locals_ = [k for k in range(n_local) if (w, k) in tracklet_of and active[:, k].sum() >= need]
        if len(locals_) < 2:
            continue
        start = float(seg.frame_time(w * seg.shift)) - seg.frame_offset  # the frame clock tracklets use
        inside = (centres >= start) & (centres <= start + n_frames * seg.frame_step)
        seen: set[tuple[int, int]] = set()
        for i, a in enumerate(locals_):
            for b in locals_[i + 1 :]:
                both = (active[:, a] & active[:, b]).sum()
                alone_a = active[:, a].sum() - both
                alone_b = active[:, b].sum() - both
                if min(alone_a, alone_b) < need:
                    continue
                ta, tb = tracklet_of[(w, a)], tracklet_of[(w, b)]
                if ta == tb:
                    continue
                for p in np.unique(pieces[inside & (owners == ta)]):
                    for q in np.unique(pieces[inside & (owners == tb)]):
                        if p != q:
                            seen.add((int(min(p, q)), int(max(p, q))))
        support.update(seen)
    return {pair for pair, count in support.items() if count >= config.link_min_windows}


def constrained_average_linkage(distances: np.ndarray, cannot: np.ndarray, threshold: float) -> np.ndarray:
    """Agglomerative clustering (average linkage, as scipy's ``average``) that stops at
    ``threshold`` and never merges two clusters holding a cannot-linked pair.

    ``distances``: (n, n) symmetric; ``cannot``: (n, n) boolean. Returns a label per item."""
    n = distances.shape[0]
    d = distances.astype(np.float64).copy()
    forbidden = cannot.astype(bool).copy()
    np.fill_diagonal(d, np.inf)
    sizes = np.ones(n)
    alive = np.ones(n, dtype=bool)
    members = [[i] for i in range(n)]
    while True:
        masked = np.where(forbidden | ~alive[None, :] | ~alive[:, None], np.inf, d)
        flat = int(masked.argmin())
        i, j = divmod(flat, n)
        if not np.isfinite(masked[i, j]) or masked[i, j] > threshold:
            break
        merged = (sizes[i] * d[i] + sizes[j] * d[j]) / (sizes[i] + sizes[j])
        d[i], d[:, i] = merged, merged
        d[i, i] = np.inf
        forbidden[i] |= forbidden[j]
        forbidden[:, i] = forbidden[i]
        sizes[i] += sizes[j]
        alive[j] = False
        members[i].extend(members[j])
        members[j] = []
    labels = np.empty(n, dtype=np.int64)
    for label, group in enumerate(g for g in members if g):
        labels[group] = label
    return labels


def clusters_apart_from_all(
    labels: np.ndarray, seconds: np.ndarray, large: np.ndarray, cannot: set[tuple[int, int]], min_seconds: float
) -> np.ndarray:
    """Clusters too small to be speakers by size alone (not in ``large``) that hold at least
    ``min_seconds`` and were heard taking turns with every large cluster: they are none of
    them, so they are speakers too. ``labels``: cluster per piece (-1: not clustered)."""
    if large.size == 0 or not cannot:
        return np.zeros(0, dtype=large.dtype)
    n = int(labels.max()) + 1
    apart = np.zeros((n, n), dtype=bool)
    for p, q in cannot:
        if labels[p] >= 0 and labels[q] >= 0:
            apart[labels[p], labels[q]] = apart[labels[q], labels[p]] = True
    small = [c for c in range(n) if c not in large and seconds[c] >= min_seconds and apart[c, large].all()]
    return np.asarray(small, dtype=large.dtype)

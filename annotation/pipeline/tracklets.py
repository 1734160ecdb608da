"""Tracklets: stretches the segmentation model believes are one voice.

The bundled pyannote segmentation model labels up to three *local* speakers per 5 s window;
local speakers of consecutive windows that are active on the same frames of the windows' overlap
are linked (Hungarian matching on soft Jaccard), and each linked chain is a tracklet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .segmentation import LocalSegmentation

if TYPE_CHECKING:
    from .diarization_config import DiarizationConfig


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
    from scipy.optimize import linear_sum_assignment  # lazy: +50 MB, 0.4 s in every web process

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


def top_two(tracklets: list[Tracklet], total: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def total_frames(tracklets: list[Tracklet]) -> int:
    return max(t.offset + t.values.size for t in tracklets)


def solo_owner(tracklets: list[Tracklet], total: int, active: float) -> np.ndarray:
    """Per global frame: the tracklet speaking alone there (-1: silence or overlapped speech)."""
    best, owner, second = top_two(tracklets, total)
    return np.where((best > active) & (second < active), owner, -1)

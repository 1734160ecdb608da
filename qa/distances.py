"""Distances between judgements for Krippendorff's alpha: the standard metrics (nominal,
interval, ratio, ordinal) as value x value matrices, and MASI between label sets, one pair at a
time or vectorised over a whole domain of sets."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def masi_distance(a: frozenset, b: frozenset) -> float:
    """MASI distance (Passonneau 2006): 1 - Jaccard x monotonicity weight (1, 2/3, 1/3, 0 as in NLTK)."""
    if not a and not b:
        return 0.0
    inter, union = len(a & b), len(a | b)
    if a == b:
        weight = 1.0
    elif a <= b or b <= a:
        weight = 2 / 3
    elif inter:
        weight = 1 / 3
    else:
        weight = 0.0
    return 1.0 - (inter / union) * weight


def _distance_matrix(domain: list, level: str | Callable) -> np.ndarray:
    values = np.asarray(domain, dtype=object)
    n = len(domain)
    if callable(level):
        return np.array([[level(values[i], values[j]) for j in range(n)] for i in range(n)], dtype=np.float64)
    if level == "nominal":
        return 1.0 - np.eye(n)
    numeric = np.asarray(domain, dtype=np.float64)
    if level == "interval":
        return (numeric[:, None] - numeric[None, :]) ** 2
    if level == "ratio":
        total = numeric[:, None] + numeric[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            d = ((numeric[:, None] - numeric[None, :]) / total) ** 2
        return np.nan_to_num(d)
    raise ValueError(f"level {level!r} needs the marginal counts; use ordinal_distance_matrix")


def ordinal_distance_matrix(n_v: np.ndarray) -> np.ndarray:
    """Krippendorff's ordinal metric, from the value totals (domain sorted)."""
    cumulative = np.cumsum(n_v)
    n = len(n_v)
    d = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            lo, hi = min(i, j), max(i, j)
            # (sum of n_g for g from lo to hi, minus (n_lo + n_hi) / 2) squared
            d[i, j] = (cumulative[hi] - cumulative[lo] + n_v[lo] / 2 - n_v[hi] / 2) ** 2 if i != j else 0.0
    return d


def _masi_matrix_masks(masks: np.ndarray | None, *, members: np.ndarray | None = None) -> np.ndarray:
    """MASI distances between label sets given as int64 bitmasks, or as rows of a boolean
    (sets x labels) matrix ``members`` for taxonomies too wide for a bitmask."""
    if members is None:
        bits = np.arange(63, dtype=np.int64)
        members = ((masks[:, None] >> bits[None, :]) & 1).astype(bool)
    m = members.astype(np.float64)
    sizes = m.sum(axis=1)
    inter = m @ m.T
    union = sizes[:, None] + sizes[None, :] - inter
    equal = (inter == sizes[:, None]) & (inter == sizes[None, :])
    subset = (inter == np.minimum(sizes[:, None], sizes[None, :])) & ~equal
    weight = np.where(equal, 1.0, np.where(subset, 2 / 3, np.where(inter > 0, 1 / 3, 0.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    return 1.0 - jaccard * weight


def _masi_matrix(domain: list[frozenset]) -> np.ndarray:
    """MASI distances between all pairs of sets, vectorised over bitmasks."""
    members = sorted({item for s in domain for item in s}, key=str)
    bit = {item: 1 << i for i, item in enumerate(members)}
    masks = np.array([sum(bit[item] for item in s) for s in domain], dtype=np.int64)
    popcount = np.vectorize(lambda x: bin(int(x)).count("1"))
    sizes = popcount(masks)
    inter = popcount(masks[:, None] & masks[None, :])
    union = popcount(masks[:, None] | masks[None, :])
    equal = masks[:, None] == masks[None, :]
    subset = (inter == np.minimum(sizes[:, None], sizes[None, :])) & ~equal
    weight = np.where(equal, 1.0, np.where(subset, 2 / 3, np.where(inter > 0, 1 / 3, 0.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    return 1.0 - jaccard * weight

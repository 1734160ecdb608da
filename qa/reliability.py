"""Krippendorff's alpha for every kind of judgement, with bootstrap confidence intervals.

Plain Python/numpy. Point estimates come from the ``krippendorff`` package. The bootstrap
resamples *units*; since a unit's contribution to alpha depends only on its row of value counts,
units are grouped by identical rows and a bootstrap sample is one multinomial draw over those
distinct rows, so 1,000 resamples of 2 million units cost about as much as a few hundred rows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import asdict, dataclass

import krippendorff
import numpy as np
from scipy import sparse

from .distances import _distance_matrix, _masi_matrix, masi_distance, ordinal_distance_matrix

MISSING = None
PACKAGE_UNIT_LIMIT = 500_000  # above this many units, point estimates come from distinct count rows


@dataclass
class AlphaResult:
    alpha: float | None
    low: float | None  # bootstrap 95% interval
    high: float | None
    units: int  # units with at least two judgements (the ones alpha uses)
    excluded: int  # units with fewer than two judgements
    judgements: int

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def value_counts(units: Sequence[Sequence[Hashable | None]], domain: list) -> np.ndarray:
    """(units, values) counts from per-unit judgement lists (None = missing)."""
    index = {value: i for i, value in enumerate(domain)}
    counts = np.zeros((len(units), len(domain)), dtype=np.float64)
    for u, judgements in enumerate(units):
        for value in judgements:
            if value is not MISSING:
                counts[u, index[value]] += 1
    return counts


def _coincidences(counts: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    m = counts.sum(axis=1)
    pairable = m >= 2
    counts, m = counts[pairable], m[pairable]
    w = np.ones(len(counts)) if weights is None else weights[pairable]
    scaled = counts * (w / (m - 1))[:, None]
    o = scaled.T @ counts
    o -= np.diag((counts * (w / (m - 1))[:, None]).sum(axis=0))
    return o


def _alpha_from(o: np.ndarray, level, domain) -> float | None:
    n_v = o.sum(axis=0)
    n = n_v.sum()
    if n <= 1 or (n_v > 0).sum() < 2:
        return None  # everybody used one value: alpha is undefined, not 1
    d = ordinal_distance_matrix(n_v) if level == "ordinal" else _distance_matrix(domain, level)
    e = (np.outer(n_v, n_v) - np.diag(n_v)) / (n - 1)
    expected = (e * d).sum()
    if expected == 0:
        return None
    return float(1 - (o * d).sum() / expected)


def krippendorff_alpha(
    units: Sequence[Sequence[Hashable | None]],
    level: str | Callable = "nominal",
    *,
    domain: list | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
) -> AlphaResult:
    """Alpha over ``units`` (each a list of the judgements it received), with a 95% interval.

    ``level`` is nominal, ordinal, interval, ratio, or a distance function of two values (e.g.
    ``masi_distance`` over frozensets). Units with fewer than two judgements are excluded and
    counted. The point estimate is the ``krippendorff`` package's.
    """
    domain = (
        sorted({v for unit in units for v in unit if v is not MISSING}, key=_sort_key) if domain is None else domain
    )
    counts = value_counts(units, domain) if domain else np.zeros((len(units), 0))
    return alpha_from_counts(counts, domain, level, bootstrap=bootstrap, seed=seed)


def alpha_from_counts(
    counts: np.ndarray, domain: list, level: str | Callable = "nominal", *, bootstrap: int = 1000, seed: int = 0
) -> AlphaResult:
    """Alpha from a (units, values) count matrix: the fast path for large projects."""
    judged = counts.sum(axis=1) if counts.size else np.zeros(counts.shape[0])
    usable = judged >= 2
    result = AlphaResult(None, None, None, int(usable.sum()), int((~usable).sum()), int(judged.sum()))
    if result.units == 0 or len(domain) < 2:
        return result
    counts = counts[usable]
    if (counts.sum(axis=0) > 0).sum() < 2:
        return result  # one value only: alpha is undefined
    if len(counts) > PACKAGE_UNIT_LIMIT and not callable(level):
        # Same formula, from distinct count rows: the package's units x V x V pass costs seconds here.
        patterns, multiplicity, _ = distinct_rows(counts)
        result.alpha = alpha_from_patterns(patterns, multiplicity, level, domain)
        if bootstrap:
            result.low, result.high = bootstrap_patterns(patterns, multiplicity, level, domain, bootstrap, seed)
        return result
    if callable(level):
        matrix = _distance_matrix(domain, level)

        def metric(v1, v2, i1, i2, n_v, dtype=np.float64):
            return matrix[i1, i2].astype(dtype)

        package_level = metric
        value_domain = np.arange(len(domain))
    else:
        package_level, value_domain = level, np.asarray(domain, dtype=np.float64)
    result.alpha = float(
        krippendorff.alpha(value_counts=counts, value_domain=value_domain, level_of_measurement=package_level)
    )
    if bootstrap:
        result.low, result.high = _bootstrap(counts, level, domain, bootstrap, seed)
    return result


def set_alpha_masi(
    units: Sequence[Sequence[frozenset | None]], *, bootstrap: int = 1000, seed: int = 0, package_limit: int = 64
) -> AlphaResult:
    """MASI alpha over label sets.

    With few distinct sets this is ``krippendorff_alpha(units, masi_distance)`` (the package).
    With many (20 labels give over a thousand distinct sets) the package's units x V x V
    allocation does not fit, so the coincidences are accumulated sparsely from each unit's
    judgement pairs and MASI is computed on bitmasks; the two agree (see the tests).
    """
    domain = sorted({v for unit in units for v in unit if v is not MISSING}, key=_sort_key)
    if len(domain) <= package_limit:
        return krippendorff_alpha(units, masi_distance, domain=domain, bootstrap=bootstrap, seed=seed)
    index = {value: i for i, value in enumerate(domain)}
    coded = [sorted(index[v] for v in unit if v is not MISSING) for unit in units]
    usable = [c for c in coded if len(c) >= 2]
    result = AlphaResult(None, None, None, len(usable), len(coded) - len(usable), sum(len(c) for c in coded))
    if not usable:
        return result
    width = max(len(c) for c in usable)
    matrix = np.full((len(usable), width), -1, dtype=np.int64)
    for row, codes in enumerate(usable):
        matrix[row, : len(codes)] = codes
    patterns, multiplicity, _ = distinct_rows(matrix)
    result.alpha, result.low, result.high = sparse_alpha(
        patterns, multiplicity, _masi_matrix(domain), bootstrap=bootstrap, seed=seed
    )
    return result


def distinct_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows of a 2-D integer/float matrix with their multiplicities and each row's pattern
    index; a lexsort over the columns, much faster than ``np.unique(axis=0)``."""
    if len(matrix) == 0:
        return matrix, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    low, high = matrix.min(), matrix.max()
    base = int(high - low) + 1
    if matrix.shape[1] * np.log2(max(base, 2)) < 62 and np.array_equal(matrix, np.round(matrix)):
        # Small integers: one int64 key per row, and a 1-D unique.
        shifted = (matrix - low).astype(np.int64)
        powers = np.int64(base) ** np.arange(matrix.shape[1], dtype=np.int64)
        key = shifted @ powers
        span = int(base) ** matrix.shape[1]
        if span <= 1 << 20:  # few possible rows (binary counts of 3 annotators: 16): count, no sort
            counts = np.bincount(key, minlength=span)
            present = np.flatnonzero(counts)
            rank = np.zeros(span, dtype=np.int64)
            rank[present] = np.arange(len(present))
            patterns = (present[:, None] // powers[None, :]) % base + low
            return patterns.astype(matrix.dtype), counts[present], rank[key]
        _, first, inverse, multiplicity = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
        return matrix[first], multiplicity, inverse.ravel()
    order = np.lexsort(matrix.T[::-1])
    ordered = matrix[order]
    new = np.ones(len(matrix), dtype=bool)
    new[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    group = np.cumsum(new) - 1
    inverse = np.empty(len(matrix), dtype=np.int64)
    inverse[order] = group
    return ordered[new], np.bincount(group), inverse


def bootstrap_rounds(patterns: int, rounds: int, budget: int = 4_000_000, floor: int = 200) -> int:
    """Resamples for a figure: ``rounds``, lowered when distinct unit patterns x rounds exceeds
    ``budget`` cells (only the MASI figure of a large project gets there), never below ``floor``."""
    if patterns * rounds <= budget:
        return rounds
    return max(min(floor, rounds), budget // max(patterns, 1))


def _bootstrap(counts: np.ndarray, level, domain, rounds: int, seed: int) -> tuple[float | None, float | None]:
    patterns, multiplicity, _ = distinct_rows(counts)
    return bootstrap_patterns(patterns, multiplicity, level, domain, rounds, seed)


def alpha_from_patterns(patterns: np.ndarray, weights: np.ndarray, level, domain) -> float | None:
    """Alpha from distinct (units, values) count rows and how many units have each row."""
    usable = patterns.sum(axis=1) >= 2
    return _alpha_from(_coincidences(patterns[usable], np.asarray(weights, dtype=np.float64)[usable]), level, domain)


def bootstrap_patterns(
    patterns: np.ndarray, multiplicity: np.ndarray, level, domain, rounds: int, seed: int
) -> tuple[float | None, float | None]:
    """Percentile 95% interval from ``rounds`` multinomial resamples of units, vectorised: each
    resample's coincidence matrix is a weighted sum of the distinct patterns' matrices."""
    m = patterns.sum(axis=1)
    keep = m >= 2
    patterns, multiplicity, m = patterns[keep], multiplicity[keep], m[keep]
    if len(patterns) == 0 or rounds <= 0:
        return None, None
    v = patterns.shape[1]
    per_pattern = (patterns[:, :, None] * patterns[:, None, :]) - patterns[:, :, None] * np.eye(v)[None]
    per_pattern = (per_pattern / (m - 1)[:, None, None]).reshape(len(patterns), v * v)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(int(multiplicity.sum()), multiplicity / multiplicity.sum(), size=rounds).astype(np.float64)
    o = (draws @ per_pattern).reshape(rounds, v, v)
    values = alphas_from_coincidences(o, level, domain)
    values = values[~np.isnan(values)]
    if not values.size:
        return None, None
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def alphas_from_coincidences(o: np.ndarray, level, domain) -> np.ndarray:
    """Alpha of each coincidence matrix in ``o`` (rounds, V, V); nan where alpha is undefined
    (fewer than two values used, or no expected disagreement)."""
    rounds, v, _ = o.shape
    n_v = o.sum(axis=1)
    n = n_v.sum(axis=1)
    if level == "ordinal":
        cumulative = np.cumsum(n_v, axis=1)
        lo = np.minimum.outer(np.arange(v), np.arange(v))
        hi = np.maximum.outer(np.arange(v), np.arange(v))
        d = (cumulative[:, hi] - cumulative[:, lo] + n_v[:, lo] / 2 - n_v[:, hi] / 2) ** 2
        d[:, np.arange(v), np.arange(v)] = 0.0
    else:
        d = np.broadcast_to(_distance_matrix(domain, level), (rounds, v, v))
    observed = (o * d).sum(axis=(1, 2))
    expected_pairs = n_v[:, :, None] * n_v[:, None, :] - n_v[:, :, None] * np.eye(v)[None]
    expected = (expected_pairs * d).sum(axis=(1, 2)) / np.maximum(n - 1, 1)
    ok = (expected > 0) & ((n_v > 0).sum(axis=1) >= 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, 1 - observed / np.where(ok, expected, 1), np.nan)


def sparse_alpha(
    patterns: np.ndarray,
    multiplicity: np.ndarray,
    distance: np.ndarray,
    *,
    bootstrap: int = 1000,
    seed: int = 0,
    stats: dict | None = None,
) -> tuple[float | None, float | None, float | None]:
    """Alpha over units given as value ids (rows of ``patterns``, -1 = no judgement) with a fixed
    distance matrix over a large value domain (MASI over label sets): coincidences are never
    materialised; each distinct pattern contributes its observed disagreement and value totals,
    and a resample is a weighted sum of those. Returns (alpha, low, high)."""
    size = distance.shape[0]
    present = patterns >= 0
    m = present.sum(axis=1)
    keep = m >= 2
    patterns, present, m, multiplicity = patterns[keep], present[keep], m[keep], multiplicity[keep]
    if len(patterns) == 0:
        return None, None, None
    width = patterns.shape[1]
    disagreement = np.zeros(len(patterns))
    for a in range(width):
        for b in range(width):
            if a != b:
                both = present[:, a] & present[:, b]
                disagreement += np.where(
                    both, distance[np.maximum(patterns[:, a], 0), np.maximum(patterns[:, b], 0)], 0
                )
    disagreement /= m - 1
    rows = np.repeat(np.arange(len(patterns)), width)[present.ravel()]
    totals = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, patterns.ravel()[present.ravel()])), shape=(len(patterns), size)
    )

    def alphas(weights: np.ndarray) -> np.ndarray:  # weights: (rounds, patterns)
        n_v = np.asarray((totals.T @ weights.T).T)
        n = n_v.sum(axis=1)
        expected = ((n_v @ distance) * n_v).sum(axis=1) - n_v @ np.diag(distance)
        observed = weights @ disagreement
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(expected > 0, 1 - (n - 1) * observed / expected, np.nan)

    alpha = alphas(multiplicity[None, :].astype(np.float64))[0]
    if np.isnan(alpha):
        return None, None, None
    low = high = None
    rounds = bootstrap_rounds(len(patterns), bootstrap)
    if bootstrap:
        rng = np.random.default_rng(seed)
        values = []
        for chunk in np.array_split(np.arange(rounds), max(1, rounds // 100)):
            draws = rng.multinomial(int(multiplicity.sum()), multiplicity / multiplicity.sum(), size=len(chunk))
            values.append(alphas(draws.astype(np.float64)))
        values = np.concatenate(values)
        values = values[~np.isnan(values)]
        if stats is not None:  # how many resamples there were and in how many alpha was defined
            stats.update(resamples=int(rounds), usable=int(len(values)))
        if len(values):
            low, high = (float(x) for x in np.percentile(values, [2.5, 97.5]))
    return float(alpha), low, high


def _sort_key(value):
    if isinstance(value, frozenset):
        return (1, sorted(map(str, value)))
    return (0, value)


def bin_values(values: Sequence[float | None], low: float, high: float, step: float) -> list[float | None]:
    """Snap interval values (valence, arousal) to the scale's steps before alpha: the package
    allocates units x V x V, so a continuous domain would not fit in memory."""
    out = []
    for value in values:
        if value is None:
            out.append(None)
        else:
            snapped = low + round((min(max(value, low), high) - low) / step) * step
            out.append(round(snapped, 6))
    return out

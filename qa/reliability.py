"""Krippendorff's alpha for every kind of judgement, with bootstrap confidence intervals.

Plain Python/numpy. Point estimates come from the ``krippendorff`` package. The bootstrap
resamples *units*; since a unit's contribution to alpha depends only on its row of value counts,
units are grouped by identical rows and a bootstrap sample is one multinomial draw over those
distinct rows, so 1,000 resamples of 2 million units cost about as much as a few hundred rows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

MISSING = None


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


def value_counts(units: Sequence[Sequence[Hashable | None]], domain: list) -> np.ndarray:
    """(units, values) counts from per-unit judgement lists (None = missing)."""
    index = {value: i for i, value in enumerate(domain)}
    counts = np.zeros((len(units), len(domain)), dtype=np.float64)
    for u, judgements in enumerate(units):
        for value in judgements:
            if value is not MISSING:
                counts[u, index[value]] += 1
    return counts


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
    import krippendorff

    judged = counts.sum(axis=1) if counts.size else np.zeros(counts.shape[0])
    usable = judged >= 2
    result = AlphaResult(None, None, None, int(usable.sum()), int((~usable).sum()), int(judged.sum()))
    if result.units == 0 or len(domain) < 2:
        return result
    counts = counts[usable]
    if callable(level):
        matrix = _distance_matrix(domain, level)

        def metric(v1, v2, i1, i2, n_v, dtype=np.float64):
            return matrix[i1, i2].astype(dtype)

        package_level = metric
        value_domain = np.arange(len(domain))
    else:
        package_level, value_domain = level, np.asarray(domain, dtype=np.float64)
    if (counts.sum(axis=0) > 0).sum() < 2:
        return result  # one value only: alpha is undefined
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
    coded = [tuple(sorted(index[v] for v in unit if v is not MISSING)) for unit in units]
    usable = [c for c in coded if len(c) >= 2]
    result = AlphaResult(None, None, None, len(usable), len(coded) - len(usable), sum(len(c) for c in coded))
    if not usable:
        return result
    patterns, multiplicity = np.unique(np.array([_pad(c) for c in usable]), axis=0, return_counts=True)
    distance = _masi_matrix(domain)

    # Every ordered pair of judgements in each distinct pattern, as flat (cell, pattern, weight).
    size = len(domain)
    cells, owners, shares = [], [], []
    for p, pattern in enumerate(patterns):
        values = pattern[pattern >= 0]
        m = len(values)
        for a in range(m):
            for b in range(m):
                if a != b:
                    cells.append(values[a] * size + values[b])
                    owners.append(p)
                    shares.append(1.0 / (m - 1))
    cells_arr, owners_arr, shares_arr = np.array(cells), np.array(owners), np.array(shares)
    flat_distance = distance.ravel()

    def alpha_for(weights: np.ndarray) -> float | None:
        o = np.bincount(cells_arr, weights=weights[owners_arr] * shares_arr, minlength=size * size)
        n_v = o.reshape(size, size).sum(axis=0)
        n = n_v.sum()
        expected = ((np.outer(n_v, n_v) - np.diag(n_v)) / (n - 1) * distance).sum()
        return None if expected == 0 else float(1 - (o @ flat_distance) / expected)

    result.alpha = alpha_for(multiplicity.astype(float))
    if bootstrap and result.alpha is not None:
        rng = np.random.default_rng(seed)
        draws = rng.multinomial(int(multiplicity.sum()), multiplicity / multiplicity.sum(), size=bootstrap)
        values = [v for v in (alpha_for(w.astype(float)) for w in draws) if v is not None]
        if values:
            result.low, result.high = (float(x) for x in np.percentile(values, [2.5, 97.5]))
    return result


def _pad(codes: tuple[int, ...], width: int = 8) -> list[int]:
    return list(codes[:width]) + [-1] * (width - min(width, len(codes)))


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


def _bootstrap(counts: np.ndarray, level, domain, rounds: int, seed: int) -> tuple[float | None, float | None]:
    patterns, multiplicity = np.unique(counts, axis=0, return_counts=True)
    probabilities = multiplicity / multiplicity.sum()
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(int(multiplicity.sum()), probabilities, size=rounds)
    values = []
    for weights in draws:
        value = _alpha_from(_coincidences(patterns, weights.astype(np.float64)), level, domain)
        if value is not None:
            values.append(value)
    if not values:
        return None, None
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


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


def boundary_agreement(shift_sets: Sequence[Sequence[float]], tolerance: float = 0.5) -> float | None:
    """Shift boundaries: the share of each annotator's shift times matched by every other
    annotator within ``tolerance`` seconds (pairwise, symmetric). None when nobody marked a shift."""
    matched = total = 0
    for i, mine in enumerate(shift_sets):
        for j, theirs in enumerate(shift_sets):
            if i == j:
                continue
            for t in mine:
                total += 1
                matched += any(abs(t - u) <= tolerance for u in theirs)
    return matched / total if total else None

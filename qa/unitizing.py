"""Krippendorff's unitizing alpha (uα), binary form, for where annotators put things in time.

Krippendorff, K. (1995) "On the reliability of unitizing continuous data", Sociological
Methodology 25: 47-76; the form used here is the one in Krippendorff (2004) *Content Analysis*,
2nd ed., section 12.4 (worked example p. 254: D_o = .0144, D_e = .0532, uα = .7286; the tests
reproduce it). Each coder divides a continuum of length L into units (the category) and gaps.

- Observed disagreement: over pairs of coders and pairs of their segments g, h,
  δ² = (b_g - b_h)² + (e_g - e_h)² for two overlapping units; l_g² for a unit lying inside the
  other coder's gap; 0 otherwise. D_o = Σ_{c≠k} Σ δ² / (m (m-1) L²).
- Expected disagreement: D_e = (2/L) Σ_units [ (N-1)(2l³ - 3l² + l)/3 + l² Σ_{gaps ≥ l} (l_gap - l + 1) ]
  / ( mL(mL - 1) - Σ_units l(l - 1) ), N the number of units of all coders.
- uα = 1 - D_o / D_e.

Lengths are whole ticks. Several continua (turns) are pooled: each is its own stretch (gaps end
at a turn's edges) and may have its own number of coders; the pair sum of a turn is weighted by
2 / (m_t (m_t - 1)), L = Σ L_t and mL = Σ m_t L_t. With one continuum, or with every turn judged
by the same coders, this is exactly Krippendorff's formula.

Shift marks are points; each becomes a unit of ``2 x half_width`` seconds around it, so two
marks' units overlap exactly when they are closer than the matching tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Units = Sequence[tuple[int, int]]  # (begin, length) in ticks, sorted, not overlapping
TICKS_PER_SECOND = 100


def _pair_disagreement(mine: Units, theirs: Units) -> float:
    """Σ δ² between two coders' segmentations of one continuum."""
    total = 0.0
    for units_a, units_b in ((mine, theirs), (theirs, mine)):
        for begin, length in units_a:
            end = begin + length
            overlapping = [(b, lb) for b, lb in units_b if b < end and begin < b + lb]
            if not overlapping:
                total += float(length) ** 2  # inside the other coder's gap
            elif units_a is mine:  # count each overlapping unit pair once
                for b, lb in overlapping:
                    total += float(begin - b) ** 2 + float(end - (b + lb)) ** 2
    return total


def _gaps(length: int, units: Units) -> list[int]:
    gaps, position = [], 0
    for begin, unit_length in units:
        if begin > position:
            gaps.append(begin - position)
        position = begin + unit_length
    if length > position:
        gaps.append(length - position)
    return gaps


def unitizing_alpha(continua: Sequence[tuple[int, Sequence[Units]]]) -> dict:
    """uα over ``continua``: (length in ticks, one unit list per coder who judged it). Returns
    {alpha, observed, expected, continua, units}; alpha is None when it is undefined (no units,
    or no expected disagreement)."""
    usable = [(int(length), coders) for length, coders in continua if len(coders) >= 2 and length > 0]
    out = {"alpha": None, "observed": None, "expected": None, "continua": len(usable), "units": 0}
    if not usable:
        return out
    total_length = float(sum(length for length, _ in usable))
    coded_length = float(sum(length * len(coders) for length, coders in usable))
    observed = 0.0
    lengths: list[int] = []
    gaps: list[int] = []
    for length, coders in usable:
        m = len(coders)
        pair_sum = sum(_pair_disagreement(coders[i], coders[j]) for i in range(m) for j in range(i + 1, m))
        observed += 2.0 * pair_sum / (m * (m - 1))
        for units in coders:
            lengths.extend(unit_length for _, unit_length in units)
            gaps.extend(_gaps(length, units))
    out["units"] = len(lengths)
    if not lengths:
        return out
    observed /= total_length**2
    unit = np.asarray(lengths, dtype=np.float64)
    gap = np.sort(np.asarray(gaps, dtype=np.float64))
    suffix_sum = np.concatenate([np.cumsum(gap[::-1])[::-1], [0.0]])
    first = np.searchsorted(gap, unit, side="left")  # gaps at least as long as the unit
    fits = suffix_sum[first] - (unit - 1) * (len(gap) - first)
    n = len(unit)
    numerator = ((n - 1) * (2 * unit**3 - 3 * unit**2 + unit) / 3 + unit**2 * fits).sum()
    denominator = coded_length * (coded_length - 1) - (unit * (unit - 1)).sum()
    expected = (2.0 / total_length) * numerator / denominator if denominator > 0 else 0.0
    out["observed"], out["expected"] = round(observed, 6), round(float(expected), 6)
    if expected > 0:
        out["alpha"] = round(float(1.0 - observed / expected), 4)
    return out


def mark_units(marks: Sequence[float], start: float, end: float, half_width: float) -> list[tuple[int, int]]:
    """Point marks (seconds) as units in ticks from the turn's start: a window of ``half_width``
    either side, clipped to the turn; overlapping windows of one coder merge."""
    span = int(round((end - start) * TICKS_PER_SECOND))
    windows = sorted(
        (
            max(0, int(round((at - half_width - start) * TICKS_PER_SECOND))),
            min(span, int(round((at + half_width - start) * TICKS_PER_SECOND))),
        )
        for at in marks
    )
    merged: list[list[int]] = []
    for begin, stop in windows:
        if stop <= begin:
            continue
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([begin, stop])
    return [(begin, stop - begin) for begin, stop in merged]


def shift_alpha(turns: Sequence[tuple[float, float, Sequence[Sequence[float]]]], half_width: float) -> dict:
    """uα of shift positions over turns: (start, end, one list of shift times per annotator who
    judged the turn)."""
    continua = [
        (int(round((end - start) * TICKS_PER_SECOND)), [mark_units(marks, start, end, half_width) for marks in coders])
        for start, end, coders in turns
    ]
    return unitizing_alpha(continua)


def _matched_marks(mine: Sequence[float], theirs: Sequence[float], tolerance: float) -> int:
    """How many marks pair up one to one within ``tolerance`` (closest pairs first): one mark
    can confirm only one other mark, so three marks never "match" a single one."""
    pairs = sorted(
        (abs(a - b), i, j) for i, a in enumerate(mine) for j, b in enumerate(theirs) if abs(a - b) <= tolerance
    )
    used_mine, used_theirs, matched = set(), set(), 0
    for _, i, j in pairs:
        if i not in used_mine and j not in used_theirs:
            used_mine.add(i)
            used_theirs.add(j)
            matched += 1
    return matched


def boundary_agreement(shift_sets: Sequence[Sequence[float]], tolerance: float = 0.5) -> float | None:
    """Shift boundaries, descriptive (not chance-corrected: see ``qa.unitizing`` for uα): over
    every pair of annotators, the share of their marks that pair up one to one within
    ``tolerance`` seconds. None when nobody marked a shift."""
    matched = total = 0
    for i in range(len(shift_sets)):
        for j in range(i + 1, len(shift_sets)):
            total += len(shift_sets[i]) + len(shift_sets[j])
            matched += 2 * _matched_marks(shift_sets[i], shift_sets[j], tolerance)
    return matched / total if total else None

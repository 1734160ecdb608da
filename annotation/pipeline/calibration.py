"""Confidence calibration against people: reliability bins, expected calibration error (ECE), and
Platt scaling (a logistic map of the logit of a confidence), fitted on some calls and judged on
others.

A suggestion's confidence c for a label is calibrated when, of all the suggestions made at about c,
a share of about c is confirmed by the annotators' consensus. ECE is the gap between the two,
averaged over equal-width confidence bins and weighted by how many suggestions fall in each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BINS = 10
EPSILON = 1e-4
# Ridge towards the identity map (a, b) = (1, 0), firmer on the slope: when the suggestions sit at
# one or two confidence values, the data fix only a * x + b, and the shift should then come from b.
RIDGE = np.array([5.0, 0.1])


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    mean_confidence: float | None
    agreement: float | None  # share of these suggestions the consensus confirms

    def to_dict(self) -> dict:
        return {
            "low": self.low,
            "high": self.high,
            "count": self.count,
            "mean_confidence": self.mean_confidence,
            "agreement": self.agreement,
        }


def reliability_bins(confidences: Sequence[float], outcomes: Sequence[bool], bins: int = BINS) -> list[ReliabilityBin]:
    c = np.clip(np.asarray(confidences, dtype=float), 0.0, 1.0)
    y = np.asarray(outcomes, dtype=float)
    index = np.minimum((c * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        mask = index == b
        n = int(mask.sum())
        out.append(
            ReliabilityBin(
                low=round(b / bins, 3),
                high=round((b + 1) / bins, 3),
                count=n,
                mean_confidence=round(float(c[mask].mean()), 4) if n else None,
                agreement=round(float(y[mask].mean()), 4) if n else None,
            )
        )
    return out


def expected_calibration_error(
    confidences: Sequence[float], outcomes: Sequence[bool], bins: int = BINS
) -> float | None:
    total = len(confidences)
    if total == 0:
        return None
    gaps = [
        item.count * abs(item.mean_confidence - item.agreement)
        for item in reliability_bins(confidences, outcomes, bins)
        if item.count
    ]
    return round(float(sum(gaps) / total), 4)


def _logit(c: np.ndarray) -> np.ndarray:
    c = np.clip(c, EPSILON, 1 - EPSILON)
    return np.log(c / (1 - c))


def fit_platt(confidences: Sequence[float], outcomes: Sequence[bool], iterations: int = 100) -> tuple[float, float]:
    """(a, b) with p = sigmoid(a * logit(c) + b), minimising the log loss against Platt's smoothed
    targets (so a handful of examples cannot push a probability to 0 or 1) plus a small ridge
    towards the identity map. Damped Newton steps: a full step can overshoot into saturation."""
    x = _logit(np.asarray(confidences, dtype=float))
    y = np.asarray(outcomes, dtype=float)
    positives, negatives = y.sum(), (1 - y).sum()
    target = np.where(y > 0, (positives + 1) / (positives + 2), 1 / (negatives + 2))

    def loss(params: np.ndarray) -> float:
        z = np.clip(params[0] * x + params[1], -30, 30)
        return float(np.sum(np.logaddexp(0, z) - target * z) + 0.5 * float(RIDGE @ (params - (1.0, 0.0)) ** 2))

    params = np.array([1.0, 0.0])
    current = loss(params)
    for _ in range(iterations):
        p = _sigmoid(params[0] * x + params[1])
        weight = p * (1 - p)
        gradient = np.array([np.sum((p - target) * x), np.sum(p - target)]) + RIDGE * (params - (1.0, 0.0))
        hessian = np.array([[np.sum(weight * x * x), np.sum(weight * x)], [np.sum(weight * x), np.sum(weight)]])
        step = np.linalg.solve(hessian + np.diag(RIDGE), gradient)
        scale = 1.0
        while scale > 1e-4 and loss(params - scale * step) > current:
            scale /= 2
        params = params - scale * step
        params[0] = max(params[0], 0.0)  # a calibration map never reverses the order of confidences
        previous, current = current, loss(params)
        if previous - current < 1e-10:
            break
    return round(float(params[0]), 5), round(float(params[1]), 5)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))


def apply_platt(confidence: float | np.ndarray, params: Sequence[float]) -> float | np.ndarray:
    a, b = params
    value = _sigmoid(a * _logit(np.asarray(confidence, dtype=float)) + b)
    return float(value) if np.ndim(value) == 0 else value

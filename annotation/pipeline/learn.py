"""Learning suggestions from the annotators: per-label logistic regression on prosody z-scores
plus multilingual text embeddings, judged against the rule prior on held-out turns.

The regression is fitted with balanced class weights (rare labels would never be predicted
otherwise), which inflates its probabilities; so each label's probability is then calibrated by
Platt scaling on calls the regression did not see.

Plain Python in, plain JSON out (the weights), so the Django side stores and versions it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import krippendorff
import numpy as np

from .calibration import apply_platt, fit_platt
from .prosody import Z_FEATURES
from .text_evidence import embed


@dataclass
class Example:
    group: str  # the call: held-out turns come from held-out calls, never from training calls
    text: str
    prosody_z: dict
    labels: set[str]  # human consensus
    turn_id: int | None = None


@dataclass
class TrainedModel:
    labels: list[str]
    weights: dict  # label -> {"coef": [...], "intercept": float}
    threshold: float = 0.5
    calibration: dict | None = None  # label -> Platt (a, b), fitted on calls the regression did not see

    def raw_probabilities(self, features: np.ndarray) -> dict[str, np.ndarray]:
        out = {}
        for label in self.labels:
            w = self.weights[label]
            logits = features @ np.asarray(w["coef"], dtype=np.float32) + w["intercept"]
            out[label] = 1.0 / (1.0 + np.exp(-logits))
        return out

    def probabilities(self, features: np.ndarray) -> dict[str, np.ndarray]:
        raw = self.raw_probabilities(features)
        calibration = self.calibration or {}
        return {label: apply_platt(p, calibration[label]) if label in calibration else p for label, p in raw.items()}

    def predict(self, features: np.ndarray) -> list[set[str]]:
        probs = self.probabilities(features)
        return [{label for label in self.labels if probs[label][i] >= self.threshold} for i in range(features.shape[0])]

    def to_json(self) -> dict:
        return {
            "labels": self.labels,
            "weights": self.weights,
            "threshold": self.threshold,
            "calibration": self.calibration,
        }

    @classmethod
    def from_json(cls, data: dict) -> TrainedModel:
        return cls(
            labels=data["labels"],
            weights=data["weights"],
            threshold=data.get("threshold", 0.5),
            calibration=data.get("calibration"),
        )


def featurize(texts: list[str], prosody_z: list[dict]) -> np.ndarray:
    prosody = np.array([[float(z.get(f, 0.0)) for f in Z_FEATURES] for z in prosody_z], dtype=np.float32)
    prosody = np.clip(prosody, -5, 5) / 5.0
    text = embed([t or "" for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)
    return np.hstack([prosody, text]).astype(np.float32)


def split_by_group(
    examples: list[Example], held_out: float = 0.2, seed: int = 0
) -> tuple[list[Example], list[Example]]:
    groups = sorted({e.group for e in examples})
    random.Random(seed).shuffle(groups)
    n_test = max(1, int(round(held_out * len(groups)))) if len(groups) > 1 else 0
    test_groups = set(groups[:n_test])
    return [e for e in examples if e.group not in test_groups], [e for e in examples if e.group in test_groups]


def train(examples: list[Example], labels: list[str], features: np.ndarray | None = None) -> TrainedModel:
    """Fit on most calls, then calibrate each label's probability on the others (when there are
    at least two calls); the calibration is kept per label only where it saw both outcomes."""
    x = featurize([e.text for e in examples], [e.prosody_z for e in examples]) if features is None else features
    fit, calibrate = split_by_group(examples, held_out=0.25, seed=1)
    if not fit or not calibrate:
        return _fit(examples, labels, x)
    index = {id(e): i for i, e in enumerate(examples)}
    fit_rows = [index[id(e)] for e in fit]
    calibrate_rows = [index[id(e)] for e in calibrate]
    model = _fit(fit, labels, x[fit_rows])
    raw = model.raw_probabilities(x[calibrate_rows])
    model.calibration = {}
    for label in model.labels:
        outcomes = [label in e.labels for e in calibrate]
        if 0 < sum(outcomes) < len(outcomes):
            model.calibration[label] = list(fit_platt(raw[label], outcomes))
    return model


def _fit(examples: list[Example], labels: list[str], x: np.ndarray) -> TrainedModel:
    from sklearn.linear_model import LogisticRegression  # lazy: sklearn is heavy (~1 s, ~180 MB); only training uses it

    weights = {}
    used = []
    for label in labels:
        y = np.array([label in e.labels for e in examples], dtype=int)
        if y.min() == y.max():
            continue  # never (or always) chosen: nothing to learn for this label
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=500)
        model.fit(x, y)
        weights[label] = {"coef": model.coef_[0].round(5).tolist(), "intercept": float(model.intercept_[0])}
        used.append(label)
    return TrainedModel(labels=used, weights=weights)


def presence_alpha(truth: list[set[str]], predicted: list[set[str]], labels: list[str]) -> float | None:
    """Krippendorff's alpha (nominal) on label presence between two 'coders'."""
    rows = np.array(
        [
            [1.0 if label in item else 0.0 for item in truth for label in labels],
            [1.0 if label in item else 0.0 for item in predicted for label in labels],
        ]
    )
    if rows.size == 0 or np.unique(rows).size < 2:
        return None
    return float(krippendorff.alpha(reliability_data=rows, level_of_measurement="nominal"))

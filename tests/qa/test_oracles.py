"""Oracle tests: figures checked against published worked examples, an independent
implementation (NLTK), and a seeded simulation with a known population value.

- Krippendorff (2011), "Computing Krippendorff's alpha-reliability": the 4 x 12 example.
- NLTK's MASI-distance alpha on random label sets.
- Krippendorff (2004), *Content Analysis* 2nd ed., p. 254 (uα worked example), and the observed
  disagreements of Krippendorff (1995), "On the reliability of unitizing continuous data".
- The turn-cluster bootstrap: over 400 simulated projects whose errors are correlated within a
  turn (an inattentive annotator misreads several labels of a turn at once), the 95% interval
  covers the population alpha 93-97% of the time; resampling cells instead undercovers.
"""

from __future__ import annotations

import numpy as np
import pytest

from qa.clusters import cluster_alpha
from qa.reliability import alpha_from_counts, krippendorff_alpha, masi_distance
from qa.unitizing import shift_alpha, unitizing_alpha

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers x 12 units.
RAW = """
1 2 3 3 2 1 4 1 2 . . .
1 2 3 3 2 2 4 1 2 5 . 3
. 3 3 3 2 3 4 2 2 5 1 .
1 2 3 3 2 4 4 1 2 5 1 .
"""
ROWS = [[None if v == "." else int(v) for v in line.split()] for line in RAW.strip().splitlines()]
UNITS = [list(column) for column in zip(*ROWS, strict=True)]


@pytest.mark.parametrize(
    ("level", "expected"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)]
)
def test_published_values(level, expected):
    result = krippendorff_alpha(UNITS, level, bootstrap=200)
    assert round(result.alpha, 3) == expected
    assert result.excluded == 1 and result.units == 11  # unit 12 has a single judgement
    assert result.low <= result.alpha <= result.high


def test_masi_set_alpha_equals_nltk():
    from nltk.metrics.agreement import AnnotationTask
    from nltk.metrics.distance import masi_distance as nltk_masi

    rng = np.random.default_rng(3)
    labels = ["anger", "frustration", "anxiety", "neutral"]
    data = []
    for item in range(40):
        base = frozenset(rng.choice(labels, size=rng.integers(1, 3), replace=False))
        for coder in ("a", "b", "c"):
            chosen = set(base)
            if rng.random() < 0.3:
                chosen ^= {str(rng.choice(labels))}
            data.append((coder, str(item), frozenset(chosen or {"neutral"})))
    nltk_alpha = AnnotationTask(data=data, distance=nltk_masi).alpha()
    units: dict[str, list] = {}
    for _coder, item, chosen in data:
        units.setdefault(item, []).append(chosen)
    ours = krippendorff_alpha(list(units.values()), masi_distance, bootstrap=0)
    assert ours.alpha == pytest.approx(nltk_alpha, abs=1e-9)


# Krippendorff (2004: 254): continuum 150..450, two observers, categories c and k.
C_UNITS = [[(225 - 150, 70), (370 - 150, 30)], [(220 - 150, 80), (355 - 150, 20), (400 - 150, 20)]]
K_UNITS = [[(180 - 150, 60), (300 - 150, 50)], [(180 - 150, 60), (300 - 150, 50)]]


def test_unitizing_alpha_reproduces_krippendorff_2004():
    c = unitizing_alpha([(300, C_UNITS)])
    assert (c["observed"], c["expected"], c["alpha"]) == (pytest.approx(0.0144, abs=1e-4),
                                                          pytest.approx(0.0532, abs=1e-4), 0.7286)  # fmt: skip
    k = unitizing_alpha([(300, K_UNITS)])
    assert k["observed"] == 0 and k["expected"] == pytest.approx(0.0490, abs=1e-4) and k["alpha"] == 1.0


def test_unitizing_observed_disagreement_reproduces_krippendorff_1995():
    # Example A (Bertha, Bill) and C (Gerret, Gill) on a continuum of 24.
    a = unitizing_alpha([(24, [[(2, 8), (14, 6)], [(4, 4), (15, 2)]])])
    c = unitizing_alpha([(24, [[(2, 6), (10, 2), (14, 4), (20, 2)], [(0, 2), (4, 4), (10, 4), (16, 2), (20, 2)]])])
    assert a["observed"] == pytest.approx(0.03125, abs=1e-5) and c["observed"] == pytest.approx(0.02777, abs=1e-5)


def test_random_single_shift_marks_are_not_agreement():
    # The old boundary figure scored two random marks in a 1 s turn about .74; uα is at or below
    # chance (slightly negative here: the windows of random marks are clipped at the turn's edges).
    rng = np.random.default_rng(0)
    turns = [(0.0, 1.0, [[float(rng.random())], [float(rng.random())]]) for _ in range(400)]
    assert -0.3 < shift_alpha(turns, 0.25)["alpha"] < 0.1
    close = [(0.0, 1.0, [[at], [at + 0.05]]) for at in rng.random(400) * 0.9]
    assert shift_alpha(close, 0.25)["alpha"] > 0.8


LABELS, ANNOTATORS = 5, 3


def _simulated_presence(rng, turns):
    """(turns, labels) counts of annotators marking each label present. Half the turns are
    emotional; an annotator is inattentive on a quarter of turns and then misreads each label
    with probability .35 (otherwise .03), so errors cluster within turns."""
    emotional = rng.random(turns) < 0.5
    truth = rng.random((turns, LABELS)) < np.where(emotional[:, None], 0.45, 0.08)
    inattentive = rng.random((turns, ANNOTATORS)) < 0.25
    flips = rng.random((turns, ANNOTATORS, LABELS)) < np.where(inattentive, 0.35, 0.03)[:, :, None]
    return (truth[:, None, :] ^ flips).sum(axis=1)


def _counts(present):
    flat = present.ravel().astype(np.float64)
    return np.stack([ANNOTATORS - flat, flat], axis=1)


def test_turn_cluster_bootstrap_covers_the_population_alpha():
    rng = np.random.default_rng(0)
    population = alpha_from_counts(_counts(_simulated_presence(rng, 400_000)), [0, 1], bootstrap=0).alpha
    simulations, turns = 400, 150
    cluster_hits = cell_hits = 0
    usable = []
    for s in range(simulations):
        counts = _counts(_simulated_presence(rng, turns))
        by_turn = cluster_alpha(counts, np.repeat(np.arange(turns), LABELS), [0, 1], bootstrap=400, seed=s)
        by_cell = alpha_from_counts(counts, [0, 1], bootstrap=400, seed=s)
        cluster_hits += by_turn["low"] <= population <= by_turn["high"]
        cell_hits += by_cell.low <= population <= by_cell.high
        usable.append(by_turn["usable_resamples"])
    coverage = cluster_hits / simulations
    assert 0.93 <= coverage <= 0.97, coverage
    assert cell_hits / simulations < coverage - 0.03  # the old cell resampling is too narrow
    assert min(usable) == 400


def test_an_interval_from_few_usable_resamples_says_so():
    # Eleven turns, one of which holds the only "present": most resamples draw no present at all.
    counts = np.array([[2.0, 0.0]] * 10 + [[1.0, 1.0]])
    figure = cluster_alpha(counts, np.arange(11), [0, 1], bootstrap=500)
    assert figure["usable_resamples"] < 500 and "conditional on the" in figure["note"]

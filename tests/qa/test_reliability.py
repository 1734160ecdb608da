"""Oracle tests: published alpha values, and MASI-set alpha equal to NLTK's."""

from __future__ import annotations

import numpy as np
import pytest

from qa.reliability import bin_values, boundary_agreement, krippendorff_alpha, masi_distance

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


def test_masi_distance_values():
    a, b = frozenset({"x"}), frozenset({"x", "y"})
    assert masi_distance(a, a) == 0.0
    assert masi_distance(a, b) == pytest.approx(1 - 0.5 * 2 / 3)
    assert masi_distance(frozenset({"x", "z"}), b) == pytest.approx(1 - (1 / 3) * (1 / 3))
    assert masi_distance(a, frozenset({"y"})) == 1.0


def test_undefined_when_everyone_agrees_on_one_value_and_exclusions_counted():
    result = krippendorff_alpha([[1, 1], [1, 1, 1], [1], []], "nominal")
    assert result.alpha is None and result.excluded == 2 and result.units == 2


def test_binning_and_boundaries():
    assert bin_values([0.4, -2.6, None, 9], -3, 3, 1) == [0, -3, None, 3]
    # 1.0, 1.3 and 1.2 all match each other; 5.0 and 9.0 match nobody: 6 of 10 directed checks.
    assert boundary_agreement([[1.0, 5.0], [1.3], [1.2, 9.0]], tolerance=0.5) == pytest.approx(6 / 10)
    assert boundary_agreement([[], []]) is None


def test_bootstrap_interval_narrows_with_more_units():
    rng = np.random.default_rng(0)

    def simulate(n):
        truth = rng.integers(0, 2, n)
        return [[int(t) if rng.random() > 0.15 else int(1 - t) for _ in range(3)] for t in truth]

    small = krippendorff_alpha(simulate(50), "nominal", bootstrap=300)
    large = krippendorff_alpha(simulate(5000), "nominal", bootstrap=300)
    assert (large.high - large.low) < (small.high - small.low) / 3


def test_sparse_masi_path_equals_the_package_path():
    from qa.reliability import set_alpha_masi

    rng = np.random.default_rng(5)
    labels = [f"l{i}" for i in range(12)]
    units = []
    for _ in range(300):
        base = set(rng.choice(labels, size=rng.integers(1, 3), replace=False))
        unit = []
        for _coder in range(3):
            chosen = set(base)
            if rng.random() < 0.4:
                chosen ^= {str(rng.choice(labels))}
            unit.append(frozenset(chosen or {"l0"}))
        units.append(unit)
    package = set_alpha_masi(units, bootstrap=0, package_limit=10_000)
    sparse = set_alpha_masi(units, bootstrap=100, package_limit=0)
    assert sparse.alpha == pytest.approx(package.alpha, abs=1e-9)
    assert sparse.low <= sparse.alpha <= sparse.high

"""Alpha helpers: MASI values, undefined cases, binning, interval width, the sparse MASI path.
The oracle tests (published values, NLTK, simulated coverage) are in test_oracles.py."""

from __future__ import annotations

import numpy as np
import pytest

from qa.reliability import bin_values, krippendorff_alpha, masi_distance
from qa.unitizing import boundary_agreement


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


def test_boundary_matching_is_one_to_one():
    # Three marks of one annotator cannot all be confirmed by the other's single mark.
    assert boundary_agreement([[1.0], [0.8, 1.2, 1.4]]) == pytest.approx(2 / 4)
    assert boundary_agreement([[1.0], [1.2]]) == 1.0

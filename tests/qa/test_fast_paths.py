"""The report's fast paths give the same numbers as the straightforward ones."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest

from qa.reliability import PACKAGE_UNIT_LIMIT, alpha_from_counts, alpha_from_patterns, distinct_rows


@pytest.mark.parametrize("high", [3, 40_000])  # counted by bincount / by unique over row keys
def test_distinct_rows_matches_numpy_unique(high):
    rng = np.random.default_rng(1)
    matrix = rng.integers(0, high, size=(5000, 2)).astype(np.float64)
    patterns, multiplicity, inverse = distinct_rows(matrix)
    expected, expected_counts = np.unique(matrix, axis=0, return_counts=True)
    order = np.lexsort(patterns.T[::-1])
    assert np.array_equal(patterns[order], expected) and np.array_equal(multiplicity[order], expected_counts)
    assert np.array_equal(patterns[inverse], matrix)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_alpha_from_distinct_patterns_equals_the_package(level):
    rng = np.random.default_rng(2)
    truth = rng.integers(0, 5, 3000)
    data = np.array([[t if rng.random() > 0.3 else rng.integers(0, 5) for t in truth] for _ in range(3)], float)
    data[0, :40] = np.nan  # some units with two judgements
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level, value_domain=list(range(5)))
    counts = np.stack([(data == v).sum(axis=0) for v in range(5)], axis=1).astype(float)
    patterns, multiplicity, _ = distinct_rows(counts)
    assert alpha_from_patterns(patterns, multiplicity, level, list(range(5))) == pytest.approx(expected, abs=1e-9)
    # and the large-project path of alpha_from_counts (no package call) agrees too
    big = np.repeat(counts, PACKAGE_UNIT_LIMIT // len(counts) + 1, axis=0)
    result = alpha_from_counts(big, list(range(5)), level, bootstrap=0)
    package = krippendorff.alpha(value_counts=big, value_domain=list(range(5)), level_of_measurement=level)
    assert result.alpha == pytest.approx(package, abs=1e-9) and result.units == len(big)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_vectorised_bootstrap_equals_one_resample_at_a_time(level):
    from qa.reliability import _alpha_from, _coincidences, bootstrap_patterns

    rng = np.random.default_rng(4)
    counts = rng.multinomial(3, [0.5, 0.3, 0.2], size=400).astype(float)
    patterns, multiplicity, _ = distinct_rows(counts)
    low, high = bootstrap_patterns(patterns, multiplicity, level, [0, 1, 2], 300, 7)
    draws = np.random.default_rng(7).multinomial(int(multiplicity.sum()), multiplicity / multiplicity.sum(), 300)
    values = [_alpha_from(_coincidences(patterns, w.astype(float)), level, [0, 1, 2]) for w in draws]
    expected = np.percentile([v for v in values if v is not None], [2.5, 97.5])
    assert (low, high) == pytest.approx(tuple(expected), abs=1e-9)

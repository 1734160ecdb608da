"""What the fuzz tests (test_fuzz_api, test_fuzz_pages) share."""

from __future__ import annotations

import os

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings


def fuzz_settings(max_examples: int) -> hypothesis_settings:
    """Hypothesis settings for a fuzz run: ``max_examples`` cases, no deadline, no example
    database, no health checks; derandomized (CI draws the same cases on every run) unless
    ``ANNOTERA_FUZZ_RANDOM`` is set."""
    return hypothesis_settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=not os.environ.get("ANNOTERA_FUZZ_RANDOM"),
    )

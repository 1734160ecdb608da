"""Runs of True in a boolean mask: the frame-to-stretch step that channel speech, speaker
activity and pause finding share."""

from __future__ import annotations

import numpy as np


def true_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of each run of True in ``mask``, ends exclusive."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], np.asarray(mask, dtype=np.int8), [0]])))
    return edges[::2], edges[1::2]

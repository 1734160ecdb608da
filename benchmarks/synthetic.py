"""Generated annotations shared by the benchmarks: annotators who agree on a turn's true labels
except where each departs from them at ``noise``."""

from __future__ import annotations

import random


def noisy_annotations(rng: random.Random, keys: list[str], turn, assignments, taxonomy, *, noise: float,
                      intensity: tuple[int, int]) -> list:  # fmt: skip
    """One unsaved TurnAnnotation per assignment for ``turn``, around one or two true labels."""
    from annotation.models import TurnAnnotation

    truth = rng.sample(keys, rng.choice([1, 1, 2]))
    rows = []
    for assignment in assignments:
        chosen = [k if rng.random() > noise else rng.choice(keys) for k in truth]
        rows.append(
            TurnAnnotation(
                assignment=assignment,
                turn=turn,
                taxonomy=taxonomy,
                labels=[{"label": k, "intensity": rng.randint(*intensity)} for k in dict.fromkeys(chosen)],
                valence=rng.choice([-2, -1, 0, 1]),
                arousal=rng.choice([2, 3, 4]),
            )
        )
    return rows

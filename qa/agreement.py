"""Inter-annotator agreement (Krippendorff's alpha) over TurnAnnotations."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from annotation.models import Project, TurnAnnotation


def _alpha(rows: np.ndarray, level: str) -> float | None:
    import krippendorff

    values = rows[~np.isnan(rows)]
    if values.size == 0 or np.unique(values).size < 2:
        return None  # alpha is undefined when every judgement is the same value
    return float(krippendorff.alpha(reliability_data=rows, level_of_measurement=level))


def label_presence_report(project: Project) -> dict:
    """Label presence: one nominal 0/1 judgement per (turn, label) per annotator.

    Units (turns) with fewer than two annotations carry no agreement information; they are
    excluded and counted.
    """
    labels = list(project.taxonomy.labels.values_list("key", flat=True))
    annotations = TurnAnnotation.objects.filter(assignment__call__project=project, skipped=False).values_list(
        "turn_id", "assignment__annotator_id", "labels"
    )
    by_turn: dict[int, dict[int, set[str]]] = defaultdict(dict)
    for turn_id, annotator_id, turn_labels in annotations:
        by_turn[turn_id][annotator_id] = {item["label"] for item in turn_labels}
    usable = {t: a for t, a in by_turn.items() if len(a) >= 2}
    excluded = len(by_turn) - len(usable)
    annotators = sorted({a for per_turn in usable.values() for a in per_turn})
    index = {a: i for i, a in enumerate(annotators)}
    turns = sorted(usable)
    report: dict = {
        "project": project.slug,
        "taxonomy_version": project.taxonomy.version,
        "units": len(turns),
        "excluded_units": excluded,
        "annotators": len(annotators),
        "label_presence": {"alpha": None, "per_label": {}},
    }
    if not turns:
        return report
    cube = np.full((len(annotators), len(turns), len(labels)), np.nan)
    for j, turn_id in enumerate(turns):
        for annotator_id, chosen in usable[turn_id].items():
            cube[index[annotator_id], j, :] = [1.0 if key in chosen else 0.0 for key in labels]
    report["label_presence"]["alpha"] = _alpha(cube.reshape(len(annotators), -1), "nominal")
    for k, key in enumerate(labels):
        report["label_presence"]["per_label"][key] = _alpha(cube[:, :, k], "nominal")
    return report

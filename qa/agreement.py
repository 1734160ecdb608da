"""A project's inter-annotator agreement report: every kind of judgement, with 95% intervals.

Units with fewer than two annotations are excluded from each figure and counted. Filters:
language, locale, annotator culture (a locale of the annotator), speaker role, taxonomy version
(default: the project's pinned version, so label keys mean one thing).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from annotation.models import AnnotatorProfile, Project, TurnAnnotation

from .reliability import alpha_from_counts, bin_values, boundary_agreement, krippendorff_alpha, set_alpha_masi

SHIFT_TOLERANCE = 0.5
FIGURES = (
    ("label_presence", "label presence (nominal)"),
    ("label_sets_masi", "label sets (MASI)"),
    ("intensity", "intensity (ordinal)"),
    ("valence", "valence (interval, binned)"),
    ("arousal", "arousal (interval, binned)"),
)


@dataclass(frozen=True)
class ReportFilters:
    language: str = ""
    locale: str = ""
    culture: str = ""
    speaker_role: str = ""
    taxonomy_version: int | None = None

    @classmethod
    def from_mapping(cls, data) -> ReportFilters:
        version = data.get("taxonomy_version") or None
        return cls(
            language=(data.get("language") or "").strip().lower(),
            locale=(data.get("locale") or "").strip(),
            culture=(data.get("culture") or "").strip(),
            speaker_role=(data.get("speaker_role") or "").strip(),
            taxonomy_version=int(version) if version not in (None, "") else None,
        )

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None)}


def _annotations(project: Project, filters: ReportFilters):
    rows = TurnAnnotation.objects.filter(assignment__call__project=project, skipped=False)
    version = filters.taxonomy_version
    if version is None:
        rows = rows.filter(taxonomy=project.taxonomy)
    else:
        rows = rows.filter(taxonomy__slug=project.taxonomy.slug, taxonomy__version=version)
    if filters.language:
        rows = rows.filter(turn__language=filters.language)
    if filters.locale:
        rows = rows.filter(assignment__call__locale__iexact=filters.locale)
    if filters.speaker_role:
        rows = rows.filter(turn__speaker__role=filters.speaker_role)
    if filters.culture:
        wanted = filters.culture.lower()
        annotators = [p.user_id for p in AnnotatorProfile.objects.all() if wanted in {loc.lower() for loc in p.locales}]
        rows = rows.filter(assignment__annotator_id__in=annotators)
    return rows.values_list("turn_id", "assignment__annotator_id", "labels", "valence", "arousal", "shifts")


def project_report(project: Project, filters: ReportFilters = ReportFilters(), *, bootstrap: int = 1000) -> dict:
    taxonomy = project.taxonomy
    labels = list(taxonomy.labels.order_by("order").values_list("key", flat=True))
    dims = {d.key: d for d in taxonomy.dimensions.all()}
    by_turn: dict[int, dict[int, tuple]] = defaultdict(dict)
    for turn_id, annotator_id, turn_labels, valence, arousal, shifts in _annotations(project, filters):
        chosen = {item["label"]: item.get("intensity") for item in turn_labels}
        by_turn[turn_id][annotator_id] = (chosen, valence, arousal, [s.get("at") for s in shifts or []])
    turns = sorted(by_turn)
    annotators = sorted({a for per in by_turn.values() for a in per})
    report: dict = {
        "project": project.slug,
        "taxonomy": str(taxonomy),
        "filters": filters.as_dict(),
        "turns": len(turns),
        "annotators": len(annotators),
        "shift_tolerance_seconds": SHIFT_TOLERANCE,
    }

    # Label presence: one binary unit per (turn, label); counts built with numpy for speed.
    index = {label: k for k, label in enumerate(labels)}
    present = np.zeros((len(turns), len(labels)), dtype=np.float64)
    judged = np.zeros(len(turns), dtype=np.float64)
    for row, turn_id in enumerate(turns):
        judged[row] = len(by_turn[turn_id])
        for chosen, *_ in by_turn[turn_id].values():
            for label in chosen:
                if label in index:
                    present[row, index[label]] += 1
    per_label = {}
    for k, label in enumerate(labels):
        counts = np.stack([judged - present[:, k], present[:, k]], axis=1)
        per_label[label] = alpha_from_counts(counts, [0, 1], "nominal", bootstrap=bootstrap).to_dict()
    overall = (
        np.concatenate([np.stack([judged - present[:, k], present[:, k]], axis=1) for k in range(len(labels))])
        if labels
        else np.zeros((0, 2))
    )
    report["label_presence"] = {
        **alpha_from_counts(overall, [0, 1], "nominal", bootstrap=bootstrap).to_dict(),
        "per_label": per_label,
    }

    # Label sets (mixed emotions): MASI distance over each annotator's set.
    sets = [[frozenset(chosen) for chosen, *_ in by_turn[t].values()] for t in turns]
    report["label_sets_masi"] = set_alpha_masi(sets, bootstrap=bootstrap).to_dict()

    # Intensity (ordinal): per (turn, label) among the annotators who chose the label.
    intensity_units = []
    for t in turns:
        per_label: dict[str, list[int]] = defaultdict(list)
        for chosen, *_ in by_turn[t].values():
            for label, intensity in chosen.items():
                if intensity is not None and label in index:
                    per_label[label].append(intensity)
        intensity_units.extend(per_label.values())
    report["intensity"] = krippendorff_alpha(intensity_units, "ordinal", bootstrap=bootstrap).to_dict()

    for position, key in ((1, "valence"), (2, "arousal")):
        dim = dims.get(key)
        low, high, step = (
            (dim.minimum, dim.maximum, dim.step) if dim else ((-3, 3, 1) if key == "valence" else (1, 5, 1))
        )
        units = [bin_values([v[position] for v in by_turn[t].values()], low, high, step) for t in turns]
        report[key] = krippendorff_alpha(units, "interval", bootstrap=bootstrap).to_dict()

    shift_units = [[v[3] for v in by_turn[t].values()] for t in turns]
    with_shifts = [u for u in shift_units if len(u) >= 2 and any(u)]
    report["shifts"] = {
        "boundary_agreement": _mean([boundary_agreement(u, SHIFT_TOLERANCE) for u in with_shifts]),
        "units": len(with_shifts),
        "excluded": sum(1 for u in shift_units if len(u) < 2),
    }
    return report


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(float(np.mean(values)), 4) if values else None

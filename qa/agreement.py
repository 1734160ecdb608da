"""A project's inter-annotator agreement report: every kind of judgement, with 95% intervals.

Inputs (``qa.judgements``): only real judgements (a label decision, not skipped), read in one
taxonomy version with older versions mapped into it (rows whose labels a version change all
dropped are left out and counted, ``rows_labels_removed``). Units with fewer than two judgements
are excluded from each figure and counted.

Methods:
- label presence: alpha per label is the primary figure; the pooled figure leaves out labels
  nobody used (they would add agreement on absence that depends on the taxonomy's size);
- every interval resamples turns (``qa.clusters``) and says how many resamples were usable;
- valence and arousal are binned on the taxonomy's own steps (stated in the report);
- shift positions: Krippendorff's unitizing alpha (``qa.unitizing``), chance-corrected, plus a
  descriptive one-to-one matched share.
"""

from __future__ import annotations

import numpy as np

from annotation.models import Assignment, GoldCall, Turn
from taxonomy.selectors import taxonomy_scales

from .agreement_people import anchoring, cultures, most_disagreed, per_annotator
from .clusters import cluster_alpha
from .distances import _masi_matrix_masks
from .judgements import (
    Judgements,
    ReportFilters,
    labels_in_version,
    labels_removed_by_change,
    load_judgements,
    machine_choices,
    newest_label_matrix,
    report_taxonomy,
    version_mappings,
)
from .models import Adjudication
from .reliability import AlphaResult, distinct_rows, sparse_alpha
from .unitizing import boundary_agreement, shift_alpha

__all__ = ["FIGURES", "ReportFilters", "project_report"]

SHIFT_TOLERANCE = 0.5  # seconds: two shift marks closer than this are the same shift
FIGURES = (
    ("label_presence", "label presence (nominal, labels in use)"),
    ("label_sets_masi", "label sets (MASI)"),
    ("intensity", "intensity (ordinal)"),
    ("valence", "valence (interval, on the scale's steps)"),
    ("arousal", "arousal (interval, on the scale's steps)"),
)
DEFAULT_SCALES = {"valence": (-3.0, 3.0, 1.0), "arousal": (1.0, 5.0, 1.0)}


def _binary_counts(judged: np.ndarray, present: np.ndarray) -> np.ndarray:
    return np.stack([judged - present, present], axis=1).astype(np.float64)


def _value_counts(unit: np.ndarray, values: np.ndarray, units: int) -> tuple[np.ndarray, list]:
    """(units, values) count matrix from parallel unit-index / value arrays (nan = no value)."""
    given = ~np.isnan(values)
    domain, coded = np.unique(values[given], return_inverse=True)
    counts = np.bincount(unit[given] * len(domain) + coded, minlength=units * len(domain)).reshape(units, len(domain))
    return counts.astype(np.float64), [float(v) for v in domain]


def _binned(values: np.ndarray, low: float, high: float, step: float) -> tuple[np.ndarray, int]:
    """Values snapped to the scale's steps, and how many were off the grid (saved before values
    were checked against the steps)."""
    snapped = np.round(low + np.round((np.clip(values, low, high) - low) / step) * step, 6)
    given = ~np.isnan(values)
    off = int((np.abs(snapped[given] - values[given]) > 1e-6).sum())
    return snapped, off


def _unsubmitted(data) -> int:
    """How many of the report's judgements belong to assignments not submitted yet."""
    if not data.rows:
        return 0
    ids = np.unique(data.assignment).tolist()
    submitted = list(
        Assignment.objects.filter(pk__in=ids, status=Assignment.Status.SUBMITTED).values_list("pk", flat=True)
    )
    return int((~np.isin(data.assignment, submitted)).sum())


def project_report(project, filters: ReportFilters = ReportFilters(), *, bootstrap: int = 1000, progress=None) -> dict:
    """The full report. ``progress(percent, message)``, if given, is called between stages."""

    def stage(percent: float, message: str) -> None:
        if progress is not None:
            progress(percent, message)

    taxonomy = report_taxonomy(project, filters)
    labels = list(taxonomy.labels.order_by("order", "key").values_list("key", flat=True))
    dims = {d.key: d for d in taxonomy.dimensions.all()}
    stage(5, "reading annotations")
    data = load_judgements(project, filters, taxonomy, labels)
    stage(40, "label presence")
    n_turns, n_labels, n_rows = len(data.turn_ids), len(labels), data.rows
    report: dict = {
        "project": project.slug,
        "taxonomy": str(taxonomy),
        "taxonomy_version": taxonomy.version,
        "versions": data.versions,
        "rows_left_out": data.left_out,
        # Judgements whose labels a taxonomy change all dropped: no judgement in this version.
        "rows_labels_removed": data.labels_removed,
        "filters": filters.as_dict(),
        "turns": n_turns,
        "annotators": len(data.annotator_ids),
        "annotations": n_rows,
        # Judgements of calls their annotators have not submitted yet: the report is live, so it
        # reads drafts too, and says how many (exports can leave them out: submitted_only).
        "unsubmitted": _unsubmitted(data),
        "shift_tolerance_seconds": SHIFT_TOLERANCE,
        "bootstrap": bootstrap,
        "resampled": "turns",
    }
    turn_units = np.arange(n_turns)

    # Label presence: one binary unit per (turn, label); per label first.
    chosen = np.zeros((n_rows, n_labels), dtype=bool)  # annotation row x label
    chosen[data.item_row, data.item_label] = True
    judged = np.bincount(data.turn, minlength=n_turns).astype(np.float64)
    present = (
        np.bincount(data.turn[data.item_row] * n_labels + data.item_label, minlength=n_turns * n_labels)
        .reshape(n_turns, n_labels)
        .astype(np.float64)
    )
    per_label = {
        label: cluster_alpha(_binary_counts(judged, present[:, k]), turn_units, [0, 1], bootstrap=bootstrap)
        for k, label in enumerate(labels)
    }
    used = present.sum(axis=0) > 0
    pooled = _binary_counts(np.repeat(judged, used.sum()), present[:, used].ravel())
    report["label_presence"] = {
        **cluster_alpha(pooled, np.repeat(turn_units, used.sum()), [0, 1], bootstrap=bootstrap),
        "per_label": per_label,
        "labels_used": int(used.sum()),
        "never_used": [label for label, u in zip(labels, used, strict=True) if not u],
    }
    if not used.all():
        report["label_presence"]["pooled_note"] = (
            f"Pooled over the {int(used.sum())} labels someone used; {n_labels - int(used.sum())} never-used "
            "labels are left out (their unanimous absence would raise the figure with the taxonomy's size)."
        )

    stage(60, "label sets, intensity, valence, arousal")
    report["label_sets_masi"] = _masi_figure(data, chosen, judged, bootstrap)

    # Intensity (ordinal): per (turn, label) among the annotators who chose it with an intensity.
    unit_key = data.turn[data.item_row] * max(n_labels, 1) + data.item_label
    units, unit_index = np.unique(unit_key, return_inverse=True)
    counts, domain = _value_counts(unit_index, data.item_intensity, len(units))
    report["intensity"] = cluster_alpha(counts, units // max(n_labels, 1), domain, "ordinal", bootstrap=bootstrap)

    for key in ("valence", "arousal"):
        dim = dims.get(key)
        low, high, step = (dim.minimum, dim.maximum, dim.step) if dim else DEFAULT_SCALES[key]
        values, off_grid = _binned(getattr(data, key), low, high, step)
        counts, domain = _value_counts(data.turn, values, n_turns)
        report[key] = cluster_alpha(counts, turn_units, domain, "interval", bootstrap=bootstrap)
        report[key]["bins"] = {"minimum": low, "maximum": high, "step": step}
        report[key]["off_grid"] = off_grid

    report["shifts"] = _shift_figure(data, judged)

    stage(85, "annotators, cultures, anchoring, gold")
    adjudicated, has_adjudication = _adjudications(project, data, taxonomy, labels)
    others_present = present[data.turn] - chosen  # rows x labels
    others = (judged[data.turn] - 1)[:, None]
    loo = np.where(has_adjudication[data.turn][:, None], adjudicated[data.turn], others_present * 2 > others)
    comparable = (judged[data.turn] >= 2) | has_adjudication[data.turn]  # rows with some consensus to compare
    gold_calls = set(GoldCall.objects.filter(call__project=project).values_list("call_id", flat=True))
    report["per_annotator"] = per_annotator(data, labels, chosen, loo, comparable, adjudicated, has_adjudication,
                                            gold_calls, bootstrap)  # fmt: skip
    report["culture"] = cultures(data, chosen, judged, bootstrap)
    scales = taxonomy_scales(taxonomy)
    ranges = {"intensity": scales.intensity, "valence": scales.valence, "arousal": scales.arousal}
    report["most_disagreed"] = most_disagreed(data, chosen, judged, ranges)
    machine, has_machine = machine_choices(project, data.turn_ids, labels)
    report["anchoring"] = anchoring(data, chosen, machine, has_machine, bootstrap)
    return report


def _adjudications(project, data: Judgements, taxonomy, labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The newest adjudication of each turn as (turns x labels) booleans, and which turns have one.
    Read in the report's version like the judgements: older adjudications through the recorded
    mappings (``labels_in_version``); those of versions that do not lead there, and those whose
    labels a taxonomy change all dropped (``labels_removed_by_change``), are left out (an older
    decision, if any, stands); one without a version is read as it is."""
    mappings = version_mappings(project, taxonomy)
    rows = (
        Adjudication.objects.filter(turn__call__project=project)
        .order_by("turn_id", "-created_at", "-pk")
        .values_list("turn_id", "labels", "taxonomy_id")
    )
    readable = (
        (turn_id, labels_in_version(adjudicated, mappings.get(taxonomy_id)))
        for turn_id, adjudicated, taxonomy_id in rows
        if (taxonomy_id is None or taxonomy_id in mappings)
        and not labels_removed_by_change(adjudicated, mappings.get(taxonomy_id))
    )
    return newest_label_matrix(readable, data.turn_ids, labels)


def _shift_figure(data: Judgements, judged: np.ndarray) -> dict:
    """Shift positions on the turns where anyone marked a shift: Krippendorff's uα (each mark a
    unit of +/- half the tolerance), and the descriptive one-to-one matched share. Annotators of
    a turn who marked no shift count as "no shift here"."""
    marked = {t: marks + [[]] * int(judged[t] - len(marks)) for t, marks in data.shifts.items()}
    marked = {t: coders for t, coders in marked.items() if len(coders) >= 2 and any(coders)}
    ids = [int(data.turn_ids[t]) for t in marked]
    spans = {}
    for first in range(0, len(ids), 10_000):  # bounded IN lists (SQLite caps bound parameters)
        chunk = Turn.objects.filter(pk__in=ids[first : first + 10_000]).values_list("pk", "start", "end")
        spans.update({pk: (start, end) for pk, start, end in chunk})
    turns = [(*spans[int(data.turn_ids[t])], coders) for t, coders in marked.items()]
    unitizing = shift_alpha(turns, SHIFT_TOLERANCE / 2)
    shares = [boundary_agreement(coders, SHIFT_TOLERANCE) for coders in marked.values()]
    shares = [s for s in shares if s is not None]
    return {
        "unitizing_alpha": unitizing["alpha"],
        "observed_disagreement": unitizing["observed"],
        "expected_disagreement": unitizing["expected"],
        "matched_share": round(float(np.mean(shares)), 4) if shares else None,
        "units": len(marked),
        "marks": unitizing["units"],
        "excluded": int((judged < 2).sum()),
        "method": (
            "Krippendorff's unitizing alpha over the turns where anyone marked a shift; each mark is a unit "
            f"of +/- {SHIFT_TOLERANCE / 2:g} s. The matched share (marks pairing up one to one within "
            f"{SHIFT_TOLERANCE:g} s) is descriptive and not chance-corrected."
        ),
    }


def _masi_figure(data: Judgements, chosen: np.ndarray, judged: np.ndarray, bootstrap: int) -> dict:
    n_rows, n_labels = chosen.shape
    result = AlphaResult(None, None, None, int((judged >= 2).sum()), int((judged < 2).sum()), int(n_rows))
    if not n_rows or result.units == 0:
        return result.to_dict()
    if n_labels <= 62:
        masks = chosen.astype(np.int64) @ (np.int64(1) << np.arange(n_labels, dtype=np.int64))
    else:  # wide taxonomies: a set id per distinct row of the choice matrix
        _, _, masks = distinct_rows(chosen.astype(np.int8))
    domain, set_id = np.unique(masks, return_inverse=True)
    # One row per turn (the turn is the unit, so resamples draw turns): its annotators' set ids.
    order = np.lexsort((set_id, data.turn))
    turn_sorted, set_sorted = data.turn[order], set_id[order]
    starts = np.searchsorted(turn_sorted, np.arange(len(judged)))
    slot = np.arange(n_rows) - starts[turn_sorted]
    width = int(judged.max())
    matrix = np.full((len(judged), width), -1, dtype=np.int64)
    matrix[turn_sorted, slot] = set_sorted
    matrix = matrix[judged >= 2]
    patterns, multiplicity, _ = distinct_rows(matrix)
    if n_labels <= 62:
        distance = _masi_matrix_masks(domain)
    else:
        first = np.zeros(len(domain), dtype=np.int64)
        first[set_id] = np.arange(n_rows)
        distance = _masi_matrix_masks(None, members=chosen[first])
    stats = {"resamples": 0, "usable": 0}
    result.alpha, result.low, result.high = sparse_alpha(
        patterns, multiplicity, distance, bootstrap=bootstrap, stats=stats
    )
    out = result.to_dict()
    out.update(distinct_sets=len(domain), resamples=stats["resamples"], usable_resamples=stats["usable"])
    out["resampled"] = "turns"
    return out

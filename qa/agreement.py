"""A project's inter-annotator agreement report: every kind of judgement, with 95% intervals.

Units with fewer than two annotations are excluded from each figure and counted. Filters:
language, locale, annotator culture (a locale of the annotator), speaker role, taxonomy version
(default: the project's pinned version, so label keys mean one thing).

Speed: the annotations are read in one query with their JSON columns as text, the label lists
are decoded in one ``json.loads`` call, and every figure is built from numpy arrays (counts by
``bincount``, bootstrap resamples as weighted sums over distinct unit patterns).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast, Substr

from annotation.models import AnnotatorProfile, Project, TurnAnnotation

from .reliability import (
    AlphaResult,
    _masi_matrix_masks,
    alpha_from_counts,
    alpha_from_patterns,
    bootstrap_patterns,
    bootstrap_rounds,
    boundary_agreement,
    distinct_rows,
    sparse_alpha,
)

SHIFT_TOLERANCE = 0.5
SPEED_GAP_LIMIT = 600.0  # seconds; a longer pause between two saves is a break, not work
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


def annotator_cultures(user_ids) -> dict[int, str]:
    """An annotator's culture for the within/across breakdown: their first (primary) locale."""
    return {
        user_id: (locales[0] if locales else "")
        for user_id, locales in AnnotatorProfile.objects.filter(user_id__in=list(user_ids)).values_list(
            "user_id", "locales"
        )
    }


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
        annotators = [
            user_id
            for user_id, locales in AnnotatorProfile.objects.values_list("user_id", "locales")
            if wanted in {loc.lower() for loc in locales}
        ]
        rows = rows.filter(assignment__annotator_id__in=annotators)
    return rows


@dataclass
class Judgements:
    """Every judgement of a report as arrays: one row per TurnAnnotation, one item per chosen label."""

    turn_ids: np.ndarray  # distinct turn ids, sorted; ``turn`` indexes it
    annotator_ids: np.ndarray
    turn: np.ndarray
    annotator: np.ndarray
    assignment: np.ndarray
    call: np.ndarray
    blind: np.ndarray
    saved_at: np.ndarray  # seconds since the epoch
    valence: np.ndarray  # nan = not given
    arousal: np.ndarray
    item_row: np.ndarray  # per chosen label: its annotation row
    item_label: np.ndarray  # index into the taxonomy's labels
    item_intensity: np.ndarray  # nan = not given
    shifts: dict[int, list[list[float]]]  # turn index -> shift times of each row that has any
    actions: list[dict]  # suggestion_actions of the non-blind rows that have any

    @property
    def rows(self) -> int:
        return len(self.turn)


def _seconds(values) -> np.ndarray:
    """Epoch seconds from timestamps read as text ("YYYY-MM-DD HH:MM:SS..." on SQLite and
    PostgreSQL alike); whole seconds are all that speed and drift need."""
    if not values:
        return np.zeros(0)
    return np.array(values, dtype="datetime64[s]").astype(np.int64).astype(np.float64)


# What the annotation service writes ({"label": key, "intensity": n|null}, keys in this order on
# SQLite and in PostgreSQL's jsonb alike): read with one regular expression over all rows.
_LABEL_ITEM = re.compile(r'\{"label":\s*"((?:[^"\\]|\\.)*)",\s*"intensity":\s*(null|-?\d+(?:\.\d+)?)\}')


def _label_items(texts) -> tuple[np.ndarray, list, list]:
    """(annotation row, label key, intensity) of every chosen label. Fast path: one regex pass
    over all label lists, used only when it accounts for every item of every row; otherwise
    one ``json.loads`` over all rows at once (per-row decoding was the old report's main cost)."""
    per_row = [text.count('"label"') for text in texts]
    joined = "\n".join(texts)
    found = _LABEL_ITEM.findall(joined) if "\\" not in joined else []  # escapes: leave them to json
    if len(found) == sum(per_row):
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), per_row)
        return rows, [key for key, _ in found], [None if v == "null" else float(v) for _, v in found]
    decoded = json.loads("[" + ",".join(texts) + "]") if texts else []
    flat = [item for chosen in decoded for item in chosen]
    rows = np.repeat(np.arange(len(decoded), dtype=np.int64), [len(chosen) for chosen in decoded])
    return rows, [item.get("label") for item in flat], [item.get("intensity") for item in flat]


def load_judgements(project: Project, filters: ReportFilters, labels: list[str]) -> Judgements:
    """One query for the judgements (JSON as text, six columns), one for the project's
    assignments, and small ones for the rows that have shifts or suggestion actions."""
    from annotation.models import Assignment

    rows = _annotations(project, filters)
    sql, params = (
        rows.annotate(
            labels_text=Cast("labels", TextField()), saved_text=Substr(Cast("updated_at", TextField()), 1, 19)
        )
        .values_list("turn_id", "assignment_id", "valence", "arousal", "labels_text", "saved_text")
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    turn_raw, assignment_raw, valence, arousal, label_texts, saved = (
        list(zip(*fetched, strict=True)) if fetched else [()] * 6
    )
    turn_ids, turn = np.unique(np.asarray(turn_raw, dtype=np.int64), return_inverse=True)
    assignment = np.asarray(assignment_raw, dtype=np.int64)
    # Who, which call and whether blind: per assignment, spread to the rows by position.
    known_assignments = np.array(
        list(Assignment.objects.filter(call__project=project).values_list("pk", "annotator_id", "call_id", "blind")),
        dtype=np.int64,
    ).reshape(-1, 4)
    known_assignments = known_assignments[np.argsort(known_assignments[:, 0])]
    at = np.searchsorted(known_assignments[:, 0], assignment)
    annotator_ids, annotator = np.unique(known_assignments[at, 1], return_inverse=True)
    item_row, keys, intensities = _label_items(label_texts)
    index = {label: k for k, label in enumerate(labels)}
    item_label = np.array([index.get(key, -1) for key in keys], dtype=np.int64)
    item_intensity = np.array(intensities, dtype=np.float64)  # None -> nan
    known = item_label >= 0  # labels outside the taxonomy version are not counted
    item_row, item_label, item_intensity = item_row[known], item_label[known], item_intensity[known]
    position = {int(t): i for i, t in enumerate(turn_ids)} if len(turn_ids) else {}
    shifts: dict[int, list[list[float]]] = defaultdict(list)
    for turn_id, marks in (
        rows.annotate(shifts_text=Cast("shifts", TextField()))
        .exclude(shifts_text="[]")
        .values_list("turn_id", "shifts")
    ):
        shifts[position[turn_id]].append([s.get("at") for s in marks or [] if s.get("at") is not None])
    actions = list(
        rows.filter(assignment__blind=False)
        .annotate(actions_text=Cast("suggestion_actions", TextField()))
        .exclude(actions_text="{}")
        .values_list("suggestion_actions", flat=True)
    )
    return Judgements(
        turn_ids=turn_ids,
        annotator_ids=annotator_ids,
        turn=turn.astype(np.int64),
        annotator=annotator.astype(np.int64),
        assignment=assignment,
        call=known_assignments[at, 2],
        blind=known_assignments[at, 3].astype(bool),
        saved_at=_seconds(saved),
        valence=np.array(valence, dtype=np.float64),  # None becomes nan
        arousal=np.array(arousal, dtype=np.float64),
        item_row=item_row,
        item_label=item_label,
        item_intensity=item_intensity,
        shifts=dict(shifts),
        actions=actions,
    )


def _binary_counts(judged: np.ndarray, present: np.ndarray) -> np.ndarray:
    return np.stack([judged - present, present], axis=1).astype(np.float64)


def _value_counts(unit: np.ndarray, values: np.ndarray, units: int) -> tuple[np.ndarray, list]:
    """(units, values) count matrix from parallel unit-index / value arrays (nan = no value)."""
    given = ~np.isnan(values)
    domain, coded = np.unique(values[given], return_inverse=True)
    counts = np.bincount(unit[given] * len(domain) + coded, minlength=units * len(domain)).reshape(units, len(domain))
    return counts.astype(np.float64), [float(v) for v in domain]


def _binned(values: np.ndarray, low: float, high: float, step: float) -> np.ndarray:
    snapped = low + np.round((np.clip(values, low, high) - low) / step) * step
    return np.round(snapped, 6)


def _pairs_alpha(own: np.ndarray, other: np.ndarray, *, bootstrap: int, seed: int = 0) -> dict:
    """Nominal alpha of two binary judgements per unit (e.g. an annotator vs the consensus): the
    units collapse to three patterns, so this is exact and cheap at any size."""
    total = own.astype(np.int64) + other.astype(np.int64)
    counts = np.bincount(total, minlength=3).astype(np.float64)
    patterns = np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    result = AlphaResult(None, None, None, int(len(total)), 0, int(2 * len(total)))
    if len(total) and counts[1] + counts[0] > 0 and counts[1] + counts[2] > 0:
        result.alpha = alpha_from_patterns(patterns, counts, "nominal", [0, 1])
        if bootstrap and result.alpha is not None:
            result.low, result.high = bootstrap_patterns(patterns, counts, "nominal", [0, 1], bootstrap, seed)
    out = result.to_dict()
    out["agreement"] = round(float((own == other).mean()), 4) if len(total) else None
    return out


def project_report(
    project: Project, filters: ReportFilters = ReportFilters(), *, bootstrap: int = 1000, progress=None
) -> dict:
    """The full report. ``progress(percent, message)``, if given, is called between stages."""
    from annotation.models import GoldCall

    from .models import Adjudication

    def stage(percent: float, message: str) -> None:
        if progress is not None:
            progress(percent, message)

    taxonomy = project.taxonomy
    labels = list(taxonomy.labels.order_by("order").values_list("key", flat=True))
    dims = {d.key: d for d in taxonomy.dimensions.all()}
    stage(5, "reading annotations")
    data = load_judgements(project, filters, labels)
    stage(40, "label presence")
    n_turns, n_labels, n_rows = len(data.turn_ids), len(labels), data.rows
    report: dict = {
        "project": project.slug,
        "taxonomy": str(taxonomy),
        "filters": filters.as_dict(),
        "turns": n_turns,
        "annotators": len(data.annotator_ids),
        "annotations": n_rows,
        "shift_tolerance_seconds": SHIFT_TOLERANCE,
        "bootstrap": bootstrap,
    }

    # Label presence: one binary unit per (turn, label).
    chosen = np.zeros((n_rows, n_labels), dtype=bool)  # annotation row x label
    chosen[data.item_row, data.item_label] = True
    judged = np.bincount(data.turn, minlength=n_turns).astype(np.float64)
    present = (
        np.bincount(data.turn[data.item_row] * n_labels + data.item_label, minlength=n_turns * n_labels)
        .reshape(n_turns, n_labels)
        .astype(np.float64)
    )
    per_label = {
        label: alpha_from_counts(
            _binary_counts(judged, present[:, k]), [0, 1], "nominal", bootstrap=bootstrap
        ).to_dict()
        for k, label in enumerate(labels)
    }
    overall = _binary_counts(np.repeat(judged, n_labels), present.ravel()) if n_labels else np.zeros((0, 2))
    report["label_presence"] = {
        **alpha_from_counts(overall, [0, 1], "nominal", bootstrap=bootstrap).to_dict(),
        "per_label": per_label,
    }

    stage(60, "label sets, intensity, valence, arousal")
    # Label sets (mixed emotions): MASI distance over each annotator's set, as bitmasks.
    report["label_sets_masi"] = _masi_figure(data, chosen, judged, bootstrap)

    # Intensity (ordinal): per (turn, label) among the annotators who chose it with an intensity.
    unit_key = data.turn[data.item_row] * max(n_labels, 1) + data.item_label
    units, unit_index = np.unique(unit_key, return_inverse=True)
    counts, domain = _value_counts(unit_index, data.item_intensity, len(units))
    report["intensity"] = alpha_from_counts(counts, domain, "ordinal", bootstrap=bootstrap).to_dict()

    for key in ("valence", "arousal"):
        dim = dims.get(key)
        low, high, step = (
            (dim.minimum, dim.maximum, dim.step) if dim else ((-3, 3, 1) if key == "valence" else (1, 5, 1))
        )
        values = _binned(getattr(data, key), low, high, step)
        counts, domain = _value_counts(data.turn, values, n_turns)
        report[key] = alpha_from_counts(counts, domain, "interval", bootstrap=bootstrap).to_dict()

    # Annotators of a turn who marked no shift count as "no shift here" ([]).
    shift_units = [marks + [[]] * int(judged[t] - len(marks)) for t, marks in data.shifts.items()]
    with_shifts = [u for u in shift_units if len(u) >= 2 and any(u)]
    report["shifts"] = {
        "boundary_agreement": _mean([boundary_agreement(u, SHIFT_TOLERANCE) for u in with_shifts]),
        "units": len(with_shifts),
        "excluded": int((judged < 2).sum()),
    }

    stage(85, "annotators, cultures, anchoring, gold")
    # The consensus of record per (turn, label), leaving each annotator out in turn.
    adjudicated = np.zeros((n_turns, n_labels), dtype=bool)
    has_adjudication = np.zeros(n_turns, dtype=bool)
    if n_turns:
        label_index = {label: k for k, label in enumerate(labels)}
        position = {int(t): i for i, t in enumerate(data.turn_ids)}
        seen = set()
        for turn_id, adj_labels in (
            Adjudication.objects.filter(turn__call__project=project)
            .order_by("turn_id", "-created_at", "-pk")
            .values_list("turn_id", "labels")
        ):
            if turn_id in seen or turn_id not in position:
                continue
            seen.add(turn_id)
            has_adjudication[position[turn_id]] = True
            for item in adj_labels or []:
                if item.get("label") in label_index:
                    adjudicated[position[turn_id], label_index[item["label"]]] = True
    others_present = present[data.turn] - chosen  # rows x labels
    others = (judged[data.turn] - 1)[:, None]
    loo = np.where(has_adjudication[data.turn][:, None], adjudicated[data.turn], others_present * 2 > others)
    comparable = (judged[data.turn] >= 2) | has_adjudication[data.turn]  # rows with some consensus to compare

    gold_calls = set(GoldCall.objects.filter(call__project=project).values_list("call_id", flat=True))
    report["per_annotator"] = _per_annotator(data, labels, chosen, loo, comparable, adjudicated, has_adjudication,
                                             gold_calls, bootstrap)  # fmt: skip
    report["culture"] = _culture(data, chosen, judged, bootstrap)
    report["most_disagreed"] = _most_disagreed(data, chosen, judged)
    report["anchoring"] = _anchoring(data, labels, chosen, loo, comparable, bootstrap)
    return report


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
    # One row per turn: its annotators' set ids, sorted, padded with -1.
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
    result.alpha, result.low, result.high = sparse_alpha(patterns, multiplicity, distance, bootstrap=bootstrap)
    out = result.to_dict()
    out["distinct_sets"] = len(domain)
    out["resamples"] = bootstrap_rounds(int((multiplicity > 0).sum()), bootstrap) if bootstrap else 0
    return out


def _per_annotator(data, labels, chosen, loo, comparable, adjudicated, has_adjudication, gold_calls, bootstrap):
    from django.contrib.auth import get_user_model

    names = dict(get_user_model().objects.filter(pk__in=data.annotator_ids.tolist()).values_list("pk", "username"))
    gold_row = np.isin(data.call, list(gold_calls)) & has_adjudication[data.turn] if gold_calls else None
    speeds = _speeds(data)
    bucket_of, bucket_starts = _drift_buckets(data.saved_at)
    out = []
    for a, user_id in enumerate(data.annotator_ids.tolist()):
        mine = data.annotator == a
        rows = mine & comparable
        entry = {
            "annotator": user_id,
            "username": names.get(user_id, str(user_id)),
            "annotations": int(mine.sum()),
            "vs_consensus": _pairs_alpha(chosen[rows].ravel(), loo[rows].ravel(), bootstrap=bootstrap),
            "label_usage": {
                label: round(float(share), 4)
                for label, share in zip(
                    labels, chosen[mine].mean(axis=0) if mine.any() else [0] * len(labels), strict=True
                )
            },
            "seconds_per_turn": speeds.get(a),
            "drift": [],
            "gold": None,
        }
        for b, start in enumerate(bucket_starts):
            bucket = rows & (bucket_of == b)
            if bucket.any():
                figure = _pairs_alpha(chosen[bucket].ravel(), loo[bucket].ravel(), bootstrap=bootstrap)
                entry["drift"].append({"from": float(start), "turns": int(bucket.sum()), **figure})
        if gold_row is not None:
            gold_mine = mine & gold_row
            if gold_mine.any():
                truth = adjudicated[data.turn[gold_mine]]
                exact = (chosen[gold_mine] == truth).all(axis=1)
                entry["gold"] = {
                    "turns": int(gold_mine.sum()),
                    "exact_match": round(float(exact.mean()), 4),
                    "label_accuracy": round(float((chosen[gold_mine] == truth).mean()), 4),
                }
        out.append(entry)
    return out


def _speeds(data: Judgements) -> dict[int, float]:
    """Median seconds between consecutive saves of an assignment's turns, per annotator; pauses
    over SPEED_GAP_LIMIT are breaks and left out."""
    if data.rows < 2:
        return {}
    order = np.lexsort((data.saved_at, data.assignment))
    gaps = np.diff(data.saved_at[order])
    same = data.assignment[order][1:] == data.assignment[order][:-1]
    ok = same & (gaps >= 0) & (gaps <= SPEED_GAP_LIMIT)
    who = data.annotator[order][1:]
    return {int(a): round(float(np.median(gaps[ok & (who == a)])), 2) for a in np.unique(who[ok])}


def _drift_buckets(saved_at: np.ndarray, buckets: int = 8) -> tuple[np.ndarray, list[float]]:
    """Each annotation's time bucket: equal-width buckets over the annotation period, a day at
    least each. Returns (bucket per row, bucket start times in epoch seconds)."""
    if len(saved_at) == 0:
        return np.zeros(0, dtype=np.int64), []
    first, last = float(saved_at.min()), float(saved_at.max())
    width = max((last - first) / buckets, 86_400.0)
    count = max(1, int(np.ceil((last - first) / width)))
    which = np.clip(((saved_at - first) // width).astype(np.int64), 0, count - 1)
    return which, [first + width * b for b in range(count)]


def _annotation_pairs(data: Judgements, judged: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every unordered pair of annotation rows on the same turn, as two index arrays."""
    if data.rows == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.argsort(data.turn, kind="stable")
    turn_sorted = data.turn[order]
    starts = np.searchsorted(turn_sorted, np.arange(len(judged)))
    width = int(judged.max())
    slots = np.full((len(judged), width), -1, dtype=np.int64)
    slots[turn_sorted, np.arange(data.rows) - starts[turn_sorted]] = order
    pairs_a, pairs_b = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for i in range(width):
        for j in range(i + 1, width):
            both = (slots[:, i] >= 0) & (slots[:, j] >= 0)
            pairs_a.append(slots[both, i])
            pairs_b.append(slots[both, j])
    return np.concatenate(pairs_a), np.concatenate(pairs_b)


def _most_disagreed(data: Judgements, chosen: np.ndarray, judged: np.ndarray, limit: int = 500) -> list[list]:
    """[turn id, disagreement] of the ``limit`` most disagreed turns; disagreement is 1 - mean
    pairwise Jaccard of the label sets, as in qa.consensus.label_set_disagreement."""
    a, b = _annotation_pairs(data, judged)
    if len(a) == 0:
        return []
    inter = (chosen[a] & chosen[b]).sum(axis=1)
    union = (chosen[a] | chosen[b]).sum(axis=1)
    similarity = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    turn = data.turn[a]
    pairs = np.bincount(turn, minlength=len(judged))
    score = 1 - np.bincount(turn, weights=similarity, minlength=len(judged)) / np.maximum(pairs, 1)
    score[pairs == 0] = -1
    top = np.lexsort((data.turn_ids, -score))[:limit]
    return [[int(data.turn_ids[t]), round(float(score[t]), 4)] for t in top if score[t] > 0]


def _culture(data: Judgements, chosen: np.ndarray, judged: np.ndarray, bootstrap: int) -> dict:
    """Label-presence alpha between pairs of annotators of the same culture versus pairs of
    different cultures, on the turns that have both kinds of pair (so the same calls)."""
    cultures = annotator_cultures(data.annotator_ids.tolist())
    culture_of = np.array([cultures.get(int(u), "") for u in data.annotator_ids], dtype=object)
    empty = {"within": None, "across": None, "turns": 0, "cultures": sorted({c for c in culture_of if c})}
    if data.rows < 2 or len(set(culture_of)) < 2:
        return empty
    a, b = _annotation_pairs(data, judged)
    label_of = np.array([c or "?" for c in culture_of], dtype=object)
    same = label_of[data.annotator[a]] == label_of[data.annotator[b]]
    known = (culture_of[data.annotator[a]] != "") & (culture_of[data.annotator[b]] != "")
    pair_turn = data.turn[a]
    with_same = np.bincount(pair_turn[same & known], minlength=len(judged)) > 0
    with_cross = np.bincount(pair_turn[~same & known], minlength=len(judged)) > 0
    both_kinds = (with_same & with_cross)[pair_turn] & known
    out = dict(empty, turns=int((with_same & with_cross).sum()))
    for key, mask in (("within", both_kinds & same), ("across", both_kinds & ~same)):
        if mask.any():
            out[key] = _pairs_alpha(chosen[a[mask]].ravel(), chosen[b[mask]].ravel(), bootstrap=bootstrap)
            out[key]["pairs"] = int(mask.sum())
    return out


def _anchoring(data: Judgements, labels, chosen, loo, comparable, bootstrap) -> dict:
    """Blind versus suggested assignments: agreement with the consensus, and how often suggested
    labels were accepted, edited or rejected (the product's measure of suggestion bias)."""
    out = {}
    for key, mask in (("blind", data.blind), ("suggested", ~data.blind)):
        rows = mask & comparable
        out[key] = _pairs_alpha(chosen[rows].ravel(), loo[rows].ravel(), bootstrap=bootstrap) if rows.any() else None
        if out[key] is not None:
            out[key]["annotations"] = int(rows.sum())
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"accepted": 0, "edited": 0, "rejected": 0})
    for actions in data.actions:
        for label, action in actions.items():
            if action in ("accepted", "edited", "rejected"):
                counts[label][action] += 1
    out["acceptance"] = {
        label: {"n": sum(c.values()), **{k: round(v / sum(c.values()), 4) for k, v in c.items()}}
        for label, c in sorted(counts.items())
    }
    return out


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(float(np.mean(values)), 4) if values else None

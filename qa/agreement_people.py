"""The people side of the agreement report: each annotator against the others, cultures,
suggestion anchoring, and the most disagreed turns. Every interval resamples turns."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from django.contrib.auth import get_user_model

from .clusters import pairs_alpha
from .consensus import GRADED_ROUTE
from .judgements import Judgements, annotator_cultures

SPEED_GAP_LIMIT = 600.0  # seconds; a longer pause between two saves is a break, not work
WEEK = 7 * 86_400.0
DRIFT_BUCKETS = 8  # per-N-turn buckets per annotator when the work spans less than two weeks


def _cells(rows: np.ndarray, turn: np.ndarray, labels: int) -> np.ndarray:
    """The turn (cluster) of every (row, label) cell of ``rows``, in ravel order."""
    return np.repeat(turn[rows], labels)


def drift_buckets(data: Judgements) -> tuple[np.ndarray, str, list[float]]:
    """Each row's drift bucket. Calendar weeks when the work spans two weeks or more; otherwise
    each annotator's own turns in save order, in up to DRIFT_BUCKETS runs of N turns. Returns
    (bucket per row, unit, week start times or [])."""
    if data.rows == 0:
        return np.zeros(0, dtype=np.int64), "turns", []
    first, last = float(data.saved_at.min()), float(data.saved_at.max())
    if last - first >= 2 * WEEK:
        monday = first - ((first / 86_400.0 + 3) % 7) * 86_400.0  # 1970-01-01 was a Thursday
        which = ((data.saved_at - monday) // WEEK).astype(np.int64)
        return which, "week", [monday + WEEK * w for w in range(int(which.max()) + 1)]
    which = np.zeros(data.rows, dtype=np.int64)
    for a in np.unique(data.annotator):
        mine = np.flatnonzero(data.annotator == a)
        order = mine[np.argsort(data.saved_at[mine], kind="stable")]
        size = max(1, int(np.ceil(len(mine) / DRIFT_BUCKETS)))
        which[order] = np.arange(len(order)) // size
    return which, "turns", []


def speeds(data: Judgements) -> dict[int, float]:
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


def per_annotator(data, labels, chosen, loo, comparable, adjudicated, has_adjudication, gold_calls, bootstrap):
    """Each annotator against the leave-one-out consensus (or the adjudication), with label
    usage against the pool, drift, speed and gold accuracy."""
    names = dict(get_user_model().objects.filter(pk__in=data.annotator_ids.tolist()).values_list("pk", "username"))
    n_labels = len(labels)
    gold_row = np.isin(data.call, list(gold_calls)) & has_adjudication[data.turn] if gold_calls else None
    speed = speeds(data)
    bucket_of, unit, week_starts = drift_buckets(data)
    pool = chosen.mean(axis=0) if data.rows else np.zeros(n_labels)
    out = []
    for a, user_id in enumerate(data.annotator_ids.tolist()):
        mine = data.annotator == a
        rows = mine & comparable
        index = np.flatnonzero(rows)
        usage = chosen[mine].mean(axis=0) if mine.any() else np.zeros(n_labels)
        entry = {
            "annotator": user_id,
            "username": names.get(user_id, str(user_id)),
            "annotations": int(mine.sum()),
            "vs_consensus": pairs_alpha(
                chosen[index].ravel(), loo[index].ravel(), _cells(index, data.turn, n_labels), bootstrap=bootstrap
            ),
            "label_usage": {label: round(float(share), 4) for label, share in zip(labels, usage, strict=True)},
            "label_usage_pool": {label: round(float(share), 4) for label, share in zip(labels, pool, strict=True)},
            "seconds_per_turn": speed.get(a),
            "drift_unit": unit,
            "drift": [],
            "gold": None,
        }
        for b in np.unique(bucket_of[rows]) if rows.any() else []:
            index = np.flatnonzero(rows & (bucket_of == b))
            figure = pairs_alpha(
                chosen[index].ravel(), loo[index].ravel(), _cells(index, data.turn, n_labels), bootstrap=bootstrap
            )
            start = week_starts[b] if unit == "week" else float(data.saved_at[index].min())
            entry["drift"].append({"bucket": int(b), "from": start, "turns": int(len(index)), **figure})
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


def annotation_pairs(data: Judgements, judged: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _spread_share(groups: np.ndarray, values: np.ndarray, n_groups: int, low: float, high: float) -> np.ndarray:
    """Per group: (max - min) of its given values (nan: not given) as a share of ``high - low``;
    0 where fewer than two values were given."""
    given = ~np.isnan(values)
    groups, values = groups[given], values[given]
    top = np.full(n_groups, -np.inf)
    bottom = np.full(n_groups, np.inf)
    np.maximum.at(top, groups, values)
    np.minimum.at(bottom, groups, values)
    counted = np.bincount(groups, minlength=n_groups) >= 2
    return np.where(counted, (top - bottom) / (high - low), 0.0) if high > low else np.zeros(n_groups)


def graded_shares(data: Judgements, n_labels: int, ranges: dict) -> np.ndarray:
    """Per turn: the largest spread of two annotators' intensities (of one label), valences or
    arousals, as a share of the scale (``qa.consensus.graded_disagreement``, over arrays)."""
    n_turns = len(data.turn_ids)
    share = np.zeros(n_turns)
    for key in ("valence", "arousal"):
        share = np.maximum(share, _spread_share(data.turn, getattr(data, key), n_turns, *ranges[key]))
    if len(data.item_row):
        pair = data.turn[data.item_row] * n_labels + data.item_label
        per_label = _spread_share(pair, data.item_intensity, n_turns * n_labels, *ranges["intensity"])
        share = np.maximum(share, per_label.reshape(n_turns, n_labels).max(axis=1, initial=0.0))
    return share


def most_disagreed(
    data: Judgements, chosen: np.ndarray, judged: np.ndarray, ranges: dict, limit: int = 500
) -> list[list]:
    """[turn id, score] of the ``limit`` turns that most need a reviewer, as the queue ranks them
    (``qa.consensus.routing_score``): 1 - mean pairwise Jaccard of the label sets, or the graded
    spread where it is at least ``GRADED_ROUTE`` of its scale and larger."""
    a, b = annotation_pairs(data, judged)
    if len(a) == 0:
        return []
    inter = (chosen[a] & chosen[b]).sum(axis=1)
    union = (chosen[a] | chosen[b]).sum(axis=1)
    similarity = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    turn = data.turn[a]
    pairs = np.bincount(turn, minlength=len(judged))
    score = 1 - np.bincount(turn, weights=similarity, minlength=len(judged)) / np.maximum(pairs, 1)
    graded = graded_shares(data, chosen.shape[1], ranges)
    score = np.maximum(score, np.where(graded >= GRADED_ROUTE, graded, 0.0))
    score[pairs == 0] = -1
    top = np.lexsort((data.turn_ids, -score))[:limit]
    return [[int(data.turn_ids[t]), round(float(score[t]), 4)] for t in top if score[t] > 0]


def cultures(data: Judgements, chosen: np.ndarray, judged: np.ndarray, bootstrap: int) -> dict:
    """Label-presence alpha between pairs of annotators of the same culture (primary locale,
    case-insensitive) and pairs of different cultures. Each figure uses every turn that has such
    a pair; ``same_turns`` says whether the two figures rest on the same turns."""
    by_user = annotator_cultures(data.annotator_ids.tolist())
    culture_of = np.array([by_user.get(int(u), "") for u in data.annotator_ids], dtype=object)
    out = {"within": None, "across": None, "cultures": sorted({c for c in culture_of if c}), "same_turns": None}
    if data.rows < 2 or len(out["cultures"]) < 2:
        return out
    a, b = annotation_pairs(data, judged)
    known = (culture_of[data.annotator[a]] != "") & (culture_of[data.annotator[b]] != "")
    same = culture_of[data.annotator[a]] == culture_of[data.annotator[b]]
    n_labels = chosen.shape[1]
    turn_sets = {}
    for key, mask in (("within", known & same), ("across", known & ~same)):
        if mask.any():
            out[key] = pairs_alpha(
                chosen[a[mask]].ravel(),
                chosen[b[mask]].ravel(),
                np.repeat(data.turn[a[mask]], n_labels),
                bootstrap=bootstrap,
            )
            out[key]["pairs"] = int(mask.sum())
            turn_sets[key] = set(np.unique(data.turn[a[mask]]).tolist())
            out[key]["turns"] = len(turn_sets[key])
    if len(turn_sets) == 2:
        out["same_turns"] = turn_sets["within"] == turn_sets["across"]
    return out


def anchoring(data: Judgements, chosen: np.ndarray, machine: np.ndarray, has_machine: np.ndarray, bootstrap: int):
    """Suggestion anchoring, measured rather than assumed.

    - Blind and suggested annotators are each compared with a consensus of *blind* annotators
      only (a blind annotator with the other blind annotators of the turn), so neither group is
      judged against a consensus made mostly of itself.
    - Each group's agreement with the machine suggestion: if suggestions pull annotators,
      suggested annotators agree with the machine more than blind ones do.
    - How often suggested labels were accepted, edited or rejected.
    """
    n_turns, n_labels = len(data.turn_ids), chosen.shape[1]
    blind_judged = np.bincount(data.turn[data.blind], minlength=n_turns).astype(np.float64)
    blind_item = data.blind[data.item_row]
    blind_present = (
        np.bincount(
            data.turn[data.item_row[blind_item]] * n_labels + data.item_label[blind_item], minlength=n_turns * n_labels
        )
        .reshape(n_turns, n_labels)
        .astype(np.float64)
    )
    others = blind_judged[data.turn] - data.blind  # other blind annotators of the row's turn
    others_present = blind_present[data.turn] - chosen * data.blind[:, None]
    consensus = others_present * 2 > others[:, None]
    out: dict = {"consensus": "blind annotators only (leave-one-out for blind annotators)"}
    for key, group in (("blind", data.blind), ("suggested", ~data.blind)):
        rows = np.flatnonzero(group & (others >= 1))
        out[key] = (
            pairs_alpha(
                chosen[rows].ravel(), consensus[rows].ravel(), _cells(rows, data.turn, n_labels), bootstrap=bootstrap
            )
            if len(rows)
            else None
        )
        if out[key] is not None:
            out[key]["annotations"] = int(len(rows))
        with_machine = np.flatnonzero(group & has_machine[data.turn])
        out[f"{key}_vs_machine"] = (
            pairs_alpha(
                chosen[with_machine].ravel(),
                machine[data.turn[with_machine]].ravel(),
                _cells(with_machine, data.turn, n_labels),
                bootstrap=bootstrap,
            )
            if len(with_machine)
            else None
        )
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

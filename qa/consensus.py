"""The consensus of record for a turn: the newest adjudication, or else the annotators' vote.

Pure functions over plain data (``turn_consensus``), plus one query helper
(``consensus_for_turns``) that the agreement report, the adjudication view and the dataset
exports all share, so "consensus" means one thing everywhere. It reads every judgement and
adjudication in one taxonomy version, older versions mapped into it as the report maps them.

Vote rule: a label is in the consensus when more than half of the (non-skipped) annotators
chose it; its intensity is the median of the chosen intensities, halves rounded up. Valence and arousal
are the means of the given values. Soft labels carry the vote share and mean intensity of every
label anyone chose, so model builders can train on the distribution rather than the majority.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from annotation.models import Assignment, Project, Turn, TurnAnnotation

from .judgements import (
    current_mappings,
    labels_in_version,
    labels_removed_by_change,
    shifts_in_version,
    version_mappings,
)
from .models import Adjudication


@dataclass(frozen=True)
class Judgement:
    """One annotator's tags on one turn, as stored in TurnAnnotation."""

    annotator: int
    labels: Sequence[Mapping]  # [{"label": key, "intensity": 1..5 | None}]
    valence: float | None = None
    arousal: float | None = None
    shifts: Sequence[Mapping] = ()


@dataclass
class Consensus:
    source: str  # "adjudicated" | "vote" | "none"
    labels: list[dict] = field(default_factory=list)  # [{"label", "intensity"}]
    soft_labels: list[dict] = field(default_factory=list)  # [{"label", "share", "mean_intensity"}]
    valence: float | None = None
    arousal: float | None = None
    valence_sd: float | None = None
    arousal_sd: float | None = None
    shifts: list[dict] = field(default_factory=list)
    annotators: int = 0
    disagreement: float = 0.0  # 0 = the same label sets; 1 - mean pairwise Jaccard of label sets
    # Two or more annotators gave the same labels with the same intensities, and no two given
    # valences (or arousals) differ: a label-set disagreement of 0 alone also holds for 1 vs 5.
    unanimous: bool = False
    # Largest difference between two annotators who gave a value: {"intensity": 4 (of one label
    # two or more chose), "valence": 6.0, "arousal": 1.0}; a key only where two values were given.
    spreads: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _mean_sd(values: Iterable[float | None]) -> tuple[float | None, float | None]:
    given = [float(v) for v in values if v is not None]
    if not given:
        return None, None
    mean = sum(given) / len(given)
    sd = statistics.pstdev(given) if len(given) > 1 else 0.0
    return round(mean, 4), round(sd, 4)


def _half_up(value: float) -> int:
    """A median intensity on the scale's whole steps, halves up: Python's ``round`` takes halves to
    the even step, so 2 and 3 gave 2 while 3 and 4 gave 4."""
    return math.floor(value + 0.5)


def label_set_disagreement(sets: Sequence[frozenset]) -> float:
    """1 - mean pairwise Jaccard similarity of the annotators' label sets (0 when fewer than two)."""
    if len(sets) < 2:
        return 0.0
    total, pairs = 0.0, 0
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            union = sets[i] | sets[j]
            total += 1.0 if not union else len(sets[i] & sets[j]) / len(union)
            pairs += 1
    return round(1.0 - total / pairs, 4)


def _unanimous(judgements: Sequence[Judgement]) -> bool:
    if len(judgements) < 2:
        return False
    chosen = [{item["label"]: item.get("intensity") for item in j.labels} for j in judgements]
    valences = {float(j.valence) for j in judgements if j.valence is not None}
    arousals = {float(j.arousal) for j in judgements if j.arousal is not None}
    return all(c == chosen[0] for c in chosen) and len(valences) <= 1 and len(arousals) <= 1


GRADED_ROUTE = 0.5  # share of a scale two annotators' values may differ by before the turn goes to review


def _spreads(judgements: Sequence[Judgement], intensities: Mapping[str, list[int]]) -> dict:
    out: dict = {}
    shared = [max(values) - min(values) for values in intensities.values() if len(values) >= 2]
    if shared:
        out["intensity"] = max(shared)
    for key in ("valence", "arousal"):
        given = [float(getattr(j, key)) for j in judgements if getattr(j, key) is not None]
        if len(given) >= 2:
            out[key] = max(given) - min(given)
    return out


def graded_disagreement(consensus: Consensus, ranges: Mapping[str, tuple[float, float]]) -> tuple[float, str]:
    """(largest spread as a share of its scale, which scale) over intensity, valence and arousal:
    annotators who chose the same labels but at intensities 1 and 5, or valences -3 and +3,
    disagree though their label sets agree. ``ranges``: scale -> (minimum, maximum)."""
    best, which = 0.0, ""
    for key, spread in consensus.spreads.items():
        low, high = ranges.get(key, (0.0, 0.0))
        share = spread / (high - low) if high > low else 0.0
        if share > best:
            best, which = share, key
    return round(best, 4), which


def routing_score(consensus: Consensus, ranges: Mapping[str, tuple[float, float]]) -> float:
    """How much a turn needs a reviewer: label-set disagreement, or a graded disagreement of at
    least ``GRADED_ROUTE`` of its scale, whichever is larger (0: nothing to review)."""
    graded, _ = graded_disagreement(consensus, ranges)
    return max(consensus.disagreement, graded if graded >= GRADED_ROUTE else 0.0)


def turn_consensus(judgements: Sequence[Judgement], adjudication: Mapping | None = None) -> Consensus:
    n = len(judgements)
    votes: dict[str, int] = defaultdict(int)
    intensities: dict[str, list[int]] = defaultdict(list)
    for j in judgements:
        for item in j.labels:
            votes[item["label"]] += 1
            if item.get("intensity") is not None:
                intensities[item["label"]].append(int(item["intensity"]))
    soft = [
        {
            "label": label,
            "share": round(count / n, 4),
            "mean_intensity": round(sum(intensities[label]) / len(intensities[label]), 4)
            if intensities[label]
            else None,
        }
        for label, count in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    valence, valence_sd = _mean_sd(j.valence for j in judgements)
    arousal, arousal_sd = _mean_sd(j.arousal for j in judgements)
    disagreement = label_set_disagreement([frozenset(i["label"] for i in j.labels) for j in judgements])
    unanimous = _unanimous(judgements)
    spreads = _spreads(judgements, intensities)
    if adjudication is not None:
        return Consensus(
            source="adjudicated",
            labels=[dict(item) for item in adjudication.get("labels") or []],
            soft_labels=soft,
            valence=adjudication.get("valence"),
            arousal=adjudication.get("arousal"),
            valence_sd=valence_sd,
            arousal_sd=arousal_sd,
            shifts=list(adjudication.get("shifts") or []),
            annotators=n,
            disagreement=disagreement,
            unanimous=unanimous,
            spreads=spreads,
        )
    if n == 0:
        return Consensus(source="none")
    majority = [
        {
            "label": s["label"],
            "intensity": _half_up(statistics.median(intensities[s["label"]])) if intensities[s["label"]] else None,
        }
        for s in soft
        if votes[s["label"]] * 2 > n
    ]
    # Shifts: keep those that a majority of *annotators* marked within 0.5 s of each other (the
    # first such mark); several marks of one annotator count once.
    marks = sorted(
        (
            (float(s["at"]), who, s)
            for who, j in enumerate(judgements)
            for s in (j.shifts or [])
            if s.get("at") is not None
        ),
        key=lambda mark: (mark[0], mark[1]),  # two marks at the same time must not compare their dicts
    )
    shifts, used = [], set()
    for k, (at, _, shift) in enumerate(marks):
        if k in used:
            continue
        close: dict[int, int] = {}  # annotator -> their closest unused mark near this one
        for i, (other, who, _) in enumerate(marks):
            if i not in used and abs(other - at) <= 0.5:
                if who not in close or abs(other - at) < abs(marks[close[who]][0] - at):
                    close[who] = i
        if len(close) * 2 > n:
            shifts.append(dict(shift))
            used.update(close.values())
    return Consensus(
        source="vote",
        labels=majority,
        soft_labels=soft,
        valence=valence,
        arousal=arousal,
        valence_sd=valence_sd,
        arousal_sd=arousal_sd,
        shifts=shifts,
        annotators=n,
        disagreement=disagreement,
        unanimous=unanimous,
        spreads=spreads,
    )


def consensus_for_turns(
    turn_ids: Iterable[int], *, project: Project | None = None, submitted_only: bool = False
) -> dict[int, Consensus]:
    """Consensus per turn id, from stored annotations (skips excluded) and adjudications.

    Everything is read in one taxonomy version: ``project.taxonomy`` when a project is given
    (a snapshot sets it to the version it was asked in), else each turn's project's current
    version. Judgements and adjudications of earlier versions are read through the project's
    recorded mappings, as the agreement report reads them (``qa.judgements.labels_in_version``:
    a split label counts as a vote for each of its new labels, merged labels count once, a
    dropped label is gone); rows and adjudications of versions that do not lead there are left
    out, and so are those whose labels were all dropped on the way (``labels_removed_by_change``:
    read as "no label" they would vote against every label; an explicit "no emotion" stays). An
    adjudication without a version (made before versions were recorded) is read as it is.
    ``submitted_only``: judgements of assignments their annotators have submitted, no drafts.
    """
    ids = list(turn_ids)
    if project is not None:
        project_of = dict.fromkeys(ids, project.pk)
        mappings = {project.pk: version_mappings(project, project.taxonomy)}
    else:
        project_of = dict(Turn.objects.filter(pk__in=ids).values_list("pk", "call__project_id"))
        mappings = current_mappings(project_of.values())
    judgements: dict[int, list[Judgement]] = defaultdict(list)
    rows = TurnAnnotation.objects.judgements().filter(turn_id__in=ids)
    if submitted_only:
        rows = rows.filter(assignment__status=Assignment.Status.SUBMITTED)
    rows = rows.values_list(
        "turn_id", "assignment__annotator_id", "labels", "valence", "arousal", "shifts", "taxonomy_id", "no_emotion"
    )
    for turn_id, annotator, labels, valence, arousal, shifts, taxonomy_id, no_emotion in rows:
        known = mappings.get(project_of.get(turn_id), {})
        if taxonomy_id not in known:
            continue  # a version that does not lead to the one read in
        mapping = known[taxonomy_id]
        if labels_removed_by_change(labels, mapping, no_emotion):
            continue  # no judgement in this version
        judgements[turn_id].append(
            Judgement(
                annotator,
                labels_in_version(labels, mapping),
                valence,
                arousal,
                shifts_in_version(shifts, mapping),
            )
        )
    adjudicated: dict[int, dict] = {}
    for adj in Adjudication.objects.filter(turn_id__in=ids).order_by("turn_id", "-created_at", "-pk"):
        if adj.turn_id in adjudicated:
            continue
        known = mappings.get(project_of.get(adj.turn_id), {})
        if adj.taxonomy_id is not None and adj.taxonomy_id not in known:
            continue  # not readable in this version: an older decision, or the vote, stands
        mapping = known.get(adj.taxonomy_id)
        if labels_removed_by_change(adj.labels, mapping):
            continue  # every label it chose was dropped: likewise
        adjudicated[adj.turn_id] = {
            "labels": labels_in_version(adj.labels, mapping),
            "valence": adj.valence,
            "arousal": adj.arousal,
            "shifts": shifts_in_version(adj.shifts, mapping),
        }
    return {t: turn_consensus(judgements.get(t, []), adjudicated.get(t)) for t in ids}

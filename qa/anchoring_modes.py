"""Agreement with the machine by suggestion mode: does a way of showing suggestions pull the
annotators who see them towards the machine, compared with the blind annotators of the same mode?

Every assignment records the mode it was created under (reveal after play, hide confidence;
``annotation.suggestion_modes``), blind ones included: the blind annotators of a mode are that
mode's control group (they worked in the same period, on the same project, without suggestions).

Two figures per group, on judged turns (not skipped, at least one label, the pinned taxonomy
version) that have a machine suggestion:

- **top-label share**: the share of judgements whose label set contains the machine's top
  suggested label (the one with the highest confidence), with a Wilson 95% interval;
- **alpha on label presence**: Krippendorff's alpha between the annotator and the machine, one
  unit per (judgement, taxonomy label), value present/absent (``qa.reliability``).

The anchoring gap of a mode is the suggested group's top-label share minus the blind group's,
with a Newcombe 95% interval. A mode's groups are compared only when each has at least
``MIN_TURNS`` judged turns.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

import numpy as np
from django.db.models import TextField
from django.db.models.functions import Cast

from annotation.models import Assignment, Project, Suggestion, TurnAnnotation

from .reliability import alpha_from_patterns, bootstrap_patterns

MIN_TURNS = 30
BOOTSTRAP = 500

MODES = (
    ((False, False), "Shown at once, with confidence numbers"),
    ((False, True), "Shown at once, confidence hidden"),
    ((True, False), "Shown after the turn is played, with confidence numbers"),
    ((True, True), "Shown after the turn is played, confidence hidden"),
)

NOTE = (
    "Each assignment keeps the suggestion settings it was created with; blind assignments of the same "
    "settings are the comparison group, because they worked in the same period without seeing suggestions. "
    "A setting's two groups are compared only when each has at least {min_turns} judged turns with a "
    "machine suggestion; with fewer, the counts are shown but no difference is drawn. A positive gap means "
    "annotators who saw the suggestions agreed with the machine more often than blind annotators did: "
    "some of that may be the suggestions helping, some anchoring. Judgements of one turn are not "
    "independent, so treat the intervals as approximate."
)


@dataclass
class GroupFigures:
    judgements: int = 0  # judged turns with a suggestion that has at least one label
    annotators: int = 0
    calls: int = 0
    top_label_hits: int = 0
    top_label_share: float | None = None
    share_low: float | None = None
    share_high: float | None = None
    alpha: float | None = None  # annotator vs machine, label presence
    alpha_low: float | None = None
    alpha_high: float | None = None


@dataclass
class ModeRow:
    reveal_after_play: bool
    hide_confidence: bool
    title: str
    suggested: GroupFigures
    blind: GroupFigures
    comparable: bool
    gap: float | None  # suggested top-label share - blind top-label share
    gap_low: float | None
    gap_high: float | None
    reason: str  # why it is not compared, or ""

    def as_dict(self) -> dict:
        return asdict(self)


def wilson_interval(hits: int, n: int, z: float = 1.96) -> tuple[float | None, float | None]:
    if n == 0:
        return None, None
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_difference(a: GroupFigures, b: GroupFigures) -> tuple[float, float, float]:
    """Difference of two proportions a - b with Newcombe's hybrid score interval (method 10)."""
    p1, p2 = a.top_label_share, b.top_label_share
    l1, u1 = a.share_low, a.share_high
    l2, u2 = b.share_low, b.share_high
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def top_label(labels: list) -> str | None:
    """The suggested label with the highest confidence (the first of equals, in the stored order)."""
    best, best_confidence = None, -math.inf
    for item in labels or []:
        if not isinstance(item, dict) or not item.get("label"):
            continue
        confidence = item.get("confidence")
        confidence = float(confidence) if isinstance(confidence, (int, float)) else 0.0
        if confidence > best_confidence:
            best, best_confidence = item["label"], confidence
    return best


def _json_lists(texts: list[str]) -> list:
    """Decode many JSON lists read as text in one ``json.loads`` (per-row decoding by the ORM
    was most of this figure's cost)."""
    return json.loads("[" + ",".join(texts) + "]") if texts else []


def _latest_suggestions(project: Project) -> dict[int, tuple[str | None, frozenset]]:
    """turn id -> (top label, every label) of its newest suggestion."""
    rows = list(
        Suggestion.objects.filter(turn__call__project=project)
        .order_by("turn_id", "-created_at", "-pk")
        .annotate(labels_text=Cast("labels", TextField()))
        .values_list("turn_id", "labels_text")
    )
    latest: dict[int, tuple[str | None, frozenset]] = {}
    for (turn_id, _), labels in zip(rows, _json_lists([text for _, text in rows]), strict=True):
        if turn_id not in latest:
            labels = labels if isinstance(labels, list) else []
            latest[turn_id] = (
                top_label(labels),
                frozenset(item.get("label") for item in labels if isinstance(item, dict)),
            )
    return latest


def _group_figures(rows: list[tuple[int, int, set, str, frozenset]], domain: list[str], bootstrap: int) -> GroupFigures:
    """rows: (annotator id, call id, annotator's labels, machine's top label, machine's labels)."""
    figures = GroupFigures(
        judgements=len(rows),
        annotators=len({r[0] for r in rows}),
        calls=len({r[1] for r in rows}),
        top_label_hits=sum(1 for r in rows if r[3] in r[2]),
    )
    if not rows:
        return figures
    figures.top_label_share = figures.top_label_hits / figures.judgements
    figures.share_low, figures.share_high = wilson_interval(figures.top_label_hits, figures.judgements)
    # Label presence, annotator vs machine: per (judgement, label) unit one of three count rows.
    known = frozenset(domain)  # labels outside the pinned version are not counted
    both = sum(len(r[2] & r[4] & known) for r in rows)
    differ = sum(len((r[2] ^ r[4]) & known) for r in rows)
    neither = len(rows) * len(domain) - both - differ
    patterns = np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 2.0]])  # [absent, present] counts per unit
    weights = np.array([neither, differ, both], dtype=np.float64)
    keep = weights > 0
    figures.alpha = alpha_from_patterns(patterns[keep], weights[keep], "nominal", [0, 1])
    if figures.alpha is not None and bootstrap:
        figures.alpha_low, figures.alpha_high = bootstrap_patterns(
            patterns[keep], weights[keep].astype(np.int64), "nominal", [0, 1], bootstrap, 0
        )
    return figures


def anchoring_by_mode(project: Project, *, min_turns: int = MIN_TURNS, bootstrap: int = BOOTSTRAP) -> dict:
    """For each suggestion mode: the suggested and the blind group's agreement with the machine,
    with counts, and the gap between them when both groups have ``min_turns`` judged turns."""
    domain = list(project.taxonomy.labels.order_by("order").values_list("key", flat=True))
    assignments = {
        pk: (blind, (after_play, hide), annotator_id, call_id)
        for pk, blind, after_play, hide, annotator_id, call_id in Assignment.objects.filter(
            call__project=project
        ).values_list(
            "pk", "blind", "reveal_suggestions_after_play", "hide_suggestion_confidence", "annotator_id", "call_id"
        )
    }
    suggestions = _latest_suggestions(project)
    groups: dict[tuple, list] = {(mode, blind): [] for mode, _ in MODES for blind in (False, True)}
    without_suggestion = 0
    judged = list(
        TurnAnnotation.objects.filter(assignment__call__project=project, skipped=False, taxonomy=project.taxonomy)
        .exclude(labels=[])
        .annotate(labels_text=Cast("labels", TextField()))
        .values_list("assignment_id", "turn_id", "labels_text")
    )
    for (assignment_id, turn_id, _), labels in zip(judged, _json_lists([r[2] for r in judged]), strict=True):
        top, suggested = suggestions.get(turn_id, (None, frozenset()))
        if top is None:
            without_suggestion += 1
            continue
        blind, mode, annotator_id, call_id = assignments[assignment_id]
        chosen = {item.get("label") for item in labels if isinstance(item, dict)}
        groups[(mode, blind)].append((annotator_id, call_id, chosen, top, suggested))
    rows = []
    for mode, title in MODES:
        suggested = _group_figures(groups[(mode, False)], domain, bootstrap)
        blind = _group_figures(groups[(mode, True)], domain, bootstrap)
        short = [
            f"{name} group has {figures.judgements} judged turn(s)"
            for name, figures in (("the suggested", suggested), ("the blind", blind))
            if figures.judgements < min_turns
        ]
        comparable = not short
        gap = gap_low = gap_high = None
        if comparable:
            gap, gap_low, gap_high = newcombe_difference(suggested, blind)
        rows.append(
            ModeRow(
                reveal_after_play=mode[0],
                hide_confidence=mode[1],
                title=title,
                suggested=suggested,
                blind=blind,
                comparable=comparable,
                gap=gap,
                gap_low=gap_low,
                gap_high=gap_high,
                reason="" if comparable else f"Not compared: {' and '.join(short)}, fewer than {min_turns}.",
            )
        )
    return {
        "modes": rows,
        "min_turns": min_turns,
        "without_suggestion": without_suggestion,
        "current": (project.reveal_suggestions_after_play, project.hide_suggestion_confidence),
        "note": NOTE.format(min_turns=min_turns),
    }

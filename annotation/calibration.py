"""Suggestion confidence against people: the evidence (each suggested label, its confidence, and
whether the annotators' consensus confirmed it), the rules' recalibration, and applying it.

Suggestions are judged against the **blind** annotators' consensus wherever a turn has blind
annotators (they never saw a suggestion, so they cannot have been anchored by one), and against
everyone's otherwise. A label is in the consensus when more than half of the turn's annotators
chose it, the vote rule of ``qa.consensus``.

The rules' recalibration is fitted on some calls and judged on the others, and is kept only if
it lowers the expected calibration error there, as the learned model is kept only if it beats
the rules. It is fitted on, and applied to, one version of the rules only (``RULES_VERSION``):
a map fitted on another version's confidences says nothing about this one's.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from .models import Project, Suggestion, SuggestionCalibration, TurnAnnotation
from .pipeline.calibration import apply_platt, expected_calibration_error, fit_platt
from .pipeline.rules_version import RULES_VERSION
from .taxonomy_versions import labels_in_version, version_mappings

MIN_LABEL_EXAMPLES = 30  # a label gets its own map from this many fitting examples (with both outcomes)
HELD_OUT_SHARE = 0.3


@dataclass(frozen=True)
class Judged:
    """One suggested label on an annotated turn."""

    call_id: int
    turn_id: int
    label: str
    confidence: float  # as the annotators saw it
    raw_confidence: float  # before any recalibration
    confirmed: bool
    learned: bool  # made by a learned model, not the rules
    blind_consensus: bool
    rules_version: str = ""  # the rules' version that made it ("" for a learned model)


def turn_consensus(project: Project) -> dict[int, tuple[set[str], bool]]:
    """turn id -> (labels more than half its annotators chose, judged by blind annotators only).

    Labels are read in the project's current taxonomy version, as its suggestions are written
    (``services.suggestions_to_version``): a v1 "anger" confirms a v2 "hostility" it became.
    Rows of versions that do not lead there, and rows whose labels were all dropped, are no
    judgement of the suggestion."""
    rows: dict[int, dict[bool, list[set[str]]]] = defaultdict(lambda: {True: [], False: []})
    mappings = version_mappings(project, project.taxonomy)
    annotations = TurnAnnotation.objects.filter(assignment__call__project=project, skipped=False).values_list(
        "turn_id", "assignment__blind", "labels", "taxonomy_id"
    )
    for turn_id, blind, labels, taxonomy_id in annotations:
        if not labels or taxonomy_id not in mappings:  # no label decision, or one not readable here
            continue
        mapped = labels_in_version(labels, mappings[taxonomy_id])
        if mapped:
            rows[turn_id][bool(blind)].append({item["label"] for item in mapped})
    out = {}
    for turn_id, groups in rows.items():
        blind = bool(groups[True])
        sets = groups[True] if blind else groups[False]
        counts: dict[str, int] = defaultdict(int)
        for chosen in sets:
            for label in chosen:
                counts[label] += 1
        out[turn_id] = ({label for label, n in counts.items() if 2 * n > len(sets)}, blind)
    return out


def judged_suggestions(project: Project) -> list[Judged]:
    consensus = turn_consensus(project)
    out = []
    suggestions = Suggestion.objects.filter(turn_id__in=list(consensus)).values_list(
        "turn_id", "turn__call_id", "labels", "evidence", "model_version"
    )
    for turn_id, call_id, labels, evidence, model_version in suggestions:
        agreed, blind = consensus[turn_id]
        raw = (evidence or {}).get("raw_confidence") or {}
        for item in labels:
            confidence = float(item.get("confidence") or 0.0)
            out.append(
                Judged(
                    call_id=call_id,
                    turn_id=turn_id,
                    label=item["label"],
                    confidence=confidence,
                    raw_confidence=float(raw.get(item["label"], confidence)),
                    confirmed=item["label"] in agreed,
                    learned=model_version.startswith("learned-"),
                    blind_consensus=blind,
                    rules_version="" if model_version.startswith("learned-") else model_version.split("+")[0],
                )
            )
    return out


def split_calls(items: list[Judged], held_out: float = HELD_OUT_SHARE, seed: int = 0) -> tuple[list, list]:
    calls = sorted({item.call_id for item in items})
    random.Random(seed).shuffle(calls)
    test = set(calls[: max(1, int(round(held_out * len(calls))))]) if len(calls) > 1 else set()
    return [i for i in items if i.call_id not in test], [i for i in items if i.call_id in test]


def fit_params(items: list[Judged]) -> dict:
    params: dict = {"pooled": list(fit_platt([i.raw_confidence for i in items], [i.confirmed for i in items]))}
    labels: dict[str, list[Judged]] = defaultdict(list)
    for item in items:
        labels[item.label].append(item)
    params["labels"] = {
        label: list(fit_platt([i.raw_confidence for i in group], [i.confirmed for i in group]))
        for label, group in labels.items()
        if len(group) >= MIN_LABEL_EXAMPLES and 0 < sum(i.confirmed for i in group) < len(group)
    }
    return params


def calibrated(label: str, raw: float, params: dict) -> float:
    return round(float(apply_platt(raw, params["labels"].get(label, params["pooled"]))), 2)


def suggestion_calibration_fit(*, project: Project) -> SuggestionCalibration | None:
    """Fit the rules' recalibration on some calls, judge it on the others; activate it only if
    it lowers the held-out expected calibration error."""
    items = [item for item in judged_suggestions(project) if item.rules_version == RULES_VERSION]
    fit, test = split_calls(items)
    if len(fit) < settings.SUGGEST_CALIBRATION_MIN or not test:
        return None
    params = {**fit_params(fit), "rules_version": RULES_VERSION}
    before = expected_calibration_error([i.raw_confidence for i in test], [i.confirmed for i in test])
    after = expected_calibration_error(
        [calibrated(i.label, i.raw_confidence, params) for i in test], [i.confirmed for i in test]
    )
    better = after is not None and before is not None and after < before
    with transaction.atomic():
        last = SuggestionCalibration.objects.filter(project=project).order_by("-version").first()
        record = SuggestionCalibration.objects.create(
            project=project,
            version=(last.version + 1) if last else 1,
            params=params,
            fitted_on=len(fit),
            held_out=len(test),
            ece_before=before,
            ece_after=after,
            active=better,
        )
        if better:
            SuggestionCalibration.objects.filter(project=project).exclude(pk=record.pk).update(active=False)
    return record


def active_calibration(project: Project) -> SuggestionCalibration | None:
    """The calibration applied to this project's rule suggestions: the active one, if it was
    fitted on the rules as they are now (none else: the rules' confidences changed meaning)."""
    record = SuggestionCalibration.objects.filter(project=project, active=True).order_by("-version").first()
    if record is None or (record.params or {}).get("rules_version") != RULES_VERSION:
        return None
    return record


def calibrate_results(record: SuggestionCalibration, results: list, max_labels: int) -> None:
    """Map the rules' confidences through the project's calibration, keep the raw ones in the
    evidence, and re-rank (at most ``max_labels``, by calibrated confidence)."""
    for result in results:
        raw = {item.label: item.confidence for item in result.labels}
        for item in result.labels:
            item.confidence = calibrated(item.label, item.confidence, record.params)
        result.labels = sorted(result.labels, key=lambda item: -item.confidence)[:max_labels]
        result.evidence["raw_confidence"] = raw
        result.rationale += (
            f" | confidence calibrated on this project's annotators (v{record.version}: held-out calibration "
            f"error {record.ece_before:.2f} -> {record.ece_after:.2f})"
        )

"""Saving an annotator's work: validated against the taxonomy, versioned, never silently overwritten.

Every TurnAnnotation carries a version. A write names the version it was based on; if the row has
moved on since, the write is refused (HTTP 409 in the API) with the server's current state, so
the client can merge instead of overwriting. The row is locked while it is checked and written.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotera.audit import audit_record

from .models import Assignment, Turn, TurnAnnotation

AUDITED_FIELDS = ("labels", "valence", "arousal", "shifts", "note", "confidence", "suggestion_actions", "skipped")


def annotation_snapshot(annotation: TurnAnnotation) -> dict:
    return {"version": annotation.version, **{f: getattr(annotation, f) for f in AUDITED_FIELDS}}


class StaleWrite(Exception):
    def __init__(self, current: TurnAnnotation):
        super().__init__(f"turn annotation is at version {current.version}")
        self.current = current


@dataclass(frozen=True)
class Scales:
    labels: frozenset[str]
    intensity: tuple[float, float]
    valence: tuple[float, float]
    arousal: tuple[float, float]


def taxonomy_scales_for(assignment: Assignment) -> Scales:
    return taxonomy_scales(assignment.call.project.taxonomy)


def taxonomy_scales(taxonomy) -> Scales:
    """The label keys and dimension ranges a taxonomy version accepts."""
    if taxonomy.is_published and taxonomy.published_at:
        # Published versions are frozen, so their scales can be kept (keyed with the publication
        # time too, so a reused id, as in a rolled-back test database, never hits a stale entry).
        return _published_scales(taxonomy.pk, taxonomy.published_at)
    return _scales(taxonomy.pk)


def _scales(taxonomy_id: int, published_at=None) -> Scales:
    from taxonomy.models import Dimension, Label

    dims = {d.key: (d.minimum, d.maximum) for d in Dimension.objects.filter(taxonomy_id=taxonomy_id)}
    return Scales(
        labels=frozenset(Label.objects.filter(taxonomy_id=taxonomy_id).values_list("key", flat=True)),
        intensity=dims.get("intensity", (1, 5)),
        valence=dims.get("valence", (-3, 3)),
        arousal=dims.get("arousal", (1, 5)),
    )


_published_scales = functools.lru_cache(maxsize=256)(_scales)


def _number(value, field: str, low: float, high: float, errors: list[str]) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        errors.append(f"{field} must be a number between {low:g} and {high:g}.")
        return None
    if not low <= value <= high:
        errors.append(f"{field} must be between {low:g} and {high:g}; got {value:g}.")
        return None
    return float(value)


def clean_annotation(data, turn: Turn, scales: Scales) -> dict:
    """Validate a payload against the taxonomy and the turn; every problem in one message list."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise ValidationError(["The annotation must be a JSON object."])
    labels_in = data.get("labels", [])
    labels: list[dict] = []
    if not isinstance(labels_in, list):
        errors.append("labels must be a list of {label, intensity}.")
        labels_in = []
    seen: set[str] = set()
    for i, item in enumerate(labels_in):
        if not isinstance(item, dict) or not isinstance(item.get("label"), str):
            errors.append(f"labels[{i}] must be an object with a 'label' key.")
            continue
        key = item["label"]
        if key not in scales.labels:
            errors.append(f"labels[{i}]: '{key}' is not a label of this project's taxonomy.")
            continue
        if key in seen:
            errors.append(f"labels[{i}]: '{key}' is given twice.")
            continue
        seen.add(key)
        intensity = _number(item.get("intensity"), f"labels[{i}].intensity", *scales.intensity, errors)
        labels.append({"label": key, "intensity": int(intensity) if intensity is not None else None})
    valence = _number(data.get("valence"), "valence", *scales.valence, errors)
    arousal = _number(data.get("arousal"), "arousal", *scales.arousal, errors)
    confidence = _number(data.get("confidence"), "confidence", 0.0, 1.0, errors)
    shifts = []
    shifts_in = data.get("shifts", []) or []
    if not isinstance(shifts_in, list):
        errors.append("shifts must be a list of {at, from, to}.")
        shifts_in = []
    for i, shift in enumerate(shifts_in):
        if not isinstance(shift, dict):
            errors.append(f"shifts[{i}] must be an object {{at, from, to}}.")
            continue
        at = _number(shift.get("at"), f"shifts[{i}].at", turn.start, turn.end, errors)
        for side in ("from", "to"):
            if shift.get(side) not in scales.labels:
                errors.append(f"shifts[{i}].{side}: '{shift.get(side)}' is not a label of this taxonomy.")
        if at is not None:
            shifts.append({"at": at, "from": shift.get("from"), "to": shift.get("to")})
    note = data.get("note", "")
    if not isinstance(note, str) or len(note) > 5000:
        errors.append("note must be text of at most 5000 characters.")
    actions = data.get("suggestion_actions", {}) or {}
    if not isinstance(actions, dict) or not all(a in ("accepted", "edited", "rejected") for a in actions.values()):
        errors.append("suggestion_actions must map labels to accepted, edited or rejected.")
    if errors:
        raise ValidationError(errors)
    return {
        "labels": labels,
        "valence": valence,
        "arousal": arousal,
        "confidence": confidence,
        "shifts": sorted(shifts, key=lambda s: s["at"]),
        "note": note,
        "suggestion_actions": actions,
    }


def turn_annotation_save(*, assignment: Assignment, turn: Turn, data: dict, base_version: int) -> TurnAnnotation:
    """Write the annotation of one turn if nobody has changed it since ``base_version``.

    ``base_version`` 0 means "I saw no annotation yet". Raises StaleWrite with the current row
    when the stored version differs, ValidationError for a bad payload.
    """
    if turn.call_id != assignment.call_id:
        raise ValidationError(["This turn belongs to another call."])
    if assignment.status in (Assignment.Status.SUBMITTED, Assignment.Status.SKIPPED):
        raise ValidationError(["This assignment is already submitted; its annotations are read-only."])
    cleaned = clean_annotation(data, turn, taxonomy_scales_for(assignment))
    with transaction.atomic():
        current = TurnAnnotation.objects.select_for_update().filter(assignment=assignment, turn=turn).first()
        if current is None:
            if base_version != 0:
                raise ValidationError([f"No saved annotation at version {base_version}; save with version 0."])
            current = TurnAnnotation(assignment=assignment, turn=turn, taxonomy=assignment.call.project.taxonomy)
            current.version = 0
            before = None
        elif current.version != base_version:
            raise StaleWrite(current)
        else:
            before = annotation_snapshot(current)
        for field, value in cleaned.items():
            setattr(current, field, value)
        current.skipped = False
        current.needs_recheck = False  # saving is the re-check a split or merge asked for
        current.version += 1
        if current.pk is None:
            try:
                with transaction.atomic():  # a savepoint: two first writes race on the unique row
                    current.save()
            except IntegrityError:
                raise StaleWrite(TurnAnnotation.objects.get(assignment=assignment, turn=turn)) from None
        else:
            current.save()
        project = assignment.call.project
        if current.taxonomy_id == project.taxonomy_id:
            current.taxonomy = project.taxonomy  # already loaded; spares a query for the response
        audit_record(
            actor_id=assignment.annotator_id,
            action="annotation.save",
            obj=current,
            project=project,
            before=before,
            after=annotation_snapshot(current),
        )
        if assignment.status == Assignment.Status.ASSIGNED:
            Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.IN_PROGRESS)
        return current


def assignment_progress(assignment: Assignment) -> dict:
    total = assignment.call.turns.count()
    done = assignment.turn_annotations.filter(skipped=False).exclude(labels=[]).count()
    return {"turns": total, "tagged": done, "remaining": total - done}


def assignment_submit(*, assignment: Assignment, skip_reason: str = "") -> Assignment:
    """Submit when every turn is tagged, or skip the whole call with a reason."""
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.status in (Assignment.Status.SUBMITTED, Assignment.Status.SKIPPED):
            raise ValidationError([f"This assignment is already {locked.get_status_display().lower()}."])
        if skip_reason.strip():
            locked.status, locked.skip_reason = Assignment.Status.SKIPPED, skip_reason.strip()[:2000]
        else:
            progress = assignment_progress(locked)
            if progress["remaining"]:
                raise ValidationError(
                    [
                        f"{progress['remaining']} of {progress['turns']} turns are not tagged yet; tag them or skip the call with a reason."
                    ]
                )
            locked.status = Assignment.Status.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["status", "skip_reason", "submitted_at"])
        return locked


def assignment_reopen(*, assignment: Assignment, user) -> Assignment:
    """Reopen a submitted (or skipped) assignment for editing: only its annotator, only on purpose."""
    if assignment.annotator_id != user.pk:
        raise ValidationError(["Only the assignment's annotator reopens it."])
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.status not in (Assignment.Status.SUBMITTED, Assignment.Status.SKIPPED):
            raise ValidationError(["This assignment is open already; there is nothing to reopen."])
        before = {"status": locked.status, "submitted_at": str(locked.submitted_at)}
        locked.status, locked.submitted_at, locked.skip_reason = Assignment.Status.IN_PROGRESS, None, ""
        locked.save(update_fields=["status", "submitted_at", "skip_reason"])
        audit_record(actor=user, action="assignment.reopen", obj=locked, project=locked.call.project,
                     before=before, after={"status": locked.status})  # fmt: skip
        return locked

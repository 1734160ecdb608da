"""Saving an annotator's work: validated against the taxonomy, versioned, never silently overwritten.

Every TurnAnnotation carries a version. A write names the version it was based on; if the row has
moved on since, the write is refused (HTTP 409 in the API) with the server's current state, so
the client can merge instead of overwriting. The row is locked while it is checked and written.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from annotera.audit import audit_record
from annotera.names import unknown_key
from taxonomy.selectors import Scales, taxonomy_scales

from .assignment import assignment_start
from .models import (
    CALL_SKIP_REASON_MAX,
    NOTE_MAX,
    TURN_SKIP_REASON_MAX,
    Assignment,
    Call,
    Turn,
    TurnAnnotation,
    TurnRevision,
)

AUDITED_FIELDS = (
    "labels",
    "no_emotion",
    "valence",
    "arousal",
    "shifts",
    "note",
    "confidence",
    "suggestion_actions",
    "skipped",
    "skip_reason",
)


def annotation_snapshot(annotation: TurnAnnotation) -> dict:
    return {"version": annotation.version, **{f: getattr(annotation, f) for f in AUDITED_FIELDS}}


class StaleWrite(Exception):
    """``differs``: the fields where the stored annotation differs from the refused write."""

    def __init__(self, current: TurnAnnotation, differs: list[str] | None = None):
        super().__init__(f"turn annotation is at version {current.version}")
        self.current = current
        self.differs = differs or []


def turn_gone_message(call_id: int, turn_id: int) -> str:
    """Why turn ``turn_id`` of the call is not there: a correction that took it away (a merge, an
    undone split) says which turn it went into, so the annotator knows where their work is."""
    # Read in Python: JSON containment lookups do not exist on SQLite (the demo's database).
    removed = next(
        (
            r
            for r in TurnRevision.objects.filter(call_id=call_id).order_by("-pk").iterator()
            if any(snap["id"] == turn_id for snap in r.before) and all(snap["id"] != turn_id for snap in r.after)
        ),
        None,
    )
    if removed is None or not removed.after:
        return f"Turn {turn_id} is not a turn of this call."
    kept = Turn.objects.filter(pk=removed.after[0]["id"]).first()
    if kept is None:
        return f"Turn {turn_id} was merged away by a correction (again since); reload the call."
    return (
        f"This turn was merged into turn {kept.order + 1} ({kept.start:.2f}–{kept.end:.2f} s) by a correction, and "
        f"its annotations went with it: nothing was saved. Reload and check turn {kept.order + 1}."
    )


def taxonomy_scales_for(assignment: Assignment) -> Scales:
    return taxonomy_scales(assignment.call.project.taxonomy)


def _number(value, field: str, low: float, high: float, errors: list[str]) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        errors.append(f"{field} must be a number between {low:g} and {high:g}.")
        return None
    try:
        number = float(value)
    except OverflowError:  # a JSON integer of hundreds of digits: exact in Python, too big for a float
        errors.append(f"{field} must be between {low:g} and {high:g}; got a number far outside that.")
        return None
    if not low <= number <= high:
        errors.append(f"{field} must be between {low:g} and {high:g}; got {number:g}.")
        return None
    return number


def _on_grid(value: float | None, field: str, low: float, step: float, errors: list[str]) -> float | None:
    """Valence and arousal are judged on the taxonomy's steps (the agreement report bins by
    them), so a value between two steps is refused rather than silently snapped."""
    if value is None or step <= 0:
        return value
    steps = (value - low) / step
    if abs(steps - round(steps)) > 1e-6:
        errors.append(f"{field} must be on the scale's steps of {step:g} from {low:g}; got {value:g}.")
        return None
    return round(low + round(steps) * step, 6)


# What a save writes; a save replaces the whole annotation (a field left out takes its default).
ANNOTATION_KEYS = (
    "labels", "valence", "arousal", "confidence", "shifts", "note", "suggestion_actions",
    "no_emotion", "skipped", "skip_reason",
)  # fmt: skip
# The keys of one label and of one shift: anything else is refused, never dropped.
LABEL_KEYS = ("label", "intensity")
SHIFT_KEYS = ("at", "from", "to")
# What a GET (``workspace.annotation_json``) returns besides: a client may send it back unchanged.
READ_ONLY_KEYS = ("version", "needs_recheck", "taxonomy_version", "updated_at")


def clean_annotation(data, turn: Turn, scales: Scales) -> dict:
    """Validate a payload against the taxonomy and the turn; every problem in one message list."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise ValidationError(["The annotation must be a JSON object."])
    unknown = [key for key in data if key not in ANNOTATION_KEYS and key not in READ_ONLY_KEYS]
    if unknown:
        # Dropped, a misspelt field ("lables") would save a blank annotation and answer 200.
        raise ValidationError([unknown_key(key, ANNOTATION_KEYS, what="annotation field") for key in unknown])
    if not any(key in data for key in ANNOTATION_KEYS):
        raise ValidationError(["Nothing to save: send labels (an empty list clears them), no_emotion or skipped, and "
                               "the other fields. A save replaces the turn's whole annotation."])  # fmt: skip
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
        extra = [k for k in item if k not in LABEL_KEYS]
        if extra:
            # Dropped, a misspelt "intensty" saved the label with no intensity, and answered 200.
            errors.extend(f"labels[{i}]: {unknown_key(k, LABEL_KEYS, what='label field')}" for k in extra)
            continue
        if key not in scales.labels:
            errors.append(f"labels[{i}]: '{key}' is not a label of this project's taxonomy.")
            continue
        if key in seen:
            errors.append(f"labels[{i}]: '{key}' is given twice.")
            continue
        seen.add(key)
        intensity = _number(item.get("intensity"), f"labels[{i}].intensity", *scales.intensity, errors)
        if intensity is not None and not intensity.is_integer():
            # Intensity is a step on the taxonomy's scale: 2.7 is refused, never truncated to 2.
            low, high = scales.intensity
            errors.append(f"labels[{i}].intensity must be a whole number from {low:g} to {high:g}; got {intensity:g}.")
            continue
        labels.append({"label": key, "intensity": int(intensity) if intensity is not None else None})
    valence = _number(data.get("valence"), "valence", *scales.valence, errors)
    valence = _on_grid(valence, "valence", scales.valence[0], scales.valence_step, errors)
    arousal = _number(data.get("arousal"), "arousal", *scales.arousal, errors)
    arousal = _on_grid(arousal, "arousal", scales.arousal[0], scales.arousal_step, errors)
    no_emotion = data.get("no_emotion", False)
    skipped = data.get("skipped", False)
    if not isinstance(no_emotion, bool):
        errors.append('no_emotion must be true or false (true: "no emotion on this turn", with no labels).')
        no_emotion = False
    if no_emotion and labels:
        errors.append('Choose labels or "no emotion", not both.')
    if not isinstance(skipped, bool):
        errors.append("skipped must be true or false.")
        skipped = False
    # A skipped turn counts nowhere, so tags sent with it would be stored and silently never count.
    # (Skipping a whole call withdraws tagged rows in the database, not through here.)
    tags_given = [
        field
        for field, given in (("labels", labels_in), ("no_emotion", no_emotion is True), ("shifts", data.get("shifts")))
        if given
    ]
    if skipped and tags_given:
        errors.append(f"A skipped turn carries no tags, but {' and '.join(tags_given)} {'is' if len(tags_given) == 1 else 'are'} "
                      "given with \"skipped\": true. Send \"skipped\": false to keep the tags (they count), or clear "
                      f"{' and '.join(tags_given)} to skip the turn.")  # fmt: skip
    skip_reason = data.get("skip_reason", "") or ""
    if not isinstance(skip_reason, str) or len(skip_reason) > TURN_SKIP_REASON_MAX:
        errors.append(f"skip_reason must be text of at most {TURN_SKIP_REASON_MAX} characters.")
        skip_reason = ""
    elif skip_reason.strip() and data.get("skipped", False) is False:
        # Dropped, the reason answered 200 and the sender believed the turn skipped.
        errors.append('skip_reason is only for a skipped turn: send "skipped": true with it to skip the turn, '
                      "or an empty skip_reason to keep the turn.")  # fmt: skip
    confidence = _number(data.get("confidence"), "confidence", 0.0, 1.0, errors)
    # A shift runs between two emotions tagged on the turn: one to a label the turn does not carry
    # (or from a label to itself) misstates the turn in the exports and the shift agreement figure.
    tagged = {item["label"] for item in labels_in if isinstance(item, dict) and isinstance(item.get("label"), str)}
    shifts = []
    shifts_in = data.get("shifts", []) or []
    if not isinstance(shifts_in, list):
        errors.append("shifts must be a list of {at, from, to}.")
        shifts_in = []
    for i, shift in enumerate(shifts_in):
        if not isinstance(shift, dict):
            errors.append(f"shifts[{i}] must be an object {{at, from, to}}.")
            continue
        extra = [k for k in shift if k not in SHIFT_KEYS]
        if extra:
            errors.extend(f"shifts[{i}]: {unknown_key(k, SHIFT_KEYS, what='shift field')}" for k in extra)
            continue
        if shift.get("at") is None:  # was left out of the saved list without a word
            errors.append(f"shifts[{i}].at is missing: the time of the shift, in seconds from the call's start.")
            continue
        at = _number(shift["at"], f"shifts[{i}].at", turn.start, turn.end, errors)
        for side in ("from", "to"):
            if shift.get(side) is None:
                errors.append(f"shifts[{i}].{side} is missing: the label the emotion shifts {side}.")
            # A list or an object is no label key either (and cannot be looked up: a 500 before).
            elif not isinstance(shift[side], str) or shift[side] not in scales.labels:
                errors.append(f"shifts[{i}].{side}: {shift[side]!r} is not a label of this taxonomy.")
            elif shift[side] not in tagged and not no_emotion:  # "no emotion" is refused with shifts below
                errors.append(f"shifts[{i}].{side}: '{shift[side]}' is not one of this turn's labels: a shift runs "
                              f"between two emotions tagged on the turn (tag '{shift[side]}' too, or change the shift).")  # fmt: skip
        if isinstance(shift.get("from"), str) and shift["from"] in scales.labels and shift["from"] == shift.get("to"):
            errors.append(f"shifts[{i}]: from and to are both '{shift['from']}': a shift runs from one emotion to "
                          "another (change one side, or remove the shift).")  # fmt: skip
        if at is not None:
            same = {"at": at, "from": shift.get("from"), "to": shift.get("to")}
            if same in shifts:  # one shift marked twice would count twice in the shift agreement figure
                errors.append(f"shifts[{i}]: the shift at {at:g} s from '{same['from']}' to '{same['to']}' is given "
                              "twice (remove one).")  # fmt: skip
                continue
            shifts.append(same)
    if no_emotion and shifts:  # a shift runs between two emotions: "no emotion" has none
        errors.append('Choose shifts or "no emotion", not both.')
    note = data.get("note", "")
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        errors.append(f"note must be text of at most {NOTE_MAX} characters.")
    actions = data.get("suggestion_actions", {}) or {}
    if not isinstance(actions, dict) or not all(a in ("accepted", "edited", "rejected") for a in actions.values()):
        errors.append("suggestion_actions must map labels to accepted, edited or rejected.")
    else:
        # Kept as sent, a misspelt key ("angr") became an acceptance rate for a label nobody has.
        known = sorted(scales.labels)
        errors.extend(
            f"suggestion_actions: {unknown_key(key, known, what='label')}"
            for key in actions
            if key not in scales.labels
        )
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
        "no_emotion": no_emotion,
        "skipped": skipped,
        "skip_reason": skip_reason.strip() if skipped else "",
    }


def turn_annotation_save(*, assignment: Assignment, turn: Turn, data: dict, base_version: int) -> TurnAnnotation:
    """Write the annotation of one turn if nobody has changed it since ``base_version``.

    ``base_version`` 0 means "I saw no annotation yet". Raises StaleWrite with the current row
    when the stored version differs, ValidationError for a bad payload.
    """
    turn_id = turn.pk
    if turn.call_id != assignment.call_id:
        raise ValidationError(["This turn belongs to another call."])
    if assignment.status in (Assignment.Status.SUBMITTED, Assignment.Status.SKIPPED):
        raise ValidationError(["This assignment is already submitted; its annotations are read-only."])
    scales = taxonomy_scales_for(assignment)
    clean_annotation(data, turn, scales)  # a bad payload is refused before anything is locked
    with transaction.atomic():
        # The call's row lock orders this save against ``call_reprocess``, which checks for
        # annotations before new machine turns replace these.
        status = Call.objects.select_for_update().filter(pk=turn.call_id).values_list("status", flat=True).first()
        if status != Call.Status.READY:
            raise ValidationError(["This call is not ready (its machine pass is running again, or failed) and its "
                                   "turns may change: nothing was saved. Reload when the call is ready."])  # fmt: skip
        # The assignment as it is now, locked (after the call: the order every writer takes) so a
        # submit, a skip of the call or a reassignment either saw this save or refuses it. The
        # request read it before: a submit committed since would get an annotation it never counted.
        locked = (
            Assignment.objects.select_for_update().filter(pk=assignment.pk).values("status", "annotator_id").first()
        )
        if locked is None or locked["annotator_id"] != assignment.annotator_id:
            raise ValidationError(["This assignment is no longer yours (a project manager reassigned it): nothing was "
                                   "saved. Open your queue for your current calls."])  # fmt: skip
        if locked["status"] in (Assignment.Status.SUBMITTED, Assignment.Status.SKIPPED):
            done = Assignment.Status(locked["status"]).label.lower()
            raise ValidationError([f"This assignment is already {done}; its annotations are read-only: nothing was "
                                   "saved. Reopen it to change them."])  # fmt: skip
        # Corrections hold the call's lock too: under it, the turn is as the last one left it
        # (its boundaries, which the shifts must lie in; or merged away).
        turn = Turn.objects.filter(pk=turn.pk).first()
        if turn is None:
            raise ValidationError([turn_gone_message(assignment.call_id, turn_id)])
        cleaned = clean_annotation(data, turn, scales)
        current = TurnAnnotation.objects.select_for_update().filter(assignment=assignment, turn=turn).first()
        if current is None:
            if base_version != 0:
                raise ValidationError([f"No saved annotation at version {base_version}; save with version 0."])
            current = TurnAnnotation(assignment=assignment, turn=turn, taxonomy=assignment.call.project.taxonomy)
            current.version = 0
            before = None
        elif current.version != base_version:
            raise StaleWrite(current, differs=[field for field, value in cleaned.items()
                                               if getattr(current, field) != value])  # fmt: skip
        else:
            before = annotation_snapshot(current)
        for field, value in cleaned.items():
            setattr(current, field, value)
        # The labels were checked against the project's current version, so that is the
        # version they belong to (a row first saved under v1 and re-saved under v2 holds v2 keys).
        current.taxonomy_id = assignment.call.project.taxonomy_id
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
        assignment_start(assignment=assignment)
        return current


def assignment_progress(assignment: Assignment) -> dict:
    total = assignment.call.turns.count()
    done = assignment.turn_annotations.judgements().count()
    skipped = assignment.turn_annotations.filter(skipped=True).count()
    return {"turns": total, "tagged": done, "skipped": skipped, "remaining": total - done - skipped}


CALL_SKIPPED = "call skipped"  # the skip reason of judgements withdrawn by skipping their whole call


def _lock_call_first(assignment: Assignment) -> None:
    """The lock order of every write on a call's annotations: call, assignment, annotations (a
    save, a turn split or merge). Submit and reopen rewrite annotations too, so they take the
    call's lock first; taken out of order, a call skip racing a turn split could deadlock."""
    Call.objects.select_for_update().filter(pk=assignment.call_id).first()


def assignment_submit(*, assignment: Assignment, skip_reason: str = "") -> Assignment:
    """Submit when every turn is tagged, or skip the whole call with a reason."""
    with transaction.atomic():
        _lock_call_first(assignment)
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.status in (Assignment.Status.SUBMITTED, Assignment.Status.SKIPPED):
            raise ValidationError([f"This assignment is already {locked.get_status_display().lower()}."])
        if len(skip_reason.strip()) > CALL_SKIP_REASON_MAX:
            raise ValidationError(
                [f"The reason is {len(skip_reason.strip())} characters long; at most {CALL_SKIP_REASON_MAX} fit."
                 " Shorten it; the call was not skipped."]
            )  # fmt: skip
        if skip_reason.strip():
            locked.status, locked.skip_reason = Assignment.Status.SKIPPED, skip_reason.strip()
            # Skipping the call withdraws every judgement made on it (the rows stay, for the audit).
            # Versions move on, so a workspace still open on the old ones merges instead of overwriting.
            locked.turn_annotations.filter(skipped=False).update(
                skipped=True, skip_reason=CALL_SKIPPED, version=F("version") + 1, updated_at=timezone.now()
            )
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
        _lock_call_first(assignment)
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.status not in (Assignment.Status.SUBMITTED, Assignment.Status.SKIPPED):
            raise ValidationError(["This assignment is open already; there is nothing to reopen."])
        before = {"status": locked.status, "submitted_at": str(locked.submitted_at)}
        if locked.status == Assignment.Status.SKIPPED:
            # Reopening a skipped call gives back the judgements skipping it withdrew.
            locked.turn_annotations.filter(skipped=True, skip_reason=CALL_SKIPPED).update(
                skipped=False, skip_reason="", version=F("version") + 1, updated_at=timezone.now()
            )
        locked.status, locked.submitted_at, locked.skip_reason = Assignment.Status.IN_PROGRESS, None, ""
        locked.save(update_fields=["status", "submitted_at", "skip_reason"])
        audit_record(actor=user, action="assignment.reopen", obj=locked, project=locked.call.project,
                     before=before, after={"status": locked.status})  # fmt: skip
        return locked

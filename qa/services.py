"""QA writes: cached agreement reports (stale-marking, debounced recompute), adjudications, gold calls."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from annotation.models import Call, GoldCall, Project, TaxonomyChange, Turn, TurnRevision
from annotation.turn_annotations import clean_annotation
from annotera.audit import audit_record
from annotera.celery import celery_task
from annotera.models import AuditEvent
from taxonomy.models import Taxonomy
from taxonomy.selectors import taxonomy_scales

from .agreement import ReportFilters, project_report
from .judgements import labels_in_version, labels_removed_by_change, shifts_in_version, version_mappings
from .models import Adjudication, AgreementReport

REPORT_BOOTSTRAP = 1000
# Projects with at most this many annotations get an uncached report computed inside the request
# (well under a second); larger ones are computed by a worker while the page polls.
INLINE_LIMIT = 20_000
REQUEUE_AFTER = dt.timedelta(minutes=10)  # a queued recompute no worker started by then is queued again


def filters_key(filters: ReportFilters) -> str:
    return json.dumps(filters.as_dict(), sort_keys=True)


def _enqueue(report_ids: list[int]) -> None:
    for report_id in report_ids:
        celery_task("qa.compute_agreement_report").delay_on_commit(report_id)


def agreement_report_request(*, project: Project, filters: ReportFilters) -> AgreementReport:
    """The cached report for these filters, creating it and queueing its computation when it is
    missing or stale (at most one queued computation per report)."""
    key = filters_key(filters)
    report = AgreementReport.objects.filter(project=project, key=key).first()
    if report is None:
        try:
            with transaction.atomic():
                report = AgreementReport.objects.create(project=project, key=key, filters=filters.as_dict())
        except IntegrityError:  # another request created it first
            report = AgreementReport.objects.get(project=project, key=key)
    now = timezone.now()
    lost = report.queued_at is not None and report.queued_at < now - REQUEUE_AFTER  # no worker took it
    if report.stale and report.started_at is None and (report.queued_at is None or lost):
        claimed = AgreementReport.objects.filter(pk=report.pk, queued_at=report.queued_at).update(queued_at=now)
        if claimed:
            _enqueue([report.pk])
        report.refresh_from_db()
    return report


def agreement_report_compute(*, report_id: int, bootstrap: int = REPORT_BOOTSTRAP) -> AgreementReport | None:
    """Compute a cached report now. Idempotent: a report that is not stale and not queued is left
    as it is. Changes that arrive while it runs mark it stale again and queue one more run."""
    with transaction.atomic():
        report = AgreementReport.objects.select_for_update().filter(pk=report_id).select_related("project").first()
        if report is None:
            return None
        fresh = not report.stale and report.computed_at is not None
        if fresh and report.queued_at is None and report.started_at is None:
            return report  # already up to date (a duplicate delivery)
        report.stale, report.queued_at, report.started_at, report.error = False, None, timezone.now(), ""
        report.progress = 0.0
        report.save(update_fields=["stale", "queued_at", "started_at", "error", "progress"])
    started = time.perf_counter()

    def progress(percent: float, message: str) -> None:
        AgreementReport.objects.filter(pk=report.pk).update(progress=percent)

    try:
        figures = project_report(
            report.project, ReportFilters.from_mapping(report.filters), bootstrap=bootstrap, progress=progress
        )
    except Exception as error:  # keep the previous figures; show what went wrong
        AgreementReport.objects.filter(pk=report.pk).update(error=str(error)[:2000], started_at=None)
        raise
    AgreementReport.objects.filter(pk=report.pk).update(
        report=figures,
        computed_at=timezone.now(),
        started_at=None,
        progress=100.0,
        seconds=round(time.perf_counter() - started, 3),
    )
    report.refresh_from_db()
    return report


def agreement_report_compute_inline(*, project: Project, filters: ReportFilters) -> AgreementReport:
    """Compute and store a report inside the request (small projects, and the CLI)."""
    report = agreement_report_request(project=project, filters=filters)
    return agreement_report_compute(report_id=report.pk) or report


def agreement_reports_mark_stale(*, project_id: int) -> int:
    """Annotations of the project changed: mark its cached reports stale and queue one recompute
    per report that has none queued yet (an autosave every few seconds queues nothing more).
    Returns how many recomputes were queued."""
    with transaction.atomic():
        AgreementReport.objects.filter(project_id=project_id, stale=False).update(stale=True)
        to_queue = list(
            AgreementReport.objects.filter(project_id=project_id, queued_at__isnull=True).values_list("pk", flat=True)
        )
        claimed = [
            pk
            for pk in to_queue
            if AgreementReport.objects.filter(pk=pk, queued_at__isnull=True).update(queued_at=timezone.now())
        ]
        _enqueue(claimed)
    return len(claimed)


# ``based_on`` when the caller does not know which decision it was built on (scripts, imports):
# no check. The adjudication pages always say (an empty field: built on none).
UNCHECKED: Any = object()


def adjudication_create(
    *,
    turn: Turn,
    reviewer,
    labels: list[dict],
    valence: float | None = None,
    arousal: float | None = None,
    shifts: list | None = None,
    note: str = "",
    based_on: int | None = UNCHECKED,
    no_emotion: bool | None = None,
) -> Adjudication:
    """A reviewer's resolution of a turn; the newest one is the turn's consensus of record.
    Validated by the annotators' own rules (``clean_annotation``: labels, scales, shifts, note).

    ``based_on``: the id of the newest adjudication the reviewer's form was built on (None: the
    turn had none). When another decision was recorded since, nothing is saved and the message
    names it: the last write never silently replaces a decision its author did not see.

    ``no_emotion``: what the reviewer's form said (None: not asked, as when a decision is carried
    over); when given, a decision with no label needs it (``_no_emotion_problem``)."""
    taxonomy = turn.call.project.taxonomy
    problem = _no_emotion_problem(labels, no_emotion)
    if problem:
        raise ValidationError([problem])
    cleaned = _clean_adjudication(turn, taxonomy_scales(taxonomy), labels, valence, arousal, shifts, note)
    with transaction.atomic():
        Turn.objects.select_for_update().filter(pk=turn.pk).first()
        if based_on is not UNCHECKED:
            stale = _stale_decision(turn, based_on, _newest_adjudication(turn))
            if stale:
                raise ValidationError([stale])
        adjudication = _adjudication_save(turn, reviewer, cleaned, taxonomy)
    return adjudication


def newest_adjudications(turn_ids: list[int]) -> dict[int, Adjudication]:
    """The newest adjudication (the consensus of record) of each of these turns that has one."""
    newest: dict[int, Adjudication] = {}
    for adjudication in (
        Adjudication.objects.filter(turn_id__in=turn_ids)
        .select_related("reviewer")
        .order_by("turn_id", "-created_at", "-pk")
    ):
        newest.setdefault(adjudication.turn_id, adjudication)
    return newest


def _stale_decision(turn: Turn, based_on: int | None, newest: Adjudication | None) -> str:
    """Why a decision built on adjudication ``based_on`` (None: on none) may not be saved now that
    ``newest`` is the turn's newest ("" when it may)."""
    if (newest.pk if newest else None) == based_on:
        return ""
    if newest is None:
        return (
            f"Turn {turn.order + 1}'s adjudication was withdrawn since you opened it (its turn was merged or "
            "corrected); nothing was saved. Reload it and adjudicate it again."
        )
    # A split or merge since copies the decision of record (``adjudications_split``/``_merge``):
    # the newest row is then the system's copy of what the page showed, not another reviewer's.
    earlier = Adjudication.objects.filter(pk=based_on).first() if based_on else None
    decision = (newest.labels, newest.valence, newest.arousal)
    copied = earlier is not None and (earlier.labels, earlier.valence, earlier.arousal) == decision
    if (
        copied
        and TurnRevision.objects.filter(
            call_id=turn.call_id,
            action__in=[TurnRevision.Action.SPLIT, TurnRevision.Action.MERGE, TurnRevision.Action.UNDO],
            created_at__gte=earlier.created_at,
        ).exists()
    ):
        return (
            f"Turn {turn.order + 1} was split or merged since you opened it, and its decision of record was "
            "carried over to the turn as it is now; nothing was saved. Reload it to see the turn as it is, "
            "then adjudicate it again."
        )
    who = newest.reviewer.get_username() if newest.reviewer else "another reviewer"
    when = timezone.localtime(newest.created_at).strftime("%Y-%m-%d %H:%M")
    return (
        f"Turn {turn.order + 1} was adjudicated by {who} at {when} since you opened it "
        f"({_labels_text(newest)}); nothing was saved. Reload it to see that decision, "
        "then adjudicate again if you disagree."
    )


def _no_emotion_problem(labels: list, no_emotion: bool | None) -> str:
    """A decision with no label is "no emotion" only when the reviewer said so: a form saved with
    everything cleared became the consensus of record, exported as a turn with no emotion."""
    if no_emotion is None:
        return ""
    if not labels and not no_emotion:
        return (
            'choose the turn\'s labels, or tick "No emotion on this turn" if it has none '
            "(an empty decision would become the consensus of record)"
        )
    if labels and no_emotion:
        return '"No emotion on this turn" and labels exclude each other: untick one'
    return ""


def _clean_adjudication(turn: Turn, scales, labels, valence, arousal, shifts, note) -> dict:
    """A reviewer's decision is checked by the annotators' own rules (labels, whole-step
    intensities, scales, shifts, note): one rule in one place."""
    return clean_annotation(
        {"labels": labels, "valence": valence, "arousal": arousal, "shifts": shifts or [], "note": note}, turn, scales
    )


def _adjudication_save(turn: Turn, reviewer, cleaned: dict, taxonomy: Taxonomy) -> Adjudication:
    """Store a decision that ``_clean_adjudication`` passed in ``taxonomy`` (the version its labels
    are in, so readers of a later version map them)."""
    return Adjudication.objects.create(
        turn=turn,
        reviewer=reviewer,
        taxonomy=taxonomy,
        labels=cleaned["labels"],
        valence=cleaned["valence"],
        arousal=cleaned["arousal"],
        shifts=cleaned["shifts"],
        note=cleaned["note"],
    )


def call_adjudicate(*, call: Call, reviewer, decisions: list[dict]) -> list[Adjudication]:
    """Adjudicate many turns of one call at once (``decisions``: [{turn, labels, valence,
    arousal, shifts, note, based_on, no_emotion}], turn = a turn id; ``based_on`` and
    ``no_emotion`` as for ``adjudication_create``, checked when given). Every decision is checked first; one bad or
    stale decision saves nothing, and the message names its turn."""
    turns = {t.pk: t for t in call.turns.all()}
    scales = taxonomy_scales(call.project.taxonomy)
    errors: list[str] = []
    cleaned: list[tuple[Turn, dict]] = []
    for decision in decisions:
        turn = turns.get(decision.get("turn"))
        if turn is None:
            errors.append(f"Turn {decision.get('turn')} is not a turn of {call.original_name}.")
            continue
        problem = _no_emotion_problem(decision.get("labels", []), decision.get("no_emotion"))
        if problem:
            errors.append(f"Turn {turn.order + 1}: {problem}")
            continue
        try:
            cleaned.append((turn, _clean_adjudication(turn, scales, decision.get("labels", []),
                                                       decision.get("valence"), decision.get("arousal"),
                                                       decision.get("shifts"), decision.get("note", ""))))  # fmt: skip
        except ValidationError as error:
            errors.extend(f"Turn {turn.order + 1}: {message}" for message in error.messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # The same lock as ``adjudication_create`` (each decided turn, in id order), so a decision
        # made on one turn's page meanwhile is seen here, and the other way round.
        list(Turn.objects.select_for_update().filter(pk__in=[t.pk for t, _ in cleaned]).order_by("pk"))
        newest = newest_adjudications([t.pk for t, _ in cleaned])
        stale = [
            message
            for decision, (turn, _) in zip(decisions, cleaned, strict=True)
            if "based_on" in decision
            for message in [_stale_decision(turn, decision["based_on"], newest.get(turn.pk))]
            if message
        ]
        if stale:
            raise ValidationError(stale)
        return [_adjudication_save(turn, reviewer, c, call.project.taxonomy) for turn, c in cleaned]


def _newest_adjudication(turn: Turn) -> Adjudication | None:
    return newest_adjudications([turn.pk]).get(turn.pk)


def _read_in(adjudication: Adjudication, mappings: dict) -> dict | None:
    """An adjudication's decision in the version ``mappings`` lead to (``version_mappings``):
    labels and shifts mapped (shifts whose emotion has no single name there are left out); None
    when its version does not lead there, or when a taxonomy change dropped every label it chose
    (``labels_removed_by_change``: it is no decision there, not a "no emotion" one). One without
    a version is read as it is."""
    if adjudication.taxonomy_id is not None and adjudication.taxonomy_id not in mappings:
        return None
    mapping = mappings.get(adjudication.taxonomy_id)
    if labels_removed_by_change(adjudication.labels, mapping):
        return None
    return {
        "labels": labels_in_version(adjudication.labels, mapping),
        "valence": adjudication.valence,
        "arousal": adjudication.arousal,
        "shifts": [s for s in shifts_in_version(adjudication.shifts, mapping) if s.get("from") and s.get("to")],
    }


def _same_decision(one: dict | None, other: dict | None) -> bool:
    """The same labels with the same intensities, the same valence and the same arousal (two
    ``_read_in`` decisions, so a label renamed between their versions is the same label)."""
    if one is None or other is None:
        return False

    def labels(decision: dict) -> dict:
        return {item["label"]: item.get("intensity") for item in decision["labels"]}

    return (labels(one), one["valence"], one["arousal"]) == (labels(other), other["valence"], other["arousal"])


def _adjudication_snapshot(adjudication: Adjudication) -> dict:
    return {
        "id": adjudication.pk, "turn": adjudication.turn_id, "reviewer": adjudication.reviewer_id,
        "labels": adjudication.labels, "valence": adjudication.valence, "arousal": adjudication.arousal,
        "shifts": adjudication.shifts, "note": adjudication.note, "created_at": adjudication.created_at.isoformat(),
        "taxonomy": adjudication.taxonomy_id,
    }  # fmt: skip


def _labels_text(adjudication: Adjudication) -> str:
    """A decision's labels as people read them: "anger (2), frustration", or "no emotion"."""
    labels = ", ".join(
        f"{item['label']}" + (f" ({item['intensity']})" if item.get("intensity") is not None else "")
        for item in adjudication.labels
    )
    return labels or "no emotion"


def _decision_text(turn: Turn, adjudication: Adjudication | None) -> str:
    return f"turn {turn.order + 1}: {_labels_text(adjudication) if adjudication else 'no adjudication'}"


def adjudications_merge(*, kept: Turn, removed: Turn, user=None) -> Adjudication | None:
    """Two turns were merged into ``kept`` (``removed`` is deleted next, inside the caller's
    transaction; ``annotation.signals.turns_merged``). The consensus of record of the merged turn:

    - neither half adjudicated: nothing to do;
    - both halves' newest adjudications made the same decision (labels and intensities, valence,
      arousal): it holds for the merged turn. ``removed``'s adjudications move to ``kept`` (their
      history is kept) and one new adjudication unites the two (the shifts of both halves, both
      notes), by the reviewer of the newer one;
    - otherwise (different decisions, or only one half adjudicated) no decision covers the merged
      turn, and keeping one half's would silently make it the whole turn's. The adjudications of
      both halves are withdrawn (deleted, and recorded in full in the audit log of the merge), so
      the merged turn shows as needing adjudication in the disagreement queue and on the
      whole-call page. On a gold call that would leave the reference with a turn without a
      consensus, so the merge is refused instead, with both decisions named: adjudicate the two
      turns alike first.

    Returns the united adjudication, or None."""
    mine, theirs = _newest_adjudication(kept), _newest_adjudication(removed)
    if mine is None and theirs is None:
        return None
    # Compared and united in the project's current version: halves adjudicated before and after
    # a label was renamed made the same decision.
    project = kept.call.project
    mappings = version_mappings(project, project.taxonomy)
    read = {a.pk: _read_in(a, mappings) for a in (mine, theirs) if a is not None}
    if mine is not None and theirs is not None and _same_decision(read[mine.pk], read[theirs.pk]):
        newer = max((mine, theirs), key=lambda a: (a.created_at, a.pk))
        Adjudication.objects.filter(turn=removed).update(turn=kept)
        return Adjudication.objects.create(
            turn=kept,
            reviewer_id=newer.reviewer_id,
            taxonomy=project.taxonomy,  # both read in it
            labels=read[newer.pk]["labels"],
            valence=newer.valence,
            arousal=newer.arousal,
            shifts=sorted([*read[mine.pk]["shifts"], *read[theirs.pk]["shifts"]], key=lambda shift: shift["at"]),
            note=" / ".join(dict.fromkeys(n for n in (mine.note, theirs.note) if n))[:5000],
        )
    decisions = f"{_decision_text(kept, mine)}; {_decision_text(removed, theirs)}"
    if GoldCall.objects.filter(call_id=kept.call_id).exists():
        raise ValidationError(
            f"Turns {kept.order + 1} and {removed.order + 1} of this gold call were adjudicated differently "
            f"({decisions}); merged, the gold call would have a turn without a consensus. Adjudicate both turns "
            "alike first, then merge them."
        )
    withdrawn = list(Adjudication.objects.filter(turn__in=[kept, removed]).order_by("turn_id", "created_at", "pk"))
    audit_record(
        actor=user,
        action="adjudication.withdraw_merged",
        obj=kept,
        project=kept.call.project,
        before=[_adjudication_snapshot(a) for a in withdrawn],
        after={"reason": f"turns {kept.order + 1} and {removed.order + 1} merged with different decisions "
                         f"({decisions}); the merged turn needs adjudicating",
               "kept": kept.pk, "removed": removed.pk},  # an undo of the merge gives them back
    )  # fmt: skip
    for adjudication in withdrawn:
        adjudication.delete()
    return None


def adjudications_split(
    *, first: Turn, second: Turn, at: float, restored_turn_id: int | None = None, user=None
) -> list[Adjudication]:
    """A turn was split at ``at`` (``annotation.signals.turn_split``, inside the caller's
    transaction). The decision of record held for the whole turn, so it holds for each half, as
    the annotators' labels are copied to both: each half gets a copy of the newest adjudication
    with the shifts inside it (the older ones stay with the first half as its history). A gold
    call stays fully adjudicated. Returns the new adjudications.

    An undone merge (``restored_turn_id``: the turn it removed, which ``second`` recreates) whose
    halves' adjudications the merge withdrew gives them back instead, each to its own turn, unless
    the merged turn was adjudicated since (that decision was made for the whole turn: it holds
    for both halves, as above)."""
    if restored_turn_id is not None:
        restored = _adjudications_restore_unmerged(first, second, restored_turn_id, user=user)
        if restored:
            return restored
    newest = _newest_adjudication(first)
    if newest is None:
        return []
    return [
        Adjudication.objects.create(
            turn=half,
            reviewer_id=newest.reviewer_id,
            taxonomy_id=newest.taxonomy_id,  # a copy of its labels, in its version
            labels=newest.labels,
            valence=newest.valence,
            arousal=newest.arousal,
            shifts=[shift for shift in newest.shifts if keep(shift["at"])],
            note=newest.note,
        )
        for half, keep in ((first, lambda t: t < at), (second, lambda t: t >= at))
    ]


def _merge_withdrawal(kept: Turn, removed_id: int) -> AuditEvent | None:
    """The record of the adjudications withdrawn by the merge of turn ``removed_id`` into ``kept``."""
    events = AuditEvent.objects.filter(
        action="adjudication.withdraw_merged", object_type=kept._meta.label_lower, object_id=str(kept.pk)
    ).order_by("-at", "-pk")
    for event in events:
        if isinstance(event.after, dict) and "removed" in event.after:
            if event.after["removed"] == removed_id:
                return event
        elif _recorded_by_merge(event, kept, removed_id):
            return event
    return None


def _recorded_by_merge(event: AuditEvent, kept: Turn, removed_id: int) -> bool:
    """Records made before the removed turn was named in them: the one written by the merge's own
    transaction, between the call's previous correction and the merge's history row (the call's
    corrections take turns on its lock). Read in Python: no JSON lookups on SQLite."""
    revisions = TurnRevision.objects.filter(call_id=kept.call_id).order_by("-pk")
    merge = next(
        (
            r
            for r in revisions.filter(action=TurnRevision.Action.MERGE).iterator()
            if len(r.before) > 1 and r.before[1]["id"] == removed_id
        ),
        None,
    )
    if merge is None or event.at > merge.created_at:
        return False
    previous = revisions.filter(pk__lt=merge.pk).first()
    return previous is None or event.at > previous.created_at


def _taxonomy_at(project: Project, when: dt.datetime) -> int | None:
    """The project's taxonomy version at ``when``, as ``Adjudication.taxonomy`` was filled in
    (qa migration 0005): the version the first recorded change after it moved away from, else
    the current one."""
    change = TaxonomyChange.objects.filter(project=project, created_at__gt=when).order_by("created_at", "pk").first()
    return change.from_taxonomy_id if change is not None else project.taxonomy_id


def _adjudications_restore_unmerged(first: Turn, second: Turn, removed_id: int, *, user=None) -> list[Adjudication]:
    """Recreate the adjudications a merge withdrew, each on its own turn again, with its id, time,
    reviewer and taxonomy version (a page drawn before the merge saves on it as it would have).
    Nothing when the merge withdrew none, or the merged turn was adjudicated after the merge."""
    event = _merge_withdrawal(first, removed_id)
    if event is None or Adjudication.objects.filter(turn=first, created_at__gte=event.at).exists():
        return []
    project = first.call.project
    turns = {first.pk: first, removed_id: second}
    reviewers = set(get_user_model().objects.filter(pk__in=[s["reviewer"] for s in event.before if s.get("reviewer")])
                    .values_list("pk", flat=True))  # fmt: skip
    taxonomies = set(Taxonomy.objects.filter(pk__in=[s.get("taxonomy") for s in event.before if s.get("taxonomy")])
                     .values_list("pk", flat=True))  # fmt: skip
    restored = []
    for snap in event.before:
        turn = turns.get(snap["turn"])
        if turn is None:
            continue
        created_at = parse_datetime(snap["created_at"])
        taxonomy_id = snap.get("taxonomy")
        if taxonomy_id not in taxonomies:  # recorded before versions were kept in the record
            taxonomy_id = _taxonomy_at(project, created_at)
        adjudication = Adjudication.objects.create(
            # The same id where it is free (always, but for a database copied by hand).
            pk=None if Adjudication.objects.filter(pk=snap["id"]).exists() else snap["id"],
            turn=turn,
            reviewer_id=snap.get("reviewer") if snap.get("reviewer") in reviewers else None,
            taxonomy_id=taxonomy_id,
            labels=snap["labels"],
            valence=snap["valence"],
            arousal=snap["arousal"],
            shifts=snap["shifts"],
            note=snap["note"],
        )
        Adjudication.objects.filter(pk=adjudication.pk).update(created_at=created_at)  # made then, not now
        adjudication.created_at = created_at
        restored.append(adjudication)
    if restored:
        audit_record(
            actor=user,
            action="adjudication.restore_unmerged",
            obj=first,
            project=project,
            before={"withdrawn_by": event.pk},
            after=[_adjudication_snapshot(a) for a in restored],
        )
    return restored


def adjudications_follow_adjust(*, turn: Turn, user=None) -> list[Adjudication]:
    """A turn's boundaries moved (``annotation.signals.turn_adjusted``, inside the caller's
    transaction): its adjudications' shifts outside it are moved to its nearer edge (kept, never
    dropped), as the annotators' are, so the decision stays valid and a reviewer can save it as it
    is. Recorded in the audit log. Returns the adjudications changed."""
    moved, before = [], []
    for adjudication in Adjudication.objects.select_for_update().filter(turn=turn).order_by("created_at", "pk"):
        shifts = [{**s, "at": min(max(s["at"], turn.start), turn.end)} for s in adjudication.shifts]
        if shifts != adjudication.shifts:
            before.append(_adjudication_snapshot(adjudication))
            adjudication.shifts = shifts
            adjudication.save(update_fields=["shifts"])
            moved.append(adjudication)
    if moved:
        audit_record(actor=user, action="adjudication.shifts_moved", obj=turn, project=turn.call.project,
                     before=before, after=[_adjudication_snapshot(a) for a in moved])  # fmt: skip
    return moved


class GoldIncomplete(ValidationError):
    """A call cannot be gold yet: ``missing`` are its turns without an adjudication."""

    def __init__(self, message: str, missing: list[Turn]):
        super().__init__([message])
        self.missing = missing


def gold_call_mark(*, call: Call, user) -> GoldCall:
    """Mark a fully adjudicated call as gold; refused while any turn lacks an adjudication."""
    with transaction.atomic():
        Call.objects.select_for_update().filter(pk=call.pk).first()
        missing = list(
            call.turns.filter(~Q(pk__in=Adjudication.objects.filter(turn__call=call).values("turn_id"))).order_by(
                "order"
            )
        )
        total = call.turns.count()
        if total == 0:
            raise ValidationError(["This call has no turns, so it cannot be gold."])
        if missing:
            named = ", ".join(str(t.order + 1) for t in missing[:20]) + (" …" if len(missing) > 20 else "")
            raise GoldIncomplete(
                f"{len(missing)} of {total} turns have no adjudication yet (turn {named}); adjudicate every turn "
                "before marking the call gold. Agreed turns come pre-filled on the whole-call page.",
                missing,
            )
        gold, _ = GoldCall.objects.get_or_create(call=call, defaults={"marked_by": user})
    return gold

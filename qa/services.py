"""QA writes: cached agreement reports (stale-marking, debounced recompute), adjudications, gold calls."""

from __future__ import annotations

import datetime as dt
import json
import time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from annotation.models import Call, GoldCall, Project, Turn
from annotation.turn_annotations import clean_annotation
from annotera.celery import celery_task
from taxonomy.selectors import taxonomy_scales

from .agreement import ReportFilters, project_report
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


def adjudication_create(
    *,
    turn: Turn,
    reviewer,
    labels: list[dict],
    valence: float | None = None,
    arousal: float | None = None,
    shifts: list | None = None,
    note: str = "",
) -> Adjudication:
    """A reviewer's resolution of a turn; the newest one is the turn's consensus of record.
    Validated by the annotators' own rules (``clean_annotation``: labels, scales, shifts, note)."""
    cleaned = _clean_adjudication(turn, taxonomy_scales(turn.call.project.taxonomy), labels, valence, arousal,
                                  shifts, note)  # fmt: skip
    with transaction.atomic():
        Turn.objects.select_for_update().filter(pk=turn.pk).first()
        adjudication = _adjudication_save(turn, reviewer, cleaned)
    return adjudication


def _clean_adjudication(turn: Turn, scales, labels, valence, arousal, shifts, note) -> dict:
    """A reviewer's decision is checked by the annotators' own rules (labels, whole-step
    intensities, scales, shifts, note): one rule in one place."""
    return clean_annotation(
        {"labels": labels, "valence": valence, "arousal": arousal, "shifts": shifts or [], "note": note}, turn, scales
    )


def _adjudication_save(turn: Turn, reviewer, cleaned: dict) -> Adjudication:
    """Store a decision that ``_clean_adjudication`` passed."""
    return Adjudication.objects.create(
        turn=turn,
        reviewer=reviewer,
        labels=cleaned["labels"],
        valence=cleaned["valence"],
        arousal=cleaned["arousal"],
        shifts=cleaned["shifts"],
        note=cleaned["note"],
    )


def call_adjudicate(*, call: Call, reviewer, decisions: list[dict]) -> list[Adjudication]:
    """Adjudicate many turns of one call at once (``decisions``: [{turn, labels, valence,
    arousal, note}], turn = a turn id). Every decision is checked first; one bad decision saves
    nothing, and the message names its turn."""
    turns = {t.pk: t for t in call.turns.all()}
    scales = taxonomy_scales(call.project.taxonomy)
    errors: list[str] = []
    cleaned: list[tuple[Turn, dict]] = []
    for decision in decisions:
        turn = turns.get(decision.get("turn"))
        if turn is None:
            errors.append(f"Turn {decision.get('turn')} is not a turn of {call.original_name}.")
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
        Call.objects.select_for_update().filter(pk=call.pk).first()
        return [_adjudication_save(turn, reviewer, c) for turn, c in cleaned]


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

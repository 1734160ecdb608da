"""Annotations, adjudications or an assignment's status changed: the project's cached agreement
reports go stale and are recomputed in the background, once, after the transaction commits."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from annotation.models import Assignment, Call, TurnAnnotation

from .models import Adjudication
from .services import agreement_reports_mark_stale


def _after_commit_mark_stale(project_id: int) -> None:
    transaction.on_commit(partial(agreement_reports_mark_stale, project_id=project_id))


@receiver([post_save, post_delete], sender=TurnAnnotation, dispatch_uid="qa_reports_stale_on_annotation")
def _annotation_changed(sender, instance: TurnAnnotation, **kwargs) -> None:
    project_id = (
        Call.objects.filter(assignments__pk=instance.assignment_id).values_list("project_id", flat=True).first()
    )
    if project_id is not None:
        _after_commit_mark_stale(project_id)


@receiver([post_save], sender=Assignment, dispatch_uid="qa_reports_stale_on_assignment")
def _assignment_changed(sender, instance: Assignment, update_fields=None, **kwargs) -> None:
    # Skipping a call withdraws its judgements (a bulk update that sends no row signals).
    if instance.status == Assignment.Status.SKIPPED:
        project_id = Call.objects.filter(pk=instance.call_id).values_list("project_id", flat=True).first()
        if project_id is not None:
            _after_commit_mark_stale(project_id)


@receiver([post_save, post_delete], sender=Adjudication, dispatch_uid="qa_reports_stale_on_adjudication")
def _adjudication_changed(sender, instance: Adjudication, **kwargs) -> None:
    project_id = Call.objects.filter(turns__pk=instance.turn_id).values_list("project_id", flat=True).first()
    if project_id is not None:
        _after_commit_mark_stale(project_id)

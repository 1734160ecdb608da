"""Annotations, adjudications, an assignment or the project's taxonomy changed: the project's
cached agreement reports go stale and are recomputed in the background, once, after the
transaction commits. Adjudications also follow the corrections of their turns (split, merge, a
boundary move, and the undo of each) through ``annotation.signals``."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from annotation.models import Assignment, Call, Speaker, TaxonomyChange, Turn, TurnAnnotation
from annotation.signals import turn_adjusted, turn_split, turns_merged

from .models import Adjudication
from .services import (
    adjudications_follow_adjust,
    adjudications_merge,
    adjudications_split,
    agreement_reports_mark_stale,
)


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
def _assignment_changed(sender, instance: Assignment, created=False, update_fields=None, **kwargs) -> None:
    if created or (update_fields is not None and "status" not in update_fields):
        return  # a new assignment has no judgements; a save that leaves the status moves none
    # Whatever its new status: skipping a call withdraws its judgements and reopening a skipped
    # one gives them back, each with a bulk update that sends no row signals (and the status an
    # assignment moves to does not say which way its judgements went).
    project_id = Call.objects.filter(pk=instance.call_id).values_list("project_id", flat=True).first()
    if project_id is not None:
        _after_commit_mark_stale(project_id)


@receiver([post_save], sender=TaxonomyChange, dispatch_uid="qa_reports_stale_on_taxonomy_change")
def _taxonomy_changed(sender, instance: TaxonomyChange, created: bool = False, **kwargs) -> None:
    # The project moved to another taxonomy version: its judgements are read through the new
    # mapping (``qa.judgements``), so every figure may change.
    if created:
        _after_commit_mark_stale(instance.project_id)


# What the report filters read besides the judgements: a turn's speaker (speaker_role) and
# language, a speaker's role, a call's locale. Corrected without touching a judgement, they left
# a filtered report shown as current with the turns of before (a turn reassigned from the agent
# to the customer stayed in speaker_role=agent's figures).
@receiver([post_save], sender=Turn, dispatch_uid="qa_reports_stale_on_turn")
def _turn_changed(sender, instance: Turn, created=False, **kwargs) -> None:
    if created:
        return  # a new turn has no judgements (a split's copies are saved, and mark it, themselves)
    project_id = Call.objects.filter(pk=instance.call_id).values_list("project_id", flat=True).first()
    if project_id is not None:
        _after_commit_mark_stale(project_id)


@receiver([post_save], sender=Speaker, dispatch_uid="qa_reports_stale_on_speaker")
def _speaker_changed(sender, instance: Speaker, created=False, update_fields=None, **kwargs) -> None:
    if created or (update_fields is not None and "role" not in update_fields):
        return
    project_id = Call.objects.filter(pk=instance.call_id).values_list("project_id", flat=True).first()
    if project_id is not None:
        _after_commit_mark_stale(project_id)


@receiver([post_save], sender=Call, dispatch_uid="qa_reports_stale_on_call_locale")
def _call_changed(sender, instance: Call, created=False, update_fields=None, **kwargs) -> None:
    if not created and update_fields is not None and "locale" in update_fields:
        _after_commit_mark_stale(instance.project_id)


@receiver([post_save, post_delete], sender=Adjudication, dispatch_uid="qa_reports_stale_on_adjudication")
def _adjudication_changed(sender, instance: Adjudication, **kwargs) -> None:
    project_id = Call.objects.filter(turns__pk=instance.turn_id).values_list("project_id", flat=True).first()
    if project_id is not None:
        _after_commit_mark_stale(project_id)


@receiver(turns_merged, sender=Turn, dispatch_uid="qa_adjudications_follow_merge")
def _turns_merged(sender, kept: Turn, removed: Turn, user=None, **kwargs) -> None:
    # Before ``removed`` is deleted (its adjudications would go with it); may refuse the merge.
    adjudications_merge(kept=kept, removed=removed, user=user)


@receiver(turn_split, sender=Turn, dispatch_uid="qa_adjudications_follow_split")
def _turn_split(sender, first: Turn, second: Turn, at: float, user=None, restored_turn_id=None, **kwargs) -> None:
    # ``restored_turn_id``: an undone merge, which gives back the adjudications it withdrew.
    adjudications_split(first=first, second=second, at=at, restored_turn_id=restored_turn_id, user=user)


@receiver(turn_adjusted, sender=Turn, dispatch_uid="qa_adjudications_follow_adjust")
def _turn_adjusted(sender, turn: Turn, user=None, **kwargs) -> None:
    adjudications_follow_adjust(turn=turn, user=user)

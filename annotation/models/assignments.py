"""Annotators, their assignments, and the annotations they save."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from taxonomy.models import Taxonomy

from .calls import Call, Turn

NOTE_MAX = 5000  # characters of a turn annotation's note
TURN_SKIP_REASON_MAX = 500  # characters of the reason one turn was skipped
CALL_SKIP_REASON_MAX = 2000  # characters of the reason a whole call was skipped


class AnnotatorProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annotator_profile")
    languages = models.JSONField(default=list, blank=True, help_text='[{"code": "en", "proficiency": "native"}]')
    locales = models.JSONField(default=list, blank=True, help_text='BCP 47 tags, e.g. ["en-IN", "hi-IN"].')
    cultural_background = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    daily_capacity = models.PositiveIntegerField(default=20, help_text="Calls per day.")

    def __str__(self) -> str:
        return f"profile of {self.user}"


class AssignmentQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Like ``QuerySet.bulk_create``, but each new assignment first records its project's
        suggestion mode (bulk inserts skip ``save()``)."""
        objs = list(objs)
        Assignment.record_suggestion_modes(objs)
        return super().bulk_create(objs, *args, **kwargs)


class Assignment(models.Model):
    class Status(models.TextChoices):
        ASSIGNED = "assigned", "Assigned"
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"
        SKIPPED = "skipped", "Skipped"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="assignments")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    blind = models.BooleanField(default=False, help_text="Shown without machine suggestions.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ASSIGNED, db_index=True)
    explanation = models.TextField(blank=True, help_text="Why the engine chose this annotator.")
    skip_reason = models.TextField(blank=True)  # at most CALL_SKIP_REASON_MAX characters
    # The suggestion mode this assignment is worked under: the project's settings when it was
    # created, copied by save() and bulk_create() on every creation path, never updated after.
    reveal_suggestions_after_play = models.BooleanField(
        default=False, editable=False, help_text="The project's setting when this assignment was created."
    )
    hide_suggestion_confidence = models.BooleanField(
        default=False, editable=False, help_text="The project's setting when this assignment was created."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["call", "annotator"], name="assignment_call_annotator_unique")]

    def __str__(self) -> str:
        return f"{self.annotator} on {self.call}"

    def save(self, *args, **kwargs):
        if self._state.adding:  # created now: take the snapshot (fixtures load raw and keep theirs)
            self.record_suggestion_modes([self])
        super().save(*args, **kwargs)

    @staticmethod
    def record_suggestion_modes(assignments: list[Assignment]) -> None:
        """Copy each new assignment's project suggestion settings onto it, read fresh from the
        database in one query (a cached project object may be out of date)."""
        call_ids = {a.call_id for a in assignments}
        if not call_ids:
            return
        modes = {
            call_id: (after_play, hide)
            for call_id, after_play, hide in Call.objects.filter(pk__in=call_ids).values_list(
                "pk", "project__reveal_suggestions_after_play", "project__hide_suggestion_confidence"
            )
        }
        for assignment in assignments:
            if assignment.call_id in modes:
                assignment.reveal_suggestions_after_play, assignment.hide_suggestion_confidence = modes[
                    assignment.call_id
                ]


class TurnAnnotationQuerySet(models.QuerySet):
    def judgements(self) -> TurnAnnotationQuerySet:
        """The one definition of "tagged", used by progress, agreement, consensus and exports: a
        row is a judgement when the annotator made a label decision on the turn (labels chosen,
        or an explicit "no emotion"), did not skip the turn, and did not skip the call. A row
        holding only valence, a note or shifts (autosave) is not a judgement."""
        return (
            self.filter(skipped=False)
            .exclude(assignment__status=Assignment.Status.SKIPPED)
            .filter(models.Q(no_emotion=True) | ~models.Q(labels=[]))
        )


class TurnAnnotation(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="turn_annotations")
    turn = models.ForeignKey(Turn, on_delete=models.CASCADE, related_name="annotations")
    taxonomy = models.ForeignKey(Taxonomy, on_delete=models.PROTECT, related_name="+")
    labels = models.JSONField(default=list, blank=True, help_text="[{label, intensity}]")
    valence = models.FloatField(null=True, blank=True)
    arousal = models.FloatField(null=True, blank=True)
    shifts = models.JSONField(default=list, blank=True, help_text="[{at, from, to}]")
    note = models.TextField(blank=True)
    confidence = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)])
    suggestion_actions = models.JSONField(default=dict, blank=True, help_text="label -> accepted|edited|rejected")
    no_emotion = models.BooleanField(
        default=False, help_text='An explicit "no emotion on this turn" decision (labels stay empty).'
    )
    skipped = models.BooleanField(default=False, help_text="The annotator skipped this turn; it is no judgement.")
    needs_recheck = models.BooleanField(
        default=False, help_text="The turn was split or merged by an accepted correction; the labels were carried over."
    )
    skip_reason = models.CharField(max_length=TURN_SKIP_REASON_MAX, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic-concurrency version; stale writes get 409.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = TurnAnnotationQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assignment", "turn"], name="annotation_assignment_turn_unique")]

    def __str__(self) -> str:
        return f"annotation of turn {self.turn_id} in assignment {self.assignment_id} (v{self.version})"

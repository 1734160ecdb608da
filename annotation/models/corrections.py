"""Corrections of turns: applied revisions (undoable) and proposals awaiting a reviewer."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .calls import Call, Turn


class TurnRevision(models.Model):
    """One human correction of the machine's turns (boundaries, split, merge, speaker), with who
    made it and the turn(s) before and after, so every correction can be audited or undone."""

    class Action(models.TextChoices):
        ADJUST = "adjust", "Adjust start/end"
        SPLIT = "split", "Split"
        MERGE = "merge", "Merge with next"
        SPEAKER = "speaker", "Reassign speaker"
        TEXT = "text", "Correct the transcript"
        UNDO = "undo", "Undo a correction"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="turn_revisions")
    action = models.CharField(max_length=10, choices=Action.choices)
    before = models.JSONField()
    after = models.JSONField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    undone_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="undoes", help_text="The undo row."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["call", "created_at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on call {self.call_id} by {self.user}"


class CorrectionProposal(models.Model):
    """An annotator's (or manager's) proposed correction of a turn. It changes nothing for anyone
    until a reviewer accepts it; then it is applied (a TurnRevision, with undo) for everyone."""

    class Action(models.TextChoices):
        ADJUST = "adjust", "Move the boundaries"
        SPLIT = "split", "Split"
        MERGE = "merge", "Merge with next"
        SPEAKER = "speaker", "Reassign speaker"
        TEXT = "text", "Correct the transcript"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="correction_proposals")
    turn = models.ForeignKey(Turn, null=True, on_delete=models.SET_NULL, related_name="proposals")
    action = models.CharField(max_length=10, choices=Action.choices)
    params = models.JSONField(default=dict, blank=True, help_text="start/end, at, speaker id or text, by action")
    base_revision = models.PositiveIntegerField(help_text="The turn revision the proposer saw.")
    before = models.JSONField(default=list, help_text="The turn(s) as the proposer saw them.")
    after = models.JSONField(default=list, help_text="The turn(s) as the correction would leave them.")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.TextField(blank=True)
    revision = models.OneToOneField(
        TurnRevision, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposal"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["call", "created_at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} of turn {self.turn_id} by {self.proposed_by} ({self.status})"

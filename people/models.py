"""Invitations: how a person joins Annotera without anyone touching the Django admin."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Invitation(models.Model):
    """An email invitation to join with one role (and, optionally, projects).

    The link carries a signed (id, nonce) pair; only the nonce's SHA-256 is stored, so a leaked
    database does not leak working links. Resending draws a new nonce: the older link stops working.
    """

    class Role(models.TextChoices):
        ANNOTATOR = "annotator", "Annotator"
        QA_REVIEWER = "qa_reviewer", "QA reviewer"
        PROJECT_MANAGER = "project_manager", "Project manager"

    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    projects = models.ManyToManyField("annotation.Project", blank=True, related_name="invitations")
    token_hash = models.CharField(max_length=64, help_text="SHA-256 of the current link's nonce.")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()
    send_count = models.PositiveSmallIntegerField(default=1)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["email"], name="invitation_email_idx")]

    def __str__(self) -> str:
        return f"{self.email} as {self.get_role_display()} ({self.status})"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"

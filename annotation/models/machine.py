"""The machine pass's jobs, and the suggestion models and calibrations learned per project."""

from __future__ import annotations

import uuid

from django.db import models

from .calls import Call
from .projects import Project


class ProcessingJob(models.Model):
    """One stage of the machine pass for one call: the unit of progress, retry and recovery."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="jobs")
    stage = models.CharField(max_length=32)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.FloatField(default=0.0, help_text="0..100")
    message = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    lease = models.UUIDField(
        default=uuid.uuid4, help_text="Token of the current attempt; stale deliveries are dropped."
    )
    model_version = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["call", "queued_at"]
        constraints = [models.UniqueConstraint(fields=["call", "stage"], name="job_call_stage_unique")]

    def __str__(self) -> str:
        return f"{self.stage} for call {self.call_id}: {self.status}"


class SuggestionModel(models.Model):
    """A per-project model learned from the annotators, versioned, with its held-out score next to
    the rule prior's on the same turns. It serves suggestions only while it is ``active``."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="suggestion_models")
    version = models.PositiveIntegerField()
    trained_on = models.PositiveIntegerField(help_text="annotated turns used for training")
    held_out = models.PositiveIntegerField(help_text="annotated turns (from other calls) used for scoring")
    learned_alpha = models.FloatField(null=True, blank=True)
    rules_alpha = models.FloatField(null=True, blank=True)
    active = models.BooleanField(default=False)
    weights = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-version"]
        constraints = [models.UniqueConstraint(fields=["project", "version"], name="suggestion_model_version_unique")]

    def __str__(self) -> str:
        return f"{self.project} model v{self.version} ({'active' if self.active else 'inactive'})"

    @property
    def model_version(self) -> str:
        return f"learned-{self.project.slug}-v{self.version}"


class SuggestionCalibration(models.Model):
    """A recalibration of the rules' confidence against this project's annotators (Platt scaling,
    fitted on some calls, judged on others). It is applied only while ``active``, and it becomes
    active only if it lowered the expected calibration error on the held-out calls."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="suggestion_calibrations")
    version = models.PositiveIntegerField()
    params = models.JSONField(help_text='{"pooled": [a, b], "labels": {"anger": [a, b]}}')
    fitted_on = models.PositiveIntegerField(help_text="suggested labels used for fitting")
    held_out = models.PositiveIntegerField(help_text="suggested labels (on other calls) used for judging")
    ece_before = models.FloatField(null=True, blank=True)
    ece_after = models.FloatField(null=True, blank=True)
    active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="suggestion_calibration_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.project} calibration v{self.version} ({'active' if self.active else 'inactive'})"

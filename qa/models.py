"""Agreement reports, adjudications and dataset snapshots (gold calls belong to the call:
``annotation.models.GoldCall``)."""

from django.conf import settings
from django.db import models

from annotation.models import Project, Turn


class AgreementReport(models.Model):
    """A cached agreement report for one project and one set of filters (``key`` is the filters
    as canonical JSON). ``stale`` = annotations changed since it was computed; ``queued_at`` =
    a recompute is queued and not started yet (so edits enqueue at most one)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="agreement_reports")
    key = models.CharField(max_length=500, default="{}", help_text="The filters as canonical JSON.")
    filters = models.JSONField(default=dict, blank=True)
    report = models.JSONField(default=dict, blank=True)
    stale = models.BooleanField(default=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True, help_text="How long the last computation took.")
    progress = models.FloatField(default=0.0, help_text="0..100 while a computation runs.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-computed_at"]
        constraints = [models.UniqueConstraint(fields=["project", "key"], name="one_agreement_report_per_filters")]

    def __str__(self) -> str:
        return f"agreement report for {self.project} ({self.computed_at or 'not computed'})"


class Adjudication(models.Model):
    """A reviewer's resolution of a turn: the consensus of record. ``taxonomy``: the version its
    labels belong to, so readers map it into the version they read in (as annotations are)."""

    turn = models.ForeignKey(Turn, on_delete=models.CASCADE, related_name="adjudications")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    taxonomy = models.ForeignKey(
        "taxonomy.Taxonomy",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The taxonomy version the labels are in (empty: recorded before versions were stored).",
    )
    labels = models.JSONField(default=list, blank=True)
    valence = models.FloatField(null=True, blank=True)
    arousal = models.FloatField(null=True, blank=True)
    shifts = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["turn", "-created_at"]

    def __str__(self) -> str:
        return f"adjudication of turn {self.turn_id}"


class ExportSnapshot(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        BUILDING = "building", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="snapshots")
    taxonomy = models.ForeignKey(
        "taxonomy.Taxonomy",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The taxonomy version the labels are read in (the project's pinned version at creation).",
    )
    formats = models.JSONField(default=list)
    filters = models.JSONField(default=dict, blank=True)
    split_seed = models.IntegerField(default=0, help_text="Seed of the train/dev/test split; same seed, same split.")
    split_ratios = models.JSONField(default=list, blank=True, help_text="[train, dev, test] shares; [] = no split.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    message = models.CharField(max_length=255, blank=True)
    manifest = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    datacard = models.JSONField(default=dict, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of the build.")
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"snapshot {self.pk} of {self.project} ({self.status})"

    def save(self, *args, **kwargs) -> None:
        # Immutable once built: its files, manifest and counts are what was released.
        if self.pk and ExportSnapshot.objects.filter(pk=self.pk, status=self.Status.READY).exists():
            raise ValueError(f"snapshot {self.pk} is built and cannot change; make a new snapshot instead")
        super().save(*args, **kwargs)

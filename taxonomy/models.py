"""Versioned emotion taxonomies: labels (a hierarchy) plus dimensions (intensity, valence, arousal)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

key_validator = RegexValidator(r"^[a-z][a-z0-9_]{0,63}$", "Use lower-case letters, digits and _ (start with a letter).")
colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1f77b4.")


class Taxonomy(models.Model):
    """One version of a client's label set. Published versions are frozen; edits make a new draft."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    slug = models.SlugField(max_length=80, help_text="Stable name shared by all versions.")
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    description = models.TextField(blank=True)
    derived_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    evidence_map = models.JSONField(
        default=dict,
        blank=True,
        help_text='How machine evidence maps to labels: {"cues": {"loud": ["anger"], ...}, '
        '"valence": {"negative": [...], "positive": [...]}}. Empty: the built-in call-centre map.',
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["slug", "-version"]
        constraints = [models.UniqueConstraint(fields=["slug", "version"], name="taxonomy_slug_version_unique")]
        verbose_name_plural = "taxonomies"

    def __str__(self) -> str:
        return f"{self.name} v{self.version} ({self.status})"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class Label(models.Model):
    taxonomy = models.ForeignKey(Taxonomy, on_delete=models.CASCADE, related_name="labels")
    key = models.CharField(max_length=64, validators=[key_validator])
    name = models.CharField(max_length=120)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    definition = models.TextField()
    examples = models.JSONField(default=list, blank=True, help_text="Example utterances, a list of strings.")
    colour = models.CharField(max_length=7, default="#888888", validators=[colour_validator])
    hotkey = models.CharField(max_length=1, blank=True)
    notes = models.TextField(blank=True, help_text="Cultural and usage notes for annotators.")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["taxonomy", "order", "key"]
        constraints = [models.UniqueConstraint(fields=["taxonomy", "key"], name="label_taxonomy_key_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"

    def clean(self) -> None:
        if self.parent_id and self.parent.taxonomy_id != self.taxonomy_id:
            raise ValidationError({"parent": "The parent label must belong to the same taxonomy version."})


class Dimension(models.Model):
    """A scale: per-label intensity (ordinal) or per-turn valence/arousal (interval)."""

    class Kind(models.TextChoices):
        ORDINAL = "ordinal", "Ordinal"
        INTERVAL = "interval", "Interval"

    class Scope(models.TextChoices):
        LABEL = "label", "Per label"
        TURN = "turn", "Per turn"

    taxonomy = models.ForeignKey(Taxonomy, on_delete=models.CASCADE, related_name="dimensions")
    key = models.CharField(max_length=64, validators=[key_validator])
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.TURN)
    minimum = models.FloatField()
    maximum = models.FloatField()
    step = models.FloatField(default=1.0)
    anchors = models.JSONField(default=dict, blank=True, help_text='Anchor texts by value, e.g. {"1": "barely"}.')

    class Meta:
        ordering = ["taxonomy", "key"]
        constraints = [models.UniqueConstraint(fields=["taxonomy", "key"], name="dimension_taxonomy_key_unique")]

    def __str__(self) -> str:
        return f"{self.name} [{self.minimum:g}..{self.maximum:g}]"

    def clean(self) -> None:
        if self.maximum <= self.minimum:
            raise ValidationError({"maximum": "The maximum must be above the minimum."})
        if self.step <= 0:
            raise ValidationError({"step": "The step must be positive."})

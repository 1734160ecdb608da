"""Projects: their settings, members, and the record of taxonomy changes."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from taxonomy.models import Taxonomy

from ..matching import language_name
from ..pipeline.whisper_languages import WHISPER_LANGUAGES


def validate_spoken_languages(value) -> None:
    """A list of distinct Whisper language codes (``pipeline.whisper_languages``)."""
    if not isinstance(value, list):
        raise ValidationError("Give the languages as a list of codes, e.g. ['en', 'es'].")
    unknown = [str(code) for code in value if code not in WHISPER_LANGUAGES]
    if unknown:
        raise ValidationError(f"Not language codes the speech models know: {', '.join(unknown)}.")
    if len(set(value)) != len(value):
        raise ValidationError("A language is listed twice.")


class Project(models.Model):
    class LocaleMatch(models.TextChoices):
        REQUIRED = "required", "Required"
        PREFERRED = "preferred", "Preferred"
        IGNORED = "ignored", "Ignored"

    class ChannelLayout(models.TextChoices):
        AGENT_LEFT = "agent,customer", "Dual-channel: left = agent, right = customer"
        CUSTOMER_LEFT = "customer,agent", "Dual-channel: left = customer, right = agent"

    class Proficiency(models.TextChoices):
        NATIVE = "native", "Native"
        FLUENT = "fluent", "Fluent"
        WORKING = "working", "Working"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    taxonomy = models.ForeignKey(
        Taxonomy, on_delete=models.PROTECT, related_name="projects", help_text="The pinned, published version."
    )
    overlap_k = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(20)], help_text="Annotators per call."
    )
    blind_share = models.FloatField(
        default=0.1,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Share of assignments shown without suggestions.",
    )
    required_proficiency = models.CharField(max_length=10, choices=Proficiency.choices, default=Proficiency.FLUENT)
    locale_match = models.CharField(max_length=10, choices=LocaleMatch.choices, default=LocaleMatch.PREFERRED)
    channel_layout = models.CharField(
        max_length=20,
        choices=ChannelLayout.choices,
        default=ChannelLayout.AGENT_LEFT,
        help_text="Default role per channel for dual-channel uploads (an upload may override it).",
    )
    spoken_languages = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_spoken_languages],
        help_text="Languages the calls are in (Whisper codes): language identification chooses among them, "
        "one language skips it. Empty: any language (the LANGUAGE_CANDIDATES setting, if set).",
    )
    # Anchoring controls (see annotation/suggestion_modes.py): each assignment keeps a copy of
    # both as they were when it was created, so a later change never rewrites history.
    reveal_suggestions_after_play = models.BooleanField(
        default=False, help_text="A turn's suggestions appear only after the annotator has played that turn once."
    )
    hide_suggestion_confidence = models.BooleanField(
        default=False, help_text="Annotators see suggested labels and intensities but no confidence numbers."
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="ProjectMembership", related_name="projects")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def spoken_languages_display(self) -> str:
        return ", ".join(language_name(code) for code in self.spoken_languages) or "any language"


class TaxonomyChange(models.Model):
    """A project moved from one taxonomy version to another, with the explicit label mapping.

    Annotations keep the version they were made with; this mapping is how old label keys are
    read in the new version's terms (renames, merges, splits).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="taxonomy_changes")
    from_taxonomy = models.ForeignKey(Taxonomy, on_delete=models.PROTECT, related_name="+")
    to_taxonomy = models.ForeignKey(Taxonomy, on_delete=models.PROTECT, related_name="+")
    mapping = models.JSONField(help_text="old label key -> list of new label keys ([] = dropped)")
    report = models.JSONField(default=dict)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-created_at"]

    def __str__(self) -> str:
        return f"{self.project}: {self.from_taxonomy} -> {self.to_taxonomy}"


class ProjectMembership(models.Model):
    """Who manages, reviews or annotates in a project; access control is scoped by it."""

    class Role(models.TextChoices):
        MANAGER = "manager", "Project manager"
        REVIEWER = "reviewer", "QA reviewer"
        ANNOTATOR = "annotator", "Annotator"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user", "role"], name="membership_project_user_role_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} in {self.project}"

"""Calls and what the machine pass makes of them: speakers, turns, suggestions; gold status."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from .projects import Project

AUDIO_EXTENSIONS = ("wav", "flac", "mp3", "m4a", "ogg")  # one per container that uploads accept


def call_audio_path(instance: Call, filename: str) -> str:
    """Never a path or an extension from the client: a fresh uuid, and the extension of the
    container sniffed from the contents (``call_upload`` passes ``call.<kind>``); anything else
    is stored as ``.bin``."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    suffix = suffix if suffix in AUDIO_EXTENSIONS else "bin"
    return f"calls/{instance.project_id}/{uuid.uuid4().hex}.{suffix}"


class Call(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready to annotate"
        FAILED = "failed", "Failed"

    class Failure(models.TextChoices):
        """Why the machine pass failed, recorded where it failed: whether Retry can help."""

        CRASHED = "crashed", "Crashed, stopped responding or lost its output"  # may go through next time
        SETTINGS = "settings", "A server setting is wrong"  # goes through once an administrator fixes it
        NO_SPEECH = "no_speech", "No speech in the recording"
        BAD_AUDIO = "bad_audio", "The audio file cannot be used"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="calls")
    audio = models.FileField(upload_to=call_audio_path, max_length=300)
    original_name = models.CharField(max_length=255, help_text="The uploaded file name, for display only.")
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField(default=0)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds.")
    sample_rate = models.PositiveIntegerField(null=True, blank=True)
    channels = models.PositiveSmallIntegerField(null=True, blank=True)
    channel_roles = models.JSONField(
        default=list, blank=True, help_text='Role per channel for dual-channel calls, e.g. ["agent", "customer"].'
    )
    language = models.CharField(max_length=16, blank=True, help_text="Detected majority language (ISO 639-1).")
    language_override = models.CharField(max_length=16, blank=True)
    coverage = models.FloatField(
        null=True, blank=True, help_text="Share of the speech the VAD found that lies inside turns (0..1)."
    )
    locale = models.CharField(max_length=35, blank=True, help_text="Caller locale or region (BCP 47), e.g. en-IN.")
    metadata = models.JSONField(default=dict, blank=True)
    words = models.JSONField(
        default=list,
        blank=True,
        help_text="Every recognised word of the call [{w, s, e, p, spk}], whichever turn holds it now: "
        "turn text is derived from these, so a boundary move never deletes a word. Empty until the "
        "first correction (the turns' own words are the machine's, until then).",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    error = models.TextField(blank=True)
    failure = models.CharField(
        max_length=16,
        choices=Failure.choices,
        blank=True,
        help_text="Why the machine pass failed (empty unless it did, or failed before this was recorded).",
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["project", "sha256"], name="call_project_sha256_unique")]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def coverage_percent(self) -> float | None:
        return None if self.coverage is None else round(100 * self.coverage, 1)

    @property
    def retry_can_help(self) -> bool:
        """Whether running the failed machine pass again may succeed: not when the audio itself is
        at fault (the same audio would fail the same way). An unknown reason: it may."""
        return self.status == self.Status.FAILED and self.failure not in FAILURE_ADVICE

    @property
    def failure_advice(self) -> str:
        """What to do instead of a retry that cannot help ("" when a retry may)."""
        return FAILURE_ADVICE.get(self.failure, "") if self.status == self.Status.FAILED else ""

    @property
    def effective_language(self) -> str:
        return self.language_override or self.language

    def clear_machine_output(self) -> None:
        """Remove everything the machine pass made for this call (suggestions, turns, speakers)."""
        Suggestion.objects.filter(turn__call=self).delete()
        Turn.objects.filter(call=self).delete()
        Speaker.objects.filter(call=self).delete()


# The failures of the audio itself, and what to do about them; a retry would read the same audio.
FAILURE_ADVICE = {
    Call.Failure.NO_SPEECH: "Retrying cannot help: the same audio would be read again. Check that this is the right "
    "recording and that people can be heard in it (not only music, hold tones or noise), then upload another file "
    "of the call.",
    Call.Failure.BAD_AUDIO: "Retrying cannot help: the same file would be read again. Check the file (it may be "
    "damaged, or beyond the upload limits), then upload another file of the call.",
}


class GoldCall(models.Model):
    """A fully adjudicated call that QA marked as a reference: the queue mixes it blind into
    annotators' work (``assignment.gold_assignment_mix``) and QA scores them against it."""

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="gold")
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"gold: {self.call}"


class Speaker(models.Model):
    class Role(models.TextChoices):
        AGENT = "agent", "Agent"
        CUSTOMER = "customer", "Customer"
        UNKNOWN = "unknown", "Unknown"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="speakers")
    label = models.CharField(max_length=32, help_text="Machine label, e.g. SPEAKER_00 or CH0.")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.UNKNOWN)
    channel = models.PositiveSmallIntegerField(null=True, blank=True)
    name = models.CharField(max_length=120, blank=True)
    baseline = models.JSONField(default=dict, blank=True, help_text="Prosody baseline: feature -> median, spread.")

    class Meta:
        ordering = ["call", "label"]
        constraints = [models.UniqueConstraint(fields=["call", "label"], name="speaker_call_label_unique")]

    def __str__(self) -> str:
        return f"{self.label} ({self.role})"


class Turn(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="turns")
    speaker = models.ForeignKey(Speaker, on_delete=models.CASCADE, related_name="turns")
    order = models.PositiveIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    text = models.TextField(blank=True)
    words = models.JSONField(default=list, blank=True, help_text="[{w, s, e, p}] word, start, end, probability.")
    language = models.CharField(max_length=16, blank=True)
    language_confidence = models.FloatField(null=True, blank=True)
    code_switch = models.BooleanField(default=False, help_text="Language differs from the call's majority.")
    untranscribed = models.BooleanField(
        default=False, help_text="Speech where recognition found no word: the text is for an annotator to type."
    )
    prosody = models.JSONField(default=dict, blank=True)
    revision = models.PositiveIntegerField(default=1, help_text="Bumped by every human boundary/speaker correction.")

    class Meta:
        ordering = ["call", "order"]
        constraints = [models.UniqueConstraint(fields=["call", "order"], name="turn_call_order_unique")]

    def __str__(self) -> str:
        return f"turn {self.order} [{self.start:.2f}-{self.end:.2f}]"


class Suggestion(models.Model):
    turn = models.ForeignKey(Turn, on_delete=models.CASCADE, related_name="suggestions")
    labels = models.JSONField(default=list, help_text="[{label, intensity, confidence}]")
    valence = models.FloatField(null=True, blank=True)
    arousal = models.FloatField(null=True, blank=True)
    shifts = models.JSONField(default=list, blank=True)
    rationale = models.TextField(blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    model_version = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["turn", "-created_at"]

    def __str__(self) -> str:
        return f"suggestion for turn {self.turn_id} ({self.model_version})"

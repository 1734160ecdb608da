"""Projects, calls and what the machine pass and the annotators make of them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from taxonomy.models import Taxonomy


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
    def effective_language(self) -> str:
        return self.language_override or self.language

    def clear_machine_output(self) -> None:
        """Remove everything the machine pass made for this call (suggestions, turns, speakers)."""
        Suggestion.objects.filter(turn__call=self).delete()
        Turn.objects.filter(call=self).delete()
        Speaker.objects.filter(call=self).delete()


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
    skip_reason = models.TextField(blank=True)
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
    skip_reason = models.CharField(max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic-concurrency version; stale writes get 409.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = TurnAnnotationQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assignment", "turn"], name="annotation_assignment_turn_unique")]

    def __str__(self) -> str:
        return f"annotation of turn {self.turn_id} in assignment {self.assignment_id} (v{self.version})"


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

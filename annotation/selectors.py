"""Reads: what a user may see, and how far each call's machine pass has got."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from annotera.models import AuditEvent
from annotera.roles import ADMIN, ANNOTATOR, PROJECT_MANAGER, QA_REVIEWER, user_role

from .models import Assignment, Call, ProcessingJob, Project, ProjectMembership, Suggestion, Turn, TurnAnnotation
from .pipeline.diarize import words_to_spans
from .pipeline.types import Word
from .stage_registry import stage_names, stage_spec


def projects_visible_to(user) -> QuerySet[Project]:
    role = user_role(user)
    if role == ADMIN:
        return Project.objects.all()
    if role in (PROJECT_MANAGER, QA_REVIEWER):
        wanted = ProjectMembership.Role.MANAGER if role == PROJECT_MANAGER else ProjectMembership.Role.REVIEWER
        return Project.objects.filter(memberships__user=user, memberships__role=wanted).distinct()
    if role == ANNOTATOR:
        return Project.objects.filter(calls__assignments__annotator=user).distinct()
    return Project.objects.none()


def projects_managed_by(user) -> QuerySet[Project]:
    role = user_role(user)
    if role == ADMIN:
        return Project.objects.all()
    if role == PROJECT_MANAGER:
        return Project.objects.filter(
            memberships__user=user, memberships__role=ProjectMembership.Role.MANAGER
        ).distinct()
    return Project.objects.none()


def calls_visible_to(user) -> QuerySet[Call]:
    if user_role(user) == ANNOTATOR:
        return Call.objects.filter(assignments__annotator=user).distinct()
    return Call.objects.filter(project__in=projects_visible_to(user))


def project_call_counts(project: Project) -> dict[str, int]:
    counts = project.calls.aggregate(
        total=Count("id"),
        **{status: Count("id", filter=Q(status=status)) for status in Call.Status.values},
    )
    return counts


def project_coverage(project: Project) -> dict[str, int]:
    """Annotator slots of the ready calls: wanted (ready calls x k) and filled (each ready call
    counts at most k of its active assignments); ``beyond``: active assignments past k on a ready
    call (added by hand, or before k was lowered), which fill no slot; submitted and skipped
    count every assignment. A plain count of assignments said "9 of 3 slots assigned"."""
    k = project.overlap_k
    per_call = (
        Assignment.objects.filter(call__project=project, call__status=Call.Status.READY)
        .exclude(status=Assignment.Status.SKIPPED)
        .values("call_id")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    active = list(per_call)
    ready = project.calls.filter(status=Call.Status.READY).count()
    counts = Assignment.objects.filter(call__project=project).aggregate(
        submitted=Count("id", filter=Q(status=Assignment.Status.SUBMITTED)),
        skipped=Count("id", filter=Q(status=Assignment.Status.SKIPPED)),
    )
    return {
        "wanted": ready * k,
        "filled": sum(min(n, k) for n in active),
        "beyond": sum(max(0, n - k) for n in active),
        **counts,
    }


@dataclass(frozen=True)
class StageProgress:
    stage: str
    title: str
    status: str  # queued | running | succeeded | failed | pending (no job yet)
    progress: float
    message: str
    seconds: float | None
    attempts: int
    error: str


def call_stage_progress(call: Call) -> list[StageProgress]:
    jobs = {job.stage: job for job in call.jobs.all()}
    rows = []
    for name in stage_names():
        job: ProcessingJob | None = jobs.get(name)
        title = stage_spec(name).title
        if job is None:
            rows.append(StageProgress(name, title, "pending", 0.0, "", None, 0, ""))
        else:
            # A finished stage's note for people (``result["note"]``) outlasts its progress messages.
            message = (job.result or {}).get("note") or job.message
            rows.append(
                StageProgress(name, title, job.status, job.progress, message, job.seconds, job.attempts, job.error)
            )
    return rows


def call_overall_progress(call: Call) -> float:
    rows = call_stage_progress(call)
    return round(sum(100.0 if r.status == "succeeded" else r.progress for r in rows) / len(rows), 1)


def call_speaker_spans(call: Call) -> list[tuple[str, float, float]]:
    """(speaker label, start, end) spans of a call's speech from its turns' words (RTTM-like)."""
    words = [
        Word.from_dict(w, speaker=turn.speaker.label)
        for turn in call.turns.select_related("speaker").order_by("order")
        for w in turn.words
    ]
    words.sort(key=lambda w: w.start)
    return [(s.speaker, s.start, s.end) for s in words_to_spans(words)]


def suggestions_for_assignment(assignment: Assignment):
    """The machine suggestions an assignment may see: none at all for a blind assignment, so
    nothing about them can reach the browser."""
    if assignment.blind:
        return Suggestion.objects.none()
    return Suggestion.objects.filter(turn__call_id=assignment.call_id).select_related("turn").order_by("turn__order")


def suggestion_acceptance_rates(project: Project) -> dict[str, dict[str, float]]:
    """Per label: how often annotators accepted, edited or rejected a suggested label, from the
    actions the workspace stores on each TurnAnnotation (``suggestion_actions``)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for actions in TurnAnnotation.objects.filter(
        assignment__call__project=project, assignment__blind=False
    ).values_list("suggestion_actions", flat=True):
        for label, action in (actions or {}).items():
            counts[label][action] += 1
    return {
        label: {
            "n": sum(c.values()),
            **{action: c[action] / sum(c.values()) for action in ("accepted", "edited", "rejected")},
        }
        for label, c in sorted(counts.items())
    }


def assignments_visible_to(user) -> QuerySet[Assignment]:
    """Annotators: their own assignments. Reviewers and managers: those of their projects."""
    if user_role(user) == ANNOTATOR:
        return Assignment.objects.filter(annotator=user)
    return Assignment.objects.filter(call__project__in=projects_visible_to(user))


def turns_visible_to(user):
    return Turn.objects.filter(call__in=calls_visible_to(user))


def suggestions_for_call(user, call: Call):
    """A call's suggestions for reviewers and managers; annotators see suggestions only through
    a non-blind assignment of their own (``suggestions_for_assignment``)."""
    if user_role(user) not in (ADMIN, PROJECT_MANAGER, QA_REVIEWER):
        return Suggestion.objects.none()
    return Suggestion.objects.filter(turn__call=call).select_related("turn").order_by("turn__order", "pk")


def suggestions_visible_on_call(user, call: Call) -> QuerySet[Suggestion]:
    """The suggestions a call's page may show: through the user's own assignment (none if it
    is blind), else those reviewers and managers see (``suggestions_for_call``)."""
    mine = call.assignments.filter(annotator=user).first()
    if mine is not None:
        return suggestions_for_assignment(mine)
    return suggestions_for_call(user, call)


def taxonomies_pinned_for(user) -> QuerySet:
    """The ids of the taxonomy versions the user's projects pin (taxonomy's visibility rule
    for people without a managing role; registered in ``AnnotationConfig.ready``)."""
    return projects_visible_to(user).values("taxonomy")


def audit_events_visible_to(user):
    """Admins: every event. Managers: their projects' events and taxonomy events (taxonomies
    are shared by all projects and edited by managers). Everyone else: none."""
    role = user_role(user)
    if role == ADMIN:
        return AuditEvent.objects.all()
    if role == PROJECT_MANAGER:
        return AuditEvent.objects.filter(
            Q(project__in=projects_managed_by(user)) | Q(project__isnull=True, object_type="taxonomy.taxonomy")
        )
    return AuditEvent.objects.none()

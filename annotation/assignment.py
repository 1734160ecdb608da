"""Assignment services: run the matching engine on a project's calls, reassign, serve the queue."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from annotera import roles

from .matching import PROFICIENCY_RANK, Annotator, CallNeed, Gap, Rule, language_key, plan_assignments
from .models import AnnotatorProfile, Assignment, Call, GoldCall, Project, ProjectMembership

OPEN = (Assignment.Status.ASSIGNED, Assignment.Status.IN_PROGRESS)


@dataclass(frozen=True)
class AssignmentRun:
    created: int
    gaps: list[Gap]


def project_rule(project: Project) -> Rule:
    return Rule(
        overlap_k=project.overlap_k,
        required_proficiency=project.required_proficiency,
        locale_match=project.locale_match,
        blind_share=project.blind_share,
    )


# Roles that act above an annotator (``roles.PRIORITY``): someone holding one of them sees
# other people's labels and suggestions, so they are never given calls to label themselves.
OVERSEEING_ROLES = (roles.ADMIN, roles.PROJECT_MANAGER, roles.QA_REVIEWER)


def annotator_profiles():
    """Active annotator profiles of active users whose role is annotator (``roles.user_role``):
    a reviewer, project manager or admin who also keeps an annotator profile is left out, as
    their labels would be anchored by what they oversee (co-annotators' labels, suggestions)."""
    return (
        AnnotatorProfile.objects.filter(
            active=True, user__is_active=True, user__is_superuser=False, user__groups__name=roles.ANNOTATOR
        )
        .exclude(user__groups__name__in=OVERSEEING_ROLES)
        .select_related("user")
    )


def annotator_pool(project: Project | None = None) -> list[Annotator]:
    """Every active annotator (``annotator_profiles``) with today's remaining capacity and open
    load; for a project that has annotator members, only those members, and never one of its
    managers or reviewers."""
    today = timezone.localdate()
    profiles = annotator_profiles()
    if project is not None:
        members = project.memberships.filter(role=ProjectMembership.Role.ANNOTATOR).values_list("user_id", flat=True)
        if members.exists():
            profiles = profiles.filter(user_id__in=members)
        overseers = project.memberships.exclude(role=ProjectMembership.Role.ANNOTATOR).values_list("user_id", flat=True)
        profiles = profiles.exclude(user_id__in=overseers)
    user_ids = [p.user_id for p in profiles]
    open_load = dict(
        Assignment.objects.filter(annotator_id__in=user_ids, status__in=OPEN)
        .values_list("annotator_id")
        .annotate(n=Count("id"))
    )
    taken_today = dict(
        Assignment.objects.filter(annotator_id__in=user_ids, created_at__date=today)
        .values_list("annotator_id")
        .annotate(n=Count("id"))
    )
    pool = []
    for profile in profiles:
        languages = {
            language_key(item.get("code", "")): item.get("proficiency", "")
            for item in profile.languages
            if item.get("proficiency") in PROFICIENCY_RANK
        }
        pool.append(
            Annotator(
                id=profile.user_id,
                username=profile.user.get_username(),
                languages=languages,
                locales=frozenset(loc.lower() for loc in profile.locales),
                capacity=max(0, profile.daily_capacity - taken_today.get(profile.user_id, 0)),
                load=open_load.get(profile.user_id, 0),
            )
        )
    return pool


def _call_needs(project: Project, calls) -> list[CallNeed]:
    """Ready calls short of ``overlap_k`` annotators, oldest first, with who is on them already."""
    rows = list(
        calls.filter(status=Call.Status.READY)
        .annotate(n_assigned=Count("assignments", filter=~Q(assignments__status=Assignment.Status.SKIPPED)))
        .filter(n_assigned__lt=project.overlap_k)
        .order_by("created_at", "pk")
    )
    existing: dict[int, set[int]] = {}
    for call_id, annotator_id in Assignment.objects.filter(call__in=[c.pk for c in rows]).values_list(
        "call_id", "annotator_id"
    ):
        existing.setdefault(call_id, set()).add(annotator_id)
    return [
        CallNeed(
            id=call.pk,
            language=call.effective_language or "en",
            locale=call.locale,
            already=frozenset(existing.get(call.pk, ())),
            missing=project.overlap_k - call.n_assigned,
        )
        for call in rows
    ]


def assignments_run(*, project: Project, calls=None) -> AssignmentRun:
    """Assign every ready call of the project that has fewer than k annotators (or ``calls``).

    Idempotent: a call already covered gets nothing more; a second run only fills gaps.
    """
    with transaction.atomic():
        # One run at a time per project: lock the project row.
        Project.objects.select_for_update().get(pk=project.pk)
        needs = _call_needs(project, calls if calls is not None else project.calls.all())
        totals = Assignment.objects.filter(call__project=project).aggregate(
            total=Count("id"), blind=Count("id", filter=Q(blind=True))
        )
        plan = plan_assignments(
            needs,
            annotator_pool(project),
            project_rule(project),
            blind_seen=totals["blind"],
            total_seen=totals["total"],
        )
        Assignment.objects.bulk_create(
            [
                Assignment(call_id=d.call_id, annotator_id=d.annotator_id, blind=d.blind, explanation=d.explanation)
                for d in plan.decisions
            ],
            batch_size=1000,
        )
    return AssignmentRun(created=len(plan.decisions), gaps=plan.gaps)


# How long after a call turns ready its page waits for the automatic assignment (the
# ``assign_call`` task queued then, which may sit behind long machine-pass jobs on the workers)
# before it stops expecting one: the task leaves no row, and a lost message must not keep the
# page polling for ever.
ASSIGN_WAIT_SECONDS = 600.0


def call_assignment_pending(call: Call) -> bool:
    """Whether the automatic assignment of a ready call is still to come: the call has no
    assignment yet, it turned ready less than ``ASSIGN_WAIT_SECONDS`` ago, and a run now would
    give it someone (a dry run of ``assignments_run``'s plan, writing nothing). False when the
    matching finds nobody, so the page says why instead of waiting."""
    if call.status != Call.Status.READY or call.assignments.exists():
        return False
    ready_at = call.jobs.aggregate(at=Max("finished_at"))["at"] or call.updated_at
    if ready_at is None or (timezone.now() - ready_at).total_seconds() > ASSIGN_WAIT_SECONDS:
        return False
    project = call.project
    needs = _call_needs(project, Call.objects.filter(pk=call.pk))
    if not needs:
        return False
    plan = plan_assignments(needs, annotator_pool(project), project_rule(project), blind_seen=0, total_seen=0)
    return bool(plan.decisions)


def assignment_reassign(*, assignment: Assignment, annotator) -> Assignment:
    """Move an open assignment to another annotator (a project manager's override)."""
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.status not in OPEN:
            raise ValidationError("Only an open assignment can be reassigned; this one is already finished.")
        if locked.turn_annotations.exists():
            raise ValidationError("This assignment already has annotations; skip it instead of reassigning.")
        if Assignment.objects.filter(call_id=locked.call_id, annotator=annotator).exists():
            raise ValidationError(f"{annotator} already has this call; one annotator never gets a call twice.")
        if not AnnotatorProfile.objects.filter(user=annotator, active=True).exists():
            raise ValidationError(f"{annotator} has no active annotator profile.")
        if roles.user_role(annotator) != roles.ANNOTATOR:
            raise ValidationError(
                f"{annotator} is not an annotator ({roles.ROLE_NAMES.get(roles.user_role(annotator), 'no role')}); "
                "only annotators are given calls to label."
            )
        if (
            locked.call.project.memberships.filter(user=annotator)
            .exclude(role=ProjectMembership.Role.ANNOTATOR)
            .exists()
        ):
            raise ValidationError(f"{annotator} manages or reviews this project; only its annotators label its calls.")
        previous = locked.annotator
        locked.annotator = annotator
        locked.explanation = f"reassigned by a project manager from {previous}"
        locked.save(update_fields=["annotator", "explanation"])
        return locked


# Gold calls mixed into each annotator's queue: at most this many per non-gold assignment.
GOLD_SHARE = 0.1


def gold_assignment_mix(*, user, share: float = GOLD_SHARE) -> Assignment | None:
    """Give the annotator one gold call when their gold assignments are below ``share`` of the
    others: a ready gold call of a project they already work on, that they have not seen, blind
    (no suggestions), and otherwise an assignment like any other, so it cannot be told apart in
    the queue. Returns the new assignment, or None."""
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()  # one mix at a time per annotator
        mine = Assignment.objects.filter(annotator=user)
        counts = mine.aggregate(total=Count("id"), gold=Count("id", filter=Q(call__gold__isnull=False)))
        if counts["gold"] + 1 > share * (counts["total"] - counts["gold"]):
            return None
        candidate = (
            GoldCall.objects.filter(
                call__project_id__in=mine.values("call__project_id"), call__status=Call.Status.READY
            )
            .exclude(call_id__in=Assignment.objects.filter(annotator=user).values("call_id"))
            .order_by("created_at", "pk")
            .first()
        )
        if candidate is None:
            return None
        return Assignment.objects.create(
            call_id=candidate.call_id,
            annotator=user,
            blind=True,
            explanation="gold check (blind): scored against the adjudicated labels",
        )


def assignment_start(*, assignment: Assignment) -> None:
    """The annotator opened their task or saved into it: an assigned task becomes in progress
    (a submitted or skipped one stays as it is; the status is checked in the same UPDATE)."""
    Assignment.objects.filter(pk=assignment.pk, status=Assignment.Status.ASSIGNED).update(
        status=Assignment.Status.IN_PROGRESS
    )


def assignment_next(*, user) -> Assignment | None:
    """The annotator's next task: what they started, else the oldest assigned call (gold calls
    are mixed in first, see ``gold_assignment_mix``)."""
    gold_assignment_mix(user=user)
    mine = Assignment.objects.filter(annotator=user, status__in=OPEN, call__status=Call.Status.READY)
    return (
        mine.filter(status=Assignment.Status.IN_PROGRESS).order_by("created_at").first()
        or mine.order_by("created_at", "pk").first()
    )


def matching_gaps(project: Project) -> list[dict]:
    """Calls short of annotators, grouped by language and locale, with the engine's reason."""
    plan_gaps = plan_assignments(
        _call_needs(project, project.calls.all()), annotator_pool(project), project_rule(project)
    ).gaps
    grouped: Counter[tuple[str, str, str]] = Counter()
    for gap in plan_gaps:
        grouped[(gap.language, gap.locale, gap.reason)] += gap.missing
    return [
        {"language": language, "locale": locale, "reason": reason, "missing": missing}
        for (language, locale, reason), missing in sorted(grouped.items(), key=lambda kv: -kv[1])
    ]

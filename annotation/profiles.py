"""Annotator profiles: filled in by the annotators themselves at first login, corrected by
project managers; every save is audited and put to work at once (assignment runs after commit)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from annotera import roles
from annotera.audit import audit_record

from .assignment import assignments_run
from .models import AnnotatorProfile, Project, ProjectMembership

PROFILE_FIELDS = ("languages", "locales", "cultural_background", "daily_capacity", "active")


def profile_needs_filling(user) -> bool:
    """An annotator who has not yet said which languages they work in."""
    if roles.user_role(user) != roles.ANNOTATOR:
        return False
    profile = AnnotatorProfile.objects.filter(user=user).first()
    return profile is None or not profile.languages


def _snapshot(profile: AnnotatorProfile | None) -> dict | None:
    return {f: getattr(profile, f) for f in PROFILE_FIELDS} if profile else None


def annotator_profile_update(
    *,
    user,
    actor,
    languages: list[dict],
    locales: list[str],
    cultural_background: str,
    daily_capacity: int,
    active: bool | None = None,
) -> AnnotatorProfile:
    """Save a profile (the annotator's own, or a manager's correction) and put it to work at once:
    after commit, the annotator's projects run assignment so waiting calls reach them."""
    if roles.user_role(user) != roles.ANNOTATOR:
        raise ValidationError(f"{user.get_username()} is not an annotator.")
    if not languages:
        raise ValidationError("Give at least one language.")
    with transaction.atomic():
        profile = AnnotatorProfile.objects.select_for_update().filter(user=user).first()
        before = _snapshot(profile)
        first_time = profile is None or not profile.languages
        profile = profile or AnnotatorProfile(user=user)
        profile.languages = languages
        profile.locales = locales
        profile.cultural_background = cultural_background
        profile.daily_capacity = daily_capacity
        if active is not None:
            profile.active = active
        elif first_time:
            profile.active = True  # filled in: ready for work
        profile.full_clean()
        profile.save()
        audit_record(actor=actor, action="profile.update", obj=profile, before=before, after=_snapshot(profile))
        project_ids = list(
            ProjectMembership.objects.filter(user=user, role=ProjectMembership.Role.ANNOTATOR).values_list(
                "project_id", flat=True
            )
        )
        transaction.on_commit(lambda: _assign_projects(project_ids))
    return profile


def _assign_projects(project_ids: list[int]) -> None:
    for project in Project.objects.filter(pk__in=project_ids):
        assignments_run(project=project)

"""Project memberships: add, remove and bulk-add people, every change in the audit log."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from annotation.assignment import annotator_profiles
from annotation.matching import PROFICIENCY_RANK, language_key
from annotation.models import Project, ProjectMembership
from annotera import roles
from annotera.audit import audit_record

# Which account role may hold which membership role.
ACCOUNT_ROLES_FOR = {
    ProjectMembership.Role.MANAGER: (roles.PROJECT_MANAGER, roles.ADMIN),
    ProjectMembership.Role.REVIEWER: (roles.QA_REVIEWER, roles.PROJECT_MANAGER, roles.ADMIN),
    ProjectMembership.Role.ANNOTATOR: (roles.ANNOTATOR,),
}


def _snapshot(membership: ProjectMembership) -> dict:
    return {"user": membership.user_id, "username": membership.user.get_username(), "role": membership.role}


def membership_add(*, project: Project, user, role: str, actor) -> ProjectMembership:
    if role not in ProjectMembership.Role.values:
        raise ValidationError(f"Unknown project role '{role}'. Choose annotator, reviewer or manager.")
    if not user.is_active:
        raise ValidationError(f"{user.get_username()}'s account is deactivated.")
    account_role = roles.user_role(user)
    if account_role not in ACCOUNT_ROLES_FOR[role]:
        label = ProjectMembership.Role(role).label.lower()
        have = roles.ROLE_NAMES.get(account_role, "no role").lower()
        raise ValidationError(
            f"{user.get_username()} is {have}; only "
            f"{' or '.join(roles.ROLE_NAMES[r].lower() for r in ACCOUNT_ROLES_FOR[role])} accounts can be {label}s. "
            "Invite them with that role instead."
        )
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)
        if ProjectMembership.objects.filter(project=project, user=user, role=role).exists():
            raise ValidationError(
                f"{user.get_username()} is already {ProjectMembership.Role(role).label.lower()} here."
            )
        membership = ProjectMembership.objects.create(project=project, user=user, role=role)
        audit_record(actor=actor, action="membership.add", obj=membership, project=project, after=_snapshot(membership))
    return membership


def membership_remove(*, membership: ProjectMembership, actor) -> None:
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=membership.project_id)
        membership = ProjectMembership.objects.select_related("user").get(pk=membership.pk)
        if (
            membership.role == ProjectMembership.Role.MANAGER
            and project.memberships.filter(role=ProjectMembership.Role.MANAGER).count() == 1
        ):
            raise ValidationError("A project needs at least one manager; add another before removing this one.")
        audit_record(
            actor=actor, action="membership.remove", obj=membership, project=project, before=_snapshot(membership)
        )
        membership.delete()


def annotators_matching(*, project: Project, language: str = "", locale: str = "", proficiency: str = "") -> QuerySet:
    """Active annotators with a profile that fits, who are not yet annotators of ``project``.

    ``language`` with ``proficiency`` means that level or better; ``locale`` matches a profile locale
    exactly or by its language-region prefix (``en`` matches ``en-IN``)."""
    User = get_user_model()
    # The same people the assignment engine may give calls to: a reviewer, manager or admin who
    # also keeps an annotator profile is not offered as an annotator.
    profiles = annotator_profiles()
    members = project.memberships.filter(role=ProjectMembership.Role.ANNOTATOR).values_list("user_id", flat=True)
    wanted_language = language_key(language.strip()) if language.strip() else ""
    wanted_locale = locale.strip().lower()
    floor = PROFICIENCY_RANK.get(proficiency, 0) if proficiency else 0
    ids = []
    for profile in profiles.exclude(user_id__in=members):
        if wanted_language:
            levels = [
                PROFICIENCY_RANK.get(item.get("proficiency"), 0)
                for item in profile.languages
                if language_key(item.get("code", "")) == wanted_language
            ]
            if not levels or max(levels) < floor:
                continue
        if wanted_locale:
            tags = [t.lower() for t in profile.locales]
            if not any(t == wanted_locale or t.startswith(wanted_locale + "-") for t in tags):
                continue
        ids.append(profile.user_id)
    return User.objects.filter(pk__in=ids).order_by("username")


def memberships_bulk_add_annotators(*, project: Project, users: Iterable, actor) -> int:
    added = 0
    with transaction.atomic():
        for user in users:
            if not ProjectMembership.objects.filter(
                project=project, user=user, role=ProjectMembership.Role.ANNOTATOR
            ).exists():
                membership_add(project=project, user=user, role=ProjectMembership.Role.ANNOTATOR, actor=actor)
                added += 1
    return added

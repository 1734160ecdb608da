"""The four roles: Django groups with model permissions, plus how a user's role is resolved."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

ADMIN = "admin"
PROJECT_MANAGER = "project_manager"
QA_REVIEWER = "qa_reviewer"
ANNOTATOR = "annotator"

ROLE_NAMES = {
    ADMIN: "Admin",
    PROJECT_MANAGER: "Project manager",
    QA_REVIEWER: "QA reviewer",
    ANNOTATOR: "Annotator",
}
# Highest first: a user in several groups acts in the most capable role.
PRIORITY = (ADMIN, PROJECT_MANAGER, QA_REVIEWER, ANNOTATOR)

_PM_MODELS = {
    "annotation": ["project", "projectmembership", "call", "speaker", "turn", "assignment", "annotatorprofile"],
    "taxonomy": ["taxonomy", "label", "dimension"],
    "qa": ["exportsnapshot", "goldcall"],
}
_VIEW_ALL = {
    "annotation": ["suggestion", "turnannotation", "processingjob"],
    "qa": ["agreementreport", "adjudication"],
}


def _codenames(spec: dict[str, list[str]], actions: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(app, f"{action}_{model}") for app, models in spec.items() for model in models for action in actions]


ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    PROJECT_MANAGER: _codenames(_PM_MODELS, ("add", "change", "delete", "view")) + _codenames(_VIEW_ALL, ("view",)),
    QA_REVIEWER: _codenames(
        {"annotation": ["project", "call", "speaker", "turn", "assignment", "annotatorprofile"]}, ("view",)
    )
    + _codenames(_VIEW_ALL, ("view",))
    + _codenames({"qa": ["adjudication", "agreementreport"]}, ("add", "change")),
    ANNOTATOR: _codenames({"annotation": ["turnannotation"]}, ("add", "change", "view"))
    + _codenames({"annotation": ["assignment", "call", "turn", "speaker", "suggestion"]}, ("view",)),
}


def ensure_role_groups() -> None:
    """Create the role groups and (re)attach their permissions. Idempotent."""
    for role in PRIORITY:
        group, _ = Group.objects.get_or_create(name=role)
        if role == ADMIN:
            perms = Permission.objects.all()
        else:
            wanted = ROLE_PERMISSIONS[role]
            perms = [
                p
                for p in Permission.objects.select_related("content_type").filter(codename__in=[c for _, c in wanted])
                if (p.content_type.app_label, p.codename) in set(wanted)
            ]
        group.permissions.set(perms)


def user_role(user) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return ADMIN
    names = set(user.groups.values_list("name", flat=True))
    return next((role for role in PRIORITY if role in names), None)

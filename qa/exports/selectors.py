"""Who may see and make a project's dataset snapshots: its project managers and QA reviewers
(and admins). Annotators never see snapshots, even of projects they work in."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from annotation.access import project_for_viewer
from annotation.models import Project
from annotation.selectors import projects_visible_to
from annotera.roles import ADMIN, PROJECT_MANAGER, QA_REVIEWER, user_role

from ..models import ExportSnapshot

EXPORT_ROLES = (ADMIN, PROJECT_MANAGER, QA_REVIEWER)


def can_export(user) -> bool:
    return user_role(user) in EXPORT_ROLES


def project_for_exporter(user, slug: str) -> Project:
    if not can_export(user):
        raise Http404("No project you can export matches the given query.")
    return project_for_viewer(user, slug)


def snapshots_visible_to(user) -> QuerySet[ExportSnapshot]:
    if not can_export(user):
        return ExportSnapshot.objects.none()
    return ExportSnapshot.objects.filter(project__in=projects_visible_to(user)).select_related("project", "taxonomy")


def snapshot_for_exporter(user, pk: int) -> ExportSnapshot:
    return get_object_or_404(snapshots_visible_to(user), pk=pk)

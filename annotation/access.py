"""Object-level access checks shared by views and the API (404 for what a user may not see)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Assignment, Call, Project
from .selectors import assignments_visible_to, calls_visible_to, projects_managed_by, projects_visible_to


def project_for_viewer(user, slug: str) -> Project:
    return get_object_or_404(projects_visible_to(user), slug=slug)


def project_for_manager(user, slug: str) -> Project:
    project = project_for_viewer(user, slug)
    if not projects_managed_by(user).filter(pk=project.pk).exists():
        raise Http404("No project you manage matches the given query.")
    return project


def call_for_viewer(user, call_id: int) -> Call:
    return get_object_or_404(calls_visible_to(user).select_related("project"), pk=call_id)


def call_for_manager(user, call_id: int) -> Call:
    call = call_for_viewer(user, call_id)
    if not projects_managed_by(user).filter(pk=call.project_id).exists():
        raise Http404("No call you manage matches the given query.")
    return call


def assignment_for_viewer(user, assignment_id: int) -> Assignment:
    return get_object_or_404(
        assignments_visible_to(user).select_related("call", "call__project", "annotator"), pk=assignment_id
    )


def assignment_for_annotator(user, assignment_id: int) -> Assignment:
    """Only the annotator an assignment belongs to may write it (everyone else gets 404)."""
    return get_object_or_404(
        Assignment.objects.select_related("call", "call__project", "call__project__taxonomy"),
        pk=assignment_id,
        annotator=user,
    )

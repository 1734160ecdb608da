"""Object-level access checks shared by views and the API (404 for what a user may not see)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Call, Project
from .selectors import calls_visible_to, projects_managed_by, projects_visible_to


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

"""The annotator's own pages: the queue, the next task, the workspace.

Thin: access checks, then services and selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ..assignment import assignment_next, assignment_start
from ..models import Assignment, Call


@login_required
def annotator_queue(request: HttpRequest) -> HttpResponse:
    assignments = (
        request.user.assignments.select_related("call", "call__project")
        # Turns an accepted split or merge changed under this annotator: told here, re-checked in the workspace.
        .annotate(recheck=Count("turn_annotations", filter=Q(turn_annotations__needs_recheck=True)))
        .order_by("status", "created_at")
    )
    return render(
        request,
        "annotation/queue.html",
        {"assignments": assignments, "next_assignment": assignment_next(user=request.user)},
    )


@login_required
@require_POST
def queue_next_view(request: HttpRequest) -> HttpResponse:
    assignment = assignment_next(user=request.user)
    if assignment is None:
        messages.info(request, "Nothing is waiting for you right now.")
        return redirect("annotation:queue")
    assignment_start(assignment=assignment)
    return redirect("annotation:workspace", assignment_id=assignment.pk)


@login_required
def workspace(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """The annotation workspace: waveform, transcript, prosody, keyboard tagging, autosave."""
    assignment = get_object_or_404(
        Assignment.objects.select_related("call", "call__project"), pk=assignment_id, annotator=request.user
    )
    if assignment.call.status != Call.Status.READY:
        messages.info(request, "This call is still being processed; it opens once its machine pass is done.")
        return redirect("annotation:queue")
    return render(request, "annotation/workspace.html", {"assignment": assignment, "call": assignment.call})

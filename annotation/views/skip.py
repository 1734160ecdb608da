"""Skipping a call from the annotator's queue: a reason is required, and the call's judgements
are withdrawn from progress, agreement and exports (``assignment_submit``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from ..models import Assignment
from ..turn_annotations import assignment_submit


@login_required
@require_POST
def assignment_skip_view(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = get_object_or_404(Assignment.objects.select_related("call"), pk=assignment_id, annotator=request.user)
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, "Say why you skip the call (for example: wrong language, no speech, audio broken).")
        return redirect("annotation:queue")
    try:
        assignment_submit(assignment=assignment, skip_reason=reason)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{assignment.call.original_name} skipped; its tags no longer count anywhere.")
    return redirect("annotation:queue")

"""The reviewers' corrections queue: proposed boundary, speaker and transcript corrections with a
before/after picture on the waveform; accept (applied for everyone), reject, or undo."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .access import call_for_viewer, project_for_viewer
from .models import CorrectionProposal, TurnRevision
from .proposals import may_review, proposal_accept, proposal_reject, turn_revision_undo


def _reviewable(request: HttpRequest, slug: str):
    from annotera.roles import ADMIN, PROJECT_MANAGER, QA_REVIEWER, user_role

    if user_role(request.user) not in (ADMIN, PROJECT_MANAGER, QA_REVIEWER):
        raise PermissionDenied("Only QA reviewers and project managers review corrections.")
    return project_for_viewer(request.user, slug)


@login_required
def project_corrections(request: HttpRequest, slug: str) -> HttpResponse:
    project = _reviewable(request, slug)
    proposals = CorrectionProposal.objects.filter(call__project=project).select_related(
        "call", "turn", "proposed_by", "decided_by", "revision"
    )
    open_ = list(proposals.filter(status=CorrectionProposal.Status.PROPOSED).order_by("created_at")[:200])
    for proposal in open_:
        proposal.diff = json.dumps({side: [[t["start"], t["end"], t["speaker"]] for t in getattr(proposal, side)]
                                    for side in ("before", "after")})  # fmt: skip
    return render(
        request,
        "annotation/corrections.html",
        {
            "project": project,
            "open": open_,
            "decided": proposals.exclude(status=CorrectionProposal.Status.PROPOSED).order_by("-decided_at")[:50],
        },
    )


@login_required
@require_POST
def proposal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = get_object_or_404(CorrectionProposal.objects.select_related("call", "call__project"), pk=pk)
    call_for_viewer(request.user, proposal.call_id)
    if not may_review(request.user, proposal.call):
        raise PermissionDenied("Only the project's reviewers and managers decide corrections.")
    verdict, note = request.POST.get("verdict"), request.POST.get("note", "")
    decide = {"accept": proposal_accept, "reject": proposal_reject}.get(verdict)
    if decide is None:
        messages.error(request, "Choose accept or reject.")
    else:
        try:
            decide(proposal=proposal, user=request.user, note=note)
            messages.success(request, f"Correction {verdict}ed.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("annotation:project_corrections", slug=proposal.call.project.slug)


@login_required
@require_POST
def revision_undo(request: HttpRequest, pk: int) -> HttpResponse:
    revision = get_object_or_404(TurnRevision.objects.select_related("call", "call__project"), pk=pk)
    call_for_viewer(request.user, revision.call_id)
    if not may_review(request.user, revision.call):
        raise PermissionDenied("Only the project's reviewers and managers undo corrections.")
    try:
        turn_revision_undo(revision=revision, user=request.user)
        messages.success(request, "Correction undone.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("annotation:project_corrections", slug=revision.call.project.slug)

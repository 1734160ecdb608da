"""The reviewers' corrections queue: proposed boundary, speaker and transcript corrections with a
before/after picture on the waveform; accept (applied for everyone), reject, or undo."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from annotera.roles import ADMIN, PROJECT_MANAGER, QA_REVIEWER, user_role

from .access import call_for_viewer, project_for_viewer
from .corrections import left_out_text, words_left_out
from .models import CorrectionProposal, TurnRevision
from .proposals import may_review, proposal_accept, proposal_reject, turn_revision_undo
from .serializers_workspace import DecisionInput
from .views._common import refusal_as_message


def _reviewable(request: HttpRequest, slug: str):
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
        proposal.left_out = left_out_text(words_left_out(proposal.before, proposal.after))
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


def _for_reviewer(request: HttpRequest, model, pk: int, verb: str):
    """The proposal or revision ``pk``, if this user sees its call (else 404) and reviews its
    project (else 403)."""
    obj = get_object_or_404(model.objects.select_related("call", "call__project"), pk=pk)
    call_for_viewer(request.user, obj.call_id)
    if not may_review(request.user, obj.call):
        raise PermissionDenied(f"Only the project's reviewers and managers {verb} corrections.")
    return obj


@login_required
@require_POST
def proposal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _for_reviewer(request, CorrectionProposal, pk, "decide")
    verdict = request.POST.get("verdict")
    decide = {"accept": proposal_accept, "reject": proposal_reject}.get(verdict)
    # The API's rules for the note (at most 2000 characters, no NUL): refused, never cut short.
    decision = DecisionInput(data={"note": request.POST.get("note", "")})
    if decide is None:
        messages.error(request, "Choose accept or reject.")
    elif not decision.is_valid():
        problems = " ".join(str(m) for msgs in decision.errors.values() for m in msgs)
        messages.error(request, f"The note was refused: {problems} Nothing was decided.")
    else:
        with refusal_as_message(request):
            decide(proposal=proposal, user=request.user, note=decision.validated_data["note"])
            left_out = left_out_text(words_left_out(proposal.before, proposal.after)) if verdict == "accept" else ""
            if left_out:
                messages.warning(
                    request,
                    f"Correction accepted. It leaves {left_out} outside every turn: they stay in the call, shown to "
                    "annotators as words outside every turn, and come back if you undo it.",
                )
            else:
                messages.success(request, f"Correction {verdict}ed.")
    return redirect("annotation:project_corrections", slug=proposal.call.project.slug)


@login_required
@require_POST
def revision_undo(request: HttpRequest, pk: int) -> HttpResponse:
    revision = _for_reviewer(request, TurnRevision, pk, "undo")
    with refusal_as_message(request):
        turn_revision_undo(revision=revision, user=request.user)
        messages.success(request, "Correction undone.")
    return redirect("annotation:project_corrections", slug=revision.call.project.slug)

"""Correction proposals through the API: one endpoint per action (adjust, split, merge, speaker,
text), a reviewer's accept/reject, the proposer's withdraw, and undo of an applied correction."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotera.api_errors import refusals_as_400

from .access import call_for_viewer
from .models import CorrectionProposal, TurnRevision
from .proposals import (
    may_review,
    proposal_accept,
    proposal_create,
    proposal_reject,
    proposal_withdraw,
    turn_revision_undo,
)
from .serializers_workspace import (
    AdjustInput,
    DecisionInput,
    ErrorOutput,
    MergeInput,
    ProposalOutput,
    RevisionOutput,
    SpeakerInput,
    SplitInput,
    TextInput,
)
from .workspace import proposal_json


def _errors(serializer: serializers.Serializer) -> Response:
    messages = [f"{field}: {' '.join(str(m) for m in msgs)}" for field, msgs in serializer.errors.items()]
    return Response({"detail": messages}, status=status.HTTP_400_BAD_REQUEST)


class _ProposeBase(APIView):
    action: str = ""
    input_class: type[serializers.Serializer] = MergeInput

    def post(self, request: Request, pk: int, turn_id: int) -> Response:
        call = call_for_viewer(request.user, pk)
        turn = get_object_or_404(call.turns, pk=turn_id)
        data = self.input_class(data=request.data if isinstance(request.data, dict) else {})
        if not data.is_valid():
            return _errors(data)
        params = {k: v for k, v in data.validated_data.items() if k != "revision"}
        with refusals_as_400():
            proposal = proposal_create(turn=turn, action=self.action, params=params,
                                       revision=data.validated_data["revision"], user=request.user)  # fmt: skip
        return Response(proposal_json(proposal), status=status.HTTP_201_CREATED)


def _propose_view(action: str, input_class: type[serializers.Serializer], summary: str) -> type[APIView]:
    def post(self, request: Request, pk: int, turn_id: int) -> Response:  # its own function: its own schema
        return _ProposeBase.post(self, request, pk, turn_id)

    view = type(f"Propose{action.title()}", (_ProposeBase,), {"action": action, "input_class": input_class})
    view.post = extend_schema(
        request=input_class,
        responses={201: ProposalOutput, 400: ErrorOutput},
        summary=summary,
        description="A proposal changes nothing for anyone but you until a reviewer accepts it.",
        operation_id=f"propose_{action}",
    )(post)
    return view


ProposeAdjust = _propose_view("adjust", AdjustInput, "Propose new start/end times for a turn")
ProposeSplit = _propose_view("split", SplitInput, "Propose splitting a turn at a time")
ProposeMerge = _propose_view("merge", MergeInput, "Propose merging a turn with the next (same speaker)")
ProposeSpeaker = _propose_view("speaker", SpeakerInput, "Propose another speaker for a turn")
ProposeText = _propose_view("text", TextInput, "Propose a corrected transcript for a turn")


def _proposal(request: Request, pk: int) -> CorrectionProposal:
    proposal = get_object_or_404(CorrectionProposal.objects.select_related("call", "proposed_by"), pk=pk)
    call_for_viewer(request.user, proposal.call_id)  # 404 outside the user's calls
    if proposal.proposed_by_id != request.user.pk and not may_review(request.user, proposal.call):
        raise Http404("No proposal you may see matches the given query.")
    return proposal


class _Decide(APIView):
    decide = staticmethod(proposal_accept)

    def post(self, request: Request, pk: int) -> Response:
        proposal = _proposal(request, pk)
        data = DecisionInput(data=request.data if isinstance(request.data, dict) else {})
        if not data.is_valid():
            return _errors(data)
        with refusals_as_400():
            done = type(self).decide(proposal=proposal, user=request.user, note=data.validated_data["note"])
        return Response(proposal_json(done))


class ProposalAccept(_Decide):
    """Apply the proposal for everyone (reviewers and managers of the project)."""

    decide = staticmethod(proposal_accept)

    @extend_schema(request=DecisionInput, responses={200: ProposalOutput, 400: ErrorOutput})
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class ProposalReject(_Decide):
    """Reject the proposal, with a note the proposer sees."""

    decide = staticmethod(proposal_reject)

    @extend_schema(request=DecisionInput, responses={200: ProposalOutput, 400: ErrorOutput})
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class ProposalWithdraw(APIView):
    """The proposer takes back an open proposal."""

    @extend_schema(request=None, responses={200: ProposalOutput, 400: ErrorOutput})
    def post(self, request: Request, pk: int) -> Response:
        proposal = _proposal(request, pk)
        with refusals_as_400():
            done = proposal_withdraw(proposal=proposal, user=request.user)
        return Response(proposal_json(done))


class TurnRevisionUndo(APIView):
    """Undo an applied correction (reviewers and managers), if its turns were not corrected since."""

    @extend_schema(request=None, responses={200: RevisionOutput, 400: ErrorOutput})
    def post(self, request: Request, pk: int) -> Response:
        revision = get_object_or_404(TurnRevision, pk=pk)
        call_for_viewer(request.user, revision.call_id)
        with refusals_as_400():
            undo = turn_revision_undo(revision=revision, user=request.user)
        return Response({"id": undo.pk, "action": undo.action, "after": undo.after})

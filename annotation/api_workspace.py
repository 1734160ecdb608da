"""API for the annotation workspace: load an assignment, save turn annotations (versioned), submit."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotera.api_errors import refusals_as_400
from annotera.jsonlimits import BoundedJSONParser

from .models import Assignment, Turn
from .pipeline.types import word_language_switches
from .serializers_workspace import (
    AnnotationInput,
    AnnotationOutput,
    AnnotationSaved,
    AssignmentStatusOutput,
    ConflictOutput,
    ErrorOutput,
    SubmitInput,
    TurnDetailOutput,
    VersionMissing,
    WorkspaceOutput,
    edited_version,
)
from .turn_annotations import (
    StaleWrite,
    assignment_progress,
    assignment_reopen,
    assignment_submit,
    turn_annotation_save,
    turn_gone_message,
)
from .workspace import annotation_json, workspace_payload


def _my_assignment(request: Request, pk: int) -> Assignment:
    """Only the annotator it belongs to may open or write an assignment (others get 404, in words
    the workspace can show under "not saved": DRF's "No Assignment matches the given query." said
    nothing to an annotator whose call a project manager had just reassigned)."""
    assignment = (
        Assignment.objects.select_related("call", "call__project", "call__project__taxonomy")
        .filter(pk=pk, annotator=request.user)
        .first()
    )
    if assignment is None:
        raise Http404(
            f"Assignment {pk} is not one of your assignments (a project manager may have reassigned it): "
            "nothing was read or written. Open your queue for your current calls."
        )
    return assignment


def _turn(assignment: Assignment, turn_id: int) -> Turn:
    """The assignment's turn; a 404 that says where a turn a correction took away went."""
    turn = assignment.call.turns.filter(pk=turn_id).first()
    if turn is None:
        raise Http404(turn_gone_message(assignment.call_id, turn_id))
    return turn


def _stale_detail(stale: StaleWrite) -> str:
    """What moved the turn's annotation on since the client loaded it, and where it differs."""
    if stale.current.needs_recheck:  # set by a correction, cleared by every save
        why = ("A correction split, merged or had its boundaries moved on this turn after you loaded it, and "
               "carried its annotation over (check it).")  # fmt: skip
    else:
        why = "Someone (another tab?) saved this turn after you loaded it."
    differs = f" It differs from yours in: {', '.join(stale.differs)}." if stale.differs else ""
    return f"{why}{differs} Nothing was saved: merge with the current version (version {stale.current.version})."


DETAIL_MAX_TURNS = 200


class WorkspaceData(APIView):
    """The workspace's first paint: call, taxonomy, speakers and every turn's times, text and tags.

    Word timings and prosody contours (most of the bytes on a long call) come separately from
    WorkspaceTurnDetail, for the turns the annotator is looking at, so a 2-hour call is
    interactive before they arrive.
    """

    @extend_schema(responses=WorkspaceOutput, description="Everything the workspace needs; no suggestions when blind.")
    def get(self, request: Request, pk: int) -> Response:
        return Response(workspace_payload(_my_assignment(request, pk)))


class WorkspaceTurnDetail(APIView):
    """Word timings and prosody contours for turns ``first``..``last`` (by order, at most 200)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("first", int, description="first turn order (inclusive)"),
            OpenApiParameter("last", int, description="last turn order (inclusive)"),
        ],
        responses={200: TurnDetailOutput, 400: ErrorOutput},
    )
    def get(self, request: Request, pk: int) -> Response:
        assignment = _my_assignment(request, pk)
        try:
            first = int(request.query_params.get("first", 0))
            last = int(request.query_params.get("last", first + 49))
        except ValueError:
            return Response({"detail": ["first and last must be whole numbers (turn positions)."]}, status=400)
        if first < 0 or last < first:
            return Response({"detail": ["Give 0 <= first <= last."]}, status=400)
        last = min(last, first + DETAIL_MAX_TURNS - 1)
        rows = assignment.call.turns.filter(order__gte=first, order__lte=last).values("id", "words", "prosody")
        return Response(
            {
                "first": first,
                "last": last,
                "turns": {
                    r["id"]: {
                        "words": r["words"] or [],  # each word keeps its language as "l"
                        "contour": (r["prosody"] or {}).get("contour", {}),
                        # Word indices where the language changes inside the turn: the switch markers.
                        "language_switches": word_language_switches(r["words"] or []),
                    }
                    for r in rows
                },
            }
        )


class TurnAnnotationWrite(APIView):
    # JSON only: a form body keeps the last value of each field (half of a repeated one), holds no
    # list or object, and reached the database with a NUL no text column takes (a 500).
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        responses={200: AnnotationOutput, 304: None},
        description="One turn's annotation (version 0: none yet). The ETag is the version; "
        "send it back as If-Match when you PUT. If-None-Match with the current ETag gives 304.",
    )
    def get(self, request: Request, pk: int, turn_id: int) -> Response:
        assignment = _my_assignment(request, pk)
        turn = _turn(assignment, turn_id)
        current = assignment.turn_annotations.select_related("taxonomy").filter(turn=turn).first()
        etag = f'"{current.version if current else 0}"'
        if etag in [tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")]:
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
        else:
            response = Response(annotation_json(current))
        response["ETag"] = etag
        return response

    @extend_schema(
        request=AnnotationInput,
        responses={200: AnnotationSaved, 400: ErrorOutput, 409: ConflictOutput, 428: ErrorOutput},
        description="Write one turn's annotation; send the version you edited as If-Match, in digits as the ETag "
        'gives it ("0" for new), or as the body\'s version (both: they must agree). 409 when stale.',
    )
    def put(self, request: Request, pk: int, turn_id: int) -> Response:
        assignment = _my_assignment(request, pk)
        turn = _turn(assignment, turn_id)
        try:
            base_version = edited_version(if_match=request.headers.get("If-Match"), data=request.data)
        except VersionMissing as missing:
            return Response({"detail": str(missing)}, status=status.HTTP_428_PRECONDITION_REQUIRED)
        except DjangoValidationError as exc:
            return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
        try:
            saved = turn_annotation_save(assignment=assignment, turn=turn, data=request.data, base_version=base_version)
        except StaleWrite as stale:
            current = stale.current.version
            if base_version > current:  # no save ever made that version
                return Response(
                    {"detail": f"Version {base_version} was never saved for this turn (it is at version {current}). "
                               "Reload the turn and send the version you loaded.",
                     "current": annotation_json(stale.current)},
                    status=status.HTTP_409_CONFLICT,
                )  # fmt: skip
            return Response(
                {"detail": _stale_detail(stale), "current": annotation_json(stale.current)},
                status=status.HTTP_409_CONFLICT,
            )
        except DjangoValidationError as exc:
            return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
        response = Response({"annotation": annotation_json(saved), "progress": assignment_progress(assignment)})
        response["ETag"] = f'"{saved.version}"'
        return response


class AssignmentSubmit(APIView):
    @extend_schema(request=SubmitInput, responses={200: AssignmentStatusOutput, 400: ErrorOutput})
    def post(self, request: Request, pk: int) -> Response:
        assignment = _my_assignment(request, pk)
        if not isinstance(request.data, dict):
            # Read as {}, a body of "skip: the audio is noise" (or [] or null) submitted the call.
            return Response(
                {"detail": ['Send a JSON object: {} to submit, {"skip_reason": "why"} to skip the call. '
                            "Nothing was submitted."]},
                status=status.HTTP_400_BAD_REQUEST,
            )  # fmt: skip
        data = SubmitInput(data=request.data)
        if not data.is_valid():
            messages = [f"{field}: {' '.join(str(m) for m in msgs)}" for field, msgs in data.errors.items()]
            return Response({"detail": messages}, status=status.HTTP_400_BAD_REQUEST)
        with refusals_as_400():
            done = assignment_submit(assignment=assignment, skip_reason=data.validated_data["skip_reason"])
        return Response({"status": done.status})


class AssignmentReopen(APIView):
    """Reopen your submitted (or skipped) assignment to change it: the explicit way back in."""

    @extend_schema(request=None, responses={200: AssignmentStatusOutput, 400: ErrorOutput})
    def post(self, request: Request, pk: int) -> Response:
        assignment = _my_assignment(request, pk)
        with refusals_as_400():
            done = assignment_reopen(assignment=assignment, user=request.user)
        return Response({"status": done.status})

"""API for the annotation workspace: load an assignment, save turn annotations (versioned), submit."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Assignment, TurnAnnotation
from .pipeline.types import word_language_switches
from .selectors import suggestions_for_assignment
from .suggestion_modes import assignment_suggestion_mode, suggestion_for_annotator
from .turn_annotations import StaleWrite, assignment_progress, assignment_submit, turn_annotation_save


def _my_assignment(request: Request, pk: int) -> Assignment:
    """Only the annotator it belongs to may open or write an assignment (others get 404)."""
    return get_object_or_404(
        Assignment.objects.select_related("call", "call__project", "call__project__taxonomy"),
        pk=pk,
        annotator=request.user,
    )


def annotation_json(annotation: TurnAnnotation | None) -> dict:
    if annotation is None:
        return {"version": 0}
    return {
        "version": annotation.version,
        "labels": annotation.labels,
        "no_emotion": annotation.no_emotion,
        "skipped": annotation.skipped,
        "skip_reason": annotation.skip_reason,
        "valence": annotation.valence,
        "arousal": annotation.arousal,
        "shifts": annotation.shifts,
        "note": annotation.note,
        "confidence": annotation.confidence,
        "suggestion_actions": annotation.suggestion_actions,
        "taxonomy_version": annotation.taxonomy.version,
        "updated_at": annotation.updated_at.isoformat(),
    }


DETAIL_MAX_TURNS = 200


class WorkspaceData(APIView):
    """The workspace's first paint: call, taxonomy, speakers and every turn's times, text and tags.

    Word timings and prosody contours (most of the bytes on a long call) come separately from
    WorkspaceTurnDetail, for the turns the annotator is looking at, so a 2-hour call is
    interactive before they arrive.
    """

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        description="Everything the workspace needs; no suggestions when blind. assignment.suggestion_mode says "
        "how to show them: reveal_after_play (show a turn's suggestions once it has been played) and "
        "hide_confidence (the labels then carry no confidence and the rationale no confidence numbers).",
    )
    def get(self, request: Request, pk: int) -> Response:
        assignment = _my_assignment(request, pk)
        call = assignment.call
        speakers = list(call.speakers.order_by("label").values("id", "label", "role", "channel"))
        by_id = {s["id"]: s for s in speakers}
        turns = call.turns.order_by("order").values(
            "id",
            "order",
            "start",
            "end",
            "speaker_id",
            "text",
            "language",
            "untranscribed",
            "revision",
            "prosody",
        )
        annotations = {a.turn_id: a for a in assignment.turn_annotations.select_related("taxonomy")}
        taxonomy = call.project.taxonomy
        payload = {
            "assignment": {
                "id": assignment.pk,
                "status": assignment.status,
                "blind": assignment.blind,
                "suggestion_mode": assignment_suggestion_mode(assignment).as_dict(),
            },
            "call": {"id": call.pk, "name": call.original_name, "duration": call.duration, "channels": call.channels},
            "taxonomy": {
                "version": taxonomy.version,
                "labels": list(taxonomy.labels.values("key", "name", "colour", "hotkey", "definition")),
                "dimensions": list(taxonomy.dimensions.values("key", "kind", "scope", "minimum", "maximum", "step")),
            },
            "speakers": speakers,
            "turns": [
                {
                    "id": t["id"],
                    "order": t["order"],
                    "start": t["start"],
                    "end": t["end"],
                    "speaker_id": t["speaker_id"],
                    "speaker": by_id[t["speaker_id"]]["label"],
                    "role": by_id[t["speaker_id"]]["role"],
                    "text": t["text"],
                    "language": t["language"],
                    "untranscribed": t["untranscribed"],
                    "revision": t["revision"],
                    # Per-turn summary for the whole-call prosody overview; contours come with the detail.
                    "pitch": (t["prosody"] or {}).get("f0_median_st"),
                    "loudness": (t["prosody"] or {}).get("loudness_mean_db"),
                    "annotation": annotation_json(annotations.get(t["id"])),
                }
                for t in turns
            ],
            "progress": assignment_progress(assignment),
        }
        if not assignment.blind:  # blind assignments: the key is absent, not just empty
            # Shaped by the mode recorded on the assignment: no confidence numbers at all when
            # they are hidden; marked reveal_after_play when the turn must be played first.
            mode = assignment_suggestion_mode(assignment)
            payload["suggestions"] = {
                s.turn_id: suggestion_for_annotator(s, mode) for s in suggestions_for_assignment(assignment)
            }
        return Response(payload)


class WorkspaceTurnDetail(APIView):
    """Word timings and prosody contours for turns ``first``..``last`` (by order, at most 200)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("first", int, description="first turn order (inclusive)"),
            OpenApiParameter("last", int, description="last turn order (inclusive)"),
        ],
        responses=OpenApiTypes.OBJECT,
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
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT, 304: None},
        description="One turn's annotation (version 0: none yet). The ETag is the version; "
        "send it back as If-Match when you PUT. If-None-Match with the current ETag gives 304.",
    )
    def get(self, request: Request, pk: int, turn_id: int) -> Response:
        assignment = _my_assignment(request, pk)
        turn = get_object_or_404(assignment.call.turns, pk=turn_id)
        current = assignment.turn_annotations.select_related("taxonomy").filter(turn=turn).first()
        etag = f'"{current.version if current else 0}"'
        if etag in [tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")]:
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
        else:
            response = Response(annotation_json(current))
        response["ETag"] = etag
        return response

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 409: OpenApiTypes.OBJECT},
        description="Write one turn's annotation; send the version you edited as If-Match (0 for new). 409 when stale.",
    )
    def put(self, request: Request, pk: int, turn_id: int) -> Response:
        assignment = _my_assignment(request, pk)
        turn = get_object_or_404(assignment.call.turns, pk=turn_id)
        raw_version = request.headers.get(
            "If-Match", request.data.get("version") if isinstance(request.data, dict) else None
        )
        try:
            base_version = int(str(raw_version).strip('"W/ '))
        except (TypeError, ValueError):
            return Response(
                {"detail": "Send the version you edited (If-Match header or 'version'); 0 for a new annotation."},
                status=status.HTTP_428_PRECONDITION_REQUIRED,
            )
        try:
            saved = turn_annotation_save(assignment=assignment, turn=turn, data=request.data, base_version=base_version)
        except StaleWrite as stale:
            return Response(
                {
                    "detail": "Someone (another tab?) saved this turn after you loaded it. Merge with the current version.",
                    "current": annotation_json(stale.current),
                },
                status=status.HTTP_409_CONFLICT,
            )
        except DjangoValidationError as exc:
            return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
        response = Response({"annotation": annotation_json(saved), "progress": assignment_progress(assignment)})
        response["ETag"] = f'"{saved.version}"'
        return response


class AssignmentSubmit(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: int) -> Response:
        assignment = _my_assignment(request, pk)
        reason = request.data.get("skip_reason", "") if isinstance(request.data, dict) else ""
        if not isinstance(reason, str):
            return Response({"detail": ["skip_reason must be text."]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            done = assignment_submit(assignment=assignment, skip_reason=reason)
        except DjangoValidationError as exc:
            return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"status": done.status})


class TurnCorrection(APIView):
    """Correct a turn: {"action": "adjust"|"split"|"merge"|"speaker", "revision": n, ...}."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: int, turn_id: int) -> Response:
        from .access import call_for_viewer
        from .corrections import turn_adjust, turn_merge_next, turn_set_speaker, turn_split
        from .selectors import projects_managed_by

        call = call_for_viewer(request.user, pk)
        may_edit = call.assignments.filter(annotator=request.user).exists() or (
            projects_managed_by(request.user).filter(pk=call.project_id).exists()
        )
        if not may_edit:
            return Response({"detail": ["Only the call's annotators and project managers correct turns."]}, status=403)
        turn = get_object_or_404(call.turns, pk=turn_id)
        data = request.data if isinstance(request.data, dict) else {}
        try:
            revision = int(data.get("revision"))
            action = data.get("action")
            if action == "adjust":
                result = [
                    turn_adjust(
                        turn=turn,
                        start=float(data["start"]),
                        end=float(data["end"]),
                        revision=revision,
                        user=request.user,
                    )
                ]
            elif action == "split":
                result = list(turn_split(turn=turn, at=float(data["at"]), revision=revision, user=request.user))
            elif action == "merge":
                result = [turn_merge_next(turn=turn, revision=revision, user=request.user)]
            elif action == "speaker":
                speaker = get_object_or_404(call.speakers, pk=int(data["speaker"]))
                result = [turn_set_speaker(turn=turn, speaker=speaker, revision=revision, user=request.user)]
            else:
                return Response({"detail": ["action must be adjust, split, merge or speaker."]}, status=400)
        except (KeyError, TypeError, ValueError):
            return Response(
                {"detail": ["Missing or malformed fields: revision (int), and start/end, at or speaker."]}, status=400
            )
        except DjangoValidationError as exc:
            return Response({"detail": exc.messages}, status=400)
        return Response(
            {"turns": [{"id": t.pk, "order": t.order, "start": t.start, "end": t.end, "text": t.text,
                        "speaker": t.speaker.label, "revision": t.revision} for t in result]}
        )  # fmt: skip

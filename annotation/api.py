"""REST API: projects, calls (upload, status, retry), turns, suggestions, assignments, annotations
and the audit log. Every queryset starts from what the requesting user may see (selectors), so
someone else's object is a 404, never a 403 that confirms it exists."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from annotera.api_errors import refusals_as_400
from annotera.uploads import upload_refusal

from .access import assignment_for_viewer, call_for_manager, call_for_viewer, project_for_manager, project_for_viewer
from .call_removal import call_remove
from .filters import AssignmentFilter, CallFilter, TurnAnnotationFilter, TurnFilter
from .models import Assignment, Call, Suggestion, Turn, TurnAnnotation
from .selectors import (
    assignments_visible_to,
    calls_visible_to,
    projects_visible_to,
    suggestions_for_assignment,
    suggestions_for_call,
    turns_visible_to,
)
from .serializers import (
    AssignmentSerializer,
    CallSerializer,
    CallUploadSerializer,
    ProjectDetailSerializer,
    ProjectSerializer,
    SuggestionSerializer,
    TurnAnnotationSerializer,
    TurnSerializer,
)
from .services import call_reprocess, call_retry, call_upload


class ProjectList(generics.ListAPIView):
    serializer_class = ProjectSerializer

    def get_queryset(self):
        return projects_visible_to(self.request.user).select_related("taxonomy")


def _schema_only(view) -> bool:
    """drf-spectacular builds querysets without a request or URL kwargs."""
    return getattr(view, "swagger_fake_view", False)


class ProjectDetail(generics.RetrieveAPIView):
    serializer_class = ProjectDetailSerializer

    def get_object(self):
        return project_for_viewer(self.request.user, self.kwargs["slug"])


class CallList(generics.ListAPIView):
    serializer_class = CallSerializer
    filterset_class = CallFilter

    def get_queryset(self):
        if _schema_only(self):
            return Call.objects.none()
        project = project_for_viewer(self.request.user, self.kwargs["slug"])
        return (
            calls_visible_to(self.request.user)
            .filter(project=project)
            .prefetch_related("jobs")
            .order_by("-created_at", "-pk")
        )


class CallUpload(APIView):
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = CallUploadSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "uploads"

    def post(self, request: Request, slug: str) -> Response:
        project = project_for_manager(request.user, slug)
        try:
            data = request.data
        except TooManyFilesSent:
            return Response(
                {
                    "file": [
                        f"Too many files in one request: at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES}. "
                        "Nothing was stored."
                    ]
                },  # fmt: skip
                status=status.HTTP_400_BAD_REQUEST,
            )
        refused = upload_refusal(request._request)
        if refused:
            return Response({"file": [refused]}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        sent = request.FILES.getlist("file")
        if len(sent) > 1:  # the serializer would keep the last and drop the rest without a word
            names = ", ".join(f.name for f in sent[:5])
            return Response(
                {"file": [f"One call per request: {len(sent)} files were sent ({names}). Nothing was stored."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        payload = CallUploadSerializer(data=data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        try:
            outcome = call_upload(
                project=project,
                fileobj=upload,
                filename=upload.name,
                uploaded_by=request.user,
                locale=payload.validated_data.get("locale", ""),
                metadata=payload.validated_data.get("metadata"),
                channel_roles=payload.validated_data.get("channel_roles"),
            )
        except DjangoValidationError as exc:
            raise ValidationError({"file": exc.messages}) from exc
        code = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
        # 200 and duplicate: true: the same audio is already in the project, as this call.
        return Response({**CallSerializer(outcome.call).data, "duplicate": not outcome.created}, status=code)


class CallDetail(generics.RetrieveAPIView):
    """A call (GET); DELETE removes a failed call nobody has worked on, with its files (project
    managers; 400 naming why for any other call)."""

    serializer_class = CallSerializer

    def get_object(self):
        return call_for_viewer(self.request.user, self.kwargs["pk"])

    def delete(self, request: Request, pk: int) -> Response:
        call = call_for_manager(request.user, pk)
        with refusals_as_400():
            call_remove(call=call, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CallRetry(APIView):
    serializer_class = CallSerializer

    def post(self, request: Request, pk: int) -> Response:
        call = call_for_manager(request.user, pk)
        with refusals_as_400():
            call_retry(call=call)
        call.refresh_from_db()
        return Response(CallSerializer(call).data, status=status.HTTP_202_ACCEPTED)


class CallReprocess(APIView):
    """Run a ready or failed call's machine pass again from language identification (e.g. after
    declaring the project's languages); 400 once people have worked on its turns."""

    serializer_class = CallSerializer

    def post(self, request: Request, pk: int) -> Response:
        call = call_for_manager(request.user, pk)
        with refusals_as_400():
            call_reprocess(call=call, actor=request.user)
        call.refresh_from_db()
        return Response(CallSerializer(call).data, status=status.HTTP_202_ACCEPTED)


class CallTurnList(generics.ListAPIView):
    """The turns of a call, in order. Annotators: only calls of their own assignments."""

    serializer_class = TurnSerializer
    filterset_class = TurnFilter

    def get_queryset(self):
        if _schema_only(self):
            return Turn.objects.none()
        call = call_for_viewer(self.request.user, self.kwargs["pk"])
        return call.turns.select_related("speaker").order_by("order")


class TurnDetail(generics.RetrieveAPIView):
    serializer_class = TurnSerializer

    def get_queryset(self):
        if _schema_only(self):
            return Turn.objects.none()
        return turns_visible_to(self.request.user).select_related("speaker")


class CallSuggestionList(generics.ListAPIView):
    """Machine suggestions for a call: reviewers and project managers only (annotators read them
    through their own non-blind assignments)."""

    serializer_class = SuggestionSerializer

    def get_queryset(self):
        if _schema_only(self):
            return Suggestion.objects.none()
        call = call_for_viewer(self.request.user, self.kwargs["pk"])
        return suggestions_for_call(self.request.user, call)


class AssignmentSuggestionList(generics.ListAPIView):
    """The suggestions an assignment may see: always empty for a blind assignment."""

    serializer_class = SuggestionSerializer

    def get_queryset(self):
        if _schema_only(self):
            return Suggestion.objects.none()
        self.assignment = assignment_for_viewer(self.request.user, self.kwargs["pk"])
        return suggestions_for_assignment(self.assignment)

    def get_serializer_context(self):
        # The annotator's own assignment under "hide confidence numbers": no confidence in the
        # labels or the rationale (reviewers and managers reading it see what the annotator saw).
        assignment = getattr(self, "assignment", None)
        return {
            **super().get_serializer_context(),
            "hide_confidence": bool(assignment and assignment.hide_suggestion_confidence),
        }


class AssignmentList(generics.ListAPIView):
    """Annotators: their own assignments. Reviewers and managers: their projects' assignments."""

    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter

    def get_queryset(self):
        if _schema_only(self):
            return Assignment.objects.none()
        return (
            assignments_visible_to(self.request.user)
            .select_related("call__project", "annotator")
            .order_by("-created_at", "-pk")
        )


class AssignmentDetail(generics.RetrieveAPIView):
    serializer_class = AssignmentSerializer

    def get_object(self):
        return assignment_for_viewer(self.request.user, self.kwargs["pk"])


class AssignmentAnnotationList(generics.ListAPIView):
    """The saved turn annotations of one assignment, each with its version (send it as If-Match)."""

    serializer_class = TurnAnnotationSerializer
    filterset_class = TurnAnnotationFilter

    def get_queryset(self):
        if _schema_only(self):
            return TurnAnnotation.objects.none()
        assignment = assignment_for_viewer(self.request.user, self.kwargs["pk"])
        return assignment.turn_annotations.select_related("taxonomy").order_by("turn__order")

"""REST API for projects and calls (upload, status, retry)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .access import call_for_manager, call_for_viewer, project_for_manager
from .models import Call
from .selectors import calls_visible_to, projects_visible_to
from .serializers import CallSerializer, CallUploadSerializer, ProjectSerializer
from .services import call_retry, call_upload


class ProjectList(generics.ListAPIView):
    serializer_class = ProjectSerializer

    def get_queryset(self):
        return projects_visible_to(self.request.user).select_related("taxonomy")


class CallList(generics.ListAPIView):
    serializer_class = CallSerializer
    filterset_fields = ["status", "language"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no request/kwargs
            return Call.objects.none()
        return calls_visible_to(self.request.user).filter(project__slug=self.kwargs["slug"]).prefetch_related("jobs")


class CallUpload(APIView):
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = CallUploadSerializer

    def post(self, request: Request, slug: str) -> Response:
        project = project_for_manager(request.user, slug)
        payload = CallUploadSerializer(data=request.data)
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
        return Response(CallSerializer(outcome.call).data, status=code)


class CallDetail(generics.RetrieveAPIView):
    serializer_class = CallSerializer

    def get_object(self):
        return call_for_viewer(self.request.user, self.kwargs["pk"])


class CallRetry(APIView):
    serializer_class = CallSerializer

    def post(self, request: Request, pk: int) -> Response:
        call = call_for_manager(request.user, pk)
        try:
            call_retry(call=call)
        except DjangoValidationError as exc:
            raise ValidationError({"detail": exc.messages}) from exc
        call.refresh_from_db()
        return Response(CallSerializer(call).data, status=status.HTTP_202_ACCEPTED)

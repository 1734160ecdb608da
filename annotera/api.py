"""Project-level API: the token endpoint and the audit log (events of every app)."""

from __future__ import annotations

from rest_framework import generics
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser

from annotation.selectors import audit_events_visible_to
from annotera.credentials import lockout_refusal, lockout_seconds
from annotera.jsonlimits import BoundedJSONParser

from .filters import AuditEventFilter
from .models import AuditEvent
from .serializers import AuditEventSerializer


class TokenObtain(ObtainAuthToken):
    """POST username and password, get your API token. Failed attempts share the login form's
    lockout (``annotera.credentials``): per user name and per real client address."""

    throttle_classes: list = []
    # ObtainAuthToken names DRF's plain JSONParser; anyone, signed in or not, may post here, so
    # the body goes through the same depth and text checks as every other API body.
    parser_classes = [BoundedJSONParser, FormParser, MultiPartParser]

    def post(self, request, *args, **kwargs):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        wait = lockout_seconds(request, username if isinstance(username, str) else None)
        if wait:
            return lockout_refusal(request._request, wait)
        return super().post(request, *args, **kwargs)


class AuditEventList(generics.ListAPIView):
    """Audit log of annotation, turn and taxonomy changes: admins see all, project managers their
    projects' events and taxonomy events; others get an empty list."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular builds querysets without a request
            return AuditEvent.objects.none()
        return audit_events_visible_to(self.request.user).select_related("actor", "project")

"""Project-level API: the token endpoint and the audit log (events of every app)."""

from __future__ import annotations

from rest_framework import generics
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import ScopedRateThrottle

from annotation.selectors import audit_events_visible_to

from .filters import AuditEventFilter
from .models import AuditEvent
from .serializers import AuditEventSerializer


class TokenObtain(ObtainAuthToken):
    """POST username and password, get your API token (rate-limited like the login form)."""

    throttle_scope = "login"
    throttle_classes = [ScopedRateThrottle]


class AuditEventList(generics.ListAPIView):
    """Audit log of annotation, turn and taxonomy changes: admins see all, project managers their
    projects' events and taxonomy events; others get an empty list."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular builds querysets without a request
            return AuditEvent.objects.none()
        return audit_events_visible_to(self.request.user).select_related("actor", "project")

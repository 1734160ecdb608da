"""The REST API: the schema and docs, the token and audit endpoints, then each app's routes
(as HackSoft's Django-Styleguide-Example assembles its apps' APIs in one place)."""

from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import api

urlpatterns = [
    # /api/ itself answered 404; a person (or a client exploring) is sent to the docs.
    path("", RedirectView.as_view(pattern_name="api-docs", permanent=False), name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its init script as a separate file, so the CSP needs no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("auth/token/", api.TokenObtain.as_view(), name="api-token"),
    path("audit/", api.AuditEventList.as_view(), name="api-audit"),
    path("", include("annotation.api_urls")),
    path("", include("taxonomy.api_urls")),
    path("", include("qa.api_urls")),
    path("", include("qa.api_exports_urls")),
    path("", include("people.api_urls")),
]

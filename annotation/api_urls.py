from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import api

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("projects/", api.ProjectList.as_view(), name="api-projects"),
    path("projects/<slug:slug>/calls/", api.CallList.as_view(), name="api-project-calls"),
    path("projects/<slug:slug>/calls/upload/", api.CallUpload.as_view(), name="api-call-upload"),
    path("calls/<int:pk>/", api.CallDetail.as_view(), name="api-call-detail"),
    path("calls/<int:pk>/retry/", api.CallRetry.as_view(), name="api-call-retry"),
]

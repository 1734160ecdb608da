from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import api, api_workspace

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("projects/", api.ProjectList.as_view(), name="api-projects"),
    path("projects/<slug:slug>/calls/", api.CallList.as_view(), name="api-project-calls"),
    path("projects/<slug:slug>/calls/upload/", api.CallUpload.as_view(), name="api-call-upload"),
    path("calls/<int:pk>/", api.CallDetail.as_view(), name="api-call-detail"),
    path("calls/<int:pk>/retry/", api.CallRetry.as_view(), name="api-call-retry"),
    path("assignments/<int:pk>/workspace/", api_workspace.WorkspaceData.as_view(), name="api-workspace"),
    path(
        "assignments/<int:pk>/workspace/turns/", api_workspace.WorkspaceTurnDetail.as_view(), name="api-workspace-turns"
    ),
    path(
        "assignments/<int:pk>/turns/<int:turn_id>/annotation/",
        api_workspace.TurnAnnotationWrite.as_view(),
        name="api-turn-annotation",
    ),
    path(
        "calls/<int:pk>/turns/<int:turn_id>/correct/", api_workspace.TurnCorrection.as_view(), name="api-turn-correct"
    ),
    path("assignments/<int:pk>/submit/", api_workspace.AssignmentSubmit.as_view(), name="api-assignment-submit"),
]

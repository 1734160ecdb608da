from django.urls import path

from . import api_exports

urlpatterns = [
    path("projects/<slug:slug>/snapshots/", api_exports.SnapshotList.as_view(), name="api-project-snapshots"),
    path("snapshots/<int:pk>/", api_exports.SnapshotDetail.as_view(), name="api-snapshot-detail"),
    path("snapshots/<int:pk>/download/", api_exports.SnapshotDownload.as_view(), name="api-snapshot-download"),
    path("calls/<int:pk>/turns/import/", api_exports.CallTurnsImport.as_view(), name="api-call-turns-import"),
]

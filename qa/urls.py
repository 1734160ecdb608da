from django.urls import path

from . import views, views_anchoring, views_calibration, views_exports, views_review

app_name = "qa"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("projects/<slug:slug>/agreement/", views.project_agreement, name="project_agreement"),
    path("projects/<slug:slug>/disagreements/", views.project_disagreements, name="project_disagreements"),
    path(
        "projects/<slug:slug>/anchoring-modes/",
        views_anchoring.project_anchoring_modes,
        name="project_anchoring_modes",
    ),
    path("projects/<slug:slug>/calibration/", views_calibration.project_calibration, name="project_calibration"),
    path("turns/<int:turn_id>/adjudicate/", views.turn_adjudicate, name="turn_adjudicate"),
    path("calls/<int:call_id>/gold/", views.call_mark_gold, name="call_mark_gold"),
    path("calls/<int:call_id>/adjudicate/", views_review.call_adjudicate_view, name="call_adjudicate"),
    path("projects/<slug:slug>/annotators/<int:user_id>/", views_review.annotator_detail, name="annotator_detail"),
    # Dataset snapshots and turn imports
    path("projects/<slug:slug>/snapshots/", views_exports.project_snapshots, name="project_snapshots"),
    path("snapshots/<int:pk>/", views_exports.snapshot_detail, name="snapshot_detail"),
    path("snapshots/<int:pk>/download.zip", views_exports.snapshot_download, name="snapshot_download"),
    path("snapshots/<int:pk>/files/<path:path>", views_exports.snapshot_file, name="snapshot_file"),
    path("calls/<int:call_id>/turns/import/", views_exports.call_turns_import, name="call_turns_import"),
]

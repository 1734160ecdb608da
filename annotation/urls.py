from django.urls import path

from . import views_corrections
from .views import annotating, calls, projects, setup, skip, suggestion_modes, workforce

app_name = "annotation"

urlpatterns = [
    path("projects/", projects.project_list, name="project_list"),
    path("projects/new/", setup.project_new, name="project_new"),
    path("projects/<slug:slug>/", projects.project_detail, name="project_detail"),
    path("projects/<slug:slug>/calls/table/", projects.project_calls_partial, name="project_calls_partial"),
    path("projects/<slug:slug>/calls/upload/", projects.call_upload_view, name="call_upload"),
    path("projects/<slug:slug>/calls/bulk/", setup.calls_bulk_upload_view, name="calls_bulk_upload"),
    path("calls/<int:call_id>/", calls.call_detail, name="call_detail"),
    path("calls/<int:call_id>/retry/", calls.call_retry_view, name="call_retry"),
    path("calls/<int:call_id>/reprocess/", calls.call_reprocess_view, name="call_reprocess"),
    path("calls/<int:call_id>/remove/", calls.call_remove_view, name="call_remove"),
    path("calls/<int:call_id>/audio", calls.call_audio, name="call_audio"),
    path("calls/<int:call_id>/peaks", calls.call_peaks, name="call_peaks"),
    path("calls/<int:call_id>/metadata/", calls.call_metadata_view, name="call_metadata"),
    path("calls/<int:call_id>/speakers/<int:speaker_id>/", calls.speaker_update_view, name="speaker_update"),
    path("projects/<slug:slug>/assign/", projects.assignments_run_view, name="assignments_run"),
    path("assignments/<int:assignment_id>/reassign/", calls.assignment_reassign_view, name="assignment_reassign"),
    path("projects/<slug:slug>/settings/", projects.project_settings, name="project_settings"),
    path(
        "projects/<slug:slug>/settings/suggestions/",
        suggestion_modes.project_suggestion_settings,
        name="project_suggestion_settings",
    ),
    path("annotators/", workforce.annotator_list, name="annotators"),
    path("annotators/<int:user_id>/", workforce.annotator_edit, name="annotator_edit"),
    path("queue/", annotating.annotator_queue, name="queue"),
    path("queue/next/", annotating.queue_next_view, name="queue_next"),
    path("assignments/<int:assignment_id>/skip/", skip.assignment_skip_view, name="assignment_skip"),
    path("assignments/<int:assignment_id>/workspace/", annotating.workspace, name="workspace"),
    path("projects/<slug:slug>/corrections/", views_corrections.project_corrections, name="project_corrections"),
    path("proposals/<int:pk>/decide/", views_corrections.proposal_decide, name="proposal_decide"),
    path("turn-revisions/<int:pk>/undo/", views_corrections.revision_undo, name="revision_undo"),
]

from django.urls import path

from . import views, views_corrections

app_name = "annotation"

urlpatterns = [
    path("projects/", views.project_list, name="project_list"),
    path("projects/<slug:slug>/", views.project_detail, name="project_detail"),
    path("projects/<slug:slug>/calls/table/", views.project_calls_partial, name="project_calls_partial"),
    path("projects/<slug:slug>/calls/upload/", views.call_upload_view, name="call_upload"),
    path("calls/<int:call_id>/", views.call_detail, name="call_detail"),
    path("calls/<int:call_id>/retry/", views.call_retry_view, name="call_retry"),
    path("calls/<int:call_id>/audio", views.call_audio, name="call_audio"),
    path("calls/<int:call_id>/peaks", views.call_peaks, name="call_peaks"),
    path("calls/<int:call_id>/metadata/", views.call_metadata_view, name="call_metadata"),
    path("calls/<int:call_id>/speakers/<int:speaker_id>/", views.speaker_update_view, name="speaker_update"),
    path("projects/<slug:slug>/assign/", views.assignments_run_view, name="assignments_run"),
    path("assignments/<int:assignment_id>/reassign/", views.assignment_reassign_view, name="assignment_reassign"),
    path("projects/<slug:slug>/settings/", views.project_settings, name="project_settings"),
    path("annotators/", views.annotator_list, name="annotators"),
    path("annotators/<int:user_id>/", views.annotator_edit, name="annotator_edit"),
    path("queue/", views.annotator_queue, name="queue"),
    path("queue/next/", views.queue_next_view, name="queue_next"),
    path("assignments/<int:assignment_id>/workspace/", views.workspace, name="workspace"),
    path("projects/<slug:slug>/corrections/", views_corrections.project_corrections, name="project_corrections"),
    path("proposals/<int:pk>/decide/", views_corrections.proposal_decide, name="proposal_decide"),
    path("turn-revisions/<int:pk>/undo/", views_corrections.revision_undo, name="revision_undo"),
]

from django.urls import path

from . import api, api_corrections, api_projects, api_workspace

urlpatterns = [
    path("projects/", api_projects.ProjectListCreate.as_view(), name="api-projects"),
    path("projects/<slug:slug>/", api.ProjectDetail.as_view(), name="api-project-detail"),
    path("projects/<slug:slug>/calls/", api.CallList.as_view(), name="api-project-calls"),
    path("projects/<slug:slug>/calls/upload/", api.CallUpload.as_view(), name="api-call-upload"),
    path("calls/<int:pk>/", api.CallDetail.as_view(), name="api-call-detail"),
    path("calls/<int:pk>/retry/", api.CallRetry.as_view(), name="api-call-retry"),
    path("calls/<int:pk>/reprocess/", api.CallReprocess.as_view(), name="api-call-reprocess"),
    path("calls/<int:pk>/turns/", api.CallTurnList.as_view(), name="api-call-turns"),
    path("calls/<int:pk>/suggestions/", api.CallSuggestionList.as_view(), name="api-call-suggestions"),
    path("turns/<int:pk>/", api.TurnDetail.as_view(), name="api-turn-detail"),
    path("assignments/", api.AssignmentList.as_view(), name="api-assignments"),
    path("assignments/<int:pk>/", api.AssignmentDetail.as_view(), name="api-assignment-detail"),
    path(
        "assignments/<int:pk>/annotations/", api.AssignmentAnnotationList.as_view(), name="api-assignment-annotations"
    ),
    path(
        "assignments/<int:pk>/suggestions/", api.AssignmentSuggestionList.as_view(), name="api-assignment-suggestions"
    ),
    path("assignments/<int:pk>/workspace/", api_workspace.WorkspaceData.as_view(), name="api-workspace"),
    path(
        "assignments/<int:pk>/workspace/turns/", api_workspace.WorkspaceTurnDetail.as_view(), name="api-workspace-turns"
    ),
    path(
        "assignments/<int:pk>/turns/<int:turn_id>/annotation/",
        api_workspace.TurnAnnotationWrite.as_view(),
        name="api-turn-annotation",
    ),
    *[
        path(f"calls/<int:pk>/turns/<int:turn_id>/proposals/{action}/", view.as_view(), name=f"api-propose-{action}")
        for action, view in (
            ("adjust", api_corrections.ProposeAdjust),
            ("split", api_corrections.ProposeSplit),
            ("merge", api_corrections.ProposeMerge),
            ("speaker", api_corrections.ProposeSpeaker),
            ("text", api_corrections.ProposeText),
        )
    ],
    path("proposals/<int:pk>/accept/", api_corrections.ProposalAccept.as_view(), name="api-proposal-accept"),
    path("proposals/<int:pk>/reject/", api_corrections.ProposalReject.as_view(), name="api-proposal-reject"),
    path("proposals/<int:pk>/withdraw/", api_corrections.ProposalWithdraw.as_view(), name="api-proposal-withdraw"),
    path("turn-revisions/<int:pk>/undo/", api_corrections.TurnRevisionUndo.as_view(), name="api-turn-revision-undo"),
    path("assignments/<int:pk>/reopen/", api_workspace.AssignmentReopen.as_view(), name="api-assignment-reopen"),
    path("assignments/<int:pk>/submit/", api_workspace.AssignmentSubmit.as_view(), name="api-assignment-submit"),
]

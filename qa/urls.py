from django.urls import path

from . import views

app_name = "qa"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("projects/<slug:slug>/agreement/", views.project_agreement, name="project_agreement"),
    path("projects/<slug:slug>/disagreements/", views.project_disagreements, name="project_disagreements"),
    path("turns/<int:turn_id>/adjudicate/", views.turn_adjudicate, name="turn_adjudicate"),
    path("calls/<int:call_id>/gold/", views.call_mark_gold, name="call_mark_gold"),
]

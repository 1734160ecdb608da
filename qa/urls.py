from django.urls import path

from . import views

app_name = "qa"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("projects/<slug:slug>/agreement/", views.project_agreement, name="project_agreement"),
]

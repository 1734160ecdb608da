from django.urls import path

from . import api

urlpatterns = [
    path("projects/<slug:slug>/agreement/", api.ProjectAgreement.as_view(), name="api-project-agreement"),
]

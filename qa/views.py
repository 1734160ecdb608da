from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annotation.access import project_for_viewer
from annotation.selectors import project_call_counts, projects_visible_to

from .agreement import label_presence_report


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    projects = [(p, project_call_counts(p)) for p in projects_visible_to(request.user)]
    return render(request, "qa/dashboard.html", {"projects": projects})


@login_required
def project_agreement(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_viewer(request.user, slug)
    return render(request, "qa/agreement.html", {"project": project, "report": label_presence_report(project)})

"""The suggestion calibration page: how far the machine's confidence can be trusted here."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .calibration import calibration_report
from .selectors import project_for_reviewer


@login_required
def project_calibration(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_reviewer(request.user, slug)
    return render(request, "qa/calibration.html", {"project": project, "report": calibration_report(project)})

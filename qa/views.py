from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annotation.access import project_for_viewer
from annotation.selectors import project_call_counts, projects_visible_to

from .agreement import FIGURES, ReportFilters, project_report


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    projects = [(p, project_call_counts(p)) for p in projects_visible_to(request.user)]
    return render(request, "qa/dashboard.html", {"projects": projects})


@login_required
def project_agreement(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_viewer(request.user, slug)
    filters = ReportFilters.from_mapping(request.GET)
    report = project_report(project, filters, bootstrap=500)
    scale = 400
    bars = []
    for i, (label, figure) in enumerate(report["label_presence"]["per_label"].items()):
        alpha = figure["alpha"]
        ci = None
        if figure["low"] is not None:
            ci = (130 + max(0, figure["low"]) * scale, 130 + max(0, figure["high"]) * scale)
        width = max(0.0, alpha or 0.0) * scale
        bars.append({"label": label, "alpha": alpha, "width": width, "y": i * 24, "ci": ci, "text_x": 136 + width})
    figures = [(title, report[key]) for key, title in FIGURES]
    return render(
        request,
        "qa/agreement.html",
        {
            "project": project,
            "report": report,
            "filters": filters,
            "figures": figures,
            "bars": bars,
            "bars_height": max(24, 24 * len(bars)),
            "roles": ["agent", "customer", "unknown"],
        },
    )

"""QA page: agreement with the machine by suggestion mode (``qa.anchoring_modes``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .anchoring_modes import anchoring_by_mode
from .selectors import project_for_reviewer


@login_required
def project_anchoring_modes(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_reviewer(request.user, slug)
    breakdown = anchoring_by_mode(project)
    current = breakdown["current"]
    rows = [
        {
            **row.as_dict(),
            "groups": [("saw suggestions", row.suggested), ("blind", row.blind)],
            "current": (row.reveal_after_play, row.hide_confidence) == current,
        }
        for row in breakdown["modes"]
    ]
    return render(request, "qa/anchoring_modes.html", {"project": project, "breakdown": {**breakdown, "modes": rows}})

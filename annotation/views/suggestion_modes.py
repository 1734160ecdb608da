"""The project's anchoring controls: a form on the settings page posts here."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from ..access import project_for_manager
from ..forms import SuggestionModeForm
from ..suggestion_modes import project_suggestion_settings_update


@login_required
@require_POST
def project_suggestion_settings(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_manager(request.user, slug)
    form = SuggestionModeForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else "Form"
            messages.error(request, f"{label}: {' '.join(errors)} Nothing was changed.")
        return redirect("annotation:project_settings", slug=project.slug)
    before = (project.reveal_suggestions_after_play, project.hide_suggestion_confidence)
    try:
        project_suggestion_settings_update(
            project=project,
            actor=request.user,
            reveal_suggestions_after_play=form.cleaned_data["reveal"],
            hide_suggestion_confidence=form.cleaned_data["confidence"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("annotation:project_settings", slug=project.slug)
    if before == (project.reveal_suggestions_after_play, project.hide_suggestion_confidence):
        messages.info(request, "The suggestion settings were already like this; nothing changed.")
    else:
        messages.success(
            request,
            "Suggestion settings saved. They apply to assignments created from now on; "
            "existing assignments keep the settings they were created with.",
        )
    return redirect("annotation:project_settings", slug=project.slug)

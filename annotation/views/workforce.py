"""The workforce pages: annotators' profiles (project managers and admins).

Thin: access checks, then services and selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from annotera.roles import ADMIN, ANNOTATOR, user_role

from ..forms import AnnotatorProfileForm
from ..models import AnnotatorProfile
from ..selectors import projects_managed_by
from ..services import annotator_profile_save


@login_required
def annotator_list(request: HttpRequest) -> HttpResponse:
    """The workforce: every annotator's languages, locales and load (project managers)."""
    if not projects_managed_by(request.user).exists() and user_role(request.user) != ADMIN:
        raise PermissionDenied("Only project managers manage annotators.")
    users = (
        get_user_model()
        .objects.filter(groups__name=ANNOTATOR)
        .select_related("annotator_profile")
        .annotate(open=Count("assignments", filter=Q(assignments__status__in=["assigned", "in_progress"])))
        .order_by("username")
    )
    return render(request, "annotation/annotators.html", {"annotators": users})


@login_required
def annotator_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    if not projects_managed_by(request.user).exists() and user_role(request.user) != ADMIN:
        raise PermissionDenied("Only project managers manage annotators.")
    person = get_object_or_404(get_user_model(), pk=user_id, groups__name=ANNOTATOR)
    profile = AnnotatorProfile.objects.filter(user=person).first()
    initial = {"daily_capacity": 20, "active": True}
    if profile:
        initial = {
            "languages": ", ".join(f"{i['code']}:{i['proficiency']}" for i in profile.languages),
            "locales": ", ".join(profile.locales),
            "cultural_background": profile.cultural_background,
            "daily_capacity": profile.daily_capacity,
            "active": profile.active,
        }
    form = AnnotatorProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        annotator_profile_save(user=person, **form.cleaned_data)
        messages.success(request, f"Saved {person}'s profile.")
        return redirect("annotation:annotators")
    return render(request, "annotation/annotator_edit.html", {"person": person, "form": form})

"""Pages for projects and calls. Thin: access checks, then services/selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .access import call_for_manager, call_for_viewer, project_for_manager, project_for_viewer
from .forms import CallUploadForm
from .models import Call, Speaker
from .selectors import (
    call_overall_progress,
    call_stage_progress,
    project_call_counts,
    projects_managed_by,
    projects_visible_to,
)
from .services import call_retry, call_update_metadata, call_upload, speaker_update


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = [(p, project_call_counts(p)) for p in projects_visible_to(request.user).select_related("taxonomy")]
    return render(request, "annotation/project_list.html", {"projects": projects})


def _call_rows(calls) -> list[dict]:
    return [
        {"call": c, "stages": call_stage_progress(c), "progress": call_overall_progress(c)}
        for c in calls.prefetch_related("jobs")
    ]


@login_required
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_viewer(request.user, slug)
    can_manage = projects_managed_by(request.user).filter(pk=project.pk).exists()
    form = CallUploadForm() if can_manage else None
    context = {
        "project": project,
        "rows": _call_rows(project.calls.all()),
        "counts": project_call_counts(project),
        "can_manage": can_manage,
        "form": form,
    }
    return render(request, "annotation/project_detail.html", context)


@login_required
def project_calls_partial(request: HttpRequest, slug: str) -> HttpResponse:
    """The live call table, polled by htmx while any call is still being processed."""
    project = project_for_viewer(request.user, slug)
    can_manage = projects_managed_by(request.user).filter(pk=project.pk).exists()
    return render(
        request,
        "annotation/_call_table.html",
        {"project": project, "rows": _call_rows(project.calls.all()), "can_manage": can_manage},
    )


@login_required
@require_POST
def call_upload_view(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_manager(request.user, slug)
    form = CallUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{field}: {error}" if field != "__all__" else error)
        return redirect("annotation:project_detail", slug=project.slug)
    roles = form.cleaned_data["channel_layout"].split(",")
    for upload in form.cleaned_data["files"]:
        try:
            outcome = call_upload(
                project=project,
                fileobj=upload,
                filename=upload.name,
                uploaded_by=request.user,
                locale=form.cleaned_data["locale"],
                channel_roles=roles,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            continue
        if outcome.created:
            messages.success(request, f"{outcome.call.original_name}: uploaded; the machine pass is queued.")
        else:
            messages.info(
                request, f"{upload.name}: the same audio is already in this project as {outcome.call.original_name}."
            )
    return redirect("annotation:project_detail", slug=project.slug)


@login_required
@require_POST
def call_retry_view(request: HttpRequest, call_id: int) -> HttpResponse:
    call = call_for_manager(request.user, call_id)
    try:
        call_retry(call=call)
        messages.success(request, f"{call.original_name}: queued again.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("annotation:project_detail", slug=call.project.slug)


@login_required
@require_POST
def speaker_update_view(request: HttpRequest, call_id: int, speaker_id: int) -> HttpResponse:
    call = call_for_manager(request.user, call_id)
    speaker = get_object_or_404(call.speakers, pk=speaker_id)
    try:
        speaker_update(speaker=speaker, role=request.POST.get("role"), name=request.POST.get("name"))
        messages.success(request, f"{speaker.label} is now {speaker.get_role_display().lower()}.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("annotation:call_detail", call_id=call.pk)


@login_required
@require_POST
def call_metadata_view(request: HttpRequest, call_id: int) -> HttpResponse:
    call = call_for_manager(request.user, call_id)
    try:
        call_update_metadata(
            call=call, language_override=request.POST.get("language_override"), locale=request.POST.get("locale")
        )
        messages.success(request, "Call details saved.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("annotation:call_detail", call_id=call.pk)


@login_required
def call_detail(request: HttpRequest, call_id: int) -> HttpResponse:
    call = call_for_viewer(request.user, call_id)
    turns = call.turns.select_related("speaker").order_by("order")
    return render(
        request,
        "annotation/call_detail.html",
        {
            "call": call,
            "turns": turns,
            "speakers": call.speakers.all(),
            "stages": call_stage_progress(call),
            "progress": call_overall_progress(call),
            "is_processing": call.status in (Call.Status.QUEUED, Call.Status.PROCESSING),
            "can_manage": projects_managed_by(request.user).filter(pk=call.project_id).exists(),
            "roles": Speaker.Role.choices,
        },
    )


@login_required
def annotator_queue(request: HttpRequest) -> HttpResponse:
    assignments = (
        request.user.assignments.select_related("call", "call__project").order_by("status", "created_at").all()
    )
    return render(request, "annotation/queue.html", {"assignments": assignments})

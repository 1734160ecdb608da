"""Pages for starting a project: create it, upload a batch of calls with per-call metadata."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from annotera import roles
from annotera.uploads import upload_refusal

from ..access import project_for_manager
from ..bulk_upload import BatchStoreFailed, calls_bulk_upload
from ..project_forms import BulkUploadForm, ProjectCreateForm
from ..project_setup import project_setup
from ._common import upload_rate_limit


def _form_errors(request: HttpRequest, form) -> None:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields and form.fields[name].label else name
        for error in errors:
            messages.error(request, error if name == "__all__" else f"{label}: {error}")


@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    if roles.user_role(request.user) not in (roles.ADMIN, roles.PROJECT_MANAGER):
        raise PermissionDenied("Only admins and project managers create projects.")
    form = ProjectCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            project = project_setup(
                name=data["name"],
                slug=data["slug"],
                description=data["description"],
                taxonomy=data["taxonomy"],
                taxonomy_json=data["taxonomy_file"],
                overlap_k=data["overlap_k"],
                blind_share=data["blind_share"],
                required_proficiency=data["required_proficiency"],
                locale_match=data["locale_match"],
                channel_layout=data["channel_layout"],
                spoken_languages=data["spoken_languages"],
                created_by=request.user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]:
                field = "taxonomy_file" if field == "taxonomy_json" else field
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, f"Project {project.name} created. Next: add people, then upload calls.")
            return redirect("annotation:project_detail", slug=project.slug)
    return render(request, "annotation/project_new.html", {"form": form})


@login_required
@require_POST
@upload_rate_limit
def calls_bulk_upload_view(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_manager(request.user, slug)
    refused = upload_refusal(request)
    if refused:
        messages.error(request, refused)
        return redirect("annotation:project_detail", slug=project.slug)
    form = BulkUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Nothing was uploaded. Fix these and upload the batch again:")
        _form_errors(request, form)
        return redirect("annotation:project_detail", slug=project.slug)
    meta = form.cleaned_data["metadata"]
    try:
        result = calls_bulk_upload(
            project=project,
            files=form.cleaned_data["files"],
            metadata=meta.read() if meta else None,
            metadata_name=meta.name if meta else "",
            uploaded_by=request.user,
            locale=form.cleaned_data["locale"].strip(),
            channel_roles=form.cleaned_data["channel_layout"].split(","),
        )
    except BatchStoreFailed as exc:  # the batch was fine, storing it failed; the message says what was undone
        messages.error(request, exc.message)
        return redirect("annotation:project_detail", slug=project.slug)
    except ValidationError as exc:
        messages.error(request, "Nothing was uploaded. Fix these and upload the batch again:")
        for message in exc.messages:
            messages.error(request, message)
        return redirect("annotation:project_detail", slug=project.slug)
    duplicates = len(result.outcomes) - result.created
    skipped = f"{duplicates} file(s) were already in this project and were skipped."
    if result.created:
        messages.success(
            request,
            f"{result.created} call(s) uploaded; the machine pass is queued." + (f" {skipped}" if duplicates else ""),
        )
    else:  # nothing new: no "uploaded", no "queued"
        messages.info(request, f"Nothing new was uploaded: {skipped}")
    for duplicate in result.duplicates:  # each named, with any metadata of its own that was not applied
        (messages.warning if duplicate.differences else messages.info)(request, duplicate.message)
    return redirect("annotation:project_detail", slug=project.slug)

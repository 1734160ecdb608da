"""Taxonomy pages for project managers: list, import/export JSON, edit drafts, publish."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from annotera.downloads import protect_file_response, safe_filename
from annotera.jsonlimits import loads_bounded
from annotera.roles import ADMIN, PROJECT_MANAGER, user_role

from .forms import DimensionFormSet, LabelFormSet, TaxonomyHeaderForm, TaxonomyImportForm
from .models import Taxonomy
from .services import (
    taxonomy_draft_for_edit,
    taxonomy_export,
    taxonomy_import,
    taxonomy_publish,
    taxonomy_replace_from_document,
)

MAX_IMPORT_BYTES = 1024 * 1024


def _require_editor(request: HttpRequest) -> None:
    if user_role(request.user) not in (ADMIN, PROJECT_MANAGER):
        raise PermissionDenied("Only project managers edit taxonomies.")


@login_required
def taxonomy_list(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    form = TaxonomyImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            messages.error(request, f"{upload.name}: the file is over 1 MB; a taxonomy is much smaller than that.")
        else:
            try:
                data = loads_bounded(upload.read().decode("utf-8"))
                taxonomy = taxonomy_import(data=data, publish=form.cleaned_data["publish"], actor=request.user)
                messages.success(request, f"Imported {taxonomy}.")
                return redirect("taxonomy:detail", pk=taxonomy.pk)
            except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
                messages.error(request, f"{safe_filename(upload.name)}: not valid JSON ({exc}).")
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
    taxonomies = Taxonomy.objects.all().order_by("slug", "-version")
    return render(request, "taxonomy/list.html", {"taxonomies": taxonomies, "form": form})


@login_required
def taxonomy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    taxonomy = get_object_or_404(Taxonomy, pk=pk)
    document = taxonomy_export(taxonomy)
    if taxonomy.is_published or request.method != "POST":
        header = TaxonomyHeaderForm(initial={"name": taxonomy.name, "description": taxonomy.description})
        labels = LabelFormSet(
            prefix="labels",
            initial=[
                {**item, "parent": item["parent"] or "", "examples": "\n".join(item["examples"])}
                for item in document["labels"]
            ],
        )
        dimensions = DimensionFormSet(
            prefix="dims",
            initial=[
                {**d, "anchors": "\n".join(f"{k}: {v}" for k, v in d["anchors"].items())}
                for d in document["dimensions"]
            ],
        )
    else:
        header = TaxonomyHeaderForm(request.POST)
        labels = LabelFormSet(request.POST, prefix="labels")
        dimensions = DimensionFormSet(request.POST, prefix="dims")
        if header.is_valid() and labels.is_valid() and dimensions.is_valid():
            edited = {
                "slug": taxonomy.slug,
                "name": header.cleaned_data["name"],
                "description": header.cleaned_data["description"],
                "labels": [f.as_document() for f in labels.forms if _kept(f)],
                "dimensions": [f.as_document() for f in dimensions.forms if _kept(f)],
            }
            try:
                taxonomy_replace_from_document(taxonomy=taxonomy, data=edited, actor=request.user)
                messages.success(request, "Draft saved.")
                return redirect("taxonomy:detail", pk=taxonomy.pk)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
        else:
            messages.error(request, _not_saved_summary(header, labels, dimensions))
    versions = Taxonomy.objects.filter(slug=taxonomy.slug).order_by("-version")
    return render(
        request,
        "taxonomy/detail.html",
        {"taxonomy": taxonomy, "header": header, "labels": labels, "dimensions": dimensions, "versions": versions},
    )


def _not_saved_summary(header, labels, dimensions) -> str:
    """The message above the page: nothing was saved, and where the problems are (each one is
    written under its own field)."""
    places = ["the name or description"] if header.errors else []
    for formset, noun in ((labels, "label"), (dimensions, "dimension")):
        rows = [str(i + 1) for i, form in enumerate(formset.forms) if form.errors]
        if rows:
            places.append(f"{noun}{'s' if len(rows) > 1 else ''} {', '.join(rows)}")
        places += [str(error) for error in formset.non_form_errors()]
    return f"The draft was not saved. Fix {'; '.join(places)}: each problem is written under its field."


def _kept(form) -> bool:
    """A formset row that holds data and is not marked for deletion."""
    data = getattr(form, "cleaned_data", None) or {}
    return bool(data) and not data.get("DELETE") and bool(data.get("key"))


@login_required
@require_POST
def taxonomy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    draft = taxonomy_draft_for_edit(taxonomy=get_object_or_404(Taxonomy, pk=pk), actor=request.user)
    messages.info(request, f"Editing draft v{draft.version}; the published version stays as it was.")
    return redirect("taxonomy:detail", pk=draft.pk)


@login_required
@require_POST
def taxonomy_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    taxonomy = get_object_or_404(Taxonomy, pk=pk)
    try:
        taxonomy_publish(taxonomy=taxonomy, actor=request.user)
        messages.success(request, f"Published {taxonomy}. Projects move to it from their settings page.")
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("taxonomy:detail", pk=taxonomy.pk)


@login_required
def taxonomy_export_view(request: HttpRequest, pk: int) -> JsonResponse:
    _require_editor(request)
    taxonomy = get_object_or_404(Taxonomy, pk=pk)
    response = JsonResponse(taxonomy_export(taxonomy), json_dumps_params={"indent": 2, "ensure_ascii": False})
    return protect_file_response(response, filename=f"{taxonomy.slug}-v{taxonomy.version}.json")

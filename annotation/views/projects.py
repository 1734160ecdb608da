"""Project pages: the list, a project's calls and upload, assignment runs and settings.

Thin: access checks, then services and selectors."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import TooManyFilesSent, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from annotera.uploads import upload_refusal
from taxonomy.models import Taxonomy

from ..access import project_for_manager, project_for_viewer
from ..assignment import assignments_run, matching_gaps
from ..forms import CallUploadForm, ProjectRuleForm, TaxonomyChangeForm
from ..models import Assignment, Call
from ..selectors import (
    call_overall_progress,
    call_stage_progress,
    project_call_counts,
    project_coverage,
    projects_managed_by,
    projects_visible_to,
)
from ..services import (
    call_upload,
    project_change_taxonomy,
    project_rule_update,
)
from ._common import upload_rate_limit, visible_calls


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = [(p, project_call_counts(p)) for p in projects_visible_to(request.user).select_related("taxonomy")]
    return render(request, "annotation/project_list.html", {"projects": projects})


def _call_rows(calls) -> list[dict]:
    calls = calls.prefetch_related("jobs").annotate(
        n_assigned=Count("assignments", filter=~Q(assignments__status=Assignment.Status.SKIPPED), distinct=True),
        n_done=Count("assignments", filter=Q(assignments__status=Assignment.Status.SUBMITTED), distinct=True),
        n_turns=Count("turns", distinct=True),
    )
    return [{"call": c, "stages": call_stage_progress(c), "progress": call_overall_progress(c)} for c in calls]


def _any_busy(rows: list[dict]) -> bool:
    return any(r["call"].status in (Call.Status.QUEUED, Call.Status.PROCESSING) for r in rows)


@login_required
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_viewer(request.user, slug)
    can_manage = projects_managed_by(request.user).filter(pk=project.pk).exists()
    form = CallUploadForm() if can_manage else None
    gaps = matching_gaps(project) if can_manage else []
    most = max((g["missing"] for g in gaps), default=1)
    rows = _call_rows(visible_calls(request.user, project))
    context = {
        "project": project,
        "rows": rows,
        "any_busy": _any_busy(rows),
        "counts": project_call_counts(project),
        "coverage": project_coverage(project),
        "gaps": [{**g, "width": round(100 * g["missing"] / most)} for g in gaps],
        "can_manage": can_manage,
        "form": form,
    }
    return render(request, "annotation/project_detail.html", context)


@login_required
def project_calls_partial(request: HttpRequest, slug: str) -> HttpResponse:
    """The live call table, polled by htmx while any call is still being processed."""
    project = project_for_viewer(request.user, slug)
    can_manage = projects_managed_by(request.user).filter(pk=project.pk).exists()
    rows = _call_rows(visible_calls(request.user, project))
    return render(
        request,
        "annotation/_call_table.html",
        {"project": project, "rows": rows, "any_busy": _any_busy(rows), "can_manage": can_manage},
    )


@login_required
@require_POST
@upload_rate_limit
def call_upload_view(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_manager(request.user, slug)
    try:
        form = CallUploadForm(request.POST, request.FILES)
    except TooManyFilesSent:
        messages.error(
            request,
            f"Too many files in one upload: at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} at a time. "
            "Nothing was stored; upload them in smaller batches.",
        )
        return redirect("annotation:project_detail", slug=project.slug)
    refused = upload_refusal(request)
    if refused:
        messages.error(request, refused)
        return redirect("annotation:project_detail", slug=project.slug)
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
def assignments_run_view(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_manager(request.user, slug)
    run = assignments_run(project=project)
    missing = sum(g.missing for g in run.gaps)
    text = f"Created {run.created} assignment{'' if run.created == 1 else 's'}."
    if missing:
        slots = "1 annotator slot" if missing == 1 else f"{missing} annotator slots"
        text += f" {slots} could not be filled; see the matching gaps below."
    messages.success(request, text)
    return redirect("annotation:project_detail", slug=project.slug)


@login_required
def project_settings(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_manager(request.user, slug)
    rule_form = ProjectRuleForm(
        request.POST if request.POST.get("form") == "rule" else None,
        initial={f: getattr(project, f) for f in ProjectRuleForm.base_fields},
    )
    if rule_form.is_bound and rule_form.is_valid():
        wanted = {f: v for f, v in rule_form.cleaned_data.items() if v is not None}  # None: left out, unchanged
        if all(getattr(project, f) == v for f, v in wanted.items()):  # "saved" would claim a change nobody made
            messages.info(request, "The matching rule was already like this; nothing changed.")
            return redirect("annotation:project_settings", slug=project.slug)
        project_rule_update(project=project, actor=request.user, **rule_form.cleaned_data)
        messages.success(request, "Matching rule saved. Run assignment to apply it to unassigned calls.")
        return redirect("annotation:project_settings", slug=project.slug)
    candidates = Taxonomy.objects.filter(status=Taxonomy.Status.PUBLISHED).exclude(pk=project.taxonomy_id)
    change = TaxonomyChangeForm(
        {**request.POST.dict(), "to_taxonomy": request.POST.get("to_taxonomy") or request.GET.get("to")},
        project=project,
        candidates=candidates,
    )
    status = 200
    if not change.is_valid():
        for message in [*change.errors.get("to_taxonomy", []), *change.non_field_errors()]:
            messages.error(request, message)
        if "to_taxonomy" in change.errors:
            status = 400
    target = change.cleaned_data.get("to_taxonomy")
    plan = change.plan
    if plan is not None and request.POST.get("form") == "taxonomy" and request.POST.get("apply"):
        try:
            project_change_taxonomy(
                project=project, to_taxonomy=target, mapping=change.cleaned_data["mapping"], changed_by=request.user
            )
            messages.success(request, f"The project now uses {target}. Earlier annotations keep their version.")
            return redirect("annotation:project_settings", slug=project.slug)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
    return render(
        request,
        "annotation/project_settings.html",
        {
            "project": project,
            "rule_form": rule_form,
            "candidates": candidates,
            "target": target,
            "old_labels": [
                (label, ", ".join(plan["mapping"][label.key]) if plan else label.key) for label in change.old_labels
            ],
            "plan": plan,
            "without_same_key": change.without_same_key,
            "changes": project.taxonomy_changes.select_related("from_taxonomy", "to_taxonomy", "changed_by"),
            "models": project.suggestion_models.all()[:10],
        },
        status=status,
    )

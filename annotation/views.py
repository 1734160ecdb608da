"""Pages for projects and calls. Thin: access checks, then services/selectors."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from annotera.ratelimit import rate_limit
from annotera.roles import ADMIN, ANNOTATOR, user_role
from annotera.uploads import upload_refusal
from taxonomy.models import Taxonomy

from .access import call_for_manager, call_for_viewer, project_for_manager, project_for_viewer
from .assignment import assignment_next, assignment_reassign, assignments_run, matching_gaps
from .forms import AnnotatorProfileForm, CallUploadForm, ProjectRuleForm
from .models import AnnotatorProfile, Assignment, Call, Speaker, Suggestion
from .selectors import (
    call_overall_progress,
    call_stage_progress,
    project_call_counts,
    project_coverage,
    projects_managed_by,
    projects_visible_to,
    suggestions_for_assignment,
)
from .services import (
    annotator_profile_save,
    call_retry,
    call_update_metadata,
    call_upload,
    project_change_taxonomy,
    speaker_update,
    taxonomy_change_plan,
)
from .streaming import ranged_file_response


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
    rows = _call_rows(project.calls.all())
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
    rows = _call_rows(project.calls.all())
    return render(
        request,
        "annotation/_call_table.html",
        {"project": project, "rows": rows, "any_busy": _any_busy(rows), "can_manage": can_manage},
    )


@login_required
@require_POST
@rate_limit(
    "uploads", limit=lambda: settings.UPLOAD_RATE_LIMIT, window=60, keys=lambda request: [f"user:{request.user.pk}"]
)
def call_upload_view(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_manager(request.user, slug)
    form = CallUploadForm(request.POST, request.FILES)
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
    text = f"Created {run.created} assignment(s)."
    if missing:
        text += f" {missing} annotator slot(s) could not be filled; see the matching gaps below."
    messages.success(request, text)
    return redirect("annotation:project_detail", slug=project.slug)


@login_required
@require_POST
def assignment_reassign_view(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = get_object_or_404(Assignment.objects.select_related("call"), pk=assignment_id)
    call = call_for_manager(request.user, assignment.call_id)
    annotator = get_user_model().objects.filter(pk=request.POST.get("annotator") or 0).first()
    if annotator is None:
        messages.error(request, "Choose an annotator to reassign to.")
    else:
        try:
            assignment_reassign(assignment=assignment, annotator=annotator)
            messages.success(request, f"Reassigned to {annotator}.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("annotation:call_detail", call_id=call.pk)


@login_required
@require_POST
def queue_next_view(request: HttpRequest) -> HttpResponse:
    assignment = assignment_next(user=request.user)
    if assignment is None:
        messages.info(request, "Nothing is waiting for you right now.")
        return redirect("annotation:queue")
    if assignment.status == Assignment.Status.ASSIGNED:
        Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.IN_PROGRESS)
    return redirect("annotation:workspace", assignment_id=assignment.pk)


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
    can_manage = projects_managed_by(request.user).filter(pk=call.project_id).exists()
    turns = list(call.turns.select_related("speaker").order_by("order"))
    mine = call.assignments.filter(annotator=request.user).first()
    if mine is not None:
        visible = suggestions_for_assignment(mine)  # blind assignments get none
    elif projects_visible_to(request.user).filter(pk=call.project_id).exists():
        visible = Suggestion.objects.filter(turn__call=call)
    else:
        visible = Suggestion.objects.none()
    by_turn = {s.turn_id: s for s in visible}
    for turn in turns:
        turn.suggestion = by_turn.get(turn.pk)
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
            "can_manage": can_manage,
            "roles": Speaker.Role.choices,
            "assignments": call.assignments.select_related("annotator") if can_manage else [],
            "annotators": get_user_model().objects.filter(annotator_profile__active=True).order_by("username")
            if can_manage
            else [],
        },
    )


@login_required
def annotator_queue(request: HttpRequest) -> HttpResponse:
    assignments = (
        request.user.assignments.select_related("call", "call__project")
        # Turns an accepted split or merge changed under this annotator: told here, re-checked in the workspace.
        .annotate(recheck=Count("turn_annotations", filter=Q(turn_annotations__needs_recheck=True)))
        .order_by("status", "created_at")
    )
    return render(
        request,
        "annotation/queue.html",
        {"assignments": assignments, "next_assignment": assignment_next(user=request.user)},
    )


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


@login_required
def project_settings(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_manager(request.user, slug)
    rule_form = ProjectRuleForm(
        request.POST if request.POST.get("form") == "rule" else None,
        initial={f: getattr(project, f) for f in ("overlap_k", "blind_share", "required_proficiency", "locale_match")},
    )
    if rule_form.is_bound and rule_form.is_valid():
        for field, value in rule_form.cleaned_data.items():
            setattr(project, field, value)
        project.full_clean()
        project.save()
        messages.success(request, "Matching rule saved. Run assignment to apply it to unassigned calls.")
        return redirect("annotation:project_settings", slug=project.slug)
    candidates = Taxonomy.objects.filter(status=Taxonomy.Status.PUBLISHED).exclude(pk=project.taxonomy_id)
    target = candidates.filter(pk=request.POST.get("to_taxonomy") or request.GET.get("to") or 0).first()
    old_labels = list(project.taxonomy.labels.order_by("order"))
    plan = None
    if target is not None:
        new_keys = set(target.labels.values_list("key", flat=True))
        mapping = {}
        for label in old_labels:
            raw = request.POST.get(f"map_{label.key}")
            if raw is None:
                raw = label.key if label.key in new_keys else ""
            mapping[label.key] = [k.strip() for k in raw.split(",") if k.strip()]
        try:
            plan = taxonomy_change_plan(project=project, to_taxonomy=target, mapping=mapping)
            if request.POST.get("form") == "taxonomy" and request.POST.get("apply"):
                project_change_taxonomy(project=project, to_taxonomy=target, mapping=mapping, changed_by=request.user)
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
                (label, ", ".join(plan["mapping"][label.key]) if plan else label.key) for label in old_labels
            ],
            "plan": plan,
            "changes": project.taxonomy_changes.select_related("from_taxonomy", "to_taxonomy", "changed_by"),
            "models": project.suggestion_models.all()[:10],
        },
    )


@login_required
def call_audio(request: HttpRequest, call_id: int) -> HttpResponse:
    """The call's audio for the annotator's player: access-checked, with HTTP Range support."""
    call = call_for_viewer(request.user, call_id)
    return ranged_file_response(request, call.audio.path)


@login_required
def call_peaks(request: HttpRequest, call_id: int) -> JsonResponse:
    """Waveform min/max for the visible window: ?start=&end= seconds, &buckets= (pixels)."""
    import base64

    from .pipeline.peaks import level_for, load_peaks, peaks_window
    from .stages import peaks_path

    call = call_for_viewer(request.user, call_id)
    path = peaks_path(call)
    if not path.exists():
        return JsonResponse({"error": "The waveform is not ready yet; the machine pass is still running."}, status=409)
    try:
        start = float(request.GET.get("start", 0))
        end = float(request.GET.get("end", call.duration or 0))
        buckets = int(request.GET.get("buckets", 1000))
    except ValueError:
        return JsonResponse({"error": "start and end must be seconds, buckets a whole number."}, status=400)
    if not (0 <= start < end) or not (1 <= buckets <= 20000):
        return JsonResponse({"error": "Need 0 <= start < end and 1 <= buckets <= 20000."}, status=400)
    level = level_for(start, end, buckets)  # read only the level this window needs
    level, window = peaks_window({level: load_peaks(path, level)}, start, end, buckets)
    return JsonResponse(
        {
            "start": start,
            "end": end,
            "buckets": buckets,
            "level": level,
            "channels": int(window.shape[0]),
            # int8 min,max pairs per bucket, base64 per channel: compact and fast to decode.
            "data": [base64.b64encode(window[c].tobytes()).decode() for c in range(window.shape[0])],
        }
    )


@login_required
def workspace(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """The annotation workspace: waveform, transcript, prosody, keyboard tagging, autosave."""
    assignment = get_object_or_404(
        Assignment.objects.select_related("call", "call__project"), pk=assignment_id, annotator=request.user
    )
    if assignment.call.status != Call.Status.READY:
        messages.info(request, "This call is still being processed; it opens once its machine pass is done.")
        return redirect("annotation:queue")
    return render(request, "annotation/workspace.html", {"assignment": assignment, "call": assignment.call})

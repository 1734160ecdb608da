"""A call's page and what hangs off it: retry, speakers, metadata, reassignment, audio and peaks.

Thin: access checks, then services and selectors."""

from __future__ import annotations

import base64
import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ..access import call_for_manager, call_for_viewer
from ..assignment import assignment_reassign, call_assignment_pending
from ..call_removal import call_removal_refusal, call_remove
from ..forms import whole_number
from ..models import Assignment, Call, Speaker
from ..pipeline.peaks import level_for, load_peaks, peaks_window
from ..selectors import (
    call_overall_progress,
    call_stage_progress,
    projects_managed_by,
    suggestions_visible_on_call,
)
from ..services import (
    call_reprocess,
    call_reprocess_refusal,
    call_retry,
    call_update_metadata,
    speaker_update,
)
from ..storage import peaks_path
from ..streaming import audio_type, ranged_file_response
from ..suggestion_modes import call_page_suggestions
from ._common import refusal_as_message


@login_required
def call_detail(request: HttpRequest, call_id: int) -> HttpResponse:
    call = call_for_viewer(request.user, call_id)
    can_manage = projects_managed_by(request.user).filter(pk=call.project_id).exists()
    turns = list(call.turns.select_related("speaker").order_by("order"))
    visible = suggestions_visible_on_call(request.user, call)
    by_turn = {s.turn_id: s for s in visible}
    for turn in turns:
        turn.suggestion = by_turn.get(turn.pk)
    call_page_suggestions(user=request.user, call=call, turns=turns)  # the annotator's suggestion mode
    # The page's own polling says which status it shows (?shown=); a new one is swapped into the
    # heading's live region, so that a change (and only a change) is announced.
    shown = request.GET.get("shown", "")
    status_changed = bool(request.htmx and shown and shown != call.status)
    # A call that turns ready is assigned by a task of its own, queued then: the page goes on
    # polling (?assigning=1) while that is to come, and the poll that finds it done swaps the
    # assignments in and announces them.
    assignment_pending = can_manage and call_assignment_pending(call)
    assignment_settled = bool(
        request.htmx
        and request.GET.get("assigning")
        and not status_changed
        and call.status == Call.Status.READY
        and not assignment_pending
    )
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
            "status_changed": status_changed,
            "assignment_pending": assignment_pending,
            "assignment_settled": assignment_settled,
            "can_manage": can_manage,
            # Run again (e.g. after declaring the project's languages) while nobody has worked on it.
            "can_reprocess": can_manage and not call_reprocess_refusal(call),
            "can_remove": can_manage and not call_removal_refusal(call),
            "roles": Speaker.Role.choices,
            "assignments": call.assignments.select_related("annotator") if can_manage else [],
            "annotators": get_user_model().objects.filter(annotator_profile__active=True).order_by("username")
            if can_manage
            else [],
        },
    )


@login_required
@require_POST
def call_retry_view(request: HttpRequest, call_id: int) -> HttpResponse:
    call = call_for_manager(request.user, call_id)
    with refusal_as_message(request):
        call_retry(call=call)
        messages.success(request, f"{call.original_name}: queued again.")
    if request.POST.get("back") == "call":  # the call page's button: back to it, to follow the stages
        return redirect("annotation:call_detail", call_id=call.pk)
    return redirect("annotation:project_detail", slug=call.project.slug)


@login_required
@require_POST
def call_remove_view(request: HttpRequest, call_id: int) -> HttpResponse:
    call = call_for_manager(request.user, call_id)
    if request.POST.get("confirm") != "yes":  # deleting a file cannot be undone: asked for in so many words
        messages.error(
            request, f"{call.original_name} was not removed: tick “Delete this call and its audio file” first."
        )
        return redirect("annotation:call_detail", call_id=call.pk)
    with refusal_as_message(request):
        name = call_remove(call=call, actor=request.user)
        messages.success(request, f"{name}: removed, with its files. Upload another file of the call to annotate it.")
        return redirect("annotation:project_detail", slug=call.project.slug)
    return redirect("annotation:call_detail", call_id=call.pk)


@login_required
@require_POST
def call_reprocess_view(request: HttpRequest, call_id: int) -> HttpResponse:
    call = call_for_manager(request.user, call_id)
    with refusal_as_message(request):
        call_reprocess(call=call, actor=request.user)
        messages.success(request, f"{call.original_name}: the machine pass runs again from language identification.")
    return redirect("annotation:call_detail", call_id=call.pk)


@login_required
@require_POST
def speaker_update_view(request: HttpRequest, call_id: int, speaker_id: int) -> HttpResponse:
    call = call_for_manager(request.user, call_id)
    speaker = get_object_or_404(call.speakers, pk=speaker_id)
    with refusal_as_message(request):
        speaker_update(
            speaker=speaker, role=request.POST.get("role"), name=request.POST.get("name"), actor=request.user
        )
        messages.success(request, f"{speaker.label} is now {speaker.get_role_display().lower()}.")
    return redirect("annotation:call_detail", call_id=call.pk)


@login_required
@require_POST
def call_metadata_view(request: HttpRequest, call_id: int) -> HttpResponse:
    call = call_for_manager(request.user, call_id)
    with refusal_as_message(request):
        call_update_metadata(
            call=call, language_override=request.POST.get("language_override"), locale=request.POST.get("locale")
        )
        messages.success(request, "Call details saved.")
    return redirect("annotation:call_detail", call_id=call.pk)


@login_required
@require_POST
def assignment_reassign_view(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = get_object_or_404(Assignment.objects.select_related("call"), pk=assignment_id)
    call = call_for_manager(request.user, assignment.call_id)
    annotator_id = whole_number(request.POST.get("annotator"))
    annotator = get_user_model().objects.filter(pk=annotator_id).first() if annotator_id else None
    if annotator is None:
        messages.error(request, "Choose an annotator to reassign to.")
    else:
        with refusal_as_message(request):
            assignment_reassign(assignment=assignment, annotator=annotator)
            messages.success(request, f"Reassigned to {annotator}.")
    return redirect("annotation:call_detail", call_id=call.pk)


@login_required
def call_audio(request: HttpRequest, call_id: int) -> HttpResponse:
    """The call's audio for the annotator's player: access-checked, with HTTP Range support."""
    call = call_for_viewer(request.user, call_id)
    if not call.audio or not call.audio.storage.exists(call.audio.name):
        return HttpResponse(
            "This call's audio file is missing from storage; ask a project manager to upload it again.",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    content_type, extension = audio_type(call.audio.path)
    return ranged_file_response(
        request, call.audio.path, content_type=content_type, filename=f"call-{call.pk}.{extension}", inline=True
    )


@login_required
def call_peaks(request: HttpRequest, call_id: int) -> JsonResponse:
    """Waveform min/max for the visible window: ?start=&end= seconds, &buckets= (pixels)."""
    call = call_for_viewer(request.user, call_id)
    try:
        start = float(request.GET.get("start", 0))
        end = float(request.GET.get("end", call.duration or 0))
        buckets = int(request.GET.get("buckets", 1000))
    except ValueError:
        return JsonResponse({"error": "start and end must be seconds, buckets a whole number."}, status=400)
    if not (math.isfinite(start) and math.isfinite(end)):
        return JsonResponse({"error": "start and end must be finite numbers of seconds."}, status=400)
    # Past the end of the call there is nothing to draw; capping also keeps the arithmetic finite.
    limit = max(call.duration or 0, settings.AUDIO_MAX_SECONDS)
    if not (0 <= start < end <= limit) or not (1 <= buckets <= 20000):
        return JsonResponse(
            {"error": f"Need 0 <= start < end <= {limit:g} seconds and 1 <= buckets <= 20000."}, status=400
        )
    path = peaks_path(call)
    if not path.exists():
        return JsonResponse({"error": "The waveform is not ready yet; the machine pass is still running."}, status=409)
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

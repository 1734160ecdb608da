from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from annotation.access import call_for_manager
from annotation.models import TurnAnnotation
from annotation.pipeline.peaks import level_for, load_peaks, peaks_window
from annotation.selectors import project_call_counts, projects_managed_by, projects_visible_to
from annotation.storage import peaks_path
from annotera.middleware import refusal
from annotera.roles import user_role
from taxonomy.selectors import taxonomy_scales

from . import pictures
from .agreement import FIGURES, ReportFilters
from .forms import AdjudicationForm
from .judgements import report_taxonomy
from .selectors import (
    REVIEW_ROLES,
    agreement_report_cached,
    disagreement_queue,
    labels_dropped_on_the_way,
    next_in_queue,
    project_for_reviewer,
    report_filter_choices,
    report_filter_problems,
    says_no_emotion,
    shifts_a_decision_keeps,
    turn_for_reviewer,
    turn_neighbours,
    turn_review,
)
from .services import (
    INLINE_LIMIT,
    GoldIncomplete,
    adjudication_create,
    agreement_report_compute_inline,
    agreement_report_request,
    filters_key,
    gold_call_mark,
    newest_adjudications,
)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Each project's QA pages, for reviewers and managers (an annotator was shown links to pages
    that then refused them)."""
    if user_role(request.user) not in REVIEW_ROLES:
        raise PermissionDenied(
            "The QA pages (agreement, disagreements, datasets) are for reviewers and project managers; "
            "your work is in your queue."
        )
    projects = [(p, project_call_counts(p)) for p in projects_visible_to(request.user)]
    return render(request, "qa/dashboard.html", {"projects": projects})


@login_required
def project_agreement(request: HttpRequest, slug: str) -> HttpResponse:
    """The cached report for the filters, with when it was computed; while it is (re)computing
    the page polls with htmx. A report never computed is computed here for small projects and
    queued for a worker otherwise."""
    project = project_for_reviewer(request.user, slug)
    try:
        filters = ReportFilters.from_mapping(request.GET)
    except ValueError:
        return refusal(
            request,
            400,
            "The taxonomy version must be a whole number from 1 to 2147483647 (see the project's settings).",
        )
    if (
        filters.taxonomy_version is not None
        and filters.taxonomy_version not in report_filter_choices(project)["versions"]
    ):
        messages.error(
            request, f"This project never used taxonomy version {filters.taxonomy_version}; showing the current one."
        )
        filters = ReportFilters.from_mapping({**request.GET.dict(), "taxonomy_version": ""})
    problems = report_filter_problems(project, filters, request.GET.keys())
    if problems:
        # To the address without them, so the page's polling and its links carry none of them.
        for problem in problems.values():
            messages.error(request, f"{problem} Showing the report without it.")
        kept = {k: v for k, v in request.GET.dict().items() if k not in problems}
        return redirect(f"{request.path}?{urlencode(kept)}" if kept else request.path)
    cached = agreement_report_cached(project, filters_key(filters))
    if cached is None or cached.computed_at is None:
        small = TurnAnnotation.objects.filter(assignment__call__project=project).count() <= INLINE_LIMIT
        if small:
            cached = agreement_report_compute_inline(project=project, filters=filters)
        else:
            cached = agreement_report_request(project=project, filters=filters)
    elif cached.stale and cached.started_at is None:
        cached = agreement_report_request(project=project, filters=filters)  # queues unless queued
    report = cached.report if cached.computed_at else None
    busy = cached.stale or cached.computed_at is None or cached.started_at is not None
    context = {
        "project": project,
        "filters": filters,
        "cached": cached,
        "report": report,
        "busy": busy,
        "choices": report_filter_choices(project),
    }
    if report:
        per_annotator = report.get("per_annotator", [])
        context.update(
            figures=[(title, report[key]) for key, title in FIGURES],
            bars=pictures.alpha_bars(report["label_presence"]["per_label"]),
            scatter=pictures.annotator_scatter(per_annotator),
            drift=pictures.drift_lines(per_annotator),
            per_annotator=per_annotator,
        )
        # Reports cached before the count existed have no key: none removed as far as they know.
        if report.get("rows_labels_removed", 0):
            context.update(
                labels_removed_by=labels_dropped_on_the_way(project, report_taxonomy(project, filters)),
                can_manage=projects_managed_by(request.user).filter(pk=project.pk).exists(),
            )
    template = "qa/_report.html" if request.htmx else "qa/agreement.html"
    return render(request, template, context)


@login_required
def project_disagreements(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_reviewer(request.user, slug)
    return render(request, "qa/disagreements.html", {"project": project, "queue": disagreement_queue(project)})


def snap(value: float | None, low: float, step: float) -> float | None:
    """A consensus mean (e.g. 0.667) on the scale's nearest step, so the pre-filled form is valid."""
    if value is None:
        return None
    snapped = round(low + round((value - low) / step) * step, 6)
    return int(snapped) if float(snapped).is_integer() else snapped


def _peaks_for(turn):
    path = peaks_path(turn.call)
    if not path.exists():
        return None
    start, end = max(0.0, turn.start), max(turn.end, turn.start + 0.01)
    level = level_for(start, end, 320)
    return peaks_window({level: load_peaks(path, level)}, start, end, 320)[1]


def _as_posted(post, labels) -> dict:
    """The adjudication form's values as the reviewer posted them (a refused save keeps them)."""
    chosen = {key: post.get(f"intensity_{key}", "").strip() for key in post.getlist("label")}
    rows = sorted(int(k.removeprefix("shift_at_")) for k in post if k.startswith("shift_at_") and k[9:].isdigit())
    shifts = [
        {
            "at": post.get(f"shift_at_{r}", ""),
            "from": post.get(f"shift_from_{r}", ""),
            "to": post.get(f"shift_to_{r}", ""),
        }
        for r in rows
        if post.get(f"shift_at_{r}", "").strip()
    ]
    return {
        "form_labels": [
            {
                "key": label.key,
                "name": label.name,
                "checked": label.key in chosen,
                "intensity": int(chosen[label.key]) if chosen.get(label.key, "").isdigit() else None,
            }
            for label in labels
        ],  # fmt: skip
        "valence_value": post.get("valence", ""),
        "arousal_value": post.get("arousal", ""),
        "shift_rows": [*shifts, {"at": None, "from": "", "to": ""}],
        "note_value": post.get("note", ""),
        "no_emotion_checked": bool(post.get("no_emotion")),
    }


@login_required
def turn_adjudicate(request: HttpRequest, turn_id: int) -> HttpResponse:
    """Side by side: each annotator's labels, the machine suggestion, the prosody over the
    waveform, and a form whose submission becomes the turn's consensus of record."""
    turn = turn_for_reviewer(request.user, turn_id)
    project = turn.call.project
    labels = list(project.taxonomy.labels.order_by("order"))
    refused = None  # the reviewer's refused form: drawn again as they filled it, not as pre-filled
    if request.method == "POST":
        form = AdjudicationForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(form.error_text())
            adjudication_create(
                turn=turn,
                reviewer=request.user,
                labels=form.cleaned_data["labels"],
                valence=form.cleaned_data["valence"],
                arousal=form.cleaned_data["arousal"],
                shifts=form.cleaned_data["shifts"],
                note=form.cleaned_data["note"],
                based_on=form.based_on(),
                no_emotion=form.cleaned_data["no_emotion"],
            )
        except ValidationError as error:
            messages.error(request, f"Not saved: {'; '.join(error.messages)}")
            refused = request.POST
        else:
            messages.success(request, f"Turn {turn.order + 1} adjudicated; it is now the consensus of record.")
            following = next_in_queue(project, turn)
            if following is not None and request.POST.get("then") == "next":
                return redirect("qa:turn_adjudicate", turn_id=following.pk)
            return redirect("qa:project_disagreements", slug=project.slug)
    review = turn_review(turn)
    newest = newest_adjudications([turn.pk]).get(turn.pk)
    scales = taxonomy_scales(project.taxonomy)
    previous_turn, next_turn = turn_neighbours(turn)
    consensus_labels = {item["label"]: item.get("intensity") for item in review["consensus"].labels}
    # The shifts the pre-filled decision can carry as it is (the rest: listed as not carried over);
    # the majority's shifts are counted by their times alone, so one may name an emotion the vote left out.
    whole = shifts_a_decision_keeps(review["consensus"].shifts, turn, consensus_labels)
    form_labels = [
        {"key": label.key, "name": label.name, "checked": label.key in consensus_labels,
         "intensity": consensus_labels.get(label.key)}
        for label in labels
    ]  # fmt: skip
    values = {
        "form_labels": form_labels,
        "valence_value": snap(review["consensus"].valence, scales.valence[0], scales.valence_step),
        "arousal_value": snap(review["consensus"].arousal, scales.arousal[0], scales.arousal_step),
        # The consensus's shifts (the newest adjudication's, else the majority's) and a blank row.
        "shift_rows": [*whole, {"at": None, "from": "", "to": ""}],
        "note_value": newest.note if newest else "",
        "no_emotion_checked": says_no_emotion(review["consensus"]),
    }
    if refused is not None:
        values = _as_posted(refused, labels)
    return render(
        request,
        "qa/adjudicate.html",
        {
            "project": project,
            "turn": turn,
            "call": turn.call,
            "review": review,
            **values,
            "intensities": list(range(int(scales.intensity[0]), int(scales.intensity[1]) + 1)),
            "scales": scales,
            "shifts_left_out": [s for s in review["consensus"].shifts if s not in whole],
            # The decision this form is built on: saving is refused if another is recorded meanwhile.
            "based_on": newest.pk if newest else "",
            "previous_turn": previous_turn,
            "next_turn": next_turn,
            "next_queued": next_in_queue(project, turn),
            "context_start": previous_turn.start if previous_turn else turn.start,
            "context_end": next_turn.end if next_turn else turn.end,
            "picture": pictures.turn_prosody_picture(turn, _peaks_for(turn)),
        },
    )


@login_required
@require_POST
def call_mark_gold(request: HttpRequest, call_id: int) -> HttpResponse:
    call = call_for_manager(request.user, call_id)
    try:
        gold_call_mark(call=call, user=request.user)
    except GoldIncomplete as error:
        messages.error(request, " ".join(error.messages))
        return redirect("qa:call_adjudicate", call_id=call.pk)  # the whole call, missing turns first
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{call.original_name} is now a gold call; it will be mixed into annotator queues.")
    return redirect("qa:project_disagreements", slug=call.project.slug)

"""Review pages beyond one turn: a whole call adjudicated at once, and one annotator's figures."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from taxonomy.selectors import taxonomy_scales

from . import pictures
from .agreement import ReportFilters
from .forms import posted_adjudication_id
from .selectors import (
    agreement_report_cached,
    call_for_reviewer,
    call_review,
    project_for_reviewer,
    says_no_emotion,
    shifts_a_decision_keeps,
)
from .services import call_adjudicate, filters_key, newest_adjudications
from .views import snap


def _decisions(post, rows: list[dict]) -> list[dict]:
    """The ticked turns of the whole-call form as adjudication decisions; ValueError for a
    number that is not one. The form does not edit shifts: a turn keeps the shifts of its
    consensus (the newest adjudication's, else the ones most annotators marked) whose two
    emotions are both still chosen; the turn's own page edits them. ``based_on_<turn>``: the
    turn's newest adjudication when the page was drawn (empty: none), so a decision recorded on
    the turn since refuses the whole form instead of being silently replaced."""
    decisions = []
    for row in rows:
        pk = row["turn"].pk
        if not post.get(f"include_{pk}"):
            continue
        labels = [
            {
                "label": key,
                "intensity": int(post[f"intensity_{pk}_{key}"]) if post.get(f"intensity_{pk}_{key}") else None,
            }
            for key in post.getlist(f"label_{pk}")
        ]
        decisions.append(
            {
                "turn": pk,
                "labels": labels,
                "valence": float(post[f"valence_{pk}"]) if post.get(f"valence_{pk}") else None,
                "arousal": float(post[f"arousal_{pk}"]) if post.get(f"arousal_{pk}") else None,
                # Shifts are edited on the turn's own page; here the consensus's are kept where the
                # turn holds them and both emotions stay chosen.
                "shifts": shifts_a_decision_keeps(
                    row["consensus"].shifts, row["turn"], [item["label"] for item in labels]
                ),
                "note": post.get(f"note_{pk}", ""),
                "based_on": posted_adjudication_id(post.get(f"based_on_{pk}")),
                "no_emotion": bool(post.get(f"no_emotion_{pk}")),
            }
        )
    return decisions


@login_required
def call_adjudicate_view(request: HttpRequest, call_id: int) -> HttpResponse:
    """Every turn of a call in one form. Turns the annotators fully agree on come ticked and
    pre-filled from the consensus; disagreed turns come pre-filled with the vote but unticked,
    so the reviewer looks at them. Saving adjudicates the ticked turns, all or none."""
    call = call_for_reviewer(request.user, call_id)
    project = call.project
    rows = call_review(call)
    if request.method == "POST":
        try:
            saved = call_adjudicate(call=call, reviewer=request.user, decisions=_decisions(request.POST, rows))
        except ValueError:
            messages.error(request, "Not saved: intensity, valence and arousal must be numbers.")
        except ValidationError as error:
            messages.error(request, "Not saved: " + "; ".join(error.messages))
        else:
            messages.success(request, f"{len(saved)} turns adjudicated.")
            return redirect("qa:call_adjudicate", call_id=call.pk)
    scales = taxonomy_scales(project.taxonomy)
    labels = list(project.taxonomy.labels.order_by("order", "key").values_list("key", "name"))
    newest = newest_adjudications([row["turn"].pk for row in rows])
    for row in rows:
        chosen = {item["label"]: item.get("intensity") for item in row["consensus"].labels}
        row["form_labels"] = [
            {"key": key, "name": name, "checked": key in chosen, "intensity": chosen.get(key)} for key, name in labels
        ]
        row["include"] = not row["adjudicated"] and row["agreed"]
        row["no_emotion"] = says_no_emotion(row["consensus"])
        row["based_on"] = newest[row["turn"].pk].pk if row["turn"].pk in newest else ""
        row["valence"] = snap(row["consensus"].valence, scales.valence[0], scales.valence_step)
        row["arousal"] = snap(row["consensus"].arousal, scales.arousal[0], scales.arousal_step)
    missing = [row["turn"] for row in rows if not row["adjudicated"]]
    return render(
        request,
        "qa/call_adjudicate.html",
        {
            "project": project,
            "call": call,
            "rows": rows,
            "missing": missing,
            "scales": scales,
            "intensities": list(range(int(scales.intensity[0]), int(scales.intensity[1]) + 1)),
        },
    )


@login_required
def annotator_detail(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    """One annotator in the cached report for the page's filters: agreement with the
    leave-one-out consensus, label usage against the pool, drift, speed and gold accuracy."""
    project = project_for_reviewer(request.user, slug)
    try:
        filters = ReportFilters.from_mapping(request.GET)
    except ValueError:
        filters = ReportFilters()
    cached = agreement_report_cached(project, filters_key(filters))
    report = cached.report if cached and cached.computed_at else None
    if report is None:
        messages.info(request, "The agreement report for these filters is not computed yet; it is computing now.")
        return redirect(f"{reverse('qa:project_agreement', args=[project.slug])}?{request.GET.urlencode()}")
    entry = next((a for a in report.get("per_annotator", []) if a["annotator"] == user_id), None)
    if entry is None:
        raise Http404("This annotator has no judgements in this report.")
    usage = [
        {"label": label, "mine": share, "pool": pool, "diff": share - pool}
        for label, share in entry["label_usage"].items()
        for pool in [entry.get("label_usage_pool", {}).get(label, 0.0)]
    ]
    for bucket in entry.get("drift", []):
        bucket["from_date"] = dt.datetime.fromtimestamp(bucket["from"], tz=dt.UTC)
    return render(
        request,
        "qa/annotator.html",
        {
            "project": project,
            "filters": filters,
            "cached": cached,
            "report": report,
            "entry": entry,
            "usage": [u for u in usage if u["mine"] or u["pool"]],
            "drift": pictures.drift_lines([entry]),
        },
    )

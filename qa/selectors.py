"""QA reads: who may review a project, cached reports, the disagreement queue, a turn's review."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from annotation.access import project_for_viewer
from annotation.models import Project, Suggestion, Turn, TurnAnnotation
from annotera.roles import ADMIN, PROJECT_MANAGER, QA_REVIEWER, user_role

from .consensus import Consensus, consensus_for_turns
from .models import Adjudication, AgreementReport

REVIEW_ROLES = (ADMIN, PROJECT_MANAGER, QA_REVIEWER)
CANDIDATE_LIMIT = 5000  # turns whose consensus the queue computes live


def project_for_reviewer(user, slug: str) -> Project:
    """The project, for its reviewers and managers (and admins): annotators get 403, users of
    other projects 404."""
    if user_role(user) not in REVIEW_ROLES:
        raise PermissionDenied("Only QA reviewers and project managers review agreement and adjudicate.")
    return project_for_viewer(user, slug)


def turn_for_reviewer(user, turn_id: int) -> Turn:
    turn = get_object_or_404(Turn.objects.select_related("call", "call__project", "speaker"), pk=turn_id)
    project_for_reviewer(user, turn.call.project.slug)
    return turn


def agreement_report_cached(project: Project, key: str) -> AgreementReport | None:
    return AgreementReport.objects.filter(project=project, key=key).first()


@dataclass(frozen=True)
class QueueItem:
    turn: Turn
    consensus: Consensus


def disagreement_queue(project: Project, *, limit: int = 50) -> list[QueueItem]:
    """Turns with at least two annotations and no adjudication, most disagreed first (ties by
    turn id). Large projects take their candidates from the cached report's most-disagreed list
    (the 500 most disagreed turns), so the page stays fast."""
    adjudicated = Adjudication.objects.filter(turn__call__project=project).values("turn_id")
    cached = (
        AgreementReport.objects.filter(project=project, key="{}", computed_at__isnull=False)
        .values_list("report", flat=True)
        .first()
    )
    candidates = (
        TurnAnnotation.objects.filter(assignment__call__project=project, skipped=False)
        .exclude(turn_id__in=adjudicated)
        .values("turn_id")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
        .values_list("turn_id", flat=True)
    )
    if cached and cached.get("annotations", 0) > CANDIDATE_LIMIT:
        # Large project: the report's most-disagreed list (recomputed whenever annotations change).
        ids = [turn_id for turn_id, _ in cached.get("most_disagreed", [])]
        done = set(Adjudication.objects.filter(turn_id__in=ids).values_list("turn_id", flat=True))
        ids = [turn_id for turn_id in ids if turn_id not in done]
    else:  # small project, or no report yet: live, over at most CANDIDATE_LIMIT candidates
        ids = list(candidates.order_by("turn_id")[:CANDIDATE_LIMIT])
    consensus = consensus_for_turns(ids)
    ranked = sorted((t for t in ids if consensus[t].disagreement > 0), key=lambda t: (-consensus[t].disagreement, t))
    turns = Turn.objects.in_bulk(ranked[:limit])
    return [QueueItem(turns[t], consensus[t]) for t in ranked[:limit]]


def turn_review(turn: Turn) -> dict:
    """Everything the side-by-side adjudication view shows for one turn."""
    annotations = list(
        TurnAnnotation.objects.filter(turn=turn)
        .select_related("assignment", "assignment__annotator")
        .order_by("assignment__annotator__username")
    )
    suggestion = Suggestion.objects.filter(turn=turn).order_by("-created_at", "-pk").first()
    return {
        "annotations": annotations,
        "suggestion": suggestion,
        "consensus": consensus_for_turns([turn.pk])[turn.pk],
        "adjudications": list(Adjudication.objects.filter(turn=turn).select_related("reviewer")[:10]),
        "is_gold": hasattr(turn.call, "gold"),
    }


def unadjudicated_turns(call) -> int:
    return call.turns.filter(~Q(pk__in=Adjudication.objects.filter(turn__call=call).values("turn_id"))).count()

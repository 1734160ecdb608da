"""QA reads: who may review a project, cached reports, the disagreement queue, a turn's review."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from annotation.access import project_for_viewer
from annotation.models import Assignment, Call, Project, Suggestion, TaxonomyChange, Turn, TurnAnnotation
from annotera.names import unknown_key
from annotera.roles import ADMIN, PROJECT_MANAGER, QA_REVIEWER, user_role
from taxonomy.selectors import taxonomy_scales

from .consensus import GRADED_ROUTE, Consensus, consensus_for_turns, graded_disagreement, routing_score
from .judgements import ReportFilters, annotator_cultures, labels_in_version, shifts_in_version, version_mappings
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


def labels_dropped_on_the_way(project: Project, taxonomy) -> list[dict]:
    """The project's recorded version changes that lead to ``taxonomy`` and dropped labels, oldest
    first: [{"from": Taxonomy, "to": Taxonomy, "dropped": [keys]}]. Read from each change's
    mapping (a key mapped to [] was dropped), so changes recorded before their report listed
    "dropped" are named too."""
    mappings = version_mappings(project, taxonomy)
    changes = (
        TaxonomyChange.objects.filter(
            project=project, from_taxonomy_id__in=list(mappings), to_taxonomy_id__in=list(mappings)
        )
        .select_related("from_taxonomy", "to_taxonomy")
        .order_by("created_at", "pk")
    )
    found = []
    for change in changes:
        dropped = sorted(key for key, targets in change.mapping.items() if not targets)
        if dropped:
            found.append({"from": change.from_taxonomy, "to": change.to_taxonomy, "dropped": dropped})
    return found


@dataclass(frozen=True)
class QueueItem:
    turn: Turn
    consensus: Consensus
    score: float = 0.0  # routing_score: label-set or graded disagreement, whichever is larger
    differs: str = ""  # "intensity", "valence" or "arousal" when that spread is what routed the turn


def scale_ranges(project: Project) -> dict[str, tuple[float, float]]:
    """The project's taxonomy's intensity, valence and arousal ranges (for graded disagreement)."""
    scales = taxonomy_scales(project.taxonomy)
    return {"intensity": scales.intensity, "valence": scales.valence, "arousal": scales.arousal}


def graded_difference(consensus: Consensus, ranges: dict) -> str:
    """Which scale two annotators gave values at least GRADED_ROUTE of its range apart on ("" if none)."""
    share, which = graded_disagreement(consensus, ranges)
    return which if share >= GRADED_ROUTE and share > consensus.disagreement else ""


def disagreement_queue(project: Project, *, limit: int = 50) -> list[QueueItem]:
    """Turns with at least two submitted annotations and no adjudication, most disagreed first
    (ties by turn id): label sets that differ, or the same labels at intensities (or valences,
    arousals) at least half their scale apart. Drafts are not routed: a reviewer adjudicated
    labels their annotator could still change, and the later change went unseen. Large projects
    take their candidates from the cached report's most-disagreed list (the 500 most disagreed
    turns), so the page stays fast."""
    adjudicated = Adjudication.objects.filter(turn__call__project=project).values("turn_id")
    cached = (
        AgreementReport.objects.filter(project=project, key="{}", computed_at__isnull=False)
        .values_list("report", flat=True)
        .first()
    )
    candidates = (
        TurnAnnotation.objects.judgements()
        .filter(assignment__call__project=project, assignment__status=Assignment.Status.SUBMITTED)
        .exclude(turn_id__in=adjudicated)
        .values("turn_id")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
        .values_list("turn_id", flat=True)
    )
    if cached and cached.get("annotations", 0) > CANDIDATE_LIMIT:
        # Large project: the report's most-disagreed list (recomputed whenever annotations change).
        # The report reads drafts too: keep the listed turns that have two submitted judgements and
        # no adjudication, and fill up from the live candidates, so turns where only drafts
        # disagree cannot take every place while submitted disagreements wait unseen.
        listed = [turn_id for turn_id, _ in cached.get("most_disagreed", [])]
        open_ = set(candidates.filter(turn_id__in=listed).values_list("turn_id", flat=True))
        ids = [turn_id for turn_id in listed if turn_id in open_]
        if len(ids) < limit:
            ids += [t for t in candidates.order_by("turn_id")[:CANDIDATE_LIMIT] if t not in open_]
    else:  # small project, or no report yet: live, over at most CANDIDATE_LIMIT candidates
        ids = list(candidates.order_by("turn_id")[:CANDIDATE_LIMIT])
    consensus = consensus_for_turns(ids, submitted_only=True)
    ranges = scale_ranges(project)
    score = {t: routing_score(consensus[t], ranges) for t in ids}
    ranked = sorted((t for t in ids if score[t] > 0), key=lambda t: (-score[t], t))
    turns = Turn.objects.in_bulk(ranked[:limit])
    return [
        QueueItem(turns[t], consensus[t], score[t], graded_difference(consensus[t], ranges)) for t in ranked[:limit]
    ]


def in_current_version(annotations: list[TurnAnnotation], project: Project) -> list[TurnAnnotation]:
    """Each annotation with ``labels_shown``/``shifts_shown`` in the project's current taxonomy
    version (the keys the queue, the consensus and the adjudication form use), and
    ``labels_saved_as`` when the annotator saved other keys (a label renamed or merged since), or
    ``unreadable_version`` when their version does not lead to the current one. The page showed
    "anger (3)" beside a queue saying "hostility" and a form without "anger"."""
    mappings = version_mappings(project, project.taxonomy)
    for annotation in annotations:
        annotation.labels_shown, annotation.shifts_shown = annotation.labels, annotation.shifts
        annotation.labels_saved_as, annotation.unreadable_version = None, annotation.taxonomy_id not in mappings
        mapping = mappings.get(annotation.taxonomy_id)
        if mapping is not None:
            annotation.labels_shown = labels_in_version(annotation.labels, mapping)
            annotation.shifts_shown = shifts_in_version(annotation.shifts, mapping)
            if annotation.labels_shown != annotation.labels:
                annotation.labels_saved_as = annotation.labels
    return annotations


def turn_review(turn: Turn) -> dict:
    """Everything the side-by-side adjudication view shows for one turn."""
    annotations = in_current_version(
        list(
            TurnAnnotation.objects.filter(turn=turn)
            .select_related("assignment", "assignment__annotator")
            .order_by("assignment__annotator__username")
        ),
        turn.call.project,
    )
    suggestion = Suggestion.objects.filter(turn=turn).order_by("-created_at", "-pk").first()
    return {
        "annotations": annotations,
        "suggestion": suggestion,
        "consensus": consensus_for_turns([turn.pk])[turn.pk],
        "adjudications": list(Adjudication.objects.filter(turn=turn).select_related("reviewer")[:10]),
        "is_gold": hasattr(turn.call, "gold"),
    }


def shifts_the_turn_holds(shifts, turn: Turn) -> list[dict]:
    """The shifts an adjudication of ``turn`` can carry as they are: both emotions named (a side a
    taxonomy change split or dropped is None) and the time inside the turn as it is now (a
    boundary correction may have moved past a shift the annotators marked)."""
    return [
        s
        for s in shifts
        if s.get("from") and s.get("to") and s.get("at") is not None and turn.start <= s["at"] <= turn.end
    ]


def shifts_a_decision_keeps(shifts, turn: Turn, labels: Iterable[str]) -> list[dict]:
    """The shifts the turn holds (``shifts_the_turn_holds``) that a decision choosing ``labels``
    (keys) can carry: from one of its emotions to another (``clean_annotation`` refuses a shift
    naming an emotion the decision does not choose, or running from an emotion to itself)."""
    chosen = set(labels)
    return [s for s in shifts_the_turn_holds(shifts, turn) if s["from"] != s["to"] and {s["from"], s["to"]} <= chosen]


def unadjudicated_turns(call) -> int:
    return call.turns.filter(~Q(pk__in=Adjudication.objects.filter(turn__call=call).values("turn_id"))).count()


def call_for_reviewer(user, call_id: int) -> Call:
    call = get_object_or_404(Call.objects.select_related("project", "project__taxonomy"), pk=call_id)
    project_for_reviewer(user, call.project.slug)
    return call


def report_filter_choices(project: Project) -> dict:
    """The values the agreement filters can take in this project (the page offers them as
    selects, so a filter can never name something that does not exist)."""
    annotators = Assignment.objects.filter(call__project=project).values_list("annotator_id", flat=True).distinct()
    changes = TaxonomyChange.objects.filter(project=project)
    used = {project.taxonomy.version}
    used.update(changes.values_list("from_taxonomy__version", flat=True))
    used.update(changes.values_list("to_taxonomy__version", flat=True))
    return {
        "languages": sorted(
            set(
                Turn.objects.filter(call__project=project)
                .exclude(language="")
                .order_by()
                .values_list("language", flat=True)
                .distinct()
            )
        ),
        "locales": sorted(
            {loc.lower() for loc in project.calls.exclude(locale="").values_list("locale", flat=True).distinct()}
        ),
        "cultures": sorted({c for c in annotator_cultures(list(annotators)).values() if c}),
        "roles": ["agent", "customer", "unknown"],
        "versions": sorted(used),
    }


# Filter -> (its list in report_filter_choices, how a sentence names it).
FILTER_CHOICES = {
    "language": ("languages", "a turn in language"),
    "locale": ("locales", "a call from locale"),
    "culture": ("cultures", "an annotator of culture"),
    "speaker_role": ("roles", "speaker role"),
}


def report_filter_problems(project: Project, filters: ReportFilters, keys=()) -> dict[str, str]:
    """Filter name -> why it cannot be applied in this project: a key that is no filter
    ("langauge"), or a value nothing in the project has (``language=zz``). Either would compute
    and cache a report of nothing while the person believes it is filtered (``format`` is the
    API's own parameter). The taxonomy version is checked by ``judgements.report_taxonomy``."""
    known = [f.name for f in fields(ReportFilters)]
    problems = {}
    for key in keys:
        if key not in known and key != "format":
            problems[key] = unknown_key(key, known, what="filter")
    if not any(getattr(filters, name) for name in FILTER_CHOICES):
        return problems
    choices = report_filter_choices(project)
    for name, (plural, noun) in FILTER_CHOICES.items():
        value = getattr(filters, name)
        if value and value not in choices[plural]:
            have = ", ".join(choices[plural]) or "none yet"
            problems[name] = f"Nothing in this project has {noun} '{value}' (it has: {have})."
    return problems


def turn_neighbours(turn: Turn) -> tuple[Turn | None, Turn | None]:
    """The turns before and after ``turn`` in its call."""
    turns = turn.call.turns.select_related("speaker")
    return (
        turns.filter(order__lt=turn.order).order_by("-order").first(),
        turns.filter(order__gt=turn.order).order_by("order").first(),
    )


def says_no_emotion(consensus: Consensus) -> bool:
    """The consensus is "no emotion": an adjudication without labels, or judgements of which none
    chose a label (the adjudication forms come with "No emotion on this turn" ticked)."""
    if consensus.source == "adjudicated":
        return not consensus.labels
    return consensus.annotators > 0 and not consensus.soft_labels


def next_in_queue(project: Project, turn: Turn) -> Turn | None:
    """The most disagreed open turn other than ``turn`` (the reviewer's "next")."""
    return next((item.turn for item in disagreement_queue(project, limit=2) if item.turn.pk != turn.pk), None)


def call_review(call: Call) -> list[dict]:
    """Every turn of a call with its annotations, consensus and newest adjudication, for
    adjudicating the whole call at once."""
    turns = list(call.turns.select_related("speaker").order_by("order"))
    consensus = consensus_for_turns([t.pk for t in turns])
    ranges = scale_ranges(call.project)
    annotations: dict[int, list] = {}
    for row in in_current_version(
        list(
            TurnAnnotation.objects.judgements()
            .filter(turn__call=call)
            .select_related("assignment__annotator")
            .order_by("assignment__annotator__username")
        ),
        call.project,
    ):
        annotations.setdefault(row.turn_id, []).append(row)
    notes: dict[int, str] = {}  # the newest adjudication's note, per adjudicated turn
    for turn_id, note in (
        Adjudication.objects.filter(turn__call=call)
        .order_by("turn_id", "-created_at", "-pk")
        .values_list("turn_id", "note")
    ):
        notes.setdefault(turn_id, note)
    return [
        {
            "turn": t,
            "consensus": consensus[t.pk],
            "annotations": annotations.get(t.pk, []),
            "adjudicated": t.pk in notes,
            "note": notes.get(t.pk, ""),
            # Labels, intensities, valence and arousal alike (the page ticks these turns to save as
            # they are; the same labels at intensities 1 and 5 came ticked, pre-filled with 3).
            "agreed": consensus[t.pk].unanimous,
            "differs": graded_difference(consensus[t.pk], ranges),
        }
        for t in turns
    ]

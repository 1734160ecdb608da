"""Which turns a dataset holds (filters) and their records, streamed in call/turn order in chunks.

A record is one turn: the call, times, speaker, language, transcript and words, prosody, machine
suggestions with their model version, every annotator's labels, and the consensus of record
(``qa.consensus``): soft labels, consensus or adjudicated labels, valence/arousal mean and SD,
shifts. Every format writer reads these records, so all formats say the same thing.

One key space: the annotators' labels are in the snapshot's taxonomy version, like the
consensus, older rows read through the project's recorded mappings (``annotation_entry``). The
judgements that are none in that version are listed apart (``annotations_left_out``), so no
writer reads them as "no label".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from annotation.models import Assignment, Call, Project, Suggestion, Turn, TurnAnnotation
from annotation.storage import pcm_path

from ..consensus import consensus_for_turns
from ..judgements import labels_in_version, labels_removed_by_change, shifts_in_version, version_mappings
from ..models import Adjudication
from ..reliability import AlphaResult, alpha_from_counts

CHUNK = 1000


class ExportError(ValueError):
    """A person must fix the request (bad filter, missing audio...). ``message`` says what;
    ``field`` names the request field at fault ("" when it is none in particular)."""

    def __init__(self, message: str, *, field: str = "") -> None:
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}" if field else message)


@dataclass(frozen=True)
class ExportFilters:
    calls: tuple[int, ...] = ()
    languages: tuple[str, ...] = ()
    min_alpha: float | None = None
    adjudicated_only: bool = False
    gold_only: bool = False
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    # Annotations of assignments their annotators have submitted only (drafts of calls still being
    # annotated are otherwise included, each marked "submitted": false, and counted in the card).
    submitted_only: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping) -> ExportFilters:
        """Parse filters from a form/JSON/CLI mapping; raises ExportError naming the bad field."""

        def as_list(value) -> list:
            if value in (None, ""):
                return []
            if isinstance(value, str):
                return [v for v in (part.strip() for part in value.split(",")) if v]
            return list(value)

        try:
            calls = tuple(sorted({int(c) for c in as_list(data.get("calls"))}))
        except (TypeError, ValueError) as exc:
            raise ExportError("give call ids as whole numbers, e.g. 12,15.", field="calls") from exc
        if any(not 1 <= c < 2**63 for c in calls):  # a database id; 10**20 would overflow the query
            raise ExportError("a call id is a whole number from 1 to 9223372036854775807.", field="calls")
        languages = tuple(sorted({str(lang).strip().lower() for lang in as_list(data.get("languages"))}))
        min_alpha = data.get("min_alpha")
        if min_alpha in (None, ""):
            min_alpha = None
        else:
            try:
                min_alpha = float(min_alpha)
            except (TypeError, ValueError) as exc:
                raise ExportError("give a number between -1 and 1.", field="min_alpha") from exc
            if not -1.0 <= min_alpha <= 1.0:
                raise ExportError("give a number between -1 and 1.", field="min_alpha")

        def as_date(key: str) -> dt.date | None:
            value = data.get(key)
            if value in (None, ""):
                return None
            if isinstance(value, dt.date):
                return value
            try:
                return dt.date.fromisoformat(str(value))
            except ValueError as exc:
                raise ExportError("give a date as YYYY-MM-DD.", field=key) from exc

        date_from, date_to = as_date("date_from"), as_date("date_to")
        if date_from and date_to and date_from > date_to:
            raise ExportError("the range starts after it ends.", field="date_from")
        return cls(
            calls=calls,
            languages=languages,
            min_alpha=min_alpha,
            adjudicated_only=_truthy(data.get("adjudicated_only")),
            gold_only=_truthy(data.get("gold_only")),
            date_from=date_from,
            date_to=date_to,
            submitted_only=_truthy(data.get("submitted_only")),
        )

    def set_values(self) -> dict:
        """The filters that are set, with their values. By identity, not equality: ``min_alpha``
        0.0 equals False and is a filter all the same."""
        return {
            key: value
            for key, value in self.__dict__.items()
            if not (value is None or value is False or (isinstance(value, tuple) and not value))
        }

    def as_dict(self) -> dict:
        return {key: as_json(value) for key, value in self.set_values().items()}


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


@dataclass
class CallInfo:
    id: int
    name: str
    duration: float | None
    channels: int
    sample_rate: int
    locale: str
    language: str
    pcm: Path
    speaker_channels: dict[str, int | None] = field(default_factory=dict)


def call_alphas(
    project: Project, call_ids: list[int] | None = None, *, submitted_only: bool = False
) -> dict[int, float | None]:
    """Label-presence alpha per call (nominal, over the call's turns x the labels chosen in it); rows of
    earlier taxonomy versions are read through the recorded mapping, as in the agreement report
    (rows whose labels the mapping all dropped are left out, as there).
    None where alpha is undefined (see ``call_alpha_results``)."""
    results = call_alpha_results(project, call_ids, submitted_only=submitted_only)
    return {call_id: result.alpha for call_id, result in results.items()}


def call_alpha_results(
    project: Project, call_ids: list[int] | None = None, *, submitted_only: bool = False
) -> dict[int, AlphaResult]:
    """``call_alphas`` with the whole result per call, so a caller can say why an alpha is
    undefined: ``units == 0`` (no turn had two annotators) or no variation at all. A call with no
    judgement is absent. ``submitted_only``: as the export filter."""
    labels = list(project.taxonomy.labels.values_list("key", flat=True))
    index = {k: i for i, k in enumerate(labels)}
    mappings = version_mappings(project, project.taxonomy)
    rows = TurnAnnotation.objects.judgements().filter(turn__call__project=project, taxonomy_id__in=list(mappings))
    if submitted_only:
        rows = rows.filter(assignment__status=Assignment.Status.SUBMITTED)
    if call_ids:
        rows = rows.filter(turn__call_id__in=call_ids)
    per_call: dict[int, dict[int, list]] = defaultdict(dict)
    for call_id, turn_id, turn_labels, taxonomy_id, no_emotion in rows.values_list(
        "turn__call_id", "turn_id", "labels", "taxonomy_id", "no_emotion"
    ).iterator():
        mapping = mappings[taxonomy_id]
        if labels_removed_by_change(turn_labels, mapping, no_emotion):
            continue  # no judgement in this version (read as "no label" it would disagree)
        slot = per_call[call_id].setdefault(turn_id, [0, np.zeros(len(labels))])
        slot[0] += 1
        present = {
            target
            for item in turn_labels or []
            for target in ([item.get("label")] if mapping is None else mapping.get(item.get("label"), []))
        }
        for key in present & index.keys():
            slot[1][index[key]] += 1
    results: dict[int, AlphaResult] = {}
    for call_id, turns in per_call.items():
        judged = np.array([t[0] for t in turns.values()], dtype=float)
        present = np.array([t[1] for t in turns.values()], dtype=float).reshape(len(turns), len(labels))
        # Pooled over the labels someone chose in the call, as the report pools (qa.agreement): a
        # label nobody chose adds unanimous absence, which raised the figure with the taxonomy's
        # size (two annotators choosing "anger" on every turn scored 1.0, where the report says
        # undefined). With no label chosen at all, one column of absence keeps the units counted.
        used = [k for k in range(len(labels)) if present[:, k].any()] or list(range(min(1, len(labels))))
        counts = np.concatenate(
            [np.stack([judged - present[:, k], present[:, k]], axis=1) for k in used]
        ) if used else np.zeros((0, 2))  # fmt: skip
        results[call_id] = alpha_from_counts(counts, [0, 1], "nominal", bootstrap=0)
    return results


def selected_turns(project: Project, filters: ExportFilters) -> QuerySet[Turn]:
    """The turns a dataset with these filters holds: of ready calls, in call/turn order.

    Every filter is a condition on the turn, and a turn is kept when it meets them all, so the
    order they are applied in changes nothing (``filter_effects`` counts them one by one)."""
    turns = Turn.objects.filter(call__project=project, call__status=Call.Status.READY)
    if filters.calls:
        named = dict(project.calls.filter(pk__in=filters.calls).values_list("pk", "status"))
        missing = sorted(set(filters.calls) - named.keys())
        if missing:
            raise ExportError(f"no call {', '.join(map(str, missing))} in project '{project.slug}'.", field="calls")
        if any(status != Call.Status.READY for status in named.values()):
            raise ExportError(_not_ready(project, filters.calls), field="calls")
        turns = turns.filter(call_id__in=filters.calls)
    if filters.languages:
        turns = turns.filter(language__in=filters.languages)
    if filters.gold_only:
        turns = turns.filter(call__gold__isnull=False)
    if filters.date_from:
        turns = turns.filter(call__created_at__date__gte=filters.date_from)
    if filters.date_to:
        turns = turns.filter(call__created_at__date__lte=filters.date_to)
    adjudicated = Exists(Adjudication.objects.filter(turn_id=OuterRef("pk")))
    if filters.adjudicated_only:
        turns = turns.filter(adjudicated)
    if filters.min_alpha is not None:
        # Calls whose alpha is undefined (no turn with two annotators, or no variation at all)
        # are left out: nothing shows they meet the threshold. filter_effects counts them apart.
        alphas = call_alphas(project, list(filters.calls) or None, submitted_only=filters.submitted_only)
        good = [c for c, a in alphas.items() if a is not None and a >= filters.min_alpha]
        # An adjudicated turn has a reviewer's answer of record, whatever its call's agreement.
        turns = turns.filter(Q(call_id__in=good) | Q(adjudicated))
    return turns.order_by("call_id", "order")


NOT_READY_WORDS = {Call.Status.QUEUED: "is queued for the machine pass", Call.Status.PROCESSING: "is processing",
                   Call.Status.FAILED: "failed in the machine pass"}  # fmt: skip


def _not_ready(project: Project, call_ids: tuple[int, ...]) -> str:
    rows = project.calls.filter(pk__in=call_ids).exclude(status=Call.Status.READY).order_by("pk")
    named = [
        f"call {pk} ({name}) {NOT_READY_WORDS.get(status, f'is {status}')}"
        for pk, name, status in rows.values_list("pk", "original_name", "status")
    ]
    return (
        f"{'; '.join(named)}. Only ready calls can be exported: leave "
        f"{'it' if len(named) == 1 else 'them'} out of the list, or wait until "
        f"{'it is' if len(named) == 1 else 'they are'} ready (a failed call can be retried from its page)."
    )


# The order filter_effects reports the filters in (the order of the form).
FILTER_ORDER = ("calls", "languages", "gold_only", "date_from", "date_to", "adjudicated_only", "min_alpha")
FILTER_WORDS = {
    "calls": "calls not in the list",
    "languages": "turns in other languages",
    "gold_only": "calls that are not gold calls",
    "date_from": "calls uploaded before {value}",
    "date_to": "calls uploaded after {value}",
    "adjudicated_only": "turns no reviewer adjudicated",
}


def _per_call(turns: QuerySet[Turn]) -> dict[int, int]:
    return dict(turns.order_by().values("call_id").annotate(n=Count("pk")).values_list("call_id", "n"))


def _calls(n: int) -> str:
    return f"{n} call" if n == 1 else f"{n} calls"


def _turns(n: int) -> str:
    return f"{n} turn" if n == 1 else f"{n} turns"


def _ids(call_ids: list[int], limit: int = 20) -> str:
    shown = ", ".join(map(str, call_ids[:limit]))
    more = f" and {len(call_ids) - limit} more (every id is in datacard.json)" if len(call_ids) > limit else ""
    return f"call{'s' if len(call_ids) > 1 else ''} {shown}{more}"


def filter_effects(project: Project, filters: ExportFilters) -> list[dict]:
    """What the filters left out of the project, one entry per filter set, in FILTER_ORDER:
    ``calls`` (calls that lost every turn to it), ``turns`` (turns it removed from what the
    filters before it kept), ``call_ids`` and a ``sentence`` a person reads in the data card.

    First, when some calls of the project are not ready, a ``ready_only`` entry says how many:
    they are never exported. ``min_alpha`` has two entries, ``reason`` ``alpha_below`` and
    ``alpha_undefined`` (one annotator per turn, or no variation: alpha cannot be computed, and
    the call is left out); its ``calls`` count every call that lost turns to it, as an
    adjudicated turn of such a call is kept (``adjudicated_turns_kept``)."""
    out: list[dict] = []
    not_ready = project.calls.exclude(status=Call.Status.READY).count()
    if not_ready:
        out.append({
            "filter": "ready_only", "value": True, "calls": not_ready, "turns": None, "call_ids": [],
            "sentence": f"{_calls(not_ready)} of the project {'was' if not_ready == 1 else 'were'} not ready "
            f"(queued, processing or failed) and {'is' if not_ready == 1 else 'are'} not in this dataset.",
        })  # fmt: skip
    applied: dict = {}
    # submitted_only selects annotations, not turns: it is in force from the start (min_alpha
    # reads the same judgements the dataset holds), and said apart below.
    base = ExportFilters(submitted_only=filters.submitted_only)
    before = _per_call(selected_turns(project, base))
    chosen = filters.set_values()
    for key in (k for k in FILTER_ORDER if k in chosen):
        value = chosen[key]
        applied[key] = value
        after = _per_call(selected_turns(project, replace(base, **applied)))
        lost = {c: n - after.get(c, 0) for c, n in before.items() if n > after.get(c, 0)}
        shown = ", ".join(map(str, value)) if isinstance(value, tuple) else value
        if key == "min_alpha":
            out += _min_alpha_effects(project, value, before, after, lost, filters.submitted_only)
        else:
            gone = sorted(c for c in lost if c not in after)
            turns = sum(lost.values())
            words = FILTER_WORDS[key].format(value=shown)
            if not turns:
                sentence = f"{key} {shown}: left out nothing."
            elif len(gone) == len(lost):
                sentence = f"{key} {shown}: left out {_calls(len(gone))} ({_turns(turns)}): {words}."
            else:
                whole = f"{len(gone)} of these calls lost every turn" if gone else "every call kept some of its turns"
                sentence = f"{key} {shown}: left out {_turns(turns)} of {_calls(len(lost))} ({words}); {whole}."
            out.append({"filter": key, "value": as_json(value), "calls": len(gone), "turns": turns,
                        "call_ids": gone, "sentence": sentence})  # fmt: skip
        before = after
    if filters.submitted_only:
        drafts = (
            TurnAnnotation.objects.judgements()
            .filter(turn__in=selected_turns(project, filters))
            .exclude(assignment__status=Assignment.Status.SUBMITTED)
        )
        n, n_calls = drafts.count(), drafts.values("turn__call_id").distinct().count()
        sentence = (
            f"submitted_only: left out {n} annotation{'s' if n != 1 else ''} of {_calls(n_calls)} whose annotators "
            "have not submitted them yet (drafts they may still change)."
            if n
            else "submitted_only: left out nothing."
        )
        out.append({"filter": "submitted_only", "value": True, "calls": 0, "turns": 0, "call_ids": [],
                    "annotations": n, "sentence": sentence})  # fmt: skip
    return out


def _min_alpha_effects(
    project: Project,
    threshold: float,
    before: dict[int, int],
    after: dict[int, int],
    lost: dict[int, int],
    submitted_only: bool = False,
) -> list[dict]:
    results = call_alpha_results(project, sorted(before), submitted_only=submitted_only)
    below = sorted(c for c in lost if c in results and results[c].alpha is not None)
    undefined = sorted(c for c in lost if c not in below)
    why = {"no_annotations": 0, "one_annotator_per_turn": 0, "no_variation": 0}
    for c in undefined:
        why["no_annotations" if c not in results else "one_annotator_per_turn" if results[c].units == 0
            else "no_variation"] += 1  # fmt: skip
    why = {k: n for k, n in why.items() if n}
    entries = []
    for reason, ids in (("alpha_below", below), ("alpha_undefined", undefined)):
        turns = sum(lost[c] for c in ids)
        kept = sum(after.get(c, 0) for c in ids)
        entry = {"filter": "min_alpha", "value": threshold, "reason": reason, "calls": len(ids), "turns": turns,
                 "call_ids": ids, "adjudicated_turns_kept": kept}  # fmt: skip
        if reason == "alpha_below":
            if not ids:
                sentence = f"min_alpha {threshold}: left out no call for a label alpha below {threshold}."
            else:
                was = "was" if len(ids) == 1 else "were"
                sentence = (
                    f"min_alpha {threshold}: {_calls(len(ids))} whose label alpha is below {threshold} {was} "
                    f"left out ({_turns(turns)}): {_ids(ids)}."
                )
        else:
            entry["why"] = why
            if not ids:
                sentence = f"min_alpha {threshold}: left out no call for lack of a defined label alpha."
            else:
                was = "was" if len(ids) == 1 else "were"
                reasons = [
                    f"{why[k]} {words}"
                    for k, words in (
                        ("no_annotations", "had no annotations"),
                        ("one_annotator_per_turn", "had fewer than two annotators on every turn"),
                        ("no_variation", "had no variation to measure (every annotator gave the same answer on "
                                         "every label of every turn: perfect agreement, but alpha cannot be computed)"),
                    )
                    if why.get(k)
                ]  # fmt: skip
                sentence = (
                    f"min_alpha {threshold}: {_calls(len(ids))} whose label alpha is undefined {was} left out "
                    f"({_turns(turns)}), as nothing shows {'it meets' if len(ids) == 1 else 'they meet'} the "
                    f"threshold ({_ids(ids)}): {'; '.join(reasons)}."
                )
        if kept:
            sentence += (
                f" {_turns(kept)} of {'this call' if len(ids) == 1 else 'these calls'} "
                f"{'was' if kept == 1 else 'were'} adjudicated, and kept."
            )
        entry["sentence"] = sentence
        entries.append(entry)
    return entries


def as_json(value):
    """A filter value as it is stored: dates as ISO text, tuples as lists."""
    return value.isoformat() if isinstance(value, dt.date) else list(value) if isinstance(value, tuple) else value


def _float(value) -> float | None:
    return None if value is None else float(value)


def _labels(items) -> list[dict]:
    """[{label, intensity}] with a fixed shape (intensity int or None), for typed readers."""
    return [
        {"label": str(i["label"]), "intensity": None if i.get("intensity") is None else int(i["intensity"])}
        for i in items or []
    ]


LEFT_OUT_REASONS = {
    # A taxonomy change dropped every label the annotator chose: no judgement in this version.
    "labels_removed_by_taxonomy_change": "their labels were all removed by a taxonomy change",
    # Saved in a version the project's recorded changes do not lead from (a later one, for a
    # snapshot of an older version): its labels cannot be read in the snapshot's version.
    "taxonomy_version_not_leading_here": "they were saved in a taxonomy version that does not lead to this one",
}


def annotation_entry(
    mappings: Mapping[int, dict[str, list[str]] | None],
    annotator: int,
    labels,
    no_emotion: bool,
    valence,
    arousal,
    shifts,
    taxonomy_id: int,
    status: str,
) -> dict:
    """One annotator's judgement of a turn for a record, in the snapshot's version (``mappings``:
    ``version_mappings`` into it), read as the consensus reads it. Labels and shift sides are
    mapped; as saved (older keys) under ``labels_as_saved`` / ``shifts_as_saved`` only where they
    differ. A judgement that is none in this version (see LEFT_OUT_REASONS) has a ``reason`` and
    no ``labels``: the record lists it under ``annotations_left_out``, never as "no label"."""
    saved_labels, saved_shifts = _labels(labels), list(shifts or [])
    entry = {
        "annotator": f"annotator-{annotator}",
        "no_emotion": bool(no_emotion),  # an explicit decision, not an empty row
        "valence": _float(valence),
        "arousal": _float(arousal),
        "taxonomy": taxonomy_id,
        "submitted": status == Assignment.Status.SUBMITTED,  # False: a draft the annotator may still change
    }
    if taxonomy_id not in mappings:
        return {**entry, "reason": "taxonomy_version_not_leading_here", "labels_as_saved": saved_labels,
                "shifts_as_saved": saved_shifts}  # fmt: skip
    mapping = mappings[taxonomy_id]
    if labels_removed_by_change(labels, mapping, no_emotion):
        return {**entry, "reason": "labels_removed_by_taxonomy_change", "labels_as_saved": saved_labels,
                "shifts_as_saved": saved_shifts}  # fmt: skip
    entry["labels"] = _labels(labels_in_version(labels, mapping))
    entry["shifts"] = shifts_in_version(saved_shifts, mapping)
    if entry["labels"] != saved_labels:
        entry["labels_as_saved"] = saved_labels
    if entry["shifts"] != saved_shifts:
        entry["shifts_as_saved"] = saved_shifts
    return entry


def iter_records(
    project: Project,
    filters: ExportFilters,
    *,
    splits: Mapping[int, str] | None = None,
    calls: dict[int, CallInfo] | None = None,
    chunk: int = CHUNK,
) -> Iterator[dict]:
    """Turn records in call/turn order, CHUNK turns per round of queries (memory stays flat).

    ``calls`` (if given) is filled with a CallInfo for each call as its first turn is read, for
    writers that need the call's audio or duration.
    """
    ids = list(selected_turns(project, filters).values_list("pk", flat=True))
    mappings = version_mappings(project, project.taxonomy)  # the snapshot's version
    for offset in range(0, len(ids), chunk):
        part = ids[offset : offset + chunk]
        turns = Turn.objects.filter(pk__in=part).select_related("call", "speaker").order_by("call_id", "order")
        annotations: dict[int, list[dict]] = defaultdict(list)
        left_out: dict[int, list[dict]] = defaultdict(list)
        rows = TurnAnnotation.objects.judgements().filter(turn_id__in=part)
        if filters.submitted_only:
            rows = rows.filter(assignment__status=Assignment.Status.SUBMITTED)
        rows = rows.order_by("assignment__annotator_id").values_list(
            "turn_id", "assignment__annotator_id", "labels", "no_emotion", "valence", "arousal", "shifts",
            "taxonomy_id", "assignment__status",
        )  # fmt: skip
        for turn_id, annotator, labels, no_emotion, valence, arousal, shifts, taxonomy_id, status in rows:
            entry = annotation_entry(
                mappings, annotator, labels, no_emotion, valence, arousal, shifts, taxonomy_id, status
            )
            (left_out if "reason" in entry else annotations)[turn_id].append(entry)
        suggestions: dict[int, list[dict]] = defaultdict(list)
        for turn_id, labels, valence, arousal, model_version in (
            Suggestion.objects.filter(turn_id__in=part)
            .order_by("turn_id", "-created_at")
            .values_list("turn_id", "labels", "valence", "arousal", "model_version")
        ):
            suggestions[turn_id].append(
                {
                    "labels": [
                        {
                            "label": str(s["label"]),
                            "intensity": None if s.get("intensity") is None else int(s["intensity"]),
                            "confidence": _float(s.get("confidence")),
                        }
                        for s in labels or []
                    ],
                    "valence": _float(valence),
                    "arousal": _float(arousal),
                    "model_version": model_version,
                }
            )
        # In project.taxonomy (the snapshot's version), from the same judgements as "annotations".
        consensus = consensus_for_turns(part, project=project, submitted_only=filters.submitted_only)
        for turn in turns:
            call = turn.call
            if calls is not None and call.pk not in calls:
                calls[call.pk] = CallInfo(
                    id=call.pk,
                    name=call.original_name,
                    duration=call.duration,
                    channels=call.channels or 1,
                    sample_rate=call.sample_rate or 16_000,
                    locale=call.locale,
                    language=call.effective_language,
                    pcm=pcm_path(call),
                    speaker_channels=dict(call.speakers.values_list("label", "channel")),
                )
            c = consensus[turn.pk]
            yield {
                "call": call.pk,
                "call_name": call.original_name,
                "locale": call.locale,
                "turn": turn.order,
                "start": round(float(turn.start), 3),
                "end": round(float(turn.end), 3),
                "speaker": turn.speaker.label,
                "speaker_role": turn.speaker.role,
                "language": turn.language,
                "code_switch": turn.code_switch,
                "text": turn.text,
                "words": turn.words,
                "prosody": {k: v for k, v in (turn.prosody or {}).items() if k != "contour"},
                "suggestions": suggestions.get(turn.pk, []),
                "annotations": annotations.get(turn.pk, []),
                "annotations_left_out": left_out.get(turn.pk, []),
                "soft_labels": [
                    {"label": s["label"], "share": float(s["share"]), "mean_intensity": _float(s["mean_intensity"])}
                    for s in c.soft_labels
                ],
                "consensus_source": c.source,
                "consensus": _labels(c.labels),
                "valence_mean": _float(c.valence),
                "valence_sd": _float(c.valence_sd),
                "arousal_mean": _float(c.arousal),
                "arousal_sd": _float(c.arousal_sd),
                "shifts": c.shifts,
                "disagreement": float(c.disagreement),
                "split": (splits or {}).get(call.pk, ""),
            }

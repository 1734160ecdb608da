"""Reads for the annotation workspace: the first-paint payload of an assignment."""

from __future__ import annotations

from .corrections import call_unassigned_words
from .models import Assignment, CorrectionProposal, TurnAnnotation
from .selectors import suggestions_for_assignment
from .suggestion_modes import assignment_suggestion_mode, suggestion_for_annotator
from .turn_annotations import assignment_progress, taxonomy_scales


def annotation_json(annotation: TurnAnnotation | None) -> dict:
    if annotation is None:
        return {"version": 0}
    return {
        "version": annotation.version,
        "labels": annotation.labels,
        "no_emotion": annotation.no_emotion,
        "skipped": annotation.skipped,
        "skip_reason": annotation.skip_reason,
        "valence": annotation.valence,
        "arousal": annotation.arousal,
        "shifts": annotation.shifts,
        "note": annotation.note,
        "confidence": annotation.confidence,
        "suggestion_actions": annotation.suggestion_actions,
        "needs_recheck": annotation.needs_recheck,
        "taxonomy_version": annotation.taxonomy.version,
        "updated_at": annotation.updated_at.isoformat(),
    }


def proposal_json(proposal: CorrectionProposal) -> dict:
    return {
        "id": proposal.pk,
        "turn_id": proposal.turn_id,
        "action": proposal.action,
        "params": proposal.params,
        "status": proposal.status,
        "before": [{k: v for k, v in t.items() if k != "words"} for t in proposal.before],
        "after": [{k: v for k, v in t.items() if k != "words"} for t in proposal.after],
        "proposed_by": proposal.proposed_by.username,
        "decision_note": proposal.decision_note,
        "created_at": proposal.created_at.isoformat(),
    }


def own_proposals(assignment: Assignment) -> list[dict]:
    """The annotator's own open (and rejected, so they learn why) proposals: nobody else's."""
    rows = CorrectionProposal.objects.filter(
        call=assignment.call,
        proposed_by=assignment.annotator,
        status__in=(CorrectionProposal.Status.PROPOSED, CorrectionProposal.Status.REJECTED),
    ).select_related("proposed_by")
    return [proposal_json(p) for p in rows]


def workspace_payload(assignment: Assignment) -> dict:
    """Everything the workspace paints first: call, taxonomy (with its scales), speakers, every
    turn's times, text and tags, the annotator's own proposals, unassigned words; suggestions
    unless blind (then the key is absent, not just empty)."""
    call = assignment.call
    speakers = list(call.speakers.order_by("label").values("id", "label", "role", "channel"))
    by_id = {s["id"]: s for s in speakers}
    turns = call.turns.order_by("order").values(
        "id", "order", "start", "end", "speaker_id", "text", "language", "untranscribed", "revision", "prosody"
    )
    annotations = {a.turn_id: a for a in assignment.turn_annotations.select_related("taxonomy")}
    taxonomy = call.project.taxonomy
    scales = taxonomy_scales(taxonomy)
    read_only = assignment.status in (Assignment.Status.SUBMITTED, Assignment.Status.SKIPPED)
    payload = {
        "assignment": {
            "id": assignment.pk,
            "status": assignment.status,
            "blind": assignment.blind,
            "read_only": read_only,
            "suggestion_mode": assignment_suggestion_mode(assignment).as_dict(),
        },  # fmt: skip
        "call": {"id": call.pk, "name": call.original_name, "duration": call.duration, "channels": call.channels},
        "taxonomy": {
            "version": taxonomy.version,
            "labels": list(taxonomy.labels.values("key", "name", "colour", "hotkey", "definition")),
            "dimensions": list(taxonomy.dimensions.values("key", "kind", "scope", "minimum", "maximum", "step")),
            "scales": {"intensity": scales.intensity, "valence": scales.valence, "arousal": scales.arousal},
        },
        "speakers": speakers,
        "turns": [
            {
                "id": t["id"],
                "order": t["order"],
                "start": t["start"],
                "end": t["end"],
                "speaker_id": t["speaker_id"],
                "speaker": by_id[t["speaker_id"]]["label"],
                "role": by_id[t["speaker_id"]]["role"],
                "text": t["text"],
                "language": t["language"],
                "untranscribed": t["untranscribed"],  # speech with no recognised words: still tag it
                "revision": t["revision"],
                # Per-turn summary for the whole-call prosody overview; contours come with the detail.
                "pitch": (t["prosody"] or {}).get("f0_median_st"),
                "loudness": (t["prosody"] or {}).get("loudness_mean_db"),
                "annotation": annotation_json(annotations.get(t["id"])),
            }
            for t in turns
        ],
        "proposals": own_proposals(assignment),
        "unassigned_words": call_unassigned_words(call),
        "progress": assignment_progress(assignment),
    }
    if not assignment.blind:
        # Shaped by the mode recorded on the assignment: no confidence numbers at all when they
        # are hidden; marked reveal_after_play when the turn must be played first.
        mode = assignment_suggestion_mode(assignment)
        payload["suggestions"] = {
            s.turn_id: suggestion_for_annotator(s, mode) for s in suggestions_for_assignment(assignment)
        }
    return payload

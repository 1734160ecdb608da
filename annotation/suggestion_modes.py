"""Anchoring controls: how a project shows machine suggestions to annotators.

Two project settings, each copied onto every assignment when it is created (``Assignment.save``
and ``AssignmentQuerySet.bulk_create``), so an assignment is always shown, and later measured,
under the mode it was worked in:

- ``reveal_suggestions_after_play``: the workspace payload still carries the suggestions, marked
  ``reveal_after_play``; the workspace shows a turn's suggestions only once that turn has been
  played. The call page, which has no player, shows the annotator none.
- ``hide_suggestion_confidence``: the server sends no confidence number at all: label items keep
  only their label and intensity, and numbers that say how sure the machine is (percentages,
  probabilities, scores) are taken out of the rationale.

Blind assignments see no suggestions at all, whatever the mode (``suggestions_for_assignment``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from annotera.audit import audit_record

from .models import Assignment, Project, Suggestion

FIELDS = ("reveal_suggestions_after_play", "hide_suggestion_confidence")


@dataclass(frozen=True)
class SuggestionMode:
    reveal_after_play: bool
    hide_confidence: bool

    def as_dict(self) -> dict[str, bool]:
        return {"reveal_after_play": self.reveal_after_play, "hide_confidence": self.hide_confidence}


def assignment_suggestion_mode(assignment: Assignment) -> SuggestionMode:
    """The mode recorded on the assignment when it was created (not the project's current one)."""
    return SuggestionMode(assignment.reveal_suggestions_after_play, assignment.hide_suggestion_confidence)


def project_suggestion_settings_update(
    *, project: Project, actor, reveal_suggestions_after_play: bool, hide_suggestion_confidence: bool
) -> Project:
    """Change the project's anchoring controls, with an audit event in the same transaction.

    Applies to assignments created from now on; existing ones keep the mode they were created
    under. A call that changes nothing writes nothing."""
    wanted = {
        "reveal_suggestions_after_play": reveal_suggestions_after_play,
        "hide_suggestion_confidence": hide_suggestion_confidence,
    }
    bad = [name for name, value in wanted.items() if not isinstance(value, bool)]
    if bad:
        raise ValidationError(
            [f"{name.replace('_', ' ').capitalize()} must be yes or no (true or false)." for name in bad]
        )
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        before = {name: getattr(locked, name) for name in FIELDS}
        if before == wanted:
            return locked
        for name, value in wanted.items():
            setattr(locked, name, value)
        locked.full_clean()
        locked.save(update_fields=list(FIELDS))
        audit_record(
            action="project.suggestion_settings",
            obj=locked,
            actor=actor,
            project=locked,
            before=before,
            after=wanted,
        )
    for name, value in wanted.items():
        setattr(project, name, value)
    return locked


# --- what an annotator's browser may receive ---------------------------------------------------
# Numbers that say how sure the machine is. Measurements of the voice ("pitch +4.2 st", "2 pauses,
# longest 1.3 s") stay: they are the evidence, not the machine's confidence in it.
_PROBABILITY = re.compile(r"\bp\(([^()]*)\)\s*=\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_PERCENT_BRACKETED = re.compile(r"\s*\(\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*%\s*\)")
_PERCENT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*%\s*")
_NAMED_SCORE = re.compile(
    r"\s*\b(?:confidence|probability|certainty|score)\b\s*(?:of\s*)?[:=]?\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)",
    re.IGNORECASE,
)
_VADER = re.compile(r"\bVADER sentiment\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))")
_MODEL_SCORE = re.compile(r"\s*\(held-out alpha[^()]*\)")


def _vader_word(match: re.Match) -> str:
    value = float(match.group(1))
    return "VADER sentiment " + ("positive" if value >= 0.05 else "negative" if value <= -0.05 else "neutral")


def rationale_without_confidence(text: str) -> str:
    """The rationale with the machine's confidence taken out: no percentages, no probabilities
    or scores, VADER's compound score as a word, the learned model's held-out score dropped."""
    text = _PROBABILITY.sub(r"\1", text or "")
    text = _MODEL_SCORE.sub("", text)
    text = _VADER.sub(_vader_word, text)
    text = _NAMED_SCORE.sub("", text)
    text = _PERCENT.sub("", _PERCENT_BRACKETED.sub("", text))
    text = re.sub(r"[ \t]+([.,;:)])", r"\1", text.replace("%", ""))  # no space left before punctuation
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def labels_without_confidence(labels: list) -> list[dict]:
    """Each suggested label as label and intensity only (a whitelist, so a key added later to
    the suggestion stage cannot leak a number)."""
    return [
        {"label": item.get("label"), "intensity": item.get("intensity")} for item in labels if isinstance(item, dict)
    ]


def suggestion_for_annotator(suggestion: Suggestion, mode: SuggestionMode) -> dict:
    """One turn's suggestion as the workspace payload carries it under ``mode``."""
    data = {
        "labels": suggestion.labels,
        "valence": suggestion.valence,
        "arousal": suggestion.arousal,
        "shifts": suggestion.shifts,
        "rationale": suggestion.rationale,
        "model_version": suggestion.model_version,
        "reveal_after_play": mode.reveal_after_play,
    }
    if mode.hide_confidence:
        data["labels"] = labels_without_confidence(suggestion.labels or [])
        data["rationale"] = rationale_without_confidence(suggestion.rationale)
    return data


def call_page_suggestions(*, user, call, turns: list) -> None:
    """The call page shows an annotator their own assignment's suggestions (``turn.suggestion``);
    apply that assignment's mode: none before the turn is played (the page has no player, so
    none), and no confidence numbers in the rationale. Reviewers' and managers' view is unchanged."""
    mine = call.assignments.filter(annotator=user).first()
    if mine is None or mine.blind:
        return
    mode = assignment_suggestion_mode(mine)
    for turn in turns:
        suggestion = getattr(turn, "suggestion", None)
        if suggestion is None:
            continue
        if mode.reveal_after_play:
            turn.suggestion = None
        elif mode.hide_confidence:
            suggestion.labels = labels_without_confidence(suggestion.labels or [])
            suggestion.rationale = rationale_without_confidence(suggestion.rationale)

"""Workspace saves against corrections: a save is checked against the turn as it is when it is
written, and a refused save says what changed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotation.corrections import turn_adjust, turn_merge_next, turn_split
from annotation.models import Turn, TurnAnnotation
from annotation.turn_annotations import turn_annotation_save

from . import test_corrections

call_with_turns = test_corrections.call_with_turns  # its fixture: four turns, S0 S1 S1 S0, 4 s apart

ANGER = [{"label": "anger", "intensity": 2}]


def put(client, assignment, turn_id, body, version):
    return client.put(reverse("api-turn-annotation", args=[assignment.pk, turn_id]), body,
                      content_type="application/json", HTTP_IF_MATCH=f'"{version}"')  # fmt: skip


def test_a_save_is_checked_against_the_turn_as_a_correction_left_it(call_with_turns):
    """The view loads the turn, then a correction commits, then the save runs: the shifts were
    checked against the old boundaries and stored outside the turn, where every later save of
    the annotation was refused."""
    call, turns, _, reviewer, _ = call_with_turns
    assignment = call.assignments.get()
    loaded = Turn.objects.get(pk=turns[1].pk)  # 4-7 s, as the request saw it
    turn_adjust(turn=turns[1], start=5.0, end=7.0, revision=1, user=reviewer)
    with pytest.raises(ValidationError) as refused:
        turn_annotation_save(assignment=assignment, turn=loaded, base_version=0, data={
            "labels": [{"label": "anger", "intensity": 2}, {"label": "neutral", "intensity": 1}],
            "shifts": [{"at": 4.5, "from": "neutral", "to": "anger"}]})  # fmt: skip
    assert "shifts[0].at must be between 5 and 7" in refused.value.messages[0]
    assert not TurnAnnotation.objects.exists()


def test_a_save_for_a_turn_a_merge_removed_meanwhile_is_refused_with_the_reason(call_with_turns):
    """Was an IntegrityError at commit (a 500) for a row pointing at the deleted turn."""
    call, turns, _, reviewer, _ = call_with_turns
    assignment = call.assignments.get()
    loaded = Turn.objects.get(pk=turns[2].pk)
    turn_merge_next(turn=turns[1], revision=1, user=reviewer)
    with pytest.raises(ValidationError) as refused:
        turn_annotation_save(assignment=assignment, turn=loaded, data={"labels": ANGER}, base_version=0)
    assert "merged into turn 2" in refused.value.messages[0]
    assert not TurnAnnotation.objects.exists()


def test_saving_to_a_turn_merged_away_says_where_it_went(client, call_with_turns):
    call, turns, annotator, reviewer, _ = call_with_turns
    assignment = call.assignments.get()
    turn_merge_next(turn=turns[1], revision=1, user=reviewer)
    client.force_login(annotator)
    response = put(client, assignment, turns[2].pk, {"labels": ANGER}, 0)
    assert response.status_code == 404
    assert "merged into turn 2" in response.json()["detail"], response.json()
    assert not TurnAnnotation.objects.exists()
    assert put(client, assignment, 999_999, {"labels": ANGER}, 0).status_code == 404  # never existed


def test_a_stale_save_names_what_changed_and_why(client, call_with_turns):
    call, turns, annotator, reviewer, _ = call_with_turns
    assignment = call.assignments.get()
    client.force_login(annotator)
    assert put(client, assignment, turns[1].pk, {"labels": ANGER, "note": "loud"}, 0).status_code == 200
    # Another tab saves version 2; this one still holds version 1.
    assert put(client, assignment, turns[1].pk, {"labels": ANGER, "note": "shouting"}, 1).status_code == 200
    stale = put(client, assignment, turns[1].pk, {"labels": [{"label": "anger", "intensity": 3}], "note": "loud"}, 1)
    assert stale.status_code == 409
    detail = stale.json()["detail"]
    assert "Someone (another tab?) saved" in detail and "labels, note" in detail, detail
    assert TurnAnnotation.objects.get().note == "shouting"
    # A split moves the version on: the annotator is told it was a correction, not another tab.
    turn_split(turn=turns[1], at=5.6, revision=1, user=reviewer)
    stale = put(client, assignment, turns[1].pk, {"labels": ANGER, "note": "shouting"}, 2)
    assert stale.status_code == 409
    detail = stale.json()["detail"]
    assert "split, merged or had its boundaries moved" in detail and "another tab" not in detail, detail
    assert stale.json()["current"]["needs_recheck"] is True


def test_a_misspelt_skip_reason_is_refused_not_read_as_a_plain_submit(client, call_with_turns):
    """{"reason": ...} was ignored: the call was submitted (every turn tagged) instead of skipped."""
    call, turns, annotator, _, _ = call_with_turns
    assignment = call.assignments.get()
    client.force_login(annotator)
    for turn in turns:
        assert put(client, assignment, turn.pk, {"labels": ANGER}, 0).status_code == 200
    url = reverse("api-assignment-submit", args=[assignment.pk])
    response = client.post(url, {"reason": "the audio is someone else's call"}, content_type="application/json")
    assert response.status_code == 400
    assert "did you mean skip_reason?" in " ".join(response.json()["detail"]).lower(), response.json()
    assignment.refresh_from_db()
    assert assignment.status != "submitted" and assignment.submitted_at is None

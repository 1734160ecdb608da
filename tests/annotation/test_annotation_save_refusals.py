"""Refusals of the annotation save path that used to be a 500, a silent drop, or a write that
landed where it no longer belonged: each is now a 4xx naming the field, and nothing is written."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotation.assignment import assignment_reassign
from annotation.models import AnnotatorProfile, Assignment, TurnAnnotation
from annotation.turn_annotations import assignment_submit, turn_annotation_save
from annotera.models import AuditEvent

from ..builders import ready_call

ANGER = [{"label": "anger", "intensity": 2}]
TWO = [{"label": "anger", "intensity": 2}, {"label": "neutral", "intensity": 1}]
HUGE = "9" * 400  # a JSON integer Python parses exactly, and no float holds


def huge(template: str) -> str:
    return template.replace("HUGE", HUGE)


@pytest.fixture
def setup(project, make_user):
    call, speaker, turns = ready_call(project, [f"turn {i}" for i in range(2)])
    annotator = make_user("ann", "annotator")
    assignment = Assignment.objects.create(call=call, annotator=annotator, status=Assignment.Status.IN_PROGRESS)
    return assignment, turns, annotator


def put_raw(client, assignment, turn, body: str, content_type: str = "application/json", version: int = 0):
    url = reverse("api-turn-annotation", args=[assignment.pk, turn.pk])
    return client.generic("PUT", url, body, content_type=content_type, HTTP_IF_MATCH=f'"{version}"')


def messages(response) -> str:
    detail = response.json()["detail"]
    return " ".join(detail) if isinstance(detail, list) else detail


def nothing_written(assignment) -> bool:
    return not assignment.turn_annotations.exists() and not AuditEvent.objects.filter(action="annotation.save").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # Each was an OverflowError (a 500) formatting or converting a number no float holds.
        (huge('{"labels": [], "valence": HUGE}'), "valence must be between -3 and 3"),
        (huge('{"labels": [], "arousal": -HUGE}'), "arousal must be between 1 and 5"),
        (huge('{"labels": [], "confidence": HUGE}'), "confidence must be between 0 and 1"),
        (huge('{"labels": [{"label": "anger", "intensity": HUGE}]}'), "labels[0].intensity must be between 1 and 5"),
        (
            huge(
                '{"labels": [{"label": "anger"}, {"label": "neutral"}], "shifts": [{"at": HUGE, "from": "anger", '
                '"to": "neutral"}]}'
            ),
            "shifts[0].at must be between 0 and 2.5",
        ),
    ],
)
def test_a_number_too_large_for_a_float_is_refused_not_a_server_error(client, setup, body, message):
    assignment, turns, annotator = setup
    client.force_login(annotator)
    response = put_raw(client, assignment, turns[0], body)
    assert response.status_code == 400, response.content[:200]
    assert message in messages(response)
    assert nothing_written(assignment)


@pytest.mark.parametrize("side", [["anger"], {"label": "anger"}, 7])
def test_a_shift_side_that_is_not_a_label_key_is_refused_not_a_server_error(client, setup, side):
    """A list or an object as ``from`` was a TypeError (unhashable) looking it up: a 500."""
    assignment, turns, annotator = setup
    client.force_login(annotator)
    response = client.put(
        reverse("api-turn-annotation", args=[assignment.pk, turns[0].pk]),
        {"labels": TWO, "shifts": [{"at": 1.0, "from": side, "to": "neutral"}]},
        content_type="application/json",
        HTTP_IF_MATCH='"0"',
    )
    assert response.status_code == 400, response.content[:200]
    assert "shifts[0].from" in messages(response) and "is not a label" in messages(response)
    assert nothing_written(assignment)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # Dropped, the misspelt intensity saved the label with none, and the answer was 200.
        (
            {"labels": [{"label": "anger", "intensty": 4}]},
            "labels[0]: 'intensty' is not a label field. Did you mean intensity?",
        ),
        (
            {"labels": TWO, "shifts": [{"at": 1.0, "from": "anger", "too": "neutral"}]},
            "shifts[0]: 'too' is not a shift field. Did you mean to?",
        ),
        # A shift without its time was dropped from the saved list without a word.
        ({"labels": TWO, "shifts": [{"from": "anger", "to": "neutral"}]}, "shifts[0].at is missing"),
        ({"labels": TWO, "shifts": [{"at": None, "from": "anger", "to": "neutral"}]}, "shifts[0].at is missing"),
    ],
)
def test_a_label_or_shift_the_save_would_drop_in_part_is_refused(client, setup, body, message):
    assignment, turns, annotator = setup
    client.force_login(annotator)
    url = reverse("api-turn-annotation", args=[assignment.pk, turns[0].pk])
    response = client.put(url, body, content_type="application/json", HTTP_IF_MATCH='"0"')
    assert response.status_code == 400, response.content[:200]
    assert message in messages(response), messages(response)
    assert nothing_written(assignment)


def test_no_emotion_with_a_shift_between_emotions_is_refused(client, setup):
    """Saved as it came: a turn exported as "no emotion" that shifts from anger to neutral."""
    assignment, turns, annotator = setup
    client.force_login(annotator)
    body = {"labels": [], "no_emotion": True, "shifts": [{"at": 1.0, "from": "anger", "to": "neutral"}]}
    url = reverse("api-turn-annotation", args=[assignment.pk, turns[0].pk])
    response = client.put(url, body, content_type="application/json", HTTP_IF_MATCH='"0"')
    assert response.status_code == 400, response.content[:200]
    assert 'Choose shifts or "no emotion", not both' in messages(response)
    assert nothing_written(assignment)


@pytest.mark.parametrize(
    "body",
    [
        "note=a%00b",  # a NUL no text column holds: was a 500 from the database
        "labels=anger&labels=frustration",  # a form keeps the last of each field: half of what was sent
        "note=hello",  # would save a blank annotation with a note, from a form nobody meant as a save
    ],
)
def test_an_annotation_sent_as_a_form_is_refused(client, setup, body):
    assignment, turns, annotator = setup
    client.force_login(annotator)
    response = put_raw(client, assignment, turns[0], body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415, response.content[:200]
    assert "application/x-www-form-urlencoded" in messages(response)
    assert nothing_written(assignment)


def test_a_save_that_loses_the_race_with_a_skip_of_the_call_is_refused(setup):
    """The save read the assignment (open) before the lock; a skip of the whole call committed
    meanwhile, withdrawing every judgement: the save still wrote a live one into a skipped call."""
    assignment, turns, annotator = setup
    as_loaded = Assignment.objects.get(pk=assignment.pk)  # what the save's request read: in progress
    assignment_submit(assignment=Assignment.objects.get(pk=assignment.pk), skip_reason="bad audio")
    with pytest.raises(ValidationError) as refused:
        turn_annotation_save(assignment=as_loaded, turn=turns[0], data={"labels": ANGER}, base_version=0)
    assert "already skipped" in " ".join(refused.value.messages)
    assert nothing_written(assignment)
    assert Assignment.objects.get(pk=assignment.pk).status == Assignment.Status.SKIPPED


def test_a_save_that_loses_the_race_with_a_submit_is_refused(setup):
    """A submit counted every turn tagged; a save clearing one committed after it: a submitted
    call with an untagged turn."""
    assignment, turns, annotator = setup
    for turn in turns:
        turn_annotation_save(assignment=assignment, turn=turn, data={"labels": ANGER}, base_version=0)
    as_loaded = Assignment.objects.get(pk=assignment.pk)
    assignment_submit(assignment=Assignment.objects.get(pk=assignment.pk))
    with pytest.raises(ValidationError, match="already submitted"):
        turn_annotation_save(assignment=as_loaded, turn=turns[0], data={"labels": []}, base_version=1)
    assert TurnAnnotation.objects.get(turn=turns[0]).labels == ANGER


def test_a_save_that_loses_the_race_with_a_reassignment_is_refused(setup, make_user):
    """A reassignment checks that the assignment has no annotations yet; the old annotator's save,
    its request begun before, wrote one into the new annotator's assignment."""
    assignment, turns, annotator = setup
    other = make_user("bea", "annotator")
    AnnotatorProfile.objects.create(user=other)
    as_loaded = Assignment.objects.get(pk=assignment.pk)  # the old annotator's request: theirs
    assignment_reassign(assignment=Assignment.objects.get(pk=assignment.pk), annotator=other)
    with pytest.raises(ValidationError, match="no longer yours"):
        turn_annotation_save(assignment=as_loaded, turn=turns[0], data={"labels": ANGER}, base_version=0)
    assert nothing_written(assignment)


@pytest.mark.parametrize("body", ['"skip it: the audio is noise"', "[]", "null"])
def test_a_submit_body_that_is_not_an_object_is_refused_not_read_as_a_plain_submit(client, setup, body):
    assignment, turns, annotator = setup
    for turn in turns:
        turn_annotation_save(assignment=assignment, turn=turn, data={"labels": ANGER}, base_version=0)
    client.force_login(annotator)
    response = client.generic("POST", reverse("api-assignment-submit", args=[assignment.pk]), body,
                              content_type="application/json")  # fmt: skip
    assert response.status_code == 400, response.content[:200]
    assert "JSON object" in messages(response)
    assert Assignment.objects.get(pk=assignment.pk).status == Assignment.Status.IN_PROGRESS


def test_saving_into_an_assignment_that_is_not_yours_says_so(client, setup, make_user):
    """Was DRF's "No Assignment matches the given query.", shown under "not saved:" in the workspace."""
    assignment, turns, annotator = setup
    client.force_login(make_user("bea", "annotator"))
    response = put_raw(client, assignment, turns[0], '{"labels": []}')
    assert response.status_code == 404
    assert "not one of your assignments" in messages(response)
    assert nothing_written(assignment)
